# Sourced by scripts/run.sh and scripts/test.sh: create or reuse ./.venv and install graphsparse.
# The pinned CPU torch wheel goes in first so that no multi-GB CUDA build is pulled.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
STAMP=".venv/.graphsparse-installed"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  python -m pip install --quiet --upgrade pip
  python -c "import torch" 2>/dev/null || python -m pip install --quiet "torch==2.13.0"
  python -m pip install --quiet -e ".[test]"
  touch "$STAMP"
fi

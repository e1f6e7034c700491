#!/usr/bin/env bash
# The test suite. `--slow` also runs the slow / data-heavy tests (data tests skip without data).
source "$(dirname "$0")/_env.sh"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$ROOT/.venv/numba-cache}"
exec python -m pytest -q -n 2 "$@"

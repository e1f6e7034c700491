#!/usr/bin/env bash
# The main job on embedded default data (no downloads): graphsparse quickstart.
# Extra arguments go to the command, e.g. `bash scripts/run.sh --dataset cora`.
source "$(dirname "$0")/_env.sh"
exec graphsparse quickstart "$@"

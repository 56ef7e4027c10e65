#!/usr/bin/env bash
# Search a supernet on a Slurm cluster:
#   sh tools/slurm_search.sh PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]
# e.g. PY_ARGS: --work-dir DIR --resume --cfg-options train_cfg.max_epochs=5
# Environment: GPUS (tasks, default 8), GPUS_PER_NODE (default 8; 0 = CPU
# tasks, no --gres), CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"  # `sh` is dash on Debian
set -euo pipefail
source "$(dirname "$0")/slurm/common.sh"
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]" >&2
    exit 2
fi
PARTITION=$1 JOB_NAME=$2 CONFIG=$3 CHECKPOINT=$4
shift 4
PY_ARGS=("$@")
set -x
srun_gml "$(dirname "$0")/search.py" "$CONFIG" "$CHECKPOINT" \
    --launcher=slurm "${PY_ARGS[@]}"

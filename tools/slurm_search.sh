#!/usr/bin/env bash
# Search a supernet on a Slurm cluster:
#   sh tools/slurm_search.sh PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]
# e.g. PY_ARGS: --work-dir DIR --resume --cfg-options train_cfg.max_epochs=5
# Searches that start without a checkpoint (gml.MorphismEvolutionLoop):
#   sh tools/slurm_search.sh PARTITION JOB_NAME CONFIG [PY_ARGS...]
# Environment: GPUS (tasks, default 8), GPUS_PER_NODE (default 8; 0 = CPU
# tasks, no --gres), CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"  # `sh` is dash on Debian
set -euo pipefail
source "$(dirname "$0")/slurm/common.sh"
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG [CHECKPOINT] [PY_ARGS...]" >&2
    exit 2
fi
PARTITION=$1 JOB_NAME=$2 CONFIG=$3
shift 3
CHECKPOINT=()  # optional: PY_ARGS start with an option
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    CHECKPOINT=("$1")
    shift
fi
PY_ARGS=("$@")
set -x
srun_gml "$(dirname "$0")/search.py" "$CONFIG" "${CHECKPOINT[@]}" \
    --launcher=slurm "${PY_ARGS[@]}"

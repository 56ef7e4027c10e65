#!/usr/bin/env bash
# Search a supernet on a Slurm cluster:
#   sh tools/slurm_search.sh PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]
# e.g. PY_ARGS: --work-dir DIR --resume --cfg-options train_cfg.max_epochs=5
# Environment: GPUS (tasks, default 8), GPUS_PER_NODE (default 8; 0 = CPU
# tasks, no --gres), CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"  # `sh` is dash on Debian
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]" >&2
    exit 2
fi
PARTITION=$1 JOB_NAME=$2 CONFIG=$3 CHECKPOINT=$4
shift 4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
PYTHON=${PYTHON:-python}
GRES=() PER_NODE=$GPUS_PER_NODE
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES=(--gres="gpu:$GPUS_PER_NODE")
else
    PER_NODE=$GPUS  # CPU tasks: all on one node unless SRUN_ARGS says not
fi
[ "$PER_NODE" -le "$GPUS" ] || PER_NODE=$GPUS
export PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)${PYTHONPATH:+:$PYTHONPATH}"
set -x
# shellcheck disable=SC2086
srun -p "$PARTITION" --job-name="$JOB_NAME" "${GRES[@]}" \
    --ntasks="$GPUS" --ntasks-per-node="$PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
    "$PYTHON" -u "$(dirname "$0")/search.py" "$CONFIG" "$CHECKPOINT" \
    --launcher=slurm "$@"

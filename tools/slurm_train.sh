#!/usr/bin/env bash
# Train on a Slurm cluster:
#   sh tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [PY_ARGS...]
#   sh tools/slurm_train.sh PARTITION JOB_NAME CONFIG --work-dir WORK_DIR [PY_ARGS...]
# Environment: GPUS (tasks, default 8), GPUS_PER_NODE (default 8; 0 = CPU
# tasks, no --gres), CPUS_PER_TASK (default 5), SRUN_ARGS (extra srun flags).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"  # `sh` is dash on Debian
set -euo pipefail
source "$(dirname "$0")/slurm/common.sh"
slurm_parse_args "$@"
set -x
srun_gml tools/train.py "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm "${PY_ARGS[@]}"

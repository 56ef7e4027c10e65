#!/usr/bin/env bash
# Test a checkpoint on a Slurm cluster:
#   sh tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]
# Environment: GPUS (default 8), GPUS_PER_NODE (default 8; 0 = no --gres),
# CPUS_PER_TASK (default 5), SRUN_ARGS.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"  # `sh` is dash on Debian
set -euo pipefail
source "$(dirname "$0")/slurm/common.sh"
[ $# -ge 4 ] || { echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [PY_ARGS...]" >&2; exit 2; }
PARTITION=$1 JOB_NAME=$2 CONFIG=$3 CHECKPOINT=$4
shift 4
PY_ARGS=("$@")
set -x
srun_gml tools/test.py "$CONFIG" "$CHECKPOINT" --launcher=slurm "${PY_ARGS[@]}"

#!/usr/bin/env bash
# Run a compression pipeline with every stage on a Slurm cluster:
#   sh tools/slurm_compress.sh PARTITION JOB_NAME PIPELINE_CONFIG WORK_DIR [ARGS...]
# This script is the driver (run it where you submit jobs); each stage runs
# through tools/slurm_train.sh / slurm_test.sh / slurm_search.sh as job
# JOB_NAME-STAGE with the resources of the pipeline's `slurm` and the
# stage's `stages.NAME.slurm` (gpus, gpus_per_node, cpus_per_task,
# srun_args -> GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS); one-process
# tools (export, ptq, kd/export_student) under `srun -n1`.
# ARGS: e.g. --cfg-options stages.qat.options.train_cfg.max_epochs=2
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"  # `sh` is dash on Debian
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME PIPELINE_CONFIG WORK_DIR [ARGS...]" >&2
    exit 2
fi
PARTITION=$1 JOB_NAME=$2 PIPELINE=$3 WORK_DIR=$4
shift 4
PYTHON=${PYTHON:-python}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" "$ROOT/tools/compress.py" "$PIPELINE" --work-dir "$WORK_DIR" \
    --launcher slurm --partition "$PARTITION" --job-name "$JOB_NAME" "$@"

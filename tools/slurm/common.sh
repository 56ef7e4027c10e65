# Shared by tools/slurm_*.sh (sourced; bash).
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
PYTHON=${PYTHON:-python}

# slurm_parse_args "$@": PARTITION JOB_NAME CONFIG WORK_DIR|--work-dir DIR [PY_ARGS...]
slurm_parse_args() {
    if [ $# -lt 4 ]; then
        echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [PY_ARGS...]" >&2
        exit 2
    fi
    PARTITION=$1 JOB_NAME=$2 CONFIG=$3
    shift 3
    case "$1" in
        --work-dir=*) WORK_DIR=${1#--work-dir=}; shift ;;
        --work-dir) [ $# -ge 2 ] || { echo "$0: --work-dir needs a value" >&2; exit 2; }
                    WORK_DIR=$2; shift 2 ;;
        *) WORK_DIR=$1; shift ;;
    esac
    PY_ARGS=("$@")
}

# srun_gml SCRIPT ARGS...: one task per GPU (or CPU task when GPUS_PER_NODE=0).
srun_gml() {
    local per_node=$GPUS_PER_NODE gres=()
    if [ "$GPUS_PER_NODE" -gt 0 ]; then
        gres=(--gres="gpu:$GPUS_PER_NODE")
    else
        per_node=$GPUS
    fi
    [ "$per_node" -le "$GPUS" ] || per_node=$GPUS
    export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)${PYTHONPATH:+:$PYTHONPATH}"
    # shellcheck disable=SC2086
    srun -p "$PARTITION" --job-name="$JOB_NAME" "${gres[@]}" \
        --ntasks="$GPUS" --ntasks-per-node="$per_node" \
        --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 \
        $SRUN_ARGS "$PYTHON" -u "$@"
}

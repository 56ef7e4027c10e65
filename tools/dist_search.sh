#!/usr/bin/env bash
# Search with N processes on this node (torchrun):
#   bash tools/dist_search.sh CONFIG CHECKPOINT GPUS [PY_ARGS...]
#   bash tools/dist_search.sh CONFIG GPUS [PY_ARGS...]  (no checkpoint:
#   gml.MorphismEvolutionLoop)
# NNODES, NODE_RANK, PORT, MASTER_ADDR for multi-node; PYTHON.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG [CHECKPOINT] GPUS [PY_ARGS...]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=()
if [[ $2 =~ ^[0-9]+$ ]] && [ ! -f "$2" ]; then  # no checkpoint
    GPUS=$2
    shift 2
else
    [ $# -ge 3 ] || { echo "usage: $0 CONFIG [CHECKPOINT] GPUS [PY_ARGS...]" >&2; exit 2; }
    CHECKPOINT=("$2") GPUS=$3
    shift 3
fi
NNODES=${NNODES:-1} NODE_RANK=${NODE_RANK:-0} PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
export PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)${PYTHONPATH:+:$PYTHONPATH}"
${PYTHON:-python} -m torch.distributed.run --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$(dirname "$0")/search.py" "$CONFIG" "${CHECKPOINT[@]}" --launcher pytorch "$@"

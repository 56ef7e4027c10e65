#!/usr/bin/env bash
# Train with N processes on this node (torchrun):
#   bash tools/dist_train.sh CONFIG GPUS [PY_ARGS...]
# NNODES, NODE_RANK, PORT, MASTER_ADDR for multi-node.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -euo pipefail
CONFIG=$1 GPUS=$2
shift 2
NNODES=${NNODES:-1} NODE_RANK=${NODE_RANK:-0} PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
export PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)${PYTHONPATH:+:$PYTHONPATH}"
${PYTHON:-python} -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"

# Retrain the searched subnet from scratch on ImageNet-1k (8 x 128):
#   sh tools/slurm_train.sh $PARTITION $JOB \
#       configs/nas/spos/spos_shufflenetv2_subnet_8xb128_in1k.py $WORK_DIR \
#       --cfg-options algorithm.mutable_cfg=$STEP2_SUBNET_YAML
_base_ = ['./spos_shufflenetv2_supernet_8xb128_in1k.py']

algorithm = dict(mutable_cfg=None, require_subnet=True)
runner = dict(max_iters=300000)  # the linear decay follows
find_unused_parameters = False  # a fixed subnet uses all its parameters
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)

# The prune-first chain's ImageNet twin, for clusters (not run here):
#   sh tools/slurm_compress.sh PARTITION prune_first \
#       configs/compress/prune_first_mobilenetv2_imagenet.py \
#       work_dirs/compress/prune_first_in1k
# Each stage's Slurm resources: stages.NAME.slurm = dict(gpus=8, ...).
_base_ = ['./prune_first_mobilenetv2_digits.py']

input_shape = (3, 224, 224)
measure = dict(rounds=5, repeats=3, warmup=2)
slurm = dict(gpus=8, gpus_per_node=8, cpus_per_task=5)
_QAT = 'configs/quantization/qat/qat_dmcp_mobilenetv2_8xb32_10e_in1k.py'
stages = dict(
    float=dict(config='configs/compress/models/mobilenetv2_imagenet.py'),
    dmcp=dict(config='configs/pruning/dmcp/'
              'dmcp_mobilenetv2_imagenet_8xb256_f300.py'),
    kd=dict(config='configs/compress/models/'
            'kd_dmcp_mobilenetv2_imagenet.py',
            test_config='configs/pruning/dmcp/'
            'dmcp_mobilenetv2_imagenet_8xb256_retrain.py'),
    qat=dict(config=_QAT, slurm=dict(gpus=8)),
    int8=dict(config=_QAT, slurm=dict(gpus=1)),
)

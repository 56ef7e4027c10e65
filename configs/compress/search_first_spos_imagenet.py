# The search-first chain's ImageNet twin, for clusters (not run here):
#   sh tools/slurm_compress.sh PARTITION search_first \
#       configs/compress/search_first_spos_imagenet.py \
#       work_dirs/compress/search_first_in1k
_base_ = ['./search_first_spos_digits.py']

input_shape = (3, 224, 224)
measure = dict(rounds=5, repeats=3, warmup=2)
slurm = dict(gpus=8, gpus_per_node=8, cpus_per_task=5)
_M = 'configs/compress/models/'
_SPOS = 'configs/nas/spos/'
stages = dict(
    supernet=dict(config=_SPOS + 'spos_shufflenetv2_supernet_8xb128_in1k.py'),
    search=dict(config=_SPOS +
                'spos_shufflenetv2_evolution_search_8xb2048_in1k.py'),
    float=dict(config=_SPOS + 'spos_shufflenetv2_subnet_8xb128_in1k.py'),
    prune=dict(config=_M + 'group_spos_subnet_in1k.py'),
    kd=dict(config=_M + 'kd_group_spos_subnet_in1k.py',
            test_config=_M + 'group_spos_subnet_in1k.py'),
    qat=dict(config=_M + 'qat_group_spos_subnet_in1k.py'),
    int8=dict(config=_M + 'qat_group_spos_subnet_in1k.py',
              slurm=dict(gpus=1)),
)

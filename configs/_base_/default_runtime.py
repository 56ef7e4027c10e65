# Runtime defaults shared by every gml config (mmengine style).
default_scope = 'gml'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmpretrain.VisualizationHook', enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # gml's tools switch to gloo when no CUDA device is present.
    dist_cfg=dict(backend='nccl'),
)

# LocalVisBackend writes vis_data/scalars.json (read by gml's HPO tool);
# add dict(type='TensorboardVisBackend') to also write TensorBoard events.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='mmpretrain.UniversalVisualizer',
                  vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

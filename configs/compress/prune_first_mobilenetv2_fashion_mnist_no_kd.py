# Ablation of prune_first_mobilenetv2_fashion_mnist.py without KD: DMCP's
# widths are retrained alone (the stage keeps its name, so QAT still reads
# kd.checkpoint).
_base_ = ['./prune_first_mobilenetv2_fashion_mnist.py']

stages = dict(
    kd=dict(_delete_=True, type='retrain',
            config='configs/pruning/dmcp/'
            'dmcp_mobilenetv2_fashion_mnist_retrain.py',
            inputs={'algorithm.mutable_cfg': 'dmcp.subnet'}))

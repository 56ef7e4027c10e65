# Ablation of search_first_spos_fashion_mnist.py without KD: the pruned
# subnet is fine-tuned alone for the KD stage's 6 epochs (the stage keeps
# its name, so QAT still reads kd.checkpoint).
_base_ = ['./search_first_spos_fashion_mnist.py']

_M = 'configs/compress/models/'
stages = dict(
    kd=dict(_delete_=True, type='retrain',
            config=_M + 'ft_group_spos_subnet_fashion_mnist.py',
            options=dict(algorithm=dict(init_cfg=dict(type='Pretrained'))),
            inputs={'algorithm.model.mutable_cfg': 'search.subnet',
                    'algorithm.pruning_spec': 'prune.pruning_spec',
                    'algorithm.init_cfg.checkpoint': 'prune.checkpoint'}))

# Ablation of morphism_first_seed_fashion_mnist.py without KD: the 5-conv
# student is trained alone for the same 30 epochs (the stage keeps its
# name, so QAT still reads kd.checkpoint).
_base_ = ['./morphism_first_seed_fashion_mnist.py']

stages = dict(
    kd=dict(_delete_=True, type='train',
            config='configs/compress/models/genotype_best_fashion_mnist.py',
            options=dict(model=dict(backbone={{_base_._SEED}}),
                         train_cfg={{_base_.stages.kd.options.train_cfg}})))

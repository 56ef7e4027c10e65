# The morphism evolution's best model on Fashion-MNIST
# (configs/nas/morphism/best_genotype_fashion_mnist.yaml: a stem, a 3x3 conv,
# two residual blocks, 32 channels; 76,154 params, 4.4 MMACs), trained
# alone for 15 epochs: the student of the morphism-first chain, and the
# config that tests it.
#   python tools/train.py configs/compress/models/genotype_best_fashion_mnist.py
_base_ = ['../../nas/morphism/genotype_fashion_mnist.py']

model = dict(backbone=dict(
    genotype='{{fileDirname}}/../../nas/morphism/'
    'best_genotype_fashion_mnist.yaml'))
train_cfg = dict(val_interval=15)

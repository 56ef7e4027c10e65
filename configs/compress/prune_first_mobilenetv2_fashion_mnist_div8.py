# Prune-first on Fashion-MNIST with DMCP's widths in multiples of 8
# (search_space.divisor=8): onnxruntime's CPU kernels are slow on other
# channel counts, and the unrounded widths of
# prune_first_mobilenetv2_fashion_mnist.py make its pruned fp32 model 2.9x
# slower than the unpruned one. The other stages are as there.
#   python tools/compress.py \
#       configs/compress/prune_first_mobilenetv2_fashion_mnist_div8.py \
#       --work-dir work_dirs/compress/prune_first_fashion_mnist_div8
_base_ = ['./prune_first_mobilenetv2_fashion_mnist.py']

stages = dict(dmcp=dict(options=dict(algorithm=dict(model=dict(
    backbone=dict(search_space=dict(divisor=8)))))))

# Evolution by network morphism on Fashion-MNIST, seed 000's (Evolly's) own
# example, at the size of a 2-core CPU: children inherit their parents'
# weights (R2R) and train 1 epoch of 55,000 images each; scored on the
# 5,000 held-out val images. Then retrain the best genotype and test it:
#   python tools/search.py configs/nas/morphism/morphism_evolution_fashion_mnist.py --work-dir W
#   python tools/train.py configs/nas/morphism/genotype_fashion_mnist.py \
#       --work-dir W/retrain --cfg-options model.backbone.genotype=W/best_genotype.yaml
_base_ = ['./genotype_fashion_mnist.py']

model = dict(
    _delete_=True,
    type='gml.NetworkMorphism',
    model={{_base_.model}},  # the seed: model.model.backbone.genotype
    init='r2r',
    mutations=dict(filters=2, deepen=1, add_block=1, kernel_size=1,
                   dropout=0.5, strides=0.5, block_type=0.5,
                   remove_block=0.5, remove_depth=0.5),
    search_space=dict(filters=(16, 128), filters_step=16,
                      kernel_sizes=(3, 5), block_types=('conv', 'resnet'),
                      min_depth=1, max_depth=6, max_width=2, max_strides=2),
)
train_cfg = dict(
    _delete_=True,
    type='gml.MorphismEvolutionLoop',
    max_generations=5,
    population_size=1,
    num_parents=2,
    num_children=4,
    init_epochs=3,
    child_epochs=1,
    score_key='accuracy/top1',
    rule='greater',
    fitness_in_names=False,
    # fitness = top-1 x (target_params / params) ** w_params (Evolly)
    fitness=dict(target_params=100_000, w_params=0.02),
    input_shape=(1, 28, 28))
# children schedule themselves (cosine over child_epochs)
param_scheduler = None

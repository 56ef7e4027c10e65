# The morphism evolution config of before gml.NetworkMorphism (a
# GenotypeClassifier model; init, mutations and search_space in train_cfg):
# it must keep evolving exactly as the algorithm-shaped config does.
_base_ = ['../../configs/nas/morphism/genotype_digits.py']

train_cfg = dict(
    _delete_=True,
    type='gml.MorphismEvolutionLoop',
    max_generations=6,
    population_size=1,
    num_parents=2,
    num_children=4,
    init_epochs=4,
    child_epochs=2,
    init='r2r',  # or 'net2net'; 'random' = no function preservation
    mutations=dict(filters=2, deepen=1, add_block=1, kernel_size=1,
                   dropout=0.5, strides=0.5, block_type=0.5,
                   remove_block=0.5, remove_depth=0.5),
    search_space=dict(filters=(8, 64), filters_step=8, kernel_sizes=(3, 5),
                      block_types=('conv', 'resnet'), min_depth=1,
                      max_depth=5, max_width=2, max_strides=2),
    score_key='accuracy/top1',
    rule='greater',  # 'less' for a metric to minimise (e.g. a loss)
    fitness_in_names=False,  # True: 0000_00001_0.90547_meta.json (Evolly)
    # fitness = top-1 x (target_params / params) ** w_params (Evolly)
    fitness=dict(target_params=50_000, w_params=0.02),
    input_shape=(3, 8, 8))
# children schedule themselves (cosine over child_epochs)
param_scheduler = None

from .base_search_loop import BaseSearchLoop, SearchError
from .evolution_search_loop import EvolutionSearchLoop
from .morphism_evolution_loop import MorphismEvolutionLoop
from .random_search_loop import RandomSearchLoop
from .subnet_val_loop import SubnetTestLoop, SubnetValLoop

__all__ = ['BaseSearchLoop', 'SearchError', 'EvolutionSearchLoop',
           'MorphismEvolutionLoop', 'RandomSearchLoop', 'SubnetTestLoop',
           'SubnetValLoop']

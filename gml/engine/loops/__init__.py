from .base_search_loop import BaseSearchLoop, SearchError
from .evolution_search_loop import EvolutionSearchLoop
from .pareto_search_loop import ParetoSearchLoop
from .random_search_loop import RandomSearchLoop
from .subnet_val_loop import SubnetTestLoop, SubnetValLoop

__all__ = ['BaseSearchLoop', 'SearchError', 'EvolutionSearchLoop',
           'ParetoSearchLoop', 'RandomSearchLoop', 'SubnetTestLoop',
           'SubnetValLoop']

"""Random search: the baseline an evolution search must beat."""
from typing import Dict, List, Tuple

from gml.registry import LOOPS

from .base_search_loop import BaseSearchLoop


@LOOPS.register_module()
class RandomSearchLoop(BaseSearchLoop):
    """``num_candidates`` new uniformly random subnets per generation
    (within the limits), so that ``max_epochs * num_candidates`` matches an
    evolution search's budget.

    Args:
        runner, dataloader, evaluator, max_epochs, top_k, score_key,
            flops_range, params_range, input_shape, estimator,
            calibrate_batches,
            calibrate_dataloader, seed, max_trials, score_mode, executor,
            resume, save_weights: as :class:`BaseSearchLoop`.
        num_candidates: random subnets per generation (``max_epochs``
            generations in all).
    """

    def propose(self) -> List[Tuple[Dict, str]]:
        proposals: List[Tuple[Dict, str]] = []
        self.fill_random(proposals)
        return proposals

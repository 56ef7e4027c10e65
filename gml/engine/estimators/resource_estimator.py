"""FLOPs and params of any subnet, fast enough to call per search candidate.

Counting a subnet with ``mmengine.analysis`` means tracing the network
(tens of ms to seconds). SPOS's blocks do not change the shape of what
flows between them, so a subnet's cost is the fixed part of the network
plus the sum of its chosen ops' costs. Those per-(block, choice) costs are
measured once with ``mmengine.analysis.FlopAnalyzer`` and kept in a lookup
table; tests check the table's sums against a full count of fixed subnets.
"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer

from gml.registry import TASK_UTILS


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def count_flops(model: nn.Module, input_shape: Sequence[int]) -> int:
    """FLOPs of one forward of a (1, *input_shape) tensor, mmengine's way."""
    was_training = model.training
    model.eval()  # batch of one; and tracing must not touch BN statistics
    try:
        return int(_analyzer(model, input_shape).total())
    finally:
        model.train(was_training)


def _analyzer(model: nn.Module, input_shape: Sequence[int]) -> FlopAnalyzer:
    inputs = torch.zeros(1, *input_shape)
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


@TASK_UTILS.register_module()
class SubnetResourceEstimator:
    """Per-block lookup table of FLOPs/params for a supernet's subnets.

    The search loops build it from ``train_cfg.estimator`` (this class by
    default, like MMRazor's ``ResourceEstimator`` task module), passing
    the three arguments below; an estimator of one's own registered in
    ``TASK_UTILS`` takes them and provides :meth:`estimate`.

    Args:
        supernet: the searchable network (e.g. SPOS's ``architecture``).
        mutator: a prepared mutator of ``supernet``.
        input_shape: ``(C, H, W)`` of one input, e.g. ``(3, 224, 224)``.
    """

    def __init__(self, supernet: nn.Module, mutator,
                 input_shape: Sequence[int]):
        self.input_shape = tuple(input_shape)
        self.flops_table: Dict[str, Dict[str, int]] = {}
        self.params_table: Dict[str, Dict[str, int]] = {}
        self._build(supernet, mutator)

    @torch.no_grad()
    def _build(self, supernet: nn.Module, mutator) -> None:
        space = mutator.search_space
        mutables = mutator.mutables
        saved, was_training = mutator.current_choices, supernet.training
        supernet.eval()  # tracing must not touch BN running statistics
        try:
            fixed_flops = None
            for k in range(max(len(c) for c in space.values())):
                choices = {n: c[k % len(c)] for n, c in space.items()}
                mutator.set_choices(choices)
                analyzer = _analyzer(supernet, self.input_shape)
                per_module = analyzer.by_module()
                blocks = 0
                for name, choice in choices.items():
                    flops = int(per_module.get(name, 0))
                    self.flops_table.setdefault(name, {})[choice] = flops
                    blocks += flops
                fixed_flops = int(analyzer.total()) - blocks
        finally:
            mutator.set_choices(saved)
            supernet.train(was_training)
        self.fixed_flops = fixed_flops
        mutable_params = 0
        for name, mutable in mutables.items():
            for choice in space[name]:
                n = count_params(mutable.candidate_op(choice))
                self.params_table.setdefault(name, {})[choice] = n
            # once per block: its candidates may share modules
            mutable_params += count_params(mutable)
        self.fixed_params = count_params(supernet) - mutable_params

    def estimate(self, subnet: Dict[str, str]) -> Tuple[int, int]:
        """``(flops, params)`` of ``subnet`` (absolute counts)."""
        flops = self.fixed_flops + sum(
            self.flops_table[n][c] for n, c in subnet.items())
        params = self.fixed_params + sum(
            self.params_table[n][c] for n, c in subnet.items())
        return flops, params

"""One evaluated subnet of a supernet search: the record every search loop
keeps, saves in its state, writes to ``candidates.csv`` and ranks.

After MMRazor's ``structures/subnet/candidate.py``, a dict underneath, so
a state file stores it as it is and a loaded state reads back into the
same record (the JSON, and so the state file, is unchanged by the type).
What is known at proposal (costs: FLOPs, params, a latency table's times,
a screening's predictions) and the score are filled once, when the record
is made; nothing is patched in afterwards.
"""
from typing import Mapping


class Candidate(dict):
    """A scored subnet; its keys are in a fixed order (the CSV's columns).

    Args:
        id: the candidate's number in the search (proposal order).
        generation: the generation that proposed it.
        origin: ``'random'``, ``'mutation'`` or ``'crossover'``.
        score: the supernet's validation score (``score_key``).
        flops_M: MFLOPs (multiply-accumulates) at the search's input shape.
        params_M: millions of parameters.
        subnet: ``{mutable name: choice}``.
        **measures: further values known for it, in the order given
            (``latency_ms``, ``train_ms``, ``predicted_score``...).
    """

    #: the leading columns of ``candidates.csv``
    FIELDS = ('id', 'generation', 'origin', 'score', 'flops_M', 'params_M')

    def __init__(self, id: int, generation: int, origin: str, score: float,
                 flops_M: float, params_M: float, subnet: Mapping,
                 **measures: float):
        super().__init__(id=int(id), generation=int(generation),
                         origin=origin, score=float(score), flops_M=flops_M,
                         params_M=params_M, subnet=dict(subnet), **measures)

    @classmethod
    def from_dict(cls, record: Mapping) -> 'Candidate':
        """A record read back from a state file (or any mapping)."""
        return cls(**record)

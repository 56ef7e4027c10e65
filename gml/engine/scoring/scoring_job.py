"""Score candidates in another process (a dispatched job).

The search writes one *scoring context* file: the supernet (architecture
and weights), the cached calibration batches, the validation dataset and
its batching, and the evaluator. A job loads it once and scores its chunk of
candidates with the same :class:`CandidateScorer` as the search process, so
a candidate gets the same metrics wherever it is scored.
"""
import os
import sys
from typing import Dict, Tuple

import torch
from torch.utils.data import DataLoader, SequentialSampler

from .candidate_scorer import CandidateScorer


def save_scoring_context(path: str, model, calib_batches, dataloader,
                         evaluator) -> None:
    """Write what :class:`ScoreCandidate` needs (atomically: a job of an
    earlier run may be reading the previous file)."""
    data = dict(dataset=dataloader.dataset,
                batch_size=dataloader.batch_size,
                collate_fn=dataloader.collate_fn,
                num_workers=dataloader.num_workers)
    if data['batch_size'] is None:
        raise ValueError('dispatched scoring needs a dataloader with '
                         'batch_size (a custom batch_sampler is not '
                         'supported)')
    context = dict(model=model, calib_batches=calib_batches, data=data,
                   evaluator=evaluator,
                   num_threads=torch.get_num_threads())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    torch.save(context, tmp)
    os.replace(tmp, path)


class ScoreCandidate:
    """``(candidate_id, subnet) -> metrics`` in a job process.

    Picklable (only the context path travels); the context is loaded once
    per process.

    Args:
        context_path: written by :func:`save_scoring_context`.
    """

    def __init__(self, context_path: str):
        self.context_path = context_path
        self._scorer = None

    def __getstate__(self):
        return dict(context_path=self.context_path, _scorer=None)

    def scorer(self) -> CandidateScorer:
        if self._scorer is None:
            # our own file, written by the search (holds Python objects)
            context = torch.load(self.context_path, map_location='cpu',
                                 weights_only=False)
            # the search process's thread count: same float reductions
            torch.set_num_threads(context['num_threads'])
            model = context['model']
            if torch.cuda.is_available():
                model = model.cuda()
            data = context['data']
            loader = DataLoader(data['dataset'],
                                batch_size=data['batch_size'],
                                sampler=SequentialSampler(data['dataset']),
                                collate_fn=data['collate_fn'],
                                num_workers=data['num_workers'])
            self._scorer = CandidateScorer(model, context['calib_batches'],
                                           loader, context['evaluator'])
        return self._scorer

    def __call__(self, item: Tuple[int, Dict]) -> Dict[str, float]:
        candidate_id, subnet = item
        metrics = self.scorer()(subnet)
        # one line per scored candidate in the job's log
        print(f'scored candidate {candidate_id}: {metrics}', flush=True,
              file=sys.stdout)
        return metrics

"""What a search keeps of the generation it is scoring, as results arrive.

``search_state.json`` holds the generation's proposed candidates as soon as
they are drawn; each candidate's metrics go to their own small file the
moment they are known (by whichever rank or job scored it), and an
executor's journal of the jobs in flight sits beside them. A search killed
mid-generation and resumed loads these instead of scoring the candidates
again, and reattaches to the jobs that were still running.

Layout: ``DIR/gen_{g}/{id}.json`` (``id``, ``subnet``, ``metrics``) and
``DIR/gen_{g}/jobs.json``.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Tuple

from gml.utils.fileio import atomic_dump_json


class PendingGeneration:
    """Per-candidate results of the generation being scored.

    Args:
        root: the directory (``WORK_DIR/search_pending``).
    """

    def __init__(self, root: str):
        self.root = root

    def gen_dir(self, generation: int) -> str:
        return osp.join(self.root, f'gen_{generation}')

    def journal(self, generation: int) -> str:
        return osp.join(self.gen_dir(generation), 'jobs.json')

    def reset(self, generation: int) -> None:
        """Forget everything (earlier generations, an earlier search) and
        start ``generation`` empty."""
        if osp.isdir(self.root):
            shutil.rmtree(self.root)
        os.makedirs(self.gen_dir(generation))

    def clear(self) -> None:
        """Remove the folder once a generation's results are in the state
        (a finished search leaves no ``gen_N`` behind)."""
        if osp.isdir(self.root):
            shutil.rmtree(self.root)

    def save(self, generation: int, candidate_id: int, subnet: Dict,
             metrics: Dict[str, float]) -> None:
        atomic_dump_json(dict(id=candidate_id, subnet=subnet,
                              metrics=metrics),
                         osp.join(self.gen_dir(generation),
                                  f'{candidate_id}.json'), fsync=False)

    def load(self, generation: int,
             items: List[Tuple[int, Dict]]) -> Dict[int, Dict[str, float]]:
        """Metrics saved for ``items`` (``(id, subnet)``); a file whose
        subnet is not the item's (an earlier search's) is ignored."""
        found = {}
        for candidate_id, subnet in items:
            path = osp.join(self.gen_dir(generation), f'{candidate_id}.json')
            try:
                with open(path) as f:
                    saved = json.load(f)
            except (OSError, ValueError):
                continue  # not scored (or a torn write from a killed rank)
            if saved.get('subnet') == subnet:
                found[candidate_id] = saved['metrics']
        return found

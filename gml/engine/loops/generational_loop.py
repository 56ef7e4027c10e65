"""What the search loops share: generations, their saved state, --resume.

A generational loop runs ``num_generations`` generations; after each it
saves its state (records, rng, position) atomically, so ``--resume``
continues from the last finished generation as if never stopped.
"""
import json
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import broadcast_object_list
from mmengine.runner.base_loop import BaseLoop

from gml.utils.errors import ConfigError
from gml.utils.fileio import atomic_dump_json


class GenerationalLoop(BaseLoop):
    """Base of gml's generation-based loops (searches, evolutions).

    Subclasses set ``self._max_epochs`` (generations), ``self.seed``,
    ``self.generation`` (finished generations), ``self.records`` and
    ``self.rng`` (a ``random.Random``), and may extend
    ``state_dict``/``restore``.

    Args (those of mmengine's ``BaseLoop``):
        runner: the mmengine Runner.
        dataloader: the loop's dataloader (or its config).

    Class attributes:
        state_file: the state's file name in the work dir.
        resume_keys: state keys a resumed run must share with the config.
        resume_error: the exception raised when they differ.
        what: how log lines name the run ('search', 'evolution').
    """
    state_file = 'search_state.json'
    resume_keys = ('loop', 'seed')
    resume_error = ConfigError
    what = 'search'

    # -- mmengine's train-loop interface (Runner.train reads these) --
    @property
    def num_generations(self) -> int:
        return self._max_epochs

    def generation_label(self, index: int) -> str:
        """``Generation 3 (of 0..7)``, as log lines name generations.

        Generations are numbered from 0 everywhere: logs, errors, CSV,
        plots and the state's records (a morphism evolution's generation 0
        trains its seed); the state's ``generation`` counts the finished
        ones."""
        return f'Generation {index} (of 0..{self.num_generations - 1})'

    @property
    def max_epochs(self) -> int:
        return self.num_generations

    @property
    def max_iters(self) -> int:
        return self.num_generations

    @property
    def epoch(self) -> int:
        return self.generation

    @property
    def iter(self) -> int:
        return self.generation

    # -- state --
    @property
    def state_path(self) -> str:
        return osp.join(self.runner.work_dir, self.state_file)

    def state_dict(self) -> Dict:
        version, internal, gauss = self.rng.getstate()
        return dict(loop=type(self).__name__, seed=self.seed,
                    generation=self.generation,
                    rng_state=[version, list(internal), gauss],
                    records=self.records)

    def save_state(self) -> None:
        atomic_dump_json(self.state_dict(), self.state_path)

    def load_state(self) -> Optional[Dict]:
        """Restore the saved state (None: there was none, start anew)."""
        if not osp.isfile(self.state_path):
            self.runner.logger.warning(
                f'--resume: no {self.state_path}; starting the {self.what} '
                'anew')
            return None
        with open(self.state_path) as f:
            state = json.load(f)
        mine = json.loads(json.dumps(self.state_dict()))
        for key in self.resume_keys:  # a key a state may omit reads as None
            if state.get(key) != mine.get(key):
                raise self.resume_error(
                    f'--resume: {self.state_path} was written with {key}='
                    f'{state.get(key)!r}, this {self.what} has '
                    f'{mine.get(key)!r}; use another --work-dir or the same '
                    'config')
        self.restore(state)
        return state

    def restore(self, state: Dict) -> None:
        """Take the position, records and rng from a saved ``state``."""
        version, internal, gauss = state['rng_state']
        self.rng.setstate((version, tuple(internal), gauss))
        self.generation = state['generation']
        self.records = state['records']

    def sync_rng(self) -> None:
        """Every rank continues from rank 0's rng (rank 0 proposes)."""
        self.rng.setstate(self.broadcast(self.rng.getstate()))

    @staticmethod
    def broadcast(obj):
        """``obj`` as rank 0 has it, on every rank."""
        data = [obj]
        broadcast_object_list(data)
        return data[0]


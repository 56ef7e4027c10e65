"""What the search loops share: the generation driver, the saved state,
--resume.

A generational loop runs ``num_generations`` generations of propose ->
score -> record (:meth:`GenerationalLoop.run`); after each it saves its
state (records, rng, position) atomically, so ``--resume`` continues from
the last finished generation as if never stopped. The supernet searches
score candidates on a supernet; the morphism evolution trains its
children: the same driver, other hooks.
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
    ``self.generation`` (finished generations), ``self.records``,
    ``self.rng`` (a ``random.Random``) and ``self.resume``; they implement
    the driver's hooks (``setup``, ``next_proposals``,
    ``score_generation``, ``end_generation``, ``finish``; ``start`` is
    optional) and may extend ``state_dict``/``restore``.

    Args:
        (those of mmengine's ``BaseLoop``)
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

    # -- the generation driver --
    def run(self) -> None:
        """Set up, resume (or start afresh), then one generation at a time:
        propose, score, record; each generation ends with its bookkeeping
        (state, results, logs)."""
        self.setup()
        if self.resume:
            self.load_state()
        else:
            self.start()
        while self.generation < self.num_generations:
            proposals = self.next_proposals()
            self.score_generation(proposals)
            self.generation += 1
            self.end_generation(proposals)
        self.finish()

    def setup(self) -> None:
        """Build what the generations need (models, data, scorers)."""
        raise NotImplementedError

    def start(self) -> None:
        """A fresh (not resumed) run is about to propose generation 0."""

    def next_proposals(self):
        """This generation's proposals, the same on every rank."""
        raise NotImplementedError

    def score_generation(self, proposals) -> None:
        """Score (or train) ``proposals`` and add their records."""
        raise NotImplementedError

    def end_generation(self, proposals) -> None:
        """After a generation is recorded: save the state, write results,
        log."""
        raise NotImplementedError

    def finish(self) -> None:
        """After the last generation."""

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


"""Shared command-line plumbing of ``tools/train.py|test.py|search.py``.

One error path for all tools (:class:`ToolSession`): a user error -- a
:class:`~gml.utils.errors.UserError`, or a build error that is the config's
fault (unknown type, misspelled argument, rejected value, missing file) --
ends in exactly one line on stderr naming the file or key, exit code 2, and
whatever the failed start wrote into the work dir removed again. Internal
errors keep their tracebacks.

Imports stay light (no torch, no mmengine) until a config is loaded, so the
commonest mistakes fail in a fraction of a second.
"""
import argparse
import gc
import os
import os.path as osp
import shutil
import sys
import warnings
from typing import List, Optional

from gml.config.overrides import parse_cfg_options
from gml.utils.errors import UserError, one_line


def fail(message: str, prog: Optional[str] = None) -> None:
    """Print a one-line error and exit with code 2 (usage error)."""
    prog = prog or osp.basename(sys.argv[0])
    print(f'{prog}: error: {" ".join(message.split())}', file=sys.stderr)
    sys.exit(2)


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block), exit code 2.

    Args:
        *args, **kwargs: ``argparse.ArgumentParser``'s.
    """

    def error(self, message: str):
        fail(message, self.prog)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
        help='override config entries, e.g. train_cfg.max_epochs=1 '
        'model.head.num_classes=10 algorithm.mutable_cfg=subnet.yaml')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_args(parser: argparse.ArgumentParser,
               argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse and check what needs no import: the config exists, the
    overrides are well-formed (``args.cfg_options`` becomes a dict)."""
    args = parser.parse_args(argv)
    if osp.isdir(args.config):
        fail(f'config file {args.config!r} is a directory, expected a '
             'config file (e.g. one of its .py files)', parser.prog)
    if not osp.isfile(args.config):
        fail(f'config file {args.config!r} does not exist', parser.prog)
    try:
        args.cfg_options = parse_cfg_options(args.cfg_options)
    except UserError as e:
        fail(f'{args.config}: {one_line(e)}', parser.prog)
    return args


def check_work_dir(work_dir: str) -> None:
    """Refuse a work dir the run could not write, before anything is
    written (UserError naming the path): a regular file on the way, a
    read-only file system or folder, or a full disk."""
    path = osp.abspath(work_dir)
    existing = path
    while not osp.isdir(existing):
        if osp.lexists(existing):
            what = ('the work dir' if existing == path else
                    f'its parent {existing!r}')
            raise UserError(f'work dir {work_dir!r}: {what} is a file, '
                            'expected a directory')
        existing = osp.dirname(existing)
    # access() also reports a read-only mount (EROFS), even for root
    if not os.access(existing, os.W_OK | os.X_OK):
        where = '' if existing == path else f' (its parent {existing!r})'
        raise UserError(f'work dir {work_dir!r}{where} is not writable '
                        '(read-only file system or permissions)')
    try:
        stat = os.statvfs(existing)
    except OSError:
        return
    if stat.f_bavail * stat.f_frsize < 1 << 20:
        raise UserError(f'work dir {work_dir!r}: no space left on its '
                        'device (less than 1 MiB free)')


class _WorkDirGuard:
    """Remember what a work dir holds, to remove what a failed start adds."""

    def __init__(self, work_dir: str):
        self.work_dir = osp.abspath(work_dir)
        top = self.work_dir  # the outermost folder this run would create
        while not osp.exists(osp.dirname(top)) and osp.dirname(top) != top:
            top = osp.dirname(top)
        self.created_top = None if osp.exists(self.work_dir) else top
        self.entries = set(os.listdir(self.work_dir)) \
            if osp.isdir(self.work_dir) else set()

    def rollback(self) -> None:
        if self.created_top is not None:
            shutil.rmtree(self.created_top, ignore_errors=True)
            return
        if not osp.isdir(self.work_dir):
            return
        for name in set(os.listdir(self.work_dir)) - self.entries:
            path = osp.join(self.work_dir, name)
            if osp.isdir(path) and not osp.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass


def _leave_process_group(barrier: bool) -> None:
    """A distributed run leaves its process group before exiting (see
    ``gml.utils.dist.destroy_dist``: otherwise a rank can abort at exit)."""
    if 'torch.distributed' in sys.modules:
        from gml.utils.dist import destroy_dist
        destroy_dist(barrier)


def _warning_to_stdout(message, category, filename, lineno, file=None,
                       line=None):
    # stderr carries errors only; warnings go with the logs
    sys.stdout.write(warnings.formatwarning(message, category, filename,
                                            lineno, line))


class ToolSession:
    """One run of a tool, with the tools' single error path.

    Use as ``with ToolSession(args) as session:``; load the config and
    build the Runner through it so that errors can name config keys and a
    failed start leaves the work dir as it was. Once the Runner has loaded
    its checkpoint the run has started (a fresh search: once its first
    proposals are saved), and a later user error keeps what was written.
    The work dir is checked (:func:`check_work_dir`) and the config's
    settings are range-checked before the Runner creates anything.

    Args:
        args: parsed by :func:`parse_args`.
        prog: the tool's name in error lines.
    """

    def __init__(self, args: argparse.Namespace, prog: Optional[str] = None):
        self.args = args
        self.prog = prog
        self.cfg = None
        self.runner = None
        self._guard: Optional[_WorkDirGuard] = None

    def __enter__(self) -> 'ToolSession':
        warnings.showwarning = _warning_to_stdout
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        started = self.started
        self._release_runner()
        _leave_process_group(barrier=exc is None)
        if exc is None or not isinstance(exc, Exception):
            return False
        from gml.registry.build_errors import explain_build_error
        from gml.config.loading import user_key
        error = explain_build_error(
            exc, self.cfg, name_key=lambda path: user_key(path, self.cfg))
        if error is None:
            return False  # internal: the traceback is the report
        if self._guard is not None and not started:
            self._guard.rollback()
        fail(one_line(error), self.prog)

    @property
    def started(self) -> bool:
        return bool(getattr(self.runner, 'started', False))

    def _release_runner(self) -> None:
        """Free the Runner's model before the process group is destroyed:
        a DDP wrapper's reducer holds the group, and a group still held
        keeps gloo's worker threads running into interpreter shutdown."""
        if self.runner is None:
            return
        self.runner.model = None  # a caller's reference keeps no DDP alive
        self.runner = None
        gc.collect()  # the Runner, its loops and hooks form cycles

    def load_config(self):
        """The config with ``--cfg-options`` and ``--work-dir`` applied."""
        from gml.utils.checkpoint import check_checkpoint_file
        from gml.config.loading import load_config
        args = self.args
        cfg = load_config(args.config, args.cfg_options)
        if args.work_dir is not None:
            cfg.work_dir = args.work_dir
        elif cfg.get('work_dir') is None:
            name = osp.splitext(osp.basename(args.config))[0]
            cfg.work_dir = osp.join('./work_dirs', name)
        check_work_dir(cfg.work_dir)
        if cfg.get('load_from'):
            cfg.load_from = check_checkpoint_file(cfg.load_from, 'load_from')
        self.cfg = cfg
        self._guard = _WorkDirGuard(cfg.work_dir)
        return cfg

    def set_evaluator(self, key: str, metrics: List[str]) -> None:
        """``--eval METRIC...``: ``cfg[key]`` computes these metrics."""
        from gml.config.legacy_metrics import evaluators_for
        from gml.registry.scopes import normalize_scopes
        evaluators = evaluators_for(metrics, self.cfg.get(key), '--eval')
        self.cfg[key] = normalize_scopes(
            evaluators[0] if len(evaluators) == 1 else evaluators)

    def build_runner(self, checkpoint_fit: str = 'most'):
        """The config's Runner (see ``gml.engine.runner``)."""
        from gml.engine.runner import build_runner
        self.runner = build_runner(self.cfg, checkpoint_fit)
        return self.runner


def setup_launcher(cfg, launcher: str, local_rank: int = 0) -> None:
    """Prepare ``cfg`` for ``launcher`` on CUDA or CPU-only machines."""
    import torch

    from gml.utils.dist import init_dist
    os.environ.setdefault('LOCAL_RANK', str(local_rank))
    cfg.launcher = launcher
    if launcher == 'none':
        return
    backend = init_dist(launcher)
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = backend
    if not torch.cuda.is_available():
        # mmengine passes device_ids=[LOCAL_RANK] to DDP, which CPU modules
        # reject; an explicit None wins over its default.
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper

"""Search a trained supernet for its best subnet.

    python tools/search.py CONFIG CHECKPOINT [--work-dir DIR] [--resume]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The config's ``train_cfg`` is a search loop (``gml.EvolutionSearchLoop``,
``gml.RandomSearchLoop`` or ``gml.ParetoSearchLoop``). ``CHECKPOINT`` must be
this supernet's (every tensor of the model must load from it). Results land
in the work dir: best_subnet.yaml, top_k/rank_*.yaml, candidates.csv, plots
and search_state.json (what ``--resume`` continues from); a Pareto search
adds pareto_front.csv and pareto_front/*.yaml.

Loops that declare ``search_without_checkpoint`` (``gml.MorphismEvolutionLoop``)
need no CHECKPOINT; one given is their seed model's weights.
"""
import argparse

from gml.utils.checkpoint import check_checkpoint_file
from gml.apis.cli import (OneLineErrorParser, ToolSession, add_common_args,
                           parse_args, setup_launcher)
from gml.utils.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description='Search subnets of a supernet')
    add_common_args(parser)
    parser.add_argument('checkpoint', nargs='?',
                        help='supernet checkpoint (optional for searches '
                        'that start without one)')
    parser.add_argument(
        '--resume', action='store_true',
        help='continue from WORK_DIR/search_state.json (the last finished '
        'generation)')
    return parser


def main(argv=None):
    args = parse_args(build_parser(), argv)
    with ToolSession(args) as session:
        checkpoint = (None if args.checkpoint is None else
                      check_checkpoint_file(args.checkpoint))
        cfg = session.load_config()
        loop_type = str((cfg.get('train_cfg') or {}).get('type', ''))
        no_checkpoint = _search_without_checkpoint(loop_type)
        if not loop_type.endswith('SearchLoop') and not no_checkpoint:
            raise ConfigError(
                f'{args.config}: train_cfg.type must be a search loop '
                '(gml.EvolutionSearchLoop, gml.RandomSearchLoop, '
                'gml.ParetoSearchLoop or gml.MorphismEvolutionLoop), got '
                f'{loop_type or "none"!r}')
        cfg.train_cfg.resume = args.resume
        # a search trains nothing: the supernet's LR schedule (whose length
        # followed the supernet's training) does not apply
        cfg.param_scheduler = None
        cfg.resume = False  # the search's own state is resumed by the loop
        if no_checkpoint:
            cfg.load_from = None
            if checkpoint is not None:
                cfg.train_cfg.seed_checkpoint = checkpoint
        elif checkpoint is None:
            raise ConfigError(f'{args.config}: {loop_type} searches a '
                              'trained supernet: pass its CHECKPOINT')
        else:
            cfg.load_from = checkpoint  # the supernet's weights
        setup_launcher(cfg, args.launcher, args.local_rank)
        runner = session.build_runner(checkpoint_fit='all')
        runner.train()


def _search_without_checkpoint(loop_type: str) -> bool:
    """Whether the loop class declares it starts without a checkpoint."""
    if not loop_type:
        return False
    import gml.engine.loops  # noqa: F401  (registers gml's loops)
    from gml.registry import LOOPS
    return bool(getattr(LOOPS.get(loop_type), 'search_without_checkpoint',
                        False))


if __name__ == '__main__':
    main()

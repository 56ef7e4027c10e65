"""Search a trained supernet for its best subnet.

    python tools/search.py CONFIG CHECKPOINT [--work-dir DIR] [--resume]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The config's ``train_cfg`` is a search loop (``gml.EvolutionSearchLoop`` or
``gml.RandomSearchLoop``). Results land in the work dir: best_subnet.yaml,
top_k/rank_*.yaml, candidates.csv, search_curve.png, score_vs_flops.png and
search_state.json (what ``--resume`` continues from).

Loops that declare ``search_without_checkpoint`` (``gml.MorphismEvolutionLoop``)
need no CHECKPOINT; one given is their seed model's weights.
"""
import argparse
import os.path as osp

from gml.utils.cfg_options import ConfigError
from gml.utils.cli import (OneLineErrorParser, add_common_args,
                           build_cli_runner, fail, load_cli_config,
                           parse_args, setup_launcher)


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
    if args.checkpoint is not None and not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint!r} does not exist')
    cfg = load_cli_config(args)
    loop_type = str((cfg.get('train_cfg') or {}).get('type', ''))
    no_checkpoint = _search_without_checkpoint(loop_type)
    if not loop_type.endswith('SearchLoop') and not no_checkpoint:
        fail(f'{args.config}: train_cfg.type must be a search loop '
             '(gml.EvolutionSearchLoop, gml.RandomSearchLoop or '
             f'gml.MorphismEvolutionLoop), got {loop_type or "none"!r}')
    cfg.train_cfg.resume = args.resume
    cfg.resume = False  # the search's own state is resumed by the loop
    if no_checkpoint:
        cfg.load_from = None
        if args.checkpoint is not None:
            cfg.train_cfg.seed_checkpoint = args.checkpoint
    elif args.checkpoint is None:
        fail(f'{loop_type} searches a trained supernet: pass its CHECKPOINT')
    else:
        cfg.load_from = args.checkpoint  # the supernet's weights
    setup_launcher(cfg, args.launcher, args.local_rank)

    runner = build_cli_runner(cfg)
    try:
        runner.train()  # builds the loop: bad train_cfg values show here
    except ConfigError as e:
        fail(str(e))


def _search_without_checkpoint(loop_type: str) -> bool:
    """Whether the loop class declares it starts without a checkpoint."""
    if not loop_type:
        return False
    import gml.engine.loops  # noqa: F401  (registers gml's loops)
    from gml.registry import LOOPS
    try:
        return bool(getattr(LOOPS.get(loop_type),
                            'search_without_checkpoint', False))
    except KeyError:
        return False


if __name__ == '__main__':
    main()

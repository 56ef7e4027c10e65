"""Search a trained supernet for its best subnet.

    python tools/search.py CONFIG CHECKPOINT [--work-dir DIR] [--resume]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The config's ``train_cfg`` is a search loop (``gml.EvolutionSearchLoop`` or
``gml.RandomSearchLoop``). ``CHECKPOINT`` must be this supernet's (every
tensor of the model must load from it). Results land in the work dir:
best_subnet.yaml, top_k/rank_*.yaml, candidates.csv, search_curve.png,
score_vs_flops.png and search_state.json (what ``--resume`` continues from).
"""
import argparse

from gml.utils.checkpoint import check_checkpoint_file
from gml.utils.cli import (OneLineErrorParser, ToolSession, add_common_args,
                           parse_args, setup_launcher)
from gml.utils.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(description='Search subnets of a supernet')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='supernet checkpoint')
    parser.add_argument(
        '--resume', action='store_true',
        help='continue from WORK_DIR/search_state.json (the last finished '
        'generation)')
    return parser


def main(argv=None):
    args = parse_args(build_parser(), argv)
    with ToolSession(args) as session:
        checkpoint = check_checkpoint_file(args.checkpoint)
        cfg = session.load_config()
        loop_type = str((cfg.get('train_cfg') or {}).get('type', ''))
        if not loop_type.endswith('SearchLoop'):
            raise ConfigError(
                f'{args.config}: train_cfg.type must be a search loop '
                '(gml.EvolutionSearchLoop or gml.RandomSearchLoop), got '
                f'{loop_type or "none"!r}')
        cfg.train_cfg.resume = args.resume
        # a search trains nothing: the supernet's LR schedule (whose length
        # followed the supernet's training) does not apply
        cfg.param_scheduler = None
        # the supernet's weights; the search's own state is resumed by the
        # loop
        cfg.load_from, cfg.resume = checkpoint, False
        setup_launcher(cfg, args.launcher, args.local_rank)
        runner = session.build_runner(checkpoint_fit='all')
        runner.train()


if __name__ == '__main__':
    main()

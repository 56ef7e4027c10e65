"""Search a trained supernet for its best subnet.

    python tools/search.py CONFIG CHECKPOINT [--work-dir DIR] [--resume]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

The config's ``train_cfg`` is a search loop (``gml.EvolutionSearchLoop`` or
``gml.RandomSearchLoop``). Results land in the work dir: best_subnet.yaml,
top_k/rank_*.yaml, candidates.csv, search_curve.png, score_vs_flops.png and
search_state.json (what ``--resume`` continues from).
"""
import argparse
import os.path as osp
import sys

from gml.utils.cli import (OneLineErrorParser, add_common_args,
                           build_cli_runner, fail, load_cli_config,
                           parse_args, setup_launcher)


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
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint!r} does not exist')
    cfg = load_cli_config(args)
    loop_type = str((cfg.get('train_cfg') or {}).get('type', ''))
    if not loop_type.endswith('SearchLoop'):
        fail(f'{args.config}: train_cfg.type must be a search loop '
             '(gml.EvolutionSearchLoop or gml.RandomSearchLoop), got '
             f'{loop_type or "none"!r}')
    cfg.train_cfg.resume = args.resume
    # the supernet's weights; the search's own state is resumed by the loop
    cfg.load_from, cfg.resume = args.checkpoint, False
    setup_launcher(cfg, args.launcher, args.local_rank)

    runner = build_cli_runner(cfg)
    from gml.engine.loops import SearchError
    from gml.utils.cfg_options import ConfigError
    try:
        runner.train()
    except ConfigError as e:  # a train_cfg value the loop refuses
        fail(str(e))
    except SearchError as e:  # e.g. candidates that could not be scored
        print(f'{osp.basename(sys.argv[0])}: error: {e}', file=sys.stderr)
        sys.exit(1)
    finally:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            # left alive, gloo now and then aborts the exiting process
            # ("terminate called without an active exception")
            dist.destroy_process_group()


if __name__ == '__main__':
    main()

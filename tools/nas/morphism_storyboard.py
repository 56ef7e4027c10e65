"""Draw how the best model of a morphism evolution grew (a PNG strip).

    python tools/nas/morphism_storyboard.py WORK_DIR [--out PNG] \
        [--rule greater|less]

Reads WORK_DIR/evolution_state.json (also of an unfinished run) and writes
WORK_DIR/storyboard.png (or --out): the best model's lineage from the seed,
one architecture panel per ancestor. The evolution itself writes the same
file when it ends.
"""
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from gml.engine.reports.evolution_report import RULES  # noqa: E402
from gml.apis.cli import OneLineErrorParser, fail  # noqa: E402


def main(argv=None):
    p = OneLineErrorParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dir', help='the evolution\'s work dir')
    p.add_argument('--out', help='PNG path (default WORK_DIR/storyboard.png)')
    p.add_argument('--rule', choices=RULES, default=None,
                   help='fitness direction (default: the run\'s)')
    args = p.parse_args(argv)
    state_path = osp.join(args.work_dir, 'evolution_state.json')
    try:
        with open(state_path) as f:
            state = json.load(f)
        records = state['records']
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail(f'{state_path}: cannot read the evolution\'s records ({e}); '
             'expected the work dir of a morphism evolution')
    if not records:
        fail(f'{state_path}: no model trained yet')
    rule = args.rule or state.get('rule', 'greater')
    from gml.engine.reports.storyboard import write_storyboard
    out = args.out or osp.join(args.work_dir, 'storyboard.png')
    chain = write_storyboard(records, out, rule)
    print(f'{out}: ' + ' -> '.join(
        f'{r["name"]} ({r["fitness"]:.4f})' for r in chain))


if __name__ == '__main__':
    main()

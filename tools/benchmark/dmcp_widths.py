"""onnxruntime latency of a DMCP structure as exported and with its widths
rounded to a multiple of 8 (``search_space.divisor=8``), beside the
unpruned network.

    python tools/benchmark/dmcp_widths.py SUBNET_YAML
        [--config configs/pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py]
        [--divisor 8] [--rounds 7] [--input-size N]

SUBNET_YAML is a DMCP search's ``model_sample/subnet.yaml``. The three
networks are built by the retraining config (weights as initialised:
latency does not depend on them), exported to fp32 ONNX as gml's deploy
step exports (``gml.deploy.onnx_export.export_onnx``) and timed on
onnxruntime's CPU provider with one thread at batch 1 and 64, all in the
same interleaved rounds, at the search's input size or ``--input-size``
(the same network on larger maps). FLOPs as DMCP counts them. Structure
only: what rounding costs in accuracy is what a search with
``divisor=8`` and its retraining measure.
"""
import argparse
import os.path as osp
import sys
import tempfile

import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
RETRAIN = 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py'
SEARCH = {RETRAIN: 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_f50.py'}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('subnet', help="a DMCP search's model_sample/subnet.yaml")
    p.add_argument('--config', default=RETRAIN,
                   help='the retraining config')
    p.add_argument('--search-config', default=None,
                   help='the search config (for the unpruned widths; '
                   'default: the digits one for the digits retrain config)')
    p.add_argument('--divisor', type=int, default=8)
    p.add_argument('--rounds', type=int, default=7)
    p.add_argument('--input-size', type=int, default=None,
                   help='square input side (default: the subnet file\'s)')
    return p.parse_args()


def export(config, widths, shape, out):
    import torch

    from gml.models.algorithms.pruning.subnet_io import save_subnet
    from gml.registry import MODELS
    from gml.config.loading import load_config
    path = save_subnet(widths, out[:-5])['yaml']
    cfg = load_config(osp.join(ROOT, config),
                      {'algorithm.mutable_cfg': path})
    net = MODELS.build(cfg.model).architecture.eval()

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x, mode='tensor')

    from gml.deploy.onnx_export import export_onnx
    export_onnx(Logits(), shape, out)  # what tools/deploy and compress use
    return out


def main():
    args = parse_args()
    from gml.compress.measure import onnx_latency
    from gml.engine.estimators.latency import format_latency
    from gml.registry import MODELS
    from gml.config.loading import load_config
    with open(args.subnet) as f:
        doc = yaml.safe_load(f)
    exported = {k: int(v) for k, v in doc['widths'].items()}
    shape = tuple(doc.get('input_size') or (3, 8, 8))
    if args.input_size:
        shape = (shape[0], args.input_size, args.input_size)
    search_cfg = args.search_config or SEARCH.get(args.config)
    if search_cfg is None:
        sys.exit('dmcp_widths.py: --search-config is needed for '
                 f'{args.config}')
    search = MODELS.build(load_config(osp.join(ROOT, search_cfg)).model)
    full = search.mutator.max_choices()
    d = args.divisor
    rounded = {k: min(full[k], max(d, round(w / d) * d))
               for k, w in exported.items()}
    structures = {'unpruned': full, 'DMCP as exported': exported,
                  f'rounded to {d}': rounded}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: export(args.config, widths, shape,
                              osp.join(tmp, f'{i}.onnx'))
                 for i, (name, widths) in enumerate(structures.items())}
        lat = onnx_latency(paths, rounds=args.rounds)
    flops = {n: float(search.flops(w)) for n, w in structures.items()}
    print(f'{args.subnet}: input {shape}, onnxruntime CPU, 1 thread, '
          f'{args.rounds} interleaved rounds')
    off = sum(w % d != 0 for w in exported.values())
    print(f'exported widths not a multiple of {d}: {off} of '
          f'{len(exported)}')
    print('| structure | MFLOPs (DMCP count, search input) | batch 1 | '
          'batch 64 |')
    print('|---|---|---|---|')
    for name in structures:
        print(f'| {name} | {flops[name] / 1e6:.3f} | '
              f'{format_latency(lat[name]["b1"])} | '
              f'{format_latency(lat[name]["b64"])} |')


if __name__ == '__main__':
    main()

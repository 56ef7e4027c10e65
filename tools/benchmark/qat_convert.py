"""Seconds of a QAT model's int8 conversion (pt2e.convert), with gml's skip
of the conv functions the graph does not call, against torchao's
convert_pt2e as it is, interleaved; and whether the two int8 graphs agree.

    python tools/benchmark/qat_convert.py [--rounds 3] [--config C]

The model is the config's (default: the digits ResNet-18 QAT recipe),
prepared for QAT as gml.QAT does; conversion is what tools/quantization/
export.py runs before writing the ONNX file.
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

CONFIG = 'configs/quantization/qat/qat_resnet18_digits.py'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--config', default=CONFIG)
    args = p.parse_args()
    import torch
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e

    from gml.models.quantizers import pt2e
    from gml.registry import MODELS
    from gml.config.loading import load_config
    torch.set_num_threads(1)
    cfg = load_config(args.config)
    torch.manual_seed(0)
    # random float weights: conversion does not depend on their values
    algorithm = MODELS.build(dict(cfg.model, float_checkpoint=None))
    prepared = algorithm.architecture
    with torch.no_grad():  # observers see data, as after QAT
        prepared(torch.randn(8, *algorithm.input_shape))
    pt2e.set_mode(prepared, False)

    def torchao_as_is(graph):
        graph = copy.deepcopy(graph)
        return convert_pt2e(graph)

    paths = {'gml (present convs only)': pt2e.convert,
             'torchao convert_pt2e': torchao_as_is}
    times = {name: [] for name in paths}
    graphs = {}
    for _ in range(args.rounds):
        for name, fn in paths.items():  # interleaved rounds
            start = time.perf_counter()
            graphs[name] = fn(prepared)
            times[name].append(time.perf_counter() - start)
    a, b = graphs.values()
    same = a.code == b.code and all(
        torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                          b.state_dict().values())) and \
        list(a.state_dict()) == list(b.state_dict())
    print(f'{args.config}: QAT convert, {args.rounds} interleaved rounds, '
          f'1 thread, {"CUDA visible" if torch.cuda.is_available() else "CPU"}')
    print('| path | seconds (mean ± std) |')
    print('|---|---|')
    for name, ts in times.items():
        std = statistics.stdev(ts) if len(ts) > 1 else 0.0
        print(f'| {name} | {statistics.mean(ts):.1f} ± {std:.1f} |')
    print(f'same int8 graph and tensors: {same}')


if __name__ == '__main__':
    main()

"""FLOPs/params estimation time per search candidate.

    python tools/benchmark/nas_flops_estimation.py

For the digits space (16x16 cluttered) and the ImageNet space (224x224): time to build
the per-block lookup table (mmengine.analysis, once per search), time per
candidate with the table, and time of a full mmengine.analysis count of
the fixed subnet (what the table replaces); checks both agree.
"""
import os.path as osp
import random
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
SPACES = {
    'digits 3x16x16': ('spos_shufflenetv2_supernet_digits.py', (3, 16, 16)),
    'ImageNet 3x224x224': ('spos_shufflenetv2_supernet_8xb128_in1k.py',
                           (3, 224, 224)),
}


def main():
    from gml.engine.estimators import (SubnetResourceEstimator, count_flops,
                                   count_params)
    from gml.registry import MODELS
    from gml.config.loading import load_config
    torch.manual_seed(0)
    print(f'torch threads: {torch.get_num_threads()}')
    for name, (config, shape) in SPACES.items():
        cfg = load_config(osp.join(ROOT, 'configs/nas/spos', config))
        spos = MODELS.build(cfg.model)
        start = time.perf_counter()
        est = SubnetResourceEstimator(spos.architecture, spos.mutator, shape)
        build_s = time.perf_counter() - start
        rng = random.Random(0)
        subnets = [spos.mutator.sample_choices(rng) for _ in range(1000)]
        start = time.perf_counter()
        for s in subnets:
            est.estimate(s)
        table_us = (time.perf_counter() - start) / len(subnets) * 1e6
        full_s = []
        for s in subnets[:3]:
            fixed = MODELS.build(dict(cfg.model, mutable_cfg=s)).architecture
            start = time.perf_counter()
            flops, params = count_flops(fixed, shape), count_params(fixed)
            full_s.append(time.perf_counter() - start)
            assert (flops, params) == est.estimate(s), 'table != analysis'
        flops, params = est.estimate(subnets[0])
        print(f'{name}: table build {build_s:.2f} s (once); per candidate: '
              f'table {table_us:.1f} us, mmengine.analysis '
              f'{sum(full_s) / len(full_s) * 1e3:.0f} ms; e.g. '
              f'{flops / 1e6:.2f} MFLOPs, {params / 1e6:.3f} M params '
              '(table == analysis: yes)')


if __name__ == '__main__':
    main()

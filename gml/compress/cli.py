"""``tools/compress.py``: check a pipeline, run its stages, measure every
stage's model, write the deployable int8 model and the report."""
import json
import os
import os.path as osp
import platform
import shutil
import sys
from typing import Dict, List, Optional

from gml.utils.errors import ConfigError, UserError

from .pipeline import SLURM_KEYS, parse_stages

DEPLOY_DIR, DEPLOY_ONNX = 'deploy', 'model_int8.onnx'
MEASURE_DEFAULTS = dict(rounds=7, repeats=5, warmup=3, batches=(1, 64))


def load_pipeline(path: str, options: Optional[Dict] = None):
    """The pipeline config at ``path`` with ``--cfg-options`` merged, and
    its checked stages in run order (ConfigError naming stage and key)."""
    from .state import resolved_config
    if not osp.isfile(path):
        raise ConfigError(f'pipeline config {path!r} does not exist')
    cfg = resolved_config(path, options or {})
    stages = parse_stages(cfg, path)
    shape = cfg.get('input_shape')
    if (not isinstance(shape, (list, tuple)) or len(shape) != 3
            or not all(isinstance(d, int) and d > 0 for d in shape)):
        raise ConfigError(f'{path}: input_shape: expected (C, H, W) of the '
                          f'deployed model, found {shape!r}')
    measure = dict(MEASURE_DEFAULTS, **(cfg.get('measure') or {}))
    for key in ('rounds', 'repeats', 'warmup'):
        if not isinstance(measure[key], int) or measure[key] < 1:
            raise ConfigError(f'{path}: measure.{key}: expected an integer '
                              f'>= 1, found {measure[key]!r}')
    deploy = cfg.get('deploy')
    onnx_stages = [s.name for s in stages if 'onnx' in s.type.produces]
    if deploy is not None and deploy not in onnx_stages:
        raise ConfigError(f'{path}: deploy: {deploy!r} is not a stage that '
                          f'makes an int8 ONNX model; those are: '
                          f'{", ".join(onnx_stages) or "none"}')
    for key in cfg.get('slurm') or {}:
        if key not in SLURM_KEYS:
            raise ConfigError(f'{path}: slurm.{key}: unknown resource; '
                              f'expected one of {", ".join(SLURM_KEYS)}')
    return cfg, stages, dict(shape=tuple(shape), measure=measure,
                             deploy=deploy or (onnx_stages[-1]
                                               if onnx_stages else None),
                             slurm=dict(cfg.get('slurm') or {}))


def deploy_model(work_dir: str, outputs: Dict[str, str],
                 top1: Optional[float]) -> dict:
    """Copy the deployed stage's ONNX to ``DIR/deploy/model_int8.onnx``
    with its config and preprocessing next to it."""
    from gml.deploy import describe
    from gml.utils.fileio import atomic_dump_json, atomic_write_bytes
    out_dir = osp.join(work_dir, DEPLOY_DIR)
    os.makedirs(out_dir, exist_ok=True)
    onnx = osp.join(out_dir, DEPLOY_ONNX)
    with open(outputs['onnx'], 'rb') as f:
        atomic_write_bytes(onnx, f.read())
    config = osp.join(out_dir, 'config.py')
    shutil.copyfile(outputs['config'], config)
    meta = describe(onnx)['metadata']
    pre = {k: json.loads(meta[k]) for k in ('input_shape', 'mean', 'std',
                                            'to_rgb') if k in meta}
    pre['input'] = ('the model takes (N, C, H, W) float32 images already '
                    'normalized: (pixel - mean) / std per channel')
    atomic_dump_json(pre, osp.join(out_dir, 'preprocessing.json'))
    return dict(onnx=onnx, config=config, top1=top1)


def run_pipeline(path: str, work_dir: str, options: Optional[Dict] = None,
                 root: Optional[str] = None, launcher: str = 'local',
                 partition: Optional[str] = None, job: str = 'compress',
                 log=print) -> dict:
    """Everything ``tools/compress.py`` does; returns the summary."""
    from gml.apis.cli import check_work_dir
    from .runner import PipelineRunner
    cfg, stages, settings = load_pipeline(path, options)
    check_work_dir(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    root = root or os.getcwd()
    runner = PipelineRunner(stages, work_dir, root, launcher, partition,
                            job, settings['slurm'], log)
    state = runner.run()
    prints = {s.name: state.get(s.name)['fingerprint'] for s in stages}
    from .report import load_summary, write_reports
    old = load_summary(work_dir)
    if (not runner.ran and old is not None
            and old.get('measurement', {}).get('fingerprints') == prints):
        log('[skip] measurement and report: nothing changed')
        return old
    return _measure_and_report(stages, state, work_dir, settings, prints,
                               log)


def _measure_and_report(stages: List, state, work_dir: str, settings: dict,
                        prints: dict, log) -> dict:
    from gml.engine.estimators.latency import device_name
    import torch
    from .measure import latency_ms, measure_models, stage_models
    from .report import write_reports
    m = settings['measure']
    models = stage_models(stages, state, work_dir, settings['shape'], log)
    log('[time] every stage\'s model on onnxruntime, interleaved')
    figures = measure_models(models, m['rounds'], m['repeats'], m['warmup'],
                             tuple(m['batches']))
    rows = []
    for stage in stages:
        rec = state.get(stage.name)
        outputs = state.outputs(stage.name)
        fig = figures[stage.name]
        rows.append(dict(
            name=stage.name, type=stage.type.name, status=rec['status'],
            config=stage.test_config, checkpoint=outputs.get(
                'checkpoint', outputs.get('onnx')),
            top1=rec.get('top1'), params=fig['params'], flops=fig['flops'],
            size_bytes=fig['size_bytes'], latency=fig['latency'],
            latency_ms=latency_ms(fig['latency'])))
    deploy = {}
    if settings['deploy']:
        name = settings['deploy']
        deploy = deploy_model(work_dir, state.outputs(name),
                              state.get(name).get('top1'))
    measurement = dict(
        threads=1, rounds=m['rounds'], repeats=m['repeats'],
        batches=list(m['batches']), device=device_name(torch.device('cpu')),
        python=platform.python_version(), fingerprints=prints,
        latency={r['name']: r['latency'] for r in rows})
    summary = write_reports(work_dir, rows, deploy, measurement,
                            settings['deploy'])
    for advice in summary['advice']:
        log(f'[note] {advice}')
    log(f'[done] {osp.join(work_dir, "report.html")}; deployed: '
        f'{deploy.get("onnx")}')
    return summary


def main(argv=None) -> None:
    from gml.apis.cli import OneLineErrorParser, fail
    from gml.config.overrides import parse_cfg_options
    parser = OneLineErrorParser(description=__doc__.splitlines()[0])
    parser.add_argument('pipeline', help='a pipeline config '
                        '(configs/compress/*.py)')
    parser.add_argument('--work-dir', required=True,
                        help='where every stage, the report and deploy/ go')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE', help='override pipeline '
                        'entries, e.g. stages.qat.options.train_cfg.'
                        'max_epochs=2')
    parser.add_argument('--launcher', choices=['local', 'slurm'],
                        default='local', help='slurm: every stage through '
                        'tools/slurm_*.sh (or srun for one-process tools)')
    parser.add_argument('--partition', help='Slurm partition (--launcher '
                        'slurm)')
    parser.add_argument('--job-name', default='compress',
                        help='Slurm job name prefix (one job per stage)')
    args = parser.parse_args(argv)
    if args.launcher == 'slurm' and not args.partition:
        fail('--launcher slurm needs --partition', parser.prog)
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    try:
        options = parse_cfg_options(args.cfg_options)
        run_pipeline(args.pipeline, args.work_dir, options, root,
                     args.launcher, args.partition, args.job_name)
    except UserError as e:
        from .runner import StageFailed
        from gml.utils.errors import one_line
        if isinstance(e, StageFailed) and not e.user_error:
            print(f'{parser.prog}: error: {one_line(e)}', file=sys.stderr)
            sys.exit(1)
        fail(one_line(e), parser.prog)


if __name__ == '__main__':
    main()

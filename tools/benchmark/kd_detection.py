"""Detection KD on the digits detection task: teacher, then per seed the
YOLOv3-MobileNetV2 student alone, feature MSE and factor transfer (two
stages) at ``neck.detect3.conv5.conv``, each scored by mmdet's CocoMetric
on the test split (bbox mAP and mAP@0.5, mean ± std over seeds).

    OMP_NUM_THREADS=1 python tools/benchmark/kd_detection.py \
        [--seeds 0 1 2] [--epochs 12] [--teacher-epochs 12] \
        [--pretrain-epochs 4] [--work-dir work_dirs/kd_det_bench] \
        [--teacher-work-dir DIR] [--methods alone mse ft] \
        [--ft-loss-weight W] [--ft-point detect1|detect2|detect3]

Every run is a real mmengine training through the configs under
configs/kd/factor_transfer/detection/yolov3/ (the ones tools/train.py runs).
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

DET = 'configs/kd/factor_transfer/detection/yolov3'
TEACHER = f'{DET}/yolov3_r18_digits_det_teacher.py'
STUDENT = f'{DET}/yolov3_mobilenetv2_digits_det_student.py'
MSE = f'{DET}/mse_yolov3_mobilenetv2_digits_det_teacher_r18_neck.py'
FT_PRETRAIN = f'{DET}/ftloss_yolov3_mobilenetv2_digits_det_teacher_r18_' \
    'neck_pretrain.py'
FT_TRAIN = f'{DET}/ftloss_yolov3_mobilenetv2_digits_det_teacher_r18_' \
    'neck_train.py'
METHODS = ('student alone', 'feature MSE', 'FT (two stages)')
#: the teacher's (YOLOv3-ResNet-18) conv5 output channels per neck block;
#: the student's (MobileNetV2) are 96 at all three
TEACHER_CHANNELS = dict(detect1=256, detect2=128, detect3=64)


def run(config, work_dir, seed, epochs, test=True, env=None, options=None):
    """Train ``config``; return ((mAP, mAP@0.5) or None, seconds)."""
    from gml.engine.runner import build_runner
    from gml.config.loading import load_config
    os.environ.update(env or {})
    cfg = load_config(config, {
        'randomness.seed': seed, 'log_level': 'WARNING',
        'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': 1000,
        'default_hooks.logger.interval': 1000, **(options or {})})
    for sched in cfg.param_scheduler:  # the cosine ends at `epochs`
        if sched.get('type') == 'CosineAnnealingLR':
            sched['T_max'] = epochs
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    start = time.time()
    runner = build_runner(cfg)
    runner.train()
    scores = None
    if test:
        m = runner.test()
        if 'coco/bbox_mAP' not in m:  # CocoMetric: no box at all
            print(f'{work_dir}: no detections on the test split: mAP 0',
                  flush=True)
        scores = (m.get('coco/bbox_mAP', 0.0), m.get('coco/bbox_mAP_50',
                                                     0.0))
    return scores, time.time() - start


def mean_std(values):
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.3f} ± {std:.3f}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, default=12,
                        help='student schedule (same for all three)')
    parser.add_argument('--teacher-epochs', type=int, default=12)
    parser.add_argument('--pretrain-epochs', type=int, default=4)
    parser.add_argument('--work-dir', default='work_dirs/kd_det_bench')
    parser.add_argument('--teacher-work-dir',
                        help='reuse a teacher trained by the teacher config')
    parser.add_argument('--methods', nargs='+', default=['alone', 'mse',
                                                         'ft'],
                        choices=['alone', 'mse', 'ft'],
                        help='which of the three to run (e.g. a FT sweep)')
    parser.add_argument('--ft-loss-weight', type=float,
                        help="FTLoss's loss_weight (the config's: 10)")
    parser.add_argument('--ft-point', choices=sorted(TEACHER_CHANNELS),
                        default='detect3',
                        help='the neck block whose conv5 FT supervises '
                        "(the seed's: detect3)")
    args = parser.parse_args()
    entry = 'algorithm.distiller.distill_cfg.0.'
    ft_options = {} if args.ft_loss_weight is None else {
        entry + 'head.loss.loss_weight': args.ft_loss_weight}
    if args.ft_point != 'detect3':  # both stages: the same connectors
        ft_options.update({
            entry + 'student_module': f'neck.{args.ft_point}.conv5.conv',
            entry + 'teacher_module': f'neck.{args.ft_point}.conv5.conv',
            entry + 'head.tea_connector.in_channel':
            TEACHER_CHANNELS[args.ft_point]})
    import torch
    torch.set_num_threads(1)  # tiny models on a shared machine
    from gml.datasets.digits_det import write_digits_det
    write_digits_det('data/digits_det')  # idempotent

    begin = time.time()
    teacher_dir = args.teacher_work_dir or osp.join(args.work_dir, 'teacher')
    if args.teacher_work_dir is None:
        (t_map, t_50), secs = run(TEACHER, teacher_dir, 0,
                                  args.teacher_epochs)
        print(f'teacher YOLOv3-ResNet-18, {args.teacher_epochs} epochs: '
              f'bbox mAP {t_map:.3f}, mAP@0.5 {t_50:.3f} ({secs:.0f} s)',
              flush=True)
    env = {'TEACHER_WORK_DIR': teacher_dir}
    results = {name: [] for name in METHODS}
    for seed in args.seeds:
        d = osp.join(args.work_dir, f'seed{seed}')
        for name, config in (('student alone', STUDENT),
                             ('feature MSE', MSE)):
            if name.split()[-1].lower() not in args.methods:
                continue
            scores, secs = run(config, osp.join(d, name.split()[-1].lower()),
                               seed, args.epochs, env=env)
            results[name].append(scores)
            print(f'seed {seed} {name}: mAP {scores[0]:.3f} '
                  f'mAP@0.5 {scores[1]:.3f} ({secs:.0f} s)', flush=True)
        if 'ft' not in args.methods:
            continue
        pre = osp.join(d, 'ft_pretrain')
        _, pre_secs = run(FT_PRETRAIN, pre, seed, args.pretrain_epochs,
                          test=False, env=env, options=ft_options)
        scores, secs = run(FT_TRAIN, osp.join(d, 'ft'), seed, args.epochs,
                           env=dict(env, PRETRAIN_WORK_DIR=pre),
                           options=ft_options)
        results['FT (two stages)'].append(scores)
        print(f'seed {seed} FT (two stages): mAP {scores[0]:.3f} '
              f'mAP@0.5 {scores[1]:.3f} (pretrain {pre_secs:.0f} s + '
              f'{secs:.0f} s)', flush=True)

    print(f'\nYOLOv3-MobileNetV2 student, digits detection test split '
          f'(200 images), {args.epochs} epochs, FT pre-training '
          f'{args.pretrain_epochs} epochs, FTLoss weight '
          f'{args.ft_loss_weight or "10 (config)"} at neck.{args.ft_point}, '
          f'seeds {args.seeds}, '
          f'wall time {time.time() - begin:.0f} s')
    print('| method | bbox mAP | mAP@0.5 |')
    print('|---|---|---|')
    for name, scores in results.items():
        if not scores:
            continue
        print(f'| {name} | {mean_std([s[0] for s in scores])} | '
              f'{mean_std([s[1] for s in scores])} |')


if __name__ == '__main__':
    main()

"""Student alone vs. KD vs. factor transfer on the embedded digits.

Trains the teacher once, then, for each seed, the student three ways with
the same schedule and seed, and prints the test accuracies:

    python tools/benchmark/kd_digits.py [--seeds 0 1 2] [--epochs 10]
        [--work-dir work_dirs/kd_digits_benchmark]

Every run is a real mmengine training through the repo's configs under
configs/kd/ (the same ones ``tools/train.py`` runs).
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time

# run from a checkout without installing gml
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

CLS = 'configs/kd/factor_transfer/classification'
TEACHER = f'{CLS}/resnet18_digits_teacher.py'
STUDENT = f'{CLS}/resnet18x4_digits_student.py'
KD = 'configs/kd/logits_kd/kd_resnet18x4_digits_teacher_r18.py'
FT_PRETRAIN = f'{CLS}/ftloss_resnet18x4_digits_teacher_r18_layer2_pretrain.py'
FT_TRAIN = f'{CLS}/ftloss_resnet18x4_digits_teacher_r18_layer2_train.py'


def run(config, work_dir, seed, epochs=None, test=True, env=None):
    """Train ``config``; return (test accuracy or None, seconds)."""
    from gml.engine.runner import build_runner
    from gml.config.loading import load_config
    os.environ.update(env or {})
    options = {'randomness.seed': seed, 'log_level': 'WARNING',
               'default_hooks.logger.interval': 1000}
    if epochs is not None:
        options['train_cfg.max_epochs'] = epochs
    cfg = load_config(config, options)
    if epochs is not None:  # keep the cosine schedule ending at `epochs`
        for sched in cfg.param_scheduler:
            if sched.get('type') == 'CosineAnnealingLR':
                sched['T_max'] = epochs - sched.get('begin', 0)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    start = time.time()
    runner = build_runner(cfg)
    runner.train()
    acc = runner.test()['accuracy/top1'] if test else None
    return acc, time.time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, default=10,
                        help='student schedule (same for all three)')
    parser.add_argument('--pretrain-epochs', type=int, default=3)
    parser.add_argument('--work-dir', default='work_dirs/kd_digits_benchmark')
    parser.add_argument('--teacher-work-dir',
                        help='reuse a teacher trained by the teacher config '
                        '(skips training it)')
    args = parser.parse_args()
    import torch
    # one thread: these models are tiny, and on a shared machine extra
    # threads spin against other processes (measured 10x slower with 2)
    torch.set_num_threads(1)

    teacher_dir = args.teacher_work_dir or osp.join(args.work_dir, 'teacher')
    if args.teacher_work_dir is None:
        acc, secs = run(TEACHER, teacher_dir, seed=0)
        print(f'teacher ResNet-18 (16 ch), 10 epochs: test top-1 {acc:.2f} %'
              f' ({secs:.0f} s)', flush=True)
    env = {'TEACHER_WORK_DIR': teacher_dir}
    results = {'student alone': [], 'KD (logits, tau=4)': [],
               'FT (factor transfer)': []}
    for seed in args.seeds:
        d = osp.join(args.work_dir, f'seed{seed}')
        runs = [('student alone', STUDENT, {}),
                ('KD (logits, tau=4)', KD, env)]
        for name, config, extra in runs:
            acc, secs = run(config, osp.join(d, name.split()[0].lower()),
                            seed, args.epochs, env=extra)
            results[name].append(acc)
            print(f'seed {seed} {name}: {acc:.2f} % ({secs:.0f} s)',
                  flush=True)
        pre_dir = osp.join(d, 'ft_pretrain')
        _, pre_secs = run(FT_PRETRAIN, pre_dir, seed, args.pretrain_epochs,
                          test=False, env=env)
        acc, secs = run(FT_TRAIN, osp.join(d, 'ft'), seed, args.epochs,
                        env=dict(env, PRETRAIN_WORK_DIR=pre_dir))
        results['FT (factor transfer)'].append(acc)
        print(f'seed {seed} FT (factor transfer): {acc:.2f} % '
              f'(pretrain {pre_secs:.0f} s + {secs:.0f} s)', flush=True)

    print(f'\nResNet-18x4 student on digits test split (359 images), '
          f'{args.epochs} epochs, seeds {args.seeds}')
    print(f'| method | ' + ' | '.join(f'seed {s}' for s in args.seeds) +
          ' | mean ± std |')
    print('|---' * (len(args.seeds) + 2) + '|')
    for name, accs in results.items():
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        print(f'| {name} | ' + ' | '.join(f'{a:.2f}' for a in accs) +
              f' | {statistics.mean(accs):.2f} ± {std:.2f} |')


if __name__ == '__main__':
    main()

"""Every bad input to the tools: one line on stderr, exit 2, nothing written.

Each case runs a tool as a user would (a subprocess from the repo root) on
a malformed input: a config, an override, a subnet file, a checkpoint, a
dataset setting, a command-line option. The one stderr line must name the
offending file or key; the tool must leave no file behind (work dir,
logs, outputs). Cases run two at a time.
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.data.tiny_supernet import CONFIG as TINY_SEARCH
from tests.data.tiny_supernet import build_tiny_supernet

from .helpers import DIGITS_CFG, ROOT

SUPERNET = 'configs/nas/spos/spos_shufflenetv2_supernet_digits.py'
SUBNET = 'configs/nas/spos/spos_shufflenetv2_subnet_digits.py'
SEARCH = 'configs/nas/spos/spos_shufflenetv2_evolution_search_digits.py'
DMCP_RETRAIN = 'configs/pruning/dmcp/dmcp_mobilenetv2_digits_retrain.py'
KD_PRETRAIN = ('configs/kd/factor_transfer/classification/'
               'ftloss_resnet18x4_digits_teacher_r18_layer2_pretrain.py')
BLOCK = 'backbone.layers.0.0'


def _inputs(tmp):
    """Files the cases name, written under ``tmp/in``."""
    import torch
    d = tmp / 'in'
    d.mkdir()
    files = {
        'syntax.py': 'model = dict(type=\n',
        'no_base.py': "_base_ = ['./nope/base.py']\nmodel = dict(type='X')\n",
        'legacy_eval.py': (
            f"_base_ = ['{ROOT}/{DIGITS_CFG}']\n"
            "runner = dict(type='EpochBasedRunner', max_epochs=2)\n"
            "evaluation = dict(interval=1, metric='accuracy', "
            "by_epoch=False)\n"),
        'legacy_eval_key.py': (
            f"_base_ = ['{ROOT}/{DIGITS_CFG}']\n"
            "evaluation = dict(interval=1, gpu_collect=True)\n"),
        'empty.yaml': '',
        'malformed.yaml': f'{BLOCK}: {{chosen: [shuffle_3x3\n',
        'bad_key.yaml': f'{BLOCK}:\n  choice: shuffle_3x3\n',
        'bad_choice.yaml': ''.join(
            f'backbone.layers.{s}.{b}:\n  chosen: shuffle_9x9\n'
            for s, n in enumerate((1, 1, 2, 1)) for b in range(n)),  # the digits space
        'bad_block.yaml': 'backbone.layerz.0.0:\n  chosen: shuffle_3x3\n',
        'dmcp_subnet.yaml': ('mode: expected\nmflops: 0.838\nwidths:\n'
                             '  backbone.conv1.conv: 8\n'),
        'spos_subnet.yaml': f'{BLOCK}:\n  chosen: shuffle_3x3\n',
        'random.pth': 'not a checkpoint at all',
        'empty.pth': '',
    }
    for name, text in files.items():
        (d / name).write_text(text)
    # a zip cut short, and a real checkpoint of another model
    torch.save({'state_dict': {'w': torch.zeros(64)}}, d / 'whole.pth')
    whole = (d / 'whole.pth').read_bytes()
    (d / 'truncated.pth').write_bytes(whole[:len(whole) // 2])
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(3)},
                'meta': {}}, d / 'other_model.pth')
    (d / 'no_run').mkdir()
    return d


def _cases(i):
    """(tool, args, words the error line must contain)."""
    wd = '--work-dir'
    subnet = ['--cfg-options', 'algorithm.mutable_cfg=']
    return [
        # -- command line and config files (fail before torch is imported)
        ('train.py', ['configs/nope.py'], ['nope.py', 'does not exist']),
        ('train.py', [DIGITS_CFG, '--launcher', 'lsf'], ['--launcher']),
        ('train.py', [f'{i}/syntax.py'], ['syntax.py', 'cannot be read']),
        ('train.py', [f'{i}/no_base.py'], ['no_base.py', 'cannot be read']),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'train_cfg.max_epochs'],
         ['train_cfg.max_epochs', 'KEY=VALUE']),
        ('train.py', [DIGITS_CFG, '--cfg-options', '=3'], ['empty key']),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'optim_wrapper.x=[1,'],
         ['optim_wrapper.x', 'malformed value']),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'train_cfg.max_epochs=abc'],
         ['train_cfg.max_epochs', "'abc'", 'integer']),
        ('train.py', [DIGITS_CFG, '--cfg-options',
                      'train_dataloader.batch_size=1.5'],
         ['train_dataloader.batch_size', 'integer']),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'randomnes.seed=1'],
         ['randomnes', "'randomness'"]),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'model.backbone.depth.x=1'],
         ['model.backbone.depth.x']),
        ('train.py', [f'{i}/legacy_eval.py'],
         ['legacy_eval.py', 'evaluation.by_epoch']),
        ('train.py', [f'{i}/legacy_eval_key.py'],
         ['legacy_eval_key.py', 'evaluation.gpu_collect']),
        ('train.py', [DIGITS_CFG, '--resume', f'{i}/nope.pth'],
         ['--resume', 'nope.pth', 'does not exist']),
        ('train.py', [DIGITS_CFG, '--resume', f'{i}/no_run/latest.pth'],
         ['--resume', 'last_checkpoint']),
        ('train.py', [DIGITS_CFG, '--cfg-options', f'load_from={i}/x.pth'],
         ['load_from', 'x.pth']),
        ('test.py', [DIGITS_CFG, f'{i}/nope.pth'], ['nope.pth']),
        ('test.py', [DIGITS_CFG, f'{i}/random.pth'],
         ['random.pth', 'not a torch checkpoint']),
        ('test.py', [DIGITS_CFG, f'{i}/empty.pth'], ['empty.pth', 'empty']),
        ('test.py', [DIGITS_CFG, f'{i}/truncated.pth'],
         ['truncated.pth', 'truncated']),
        ('test.py', [DIGITS_CFG, f'{i}/whole.pth', '--eval', 'acuracy'],
         ['--eval', "'acuracy'"]),
        ('test.py', [DIGITS_CFG, f'{i}/no_run/latest.pth'], ['latest.pth']),
        ('search.py', [SUPERNET, f'{i}/whole.pth'],
         ['train_cfg.type', 'search loop']),
        # -- found while building (after the heavy imports)
        ('train.py', [DIGITS_CFG, '--cfg-options', 'model.backbone.depht=18'],
         ['model.backbone.depht', "'depth'"]),
        ('train.py',
         [DIGITS_CFG, '--cfg-options', 'model.head.type=LinerHead'],
         ['model.head.type', "'LinerHead'"]),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'optim_wrapper=None'],
         ['Runner', 'optim_wrapper=None']),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'train_cfg.max_epoch=3'],
         ['train_cfg.max_epoch', "'max_epochs'"]),
        ('train.py', [DIGITS_CFG, '--cfg-options',
                      'train_dataloader.dataset.split=tran'],
         ['train_dataloader.dataset.split', "'tran'"]),
        ('train.py', [SUBNET] + subnet[:1] + [subnet[1] + f'{i}/nope.yaml'],
         ['nope.yaml', 'does not exist']),
        ('train.py', [SUBNET] + subnet[:1] + [subnet[1] + f'{i}/empty.yaml'],
         ['empty.yaml', 'mapping']),
        ('train.py',
         [SUBNET] + subnet[:1] + [subnet[1] + f'{i}/malformed.yaml'],
         ['malformed.yaml', 'not valid yaml']),
        ('train.py', [SUBNET] + subnet[:1] + [subnet[1] + f'{i}/bad_key.yaml'],
         ['bad_key.yaml', BLOCK, '`chosen`']),
        ('test.py', [SUBNET, f'{i}/whole.pth'] + subnet[:1]
         + [subnet[1] + f'{i}/bad_choice.yaml'],
         ['bad_choice.yaml', "'shuffle_9x9'", 'allowed choices']),
        ('train.py',
         [SUBNET] + subnet[:1] + [subnet[1] + f'{i}/bad_block.yaml'],
         ['bad_block.yaml', 'backbone.layerz.0.0']),
        ('train.py', [SUBNET], ['algorithm.mutable_cfg']),
        ('train.py', [DMCP_RETRAIN], ['mutable_cfg', 'subnet.npy']),
        ('train.py', [DIGITS_CFG, '--cfg-options', 'algorithm.mutable_cfg=x'],
         ['mutable_cfg', 'unknown argument']),
        ('train.py', [KD_PRETRAIN], ['teacher_ckpt', 'TEACHER_WORK_DIR']),
        ('test.py', [DIGITS_CFG, f'{i}/other_model.pth'],
         ['other_model.pth', 'does not fit', 'missing']),
        ('search.py', [SEARCH, f'{i}/other_model.pth'],
         ['other_model.pth', 'does not fit', 'missing']),
    ]


def _tree(path):
    return sorted(os.path.relpath(os.path.join(d, f), path)
                  for d, dirs, files in os.walk(path) for f in dirs + files)


def _run(tool, args, work_dir):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('TEACHER_WORK_DIR', None)
    return subprocess.run(
        [sys.executable, os.path.join('tools', tool), *args,
         '--work-dir', str(work_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def _check(cases, tmp_path, inputs):
    """Run ``cases`` two at a time: one stderr line each, exit 2, and the
    inputs' tree and the repo root as they were. A case may end with its
    own ``--work-dir``."""
    before = _tree(tmp_path)
    repo_before = set(os.listdir(ROOT))
    work_dirs = [c[3] if len(c) > 3 else tmp_path / f'run{k}'
                 for k, c in enumerate(cases)]
    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda c: _run(c[0][0], c[0][1], c[1]),
                              zip(cases, work_dirs)))
    failures = []
    for (tool, args, words, *_), proc in zip(cases, procs):
        lines = proc.stderr.strip().splitlines()
        ok = (proc.returncode == 2 and len(lines) == 1
              and lines[0].startswith(f'{tool}: error: ')
              and all(w in lines[0] for w in words))
        if not ok:
            failures.append(f'{tool} {args}: rc={proc.returncode}, '
                            f'stderr={proc.stderr[-1500:]!r}')
    assert not failures, '\n'.join(failures)
    assert _tree(tmp_path) == before
    assert set(os.listdir(ROOT)) == repo_before


@pytest.mark.slow
def test_every_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path):
    inputs = _inputs(tmp_path)
    cases = _cases(inputs)
    assert len({(t, tuple(a)) for t, a, _ in cases}) >= 30
    _check(cases, tmp_path, inputs)


def _run_cases(i):
    """Work dirs, the Runner's own argument checks, directories given as
    files, subnets of another algorithm, search limits no subnet meets:
    (tool, args, words[, work dir])."""
    opt = '--cfg-options'
    tiny_search = os.path.relpath(TINY_SEARCH, ROOT)
    return [
        ('train.py', [DIGITS_CFG, opt, 'train_dataloader.batch_size=0'],
         ['train_dataloader.batch_size', 'got 0', 'positive integer']),
        ('train.py', [DIGITS_CFG, opt, 'train_cfg.max_epochs=0'],
         ['train_cfg.max_epochs', 'got 0', 'positive integer']),
        ('train.py', [DIGITS_CFG, opt, 'train_cfg.max_epochs=-1'],
         ['train_cfg.max_epochs', 'got -1']),
        ('train.py', [DIGITS_CFG, opt, 'train_cfg.val_interval=0'],
         ['train_cfg.val_interval', 'got 0']),
        ('train.py', [DIGITS_CFG, opt, 'train_dataloader.num_workers=-2'],
         ['train_dataloader.num_workers', 'got -2', '>= 0']),
        ('test.py', [DIGITS_CFG, f'{i}/whole.pth', opt,
                     'test_dataloader.batch_size=0'],
         ['test_dataloader.batch_size', 'got 0']),
        ('train.py', ['configs/classification/digits'],
         ['configs/classification/digits', 'is a directory']),
        ('test.py', [DIGITS_CFG, f'{i}/no_run'],
         ['no_run', 'is a directory']),
        ('train.py', [DIGITS_CFG, '--resume', f'{i}/no_run'],
         ['--resume', 'no_run', 'is a directory']),
        ('train.py', [DIGITS_CFG], ['work dir', 'random.pth', 'is a file'],
         i / 'random.pth'),
        ('train.py', [DIGITS_CFG], ['work dir', 'random.pth', 'is a file'],
         i / 'random.pth' / 'run'),
        ('train.py', [SUBNET, opt,
                      f'algorithm.mutable_cfg={i}/dmcp_subnet.yaml'],
         ['dmcp_subnet.yaml', 'is a DMCP structure', 'not a SPOS subnet']),
        ('train.py', [DMCP_RETRAIN, opt,
                      f'algorithm.mutable_cfg={i}/spos_subnet.yaml'],
         ['spos_subnet.yaml', 'is a SPOS subnet', 'not a DMCP structure']),
        ('search.py', [tiny_search, f'{i}/tiny_supernet.pth', opt,
                       'train_cfg.flops_range=(None,0.001)'],
         ['flops_range']),
        # the loops' own checks: ConfigError naming train_cfg's key
        ('search.py', [tiny_search, f'{i}/tiny_supernet.pth', opt,
                       'train_cfg.mutate_prob=2'],
         ['train_cfg.mutate_prob must be in [0, 1], got 2']),
        ('search.py', [tiny_search, f'{i}/tiny_supernet.pth', opt,
                       'train_cfg.num_mutation=4'],
         ['train_cfg.num_mutation + num_crossover (4 + 1) exceeds '
          'num_candidates (4)']),
        ('search.py', [tiny_search, f'{i}/tiny_supernet.pth', opt,
                       'train_cfg.params_range=(1,0)'],
         ['train_cfg.params_range: min 1.0 > max 0.0']),
    ]


@pytest.mark.slow
def test_work_dirs_and_runner_checks_are_one_line_and_write_nothing(
        tmp_path):
    inputs = _inputs(tmp_path)
    import torch
    torch.save({'state_dict': build_tiny_supernet().state_dict(),
                'meta': {}}, inputs / 'tiny_supernet.pth')
    _check(_run_cases(inputs), tmp_path, inputs)

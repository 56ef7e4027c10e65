"""gml.GroupPruning: FLOPs targets, the spec round trip in a new process,
the ignored head, one-line errors, and the same spec under 1 or 2 Slurm
ranks. Tiny models at 8x8 on CPU."""
import copy
import glob
import os
import os.path as osp
import subprocess

import pytest
import torch
import torch.nn as nn
import yaml
from mmpretrain.structures import DataSample

from gml.models.algorithms.pruning.group_pruning import (
    GroupPruning, PruningSpecError, UntraceableModelError, dump_spec)
from gml.registry import MODELS
from gml.config.loading import load_config
from tests.test_tools.helpers import ROOT

from ....conftest import slurm_available

RESNET_CFG = 'configs/pruning/group/group_resnet18_digits_f50.py'
PLAIN_RESNET_CFG = 'configs/classification/digits/resnet18_digits.py'
MBV2_CFG = 'configs/pruning/group/group_mobilenetv2_digits_f50.py'
TINY = ['train_dataloader.dataset.indices=64',
        'val_dataloader.dataset.indices=64']


def resnet():
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmpretrain.ResNet_CIFAR', depth=18,
                      stem_channels=16, base_channels=16),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=10,
                  in_channels=128))


def mobilenetv2():
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='mmpretrain.MobileNetV2', widen_factor=0.5),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='mmpretrain.LinearClsHead', num_classes=10,
                  in_channels=1280))


MODELS_ = dict(resnet=resnet, mobilenetv2=mobilenetv2)


def pruned(name, **kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('target_flops', 0.5)
    algo = GroupPruning(MODELS_[name](), input_shape=(1, 3, 8, 8), **kwargs)
    algo.apply_spec(algo.search_spec(1, 1, kwargs.pop('batches', None)))
    return algo.eval()


@pytest.mark.parametrize('name', ['resnet', 'mobilenetv2'])
def test_flops_ratio_target_met(name):
    algo = pruned(name, target_flops=0.5)
    flops, _ = algo.count()
    assert abs(flops / algo.base_flops - 0.5) <= 0.05 * 0.5
    # the spec records the same figures
    assert algo.spec()['flops']['pruned'] == flops


@pytest.mark.parametrize('name', ['resnet', 'mobilenetv2'])
def test_absolute_and_params_targets(name):
    base = GroupPruning(MODELS_[name](), input_shape=(1, 3, 8, 8))
    target = 0.3 * base.base_flops
    algo = pruned(name, target_flops=target, global_pruning=True)
    assert abs(algo.count()[0] - target) <= 0.05 * target
    algo = pruned(name, target_flops=None, target_params=0.4)
    params = algo.count()[1]
    assert abs(params / algo.base_params - 0.4) <= 0.05 * 0.4


def _batches(n=2, size=8):
    torch.manual_seed(1)
    return [dict(inputs=[torch.randint(0, 255, (3, 8, 8)).to(torch.uint8)
                         for _ in range(size)],
                 data_samples=[DataSample().set_gt_label(i % 10)
                               for i in range(size)]) for _ in range(n)]


@pytest.mark.parametrize('importance', ['l1', 'l2', 'taylor', 'bn_scale'])
def test_ignored_head_keeps_classes(importance):
    torch.manual_seed(0)
    model = resnet()
    model['data_preprocessor'] = dict(
        type='mmpretrain.ClsDataPreprocessor', num_classes=10)
    algo = GroupPruning(model, input_shape=(1, 3, 8, 8), target_flops=0.5,
                        importance=importance, round_to=4,
                        global_pruning=True)
    _randomize_bn(algo)  # BN-scale ranking: not all scales at their init 1
    algo.apply_spec(algo.search_spec(1, 1, _batches()))
    fc = algo.architecture.head.fc
    assert fc.out_features == 10 and fc.in_features < 128
    assert algo.architecture(torch.randn(2, 3, 8, 8)).shape == (2, 10)
    # round_to: every pruned conv keeps a multiple of 4 channels
    for name, layer in algo.spec()['layers'].items():
        if name.endswith('conv1') or name.endswith('conv2'):
            assert layer['kept'] % 4 == 0, name


def test_taylor_needs_batches():
    algo = GroupPruning(resnet(), input_shape=(1, 3, 8, 8),
                        target_flops=0.5, importance='taylor')
    with pytest.raises(Exception, match='Taylor importance needs'):
        algo.search_spec(1, 1, None)


def test_untraceable_module_is_named():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.spare = nn.Conv2d(8, 8, 3)  # never called in forward
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(self.conv(x).mean((2, 3)))

    algo = GroupPruning(Unused(), input_shape=(1, 3, 8, 8),
                        target_flops=0.5, ignored_layers=['fc'])
    with pytest.raises(UntraceableModelError) as info:
        algo.search_spec(1, 1)
    assert "module 'spare'" in str(info.value)
    assert '\n' not in str(info.value)


def test_mismatching_spec_names_first_layer(tmp_path):
    spec = pruned('resnet').spec()
    spec['layers']['backbone.layer2.0.conv1']['out_channels'] = 99
    path = str(tmp_path / 'spec.yaml')
    dump_spec(spec, path)
    with pytest.raises(PruningSpecError,
                       match="layer 'backbone.layer2.0.conv1' has 32"):
        GroupPruning(resnet(), pruning_spec=path)


REBUILD = """
import sys, torch
from gml.registry import MODELS
from gml.config.loading import load_config
cfg = load_config(sys.argv[1], {'model.pruning_spec': sys.argv[2]})
model = MODELS.build(cfg.model).eval()
model.load_state_dict(torch.load(sys.argv[3])['state_dict'])
x = torch.load(sys.argv[4])
with torch.no_grad():
    torch.save(model(x, mode='tensor'), sys.argv[5])
"""


@pytest.mark.parametrize('name,config', [('resnet', PLAIN_RESNET_CFG),
                                         ('mobilenetv2', MBV2_CFG)])
def test_rebuilt_in_new_process_gives_same_outputs(name, config, tmp_path,
                                                   python_exe, repo_root):
    cfg = load_config(config)
    model_cfg = cfg.model.get('model', cfg.model)
    torch.manual_seed(0)
    algo = GroupPruning(model_cfg.to_dict(), input_shape=(1, 3, 8, 8),
                        target_flops=0.5, global_pruning=name == 'resnet')
    for step in (1, 2):  # iterative: two steps, weights change in between
        algo.apply_spec(algo.search_spec(step, 2))
        with torch.no_grad():
            for p in algo.parameters():
                p.add_(0.01 * torch.randn_like(p))
    algo.eval()
    dump_spec(algo.spec(), str(tmp_path / 'spec.yaml'))
    torch.save(dict(state_dict=algo.state_dict()), tmp_path / 'ckpt.pth')
    x = torch.randn(4, 3, 8, 8)
    torch.save(x, tmp_path / 'x.pth')
    with torch.no_grad():
        expected = algo(x, mode='tensor')
    proc = subprocess.run(
        [python_exe, '-c', REBUILD, config, str(tmp_path / 'spec.yaml'),
         str(tmp_path / 'ckpt.pth'), str(tmp_path / 'x.pth'),
         str(tmp_path / 'y.pth')],
        cwd=repo_root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = torch.load(tmp_path / 'y.pth')
    assert got.shape == (4, 10)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def _run(python, root, tool, *args, env=None):
    return subprocess.run([python, f'tools/{tool}.py', *args], cwd=root,
                          capture_output=True, text=True, timeout=600,
                          env=env)


@pytest.mark.slow
def test_train_prunes_iteratively_then_test_any_config(python_exe,
                                                       repo_root, tmp_path):
    work = tmp_path / 'train'
    proc = _run(python_exe, repo_root, 'train', RESNET_CFG, '--work-dir',
                str(work), '--cfg-options', *TINY,
                'train_cfg.max_epochs=2', 'model.prune_epochs=[0,1]')
    assert proc.returncode == 0, proc.stderr[-3000:]
    spec = yaml.safe_load((work / 'pruning_spec.yaml').read_text())
    assert spec['steps'] == 2
    ratio = spec['flops']['pruned'] / spec['flops']['original']
    assert abs(ratio - 0.5) <= 0.025
    # the plain (unpruned) config + spec + the ordinary checkpoint
    for ckpt in ('pruned.pth', 'epoch_2.pth'):
        proc = _run(python_exe, repo_root, 'test', PLAIN_RESNET_CFG,
                    str(work / ckpt), '--work-dir', str(tmp_path / 'test'),
                    '--cfg-options',
                    f'model.pruning_spec={work / "pruning_spec.yaml"}')
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert 'accuracy/top1' in proc.stdout

    # a spec of another model: one line naming the first layer, exit 2
    other = pruned('mobilenetv2').spec()
    dump_spec(other, str(tmp_path / 'other.yaml'))
    proc = _run(python_exe, repo_root, 'test', PLAIN_RESNET_CFG,
                str(work / 'pruned.pth'), '--work-dir',
                str(tmp_path / 'bad'), '--cfg-options',
                f'model.pruning_spec={tmp_path / "other.yaml"}')
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in proc.stderr
    assert "layer 'backbone.conv1' is not in the spec" in lines[0]


@pytest.mark.slow
def test_a_pruned_run_resumes_from_its_checkpoint(python_exe, repo_root,
                                                  tmp_path):
    """A pruning run stopped after its pruning step resumes with --resume
    (the checkpoint's spec prunes the new model before it loads) and ends
    with the same spec; its checkpoint also tests without the spec."""
    work = tmp_path / 'train'
    args = [RESNET_CFG, '--work-dir', str(work), '--cfg-options', *TINY,
            'model.prune_epochs=[0]']
    proc = _run(python_exe, repo_root, 'train', *args,
                'train_cfg.max_epochs=1')
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = (work / 'pruning_spec.yaml').read_text()
    proc = _run(python_exe, repo_root, 'train', *args,
                'train_cfg.max_epochs=2', '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work / 'epoch_2.pth').is_file()
    assert yaml.safe_load((work / 'pruning_spec.yaml').read_text()) == \
        yaml.safe_load(first)
    proc = _run(python_exe, repo_root, 'test', RESNET_CFG,
                str(work / 'epoch_2.pth'), '--work-dir', str(tmp_path / 't'),
                '--cfg-options', *TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'accuracy/top1' in proc.stdout


def test_spec_on_a_pruning_config_rebuilds_what_it_prunes(tmp_path):
    """``model.pruning_spec`` on a pruning config (new dialect, or legacy
    where ``model.*`` reaches the network) is the GroupPruning's own spec,
    not an argument of the network it wraps."""
    from mmengine.config import Config
    spec_path = str(tmp_path / 'spec.yaml')
    dump_spec(pruned('resnet').spec(), spec_path)
    new = load_config(RESNET_CFG, {'model.pruning_spec': spec_path})
    assert new.model.pruning_spec == spec_path
    assert 'pruning_spec' not in new.model.model
    legacy_path = str(tmp_path / 'legacy.py')
    plain = load_config(PLAIN_RESNET_CFG)
    Config(dict(
        _base_=[osp.join(osp.abspath('.'), PLAIN_RESNET_CFG)],
        algorithm=dict(type='gml.GroupPruning', model=dict(plain.model),
                       target_flops=0.5, input_shape=(1, 3, 8, 8)),
        model=None)).dump(legacy_path)
    legacy = load_config(legacy_path, {'model.pruning_spec': spec_path})
    assert legacy.model.type == 'gml.GroupPruning'
    assert legacy.model.pruning_spec == spec_path
    assert 'pruning_spec' not in legacy.model.model
    # the pruning config as a KD student: the spec stays its own (wrapping
    # it again would shift every layer name of the spec by one level)
    kd_path = str(tmp_path / 'kd.py')
    Config(dict(
        _base_=[legacy_path],
        algorithm=dict(_delete_=True, type='TeacherStudentDistillation',
                       model=dict(legacy.model), distiller=dict()),
    )).dump(kd_path)
    kd = load_config(kd_path, {'algorithm.model.pruning_spec': spec_path})
    assert kd.model.model.type == 'gml.GroupPruning'
    assert kd.model.model.pruning_spec == spec_path


def test_configs_build():
    configs = glob.glob(osp.join(ROOT, 'configs/pruning/group/*.py'))
    assert len(configs) >= 5
    for config in configs:
        cfg = load_config(config)
        assert cfg.model.type == 'gml.GroupPruning'
        if 'imagenet' not in config:
            algo = MODELS.build(cfg.model)
            assert algo.target_flops is not None


@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_two_ranks_same_spec_as_one(python_exe, repo_root, tmp_path):
    ok, why = slurm_available()
    if not ok:
        pytest.skip(why)
    specs = []
    for ranks in ('1', '2'):
        work = tmp_path / ranks
        env = dict(os.environ, GPUS=ranks, GPUS_PER_NODE='0',
                   CPUS_PER_TASK='1', PYTHON=python_exe, OMP_NUM_THREADS='1')
        proc = subprocess.run(
            ['sh', 'tools/slurm_train.sh', 'debug', 'gml_prune_test',
             RESNET_CFG, '--work-dir', str(work), '--cfg-options', *TINY,
             'train_cfg.max_epochs=1', 'model.prune_epochs=[0]'],
            cwd=repo_root, capture_output=True, text=True, timeout=600,
            env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
        assert f'GPU number: {ranks}' in log
        specs.append(yaml.safe_load((work / 'pruning_spec.yaml').read_text()))
    assert specs[0]['layers'] == specs[1]['layers']
    assert any('kept_idx' in v for v in specs[0]['layers'].values())


# -- more models: SPOS subnet, morphism genotype net, KD student -----------
SPOS_CFG = 'configs/nas/spos/spos_shufflenetv2_supernet_fashion_mnist.py'
GENOTYPE_CFG = 'configs/nas/morphism/genotype_digits.py'
STUDENT_CFG = ('configs/kd/factor_transfer/classification/'
               'resnet18x4_digits_student.py')
KD_CFG = 'configs/kd/logits_kd/kd_resnet18x4_digits_teacher_r18.py'
# a retrained subnet of the Fashion-MNIST space: all four unit kinds, and
# 'skip' in a block that splits its input
SPOS_SUBNET = {
    'backbone.layers.0.0': 'shuffle_xception',
    'backbone.layers.0.1': 'shuffle_3x3',
    'backbone.layers.1.0': 'shuffle_3x3',
    'backbone.layers.1.1': 'shuffle_7x7',
    'backbone.layers.1.2': 'skip',
    'backbone.layers.1.3': 'shuffle_xception',
    'backbone.layers.2.0': 'shuffle_xception',
    'backbone.layers.2.1': 'shuffle_7x7',
    'backbone.layers.2.2': 'skip',
    'backbone.layers.2.3': 'shuffle_5x5',
    'backbone.layers.3.0': 'shuffle_5x5',
    'backbone.layers.3.1': 'skip'}


def _randomize_bn(model):
    """BN scales, shifts and statistics away from their defaults, so that
    a wrongly kept or dropped channel changes the outputs."""
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.1
            m.running_mean = torch.randn(n, generator=g) * 0.1
            m.running_var = torch.rand(n, generator=g) + 0.5


def _zero_dropped(model, spec):
    """Zero the BN scale and shift of each channel the spec drops: every
    pruned channel of these models ends in a BN, so the unpruned model
    then computes exactly what a correctly pruned one does."""
    for name, m in model.named_modules():
        entry = spec['layers'].get(name)
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and entry and \
                'kept_idx' in entry:
            drop = sorted(set(range(entry['out_channels'])) -
                          set(entry['kept_idx']))
            m.weight.data[drop] = 0
            m.bias.data[drop] = 0


def _prune_consistent(model_cfg, shape, **kwargs):
    """Prune ``model_cfg`` to 50 % FLOPs; check the target, that the pruned
    model computes what the unpruned one does with the dropped channels
    zeroed, and that the spec rebuilds it. The pruned GroupPruning."""
    torch.manual_seed(0)
    algo = GroupPruning(model_cfg, input_shape=shape, target_flops=0.5,
                        **kwargs)
    _randomize_bn(algo)
    reference = copy.deepcopy(algo.architecture).eval()
    spec = algo.search_spec(1, 1)
    algo.apply_spec(spec)
    algo.eval()
    flops, _ = algo.count()
    assert abs(flops / algo.base_flops - 0.5) <= 0.05 * 0.5
    _zero_dropped(reference, spec)
    x = torch.randn(4, *shape[1:])
    with torch.no_grad():
        got = algo(x, mode='tensor')
        torch.testing.assert_close(got, reference(x, mode='tensor'),
                                   atol=1e-5, rtol=1e-4)
    rebuilt = GroupPruning(model_cfg, input_shape=shape, **kwargs)
    rebuilt.apply_spec(algo.spec())
    rebuilt.load_state_dict(algo.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.eval()(x, mode='tensor'), got,
                                   atol=1e-5, rtol=0)
    return algo


def test_spos_subnet_prunes_inside_units(tmp_path):
    from gml.structures import dump_subnet
    dump_subnet(SPOS_SUBNET, str(tmp_path / 'subnet.yaml'))
    spos = load_config(SPOS_CFG).model.to_dict()
    spos['mutable_cfg'] = str(tmp_path / 'subnet.yaml')
    algo = _prune_consistent(spos, (1, 1, 28, 28))
    layers = algo.spec()['layers']
    # the units' outputs pass the split and shuffle: kept whole (their
    # convs), the channels inside the branches pruned
    bound = algo._gather_bound()
    assert 'architecture.backbone.layers.1.0._candidates.shuffle_3x3.' \
           'branch2.2.conv' in bound
    assert all(layers[n]['kept'] == layers[n]['out_channels']
               for n in bound)
    inner = [n for n in layers if 'branch2' in n and
             layers[n]['kept'] < layers[n]['out_channels']]
    assert len(inner) >= 5, inner


def test_genotype_net_prunes():
    cfg = load_config(GENOTYPE_CFG).model.to_dict()
    _prune_consistent(cfg, (1, 3, 8, 8))


def test_kd_student_prunes_and_trains_as_student(tmp_path, monkeypatch):
    student = load_config(STUDENT_CFG).model.to_dict()
    # 4 base channels: only a global ranking reaches 50 % within 5 %
    with pytest.raises(Exception, match='cannot be met within 5 %') as e:
        _prune_consistent(student, (1, 3, 8, 8))
    # the hint names the setting that is off, not one already set
    assert 'try global_pruning=True)' in str(e.value)
    with pytest.raises(Exception, match='cannot be met within 5 %') as e:
        _prune_consistent(student, (1, 3, 8, 8), global_pruning=True,
                          round_to=8)
    assert 'try a round_to below 8)' in str(e.value)
    algo = _prune_consistent(student, (1, 3, 8, 8), global_pruning=True)
    dump_spec(algo.spec(), str(tmp_path / 'spec.yaml'))
    # the pruned model as the KD student, through the config
    teacher = MODELS.build(load_config(
        'configs/kd/factor_transfer/classification/'
        'resnet18_digits_teacher.py').model)
    torch.save(dict(state_dict=teacher.state_dict()),
               tmp_path / 'latest.pth')
    monkeypatch.setenv('TEACHER_WORK_DIR', str(tmp_path))
    cfg = load_config(KD_CFG, {
        'algorithm.model.pruning_spec': str(tmp_path / 'spec.yaml')})
    kd = MODELS.build(cfg.model)
    kd.architecture.load_state_dict(algo.architecture.state_dict())
    kd.eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(kd.architecture(x, mode='tensor'),
                                   algo.architecture(x, mode='tensor'))
    kd.train()
    inputs = torch.randn(4, 3, 8, 8)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = kd(inputs, samples, mode='loss')
    assert any('kd' in k.lower() or 'distill' in k.lower() for k in losses)
    sum(v for v in losses.values() if v.requires_grad).backward()


@pytest.mark.parametrize('name', ['resnet', 'mobilenetv2'])
def test_pruned_computes_what_unpruned_does_without_dropped(name):
    _prune_consistent(MODELS_[name](), (1, 3, 8, 8), global_pruning=True)

"""Tiny mmpretrain classifiers for KD tests (8x8 inputs, CPU, seconds)."""
import torch

# tiny models gain nothing from threads, and on a shared 2-core machine extra
# threads spin against other processes (measured 10x slower with 2)
torch.set_num_threads(1)


def tiny_classifier(base: int = 4) -> dict:
    return dict(
        type='mmpretrain.ImageClassifier',
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor',
                               num_classes=10, mean=[128.] * 3,
                               std=[64.] * 3),
        backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=base,
                      base_channels=base),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=8 * base,
                  loss=dict(type='CrossEntropyLoss'), topk=(1, )))


def ft_entry(pretrain=True, name='layer2_FTdis', stu_in=4, tea_in=8,
             factor=6) -> dict:
    """The documented FTLoss entry, for student base 2 / teacher base 4."""
    tea = dict(type='Paraphraser', in_channel=tea_in, out_channel=factor)
    if pretrain:
        tea['pretrain_criterion'] = dict(type='MSELoss', loss_weight=10.0)
    return dict(
        student_module='backbone.layer2',
        teacher_module='backbone.layer2',
        head=dict(
            type='FTDistillationHead',
            loss=dict(type='FTLoss', loss_weight=10.),
            name=name,
            stu_connector=dict(type='Translator', in_channel=stu_in,
                               out_channel=factor),
            tea_connector=tea))


def kd_entry(name='logits_KD') -> dict:
    return dict(student_module='head.fc', teacher_module='head.fc',
                head=dict(type='DistillationHead', name=name,
                          loss=dict(type='KDLoss', tau=4.0)))


def algorithm_cfg(entries, pretrained=None, use_meal=False, **distiller):
    distiller = dict(type='TeacherDistiller', teacher=tiny_classifier(4),
                     distill_cfg=entries, use_meal=use_meal, **distiller)
    return dict(type='TeacherStudentDistillation',
                model=tiny_classifier(2), distiller=distiller,
                pretrained=pretrained)


def batch(n: int = 8, seed: int = 0) -> dict:
    """A data batch as a dataloader yields it (before preprocessing)."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 255, (3, 8, 8), generator=g).float()
                for _ in range(n)],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(n)])

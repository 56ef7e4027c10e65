# The student trained alone (the baseline): the teacher's ResNet-18 layout
# with 4 instead of 16 base channels (~1/16 of its parameters).
_base_ = ['../../../classification/digits/resnet18_digits.py']

model = dict(
    backbone=dict(stem_channels=4, base_channels=4),
    head=dict(in_channels=32),
)

# The teacher: the classification baseline, an mmpretrain ResNet-18 (CIFAR
# stem, 16 base channels) on the embedded digits. Train it first; the
# distillation configs read its work dir from ${TEACHER_WORK_DIR}.
_base_ = ['../../../classification/digits/resnet18_digits.py']

# The tiniest chain (tests): float training -> QAT -> int8 ONNX, on the
# embedded digits with the two-stage 8/16-channel ResNet.
input_shape = (3, 8, 8)
measure = dict(rounds=2, repeats=2, warmup=1)
stages = dict(
    float=dict(type='train', config='tests/data/compress/tiny_float_digits.py'),
    qat=dict(
        type='qat', config='tests/data/qat_tiny_digits.py',
        inputs={'algorithm.float_checkpoint': 'float.checkpoint'},
        options=dict(
            train_cfg=dict(max_epochs=1),
            algorithm=dict(freeze_observer_epoch=1, freeze_bn_epoch=1),
            default_hooks=dict(logger=dict(interval=10)))),
    int8=dict(type='export', config='tests/data/qat_tiny_digits.py',
              inputs=dict(checkpoint='qat.checkpoint')),
)

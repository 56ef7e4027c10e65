# The old toolbox's runtime base name (mmcls 0.x's mmcls_runtime.py): gml's
# default runtime, logging every 100 iterations as mmcls did.
_base_ = ['./default_runtime.py']

default_hooks = dict(logger=dict(interval=100))

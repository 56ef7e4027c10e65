"""Network morphism: function-preserving widening and deepening (Net2Net,
R2R) of any module of standard torch layers, by torch.fx surgery."""
from .errors import MorphismError
from .identity import (ZeroResidual, calibrate_identity_bn_, identity_bn_,
                       net2deeper_block, r2deeper_block)
from .transforms import (deepen, net2deeper, net2wider, pad_kernel, r2deeper,
                         r2wider, widen, widen_kernel)
from .widen_plan import WidenPlan

__all__ = ['MorphismError', 'WidenPlan', 'ZeroResidual', 'calibrate_identity_bn_',
           'deepen', 'identity_bn_', 'net2deeper', 'net2deeper_block',
           'net2wider', 'pad_kernel', 'r2deeper', 'r2deeper_block', 'r2wider',
           'widen', 'widen_kernel']

from .ft_loss import FTLoss
from .kd_loss import KDLoss
from .mse_loss import MSELoss

__all__ = ['FTLoss', 'KDLoss', 'MSELoss']

from .subnet import (SubnetError, dump_subnet, load_subnet, parse_subnet,
                     subnet_from_cfg, validate_subnet)

__all__ = ['SubnetError', 'dump_subnet', 'load_subnet', 'parse_subnet',
           'subnet_from_cfg', 'validate_subnet']

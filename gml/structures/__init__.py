from .candidate import Candidate
from .subnet import (SubnetError, check_subnet_names, dump_subnet,
                     load_subnet, parse_subnet, subnet_from_cfg,
                     validate_subnet)

__all__ = ['Candidate', 'SubnetError', 'check_subnet_names', 'dump_subnet',
           'load_subnet', 'parse_subnet', 'subnet_from_cfg',
           'validate_subnet']

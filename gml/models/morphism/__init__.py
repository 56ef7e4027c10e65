"""The former home of network morphism (now ``gml.models.task_modules.
morphism``, the torch.fx surgery and weight inheritance, and
``gml.models.mutators.genotype_mutator``). Its module paths stay importable
for users' scripts: each old ``gml.models.morphism.X`` *is* the moved
module."""
import importlib
import sys

MOVED = {
    'errors': 'gml.models.task_modules.morphism.errors',
    'graph': 'gml.models.task_modules.morphism.graph',
    'identity': 'gml.models.task_modules.morphism.identity',
    'inheritance': 'gml.models.task_modules.morphism.inheritance',
    'transforms': 'gml.models.task_modules.morphism.transforms',
    'widen_plan': 'gml.models.task_modules.morphism.widen_plan',
    'mutation': 'gml.models.mutators.genotype_mutator',
    'genotype': 'gml.structures.genotype',
}
for _name, _new in MOVED.items():
    sys.modules[f'{__name__}.{_name}'] = importlib.import_module(_new)

from gml.models.task_modules.morphism import *  # noqa: F401,F403,E402
from gml.models.task_modules.morphism import __all__  # noqa: F401,E402

"""The former home of the morphism evolution's child training and reports
(now ``gml.engine.scoring.child_trainer`` and ``gml.engine.reports``). Its
module paths stay importable: each old ``gml.engine.morphism.X`` *is* the
moved module."""
import importlib
import sys

MOVED = {'child_trainer': 'scoring', 'evolution_report': 'reports',
         'storyboard': 'reports'}
for _name, _package in MOVED.items():
    sys.modules[f'{__name__}.{_name}'] = importlib.import_module(
        f'gml.engine.{_package}.{_name}')

from gml.engine.scoring.child_trainer import (evaluate_local,  # noqa: E402
                                              local_loader, train_epochs)

__all__ = ['evaluate_local', 'local_loader', 'train_epochs']

"""tests/ mirrors gml/ folder for folder: every package of gml with a module
of its own has its tests at the same place (gml/engine/scoring ->
tests/test_engine/test_scoring). Packages that only alias moved modules
(their __init__.py alone) have nothing to test there."""
import os
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def mirror(package_dir: str) -> str:
    rel = osp.relpath(package_dir, osp.join(ROOT, 'gml'))
    parts = [] if rel == '.' else rel.split(os.sep)
    return osp.join(ROOT, 'tests', *[f'test_{p}' for p in parts])


def test_every_package_with_modules_has_its_test_folder():
    missing = []
    for folder, dirs, files in os.walk(osp.join(ROOT, 'gml')):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        modules = [f for f in files
                   if f.endswith('.py') and f != '__init__.py']
        if modules and not osp.isdir(mirror(folder)):
            missing.append(osp.relpath(folder, ROOT))
    assert not missing, f'no tests/ mirror for {missing}'

"""gml's modules import each other without a circle (issue 25).

Imports inside functions count too: they hide a circle from Python's
import machinery, not from the design. A module importing one of its own
ancestor packages is not counted, since Python has already begun that
package by the time the module runs.
"""
import ast
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Set

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def modules_of(package_dir: str) -> Dict[str, str]:
    """Dotted module name -> file, for every .py under ``package_dir``."""
    base = osp.dirname(package_dir)
    mods = {}
    for d, _, files in os.walk(package_dir):
        for f in files:
            if f.endswith('.py'):
                path = osp.join(d, f)
                name = osp.relpath(path, base)[:-3].replace(os.sep, '.')
                mods[name.removesuffix('.__init__')] = path
    return mods


def _absolute(module: str, is_package: bool, level: int, name: str) -> str:
    if level == 0:
        return name
    parts = module.split('.')
    parts = parts if is_package else parts[:-1]
    parts = parts[:len(parts) - (level - 1)]
    return '.'.join(parts + ([name] if name else []))


def import_graph(mods: Dict[str, str]) -> Dict[str, Set[str]]:
    """Edges module -> the package-internal modules it imports, anywhere."""
    top = next(iter(mods)).split('.')[0]
    edges = defaultdict(set)
    for module, path in mods.items():
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        is_package = path.endswith('__init__.py')
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                src = _absolute(module, is_package, node.level, node.module)
                targets = [f'{src}.{a.name}' if f'{src}.{a.name}' in mods
                           else src for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition('.')[0]
                if (target and target != module
                        and target.split('.')[0] == top
                        and not module.startswith(target + '.')):
                    edges[module].add(target)
    return edges


def cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_gml_has_no_import_circle():
    mods = modules_of(osp.join(ROOT, 'gml'))
    assert len(mods) > 100  # the walk found the package
    assert cycles(import_graph(mods)) == []


def test_a_circle_through_a_function_level_import_is_found(tmp_path):
    pkg = tmp_path / 'pkg'
    (pkg / 'sub').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'sub' / '__init__.py').write_text('')
    (pkg / 'registry.py').write_text(
        'def build():\n    from pkg.sub.errors import explain\n')
    (pkg / 'sub' / 'errors.py').write_text(
        'def explain():\n    from .config import user_key\n')
    (pkg / 'sub' / 'config.py').write_text('from ..registry import build\n')
    (pkg / 'sub' / 'plain.py').write_text('from pkg.sub import config\n')
    graph = import_graph(modules_of(str(pkg)))
    assert graph['pkg.sub.plain'] == {'pkg.sub.config'}
    assert cycles(graph) == [
        ['pkg.registry', 'pkg.sub.config', 'pkg.sub.errors']]


def package_graph(graph: Dict[str, Set[str]]) -> Dict[str, Set[str]]:
    """Edges between gml's top-level packages (``gml.config`` ->
    ``gml.registry``...), from the module graph."""
    def package(module: str) -> str:
        return '.'.join(module.split('.')[:2])

    edges = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            if package(source) != package(target):
                edges[package(source)].add(package(target))
    return edges


def test_gml_packages_form_layers():
    """No circle between packages either: utils at the bottom, registry
    above it, config above the registry, the engine, and the tools'
    session (apis) above the engine."""
    edges = package_graph(import_graph(modules_of(osp.join(ROOT, 'gml'))))
    assert cycles(edges) == []
    assert edges['gml.utils'] <= {'gml.version'}  # utils imports no layer
    assert edges['gml.registry'] == {'gml.utils'}
    assert 'gml.registry' in edges['gml.config']
    assert 'gml.config' not in edges['gml.registry']
    assert 'gml.apis' not in edges['gml.engine']
    assert 'gml.engine' in edges['gml.apis']

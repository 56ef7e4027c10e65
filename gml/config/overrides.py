"""``--cfg-options key=value ...`` parsing with errors that name the entry."""
import ast
from typing import Any, Dict, List

from gml.utils.errors import ConfigError

__all__ = ['ConfigError', 'parse_cfg_options', 'parse_value']


_WORDS = {'true': True, 'false': False, 'none': None, 'null': None}


def parse_value(text: str, entry: str) -> Any:
    """Parse one override value as mmengine's DictAction does, but strictly.

    ``1`` -> int, ``0.1`` -> float, ``True``/``None`` -> bool/None,
    ``[1,2]``/``(1,2)``/``{'a':1}``/``[dict(type='X')]`` -> Python literals
    (``dict(k=v)`` as in configs; no other calls), ``a,b`` -> list,
    anything else -> str. Unbalanced brackets or quotes are an error.
    """
    stripped = text.strip()
    if stripped.lower() in _WORDS:
        return _WORDS[stripped.lower()]
    for cast in (int, float):
        try:
            return cast(stripped)
        except ValueError:
            pass
    if stripped[:1] in '[({\'"' and stripped or stripped.startswith('dict('):
        try:
            return ast.literal_eval(_dict_calls_to_literals(
                ast.parse(stripped, mode='eval')))
        except (ValueError, SyntaxError) as e:
            raise ConfigError(
                f'--cfg-options {entry!r}: malformed value {text!r} '
                f'({e.__class__.__name__}: {getattr(e, "msg", e)})') from None
    if any(c in stripped for c in '[](){}'):
        raise ConfigError(f'--cfg-options {entry!r}: malformed value '
                          f'{text!r} (unbalanced brackets)')
    if ',' in stripped:
        return [parse_value(v, entry) for v in stripped.split(',')]
    return stripped


class _DictCalls(ast.NodeTransformer):
    """``dict(a=1)`` -> ``{'a': 1}`` so configs' own style parses safely."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if (isinstance(node.func, ast.Name) and node.func.id == 'dict'
                and not node.args and all(k.arg for k in node.keywords)):
            return ast.Dict(keys=[ast.Constant(k.arg) for k in node.keywords],
                            values=[k.value for k in node.keywords])
        return node


def _dict_calls_to_literals(tree: ast.AST) -> ast.AST:
    return ast.fix_missing_locations(_DictCalls().visit(tree))


def parse_cfg_options(entries: List[str]) -> Dict[str, Any]:
    """Turn ``['a.b=1', 'c=x']`` into ``{'a.b': 1, 'c': 'x'}``."""
    options = {}
    for entry in entries or []:
        key, sep, value = entry.partition('=')
        if not sep:
            raise ConfigError(f'--cfg-options {entry!r}: expected KEY=VALUE')
        if not key or any(not part for part in key.split('.')):
            raise ConfigError(
                f'--cfg-options {entry!r}: empty key or key part in {key!r}')
        options[key] = parse_value(value, entry)
    return options

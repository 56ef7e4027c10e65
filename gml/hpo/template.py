"""Command templates: ``python train.py --lr {lr:.3f}``, values shell-quoted.

A placeholder is ``{name}`` or ``{name:spec}`` (a Python format spec, as in
``str.format``). Other braces are left to the shell: ``${VAR}``, ``{a,b}``,
``awk '{print $1}'``. A brace that never closes (``--lr {lr``) or closes
without opening is a malformed template, reported with its position.
"""
import re
import shlex
from typing import Dict, List, Tuple

from .errors import SearchError

# ``{name}``/``{name:spec}``/``{name!r}`` but not the shell's ``${VAR}``;
# names may hold '-' and '.' (``{batch-size}``), as in the documented template.
_PLACEHOLDER = re.compile(r'(?<!\$)\{([A-Za-z_][A-Za-z0-9_.-]*)'
                          r'(![A-Za-z]*)?(?::([^{}]*))?\}')


def check_braces(template: str) -> None:
    """Raise ``SearchError`` at the first brace that does not pair (shell
    code may nest braces: ``awk '{ if (x) { print } }'``)."""
    opened: List[int] = []
    for i, ch in enumerate(template):
        if ch == '{':
            opened.append(i)
        elif ch == '}':
            if not opened:
                raise SearchError(f'malformed template: "}}" at position {i} '
                                  'closes no "{"; expected {name} or '
                                  '{name:format}')
            opened.pop()
    if opened:
        raise SearchError(f'malformed template: "{{" at position {opened[0]} '
                          'is never closed; expected {name} or '
                          '{name:format}')


def fields(template: str) -> List[Tuple[str, str]]:
    """``(name, format spec)`` of every placeholder, in order."""
    check_braces(template)
    found = []
    for m in _PLACEHOLDER.finditer(template):
        if m.group(2) is not None:
            raise SearchError(f'placeholder {m.group(0)} at position '
                              f'{m.start()}: conversions ({m.group(2)}) are '
                              'not supported; use {name} or {name:format}')
        found.append((m.group(1), m.group(3) or ''))
    return found


def placeholders(template: str) -> List[str]:
    """The placeholder names in order of first appearance."""
    seen: List[str] = []
    for name, _ in fields(template):
        if name not in seen:
            seen.append(name)
    return seen


def specs(template: str) -> List[Tuple[str, str]]:
    """The ``(name, spec)`` pairs that carry a format spec."""
    return [(n, s) for n, s in fields(template) if s]


def render(template: str, params: Dict[str, object]) -> str:
    """Fill the template; every value is one shell word, never shell code."""
    return _PLACEHOLDER.sub(lambda m: shlex.quote(format_value(
        params[m.group(1)], m.group(3) or '')), template)


def format_value(value: object, spec: str = '') -> str:
    # yaml's 1.0 and 1 stay as written; bools as the script would parse them.
    return format(value, spec) if spec else str(value)

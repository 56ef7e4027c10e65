"""Command templates: ``python train.py --lr {lr}``, values shell-quoted."""
import re
import shlex
from typing import Dict, List

# ``{name}`` but not the shell's ``${VAR}``; names may hold '-' and '.'
# (``{batch-size}``), as in the documented template.
_PLACEHOLDER = re.compile(r'(?<!\$)\{([A-Za-z_][A-Za-z0-9_.-]*)\}')


def placeholders(template: str) -> List[str]:
    """The placeholder names in order of first appearance."""
    seen: List[str] = []
    for name in _PLACEHOLDER.findall(template):
        if name not in seen:
            seen.append(name)
    return seen


def render(template: str, params: Dict[str, object]) -> str:
    """Fill the template; every value is one shell word, never shell code."""
    return _PLACEHOLDER.sub(lambda m: shlex.quote(format_value(
        params[m.group(1)])), template)


def format_value(value: object) -> str:
    # yaml's 1.0 and 1 stay as written; bools as the script would parse them.
    return str(value)

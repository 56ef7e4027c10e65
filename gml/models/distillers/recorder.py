"""Record the outputs of submodules named by dotted path (forward hooks)."""
import difflib
from contextlib import contextmanager
from typing import Dict, Iterable, Iterator

import torch
import torch.nn as nn


def find_module(model: nn.Module, path: str,
                owner: str = 'model') -> nn.Module:
    """``model``'s submodule at dotted ``path``; a miss lists near names."""
    names = [n for n, _ in model.named_modules() if n]
    if path in names:
        return model.get_submodule(path)
    near = difflib.get_close_matches(path, names, n=5, cutoff=0.5)
    if not near:  # fall back to the children of the longest valid prefix
        parts = path.split('.')
        while parts and '.'.join(parts) not in names:
            parts.pop()
        prefix = '.'.join(parts)
        near = [n for n in names if n.startswith(prefix + '.' if prefix
                                                 else '')
                and n.count('.') == (prefix.count('.') + 1 if prefix else 0)]
        near = near[:8]
    raise ValueError(
        f'{owner} has no module {path!r}; nearest valid names: '
        f'{", ".join(near) if near else "(none)"}')


class ModuleOutputRecorder:
    """Capture what the named submodules of ``model`` return in a forward.

    Paths are checked when the recorder is made, so a typo fails at build
    time. Hooks exist only inside :meth:`record`, so the model is left
    untouched (and picklable) outside it. A module called several times in
    one forward keeps its last output.

    Args:
        model: the network to watch.
        paths: dotted module names, e.g. ``'neck.detect3.conv5.conv'``.
        owner: how error messages name ``model`` (``'student'``...).
    """

    def __init__(self, model: nn.Module, paths: Iterable[str],
                 owner: str = 'model'):
        self.owner = owner
        self.modules = {p: find_module(model, p, owner) for p in paths}
        self.outputs: Dict[str, torch.Tensor] = {}

    @contextmanager
    def record(self) -> Iterator[Dict[str, torch.Tensor]]:
        self.outputs = {}
        handles = [m.register_forward_hook(self._hook(p))
                   for p, m in self.modules.items()]
        try:
            yield self.outputs
        finally:
            for h in handles:
                h.remove()

    def _hook(self, path: str):
        def hook(module, inputs, output):
            self.outputs[path] = output
        return hook

    def get(self, path: str) -> torch.Tensor:
        if path not in self.outputs:
            raise RuntimeError(
                f'{self.owner} module {path!r} did not run in the last '
                'forward, so it has no output to distill')
        out = self.outputs[path]
        if not isinstance(out, torch.Tensor):
            raise TypeError(
                f'{self.owner} module {path!r} returns a '
                f'{type(out).__name__}, not a tensor; record a submodule '
                'that returns a single feature map')
        return out

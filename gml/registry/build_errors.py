"""Turn errors raised while building objects from a config into user errors.

mmengine builds every object of a config with ``build_from_cfg`` (models,
datasets, transforms, metrics, hooks, optimizers, schedulers); the Runner
builds its loops itself. When such a build fails because of what the config
says -- an unknown ``type``, a misspelled argument, a value the constructor
rejects, a file that does not exist -- the exception is a plain
``TypeError``/``KeyError``/``ValueError`` whose message names neither the
config key nor the valid choices. :func:`explain_build_error` reads the
traceback (the builder's frame holds the class and its arguments) and
returns a one-line :class:`~gml.utils.errors.ConfigError` that does, or None
for anything that is not the config's fault (an internal error).
"""
import difflib
import inspect
import linecache
import re
from typing import (Any, Callable, Iterator, List, Optional, Sequence,
                    Tuple)

from gml.utils.errors import ConfigError, UserError

#: mmengine's registry build functions (``Registry.build`` calls them).
_BUILDERS = {'build_from_cfg', 'build_model_from_cfg',
             'build_scheduler_from_cfg', 'build_runner_from_cfg'}
#: frames between a builder and the raise that are still "the constructor".
_CONSTRUCTOR_FRAMES = {'__init__', '__new__', 'build_iter_from_epoch',
                       'get_instance', '__post_init__'}
#: exceptions a constructor raises when its arguments are wrong.
_VALIDATION = (ValueError, TypeError, AssertionError, KeyError)
_UNEXPECTED = re.compile(
    r"(?:(\w+)\.)?__init__\(\) got an unexpected keyword argument '(\w+)'")
_MISSING = re.compile(r"(?:(\w+)\.)?__init__\(\) missing \d+ required "
                      r"(?:positional|keyword-only) arguments?: (.+)")


def explain_build_error(error: BaseException, cfg: Any = None,
                        root: str = '',
                        name_key: Optional[Callable[[str], str]] = None
                        ) -> Optional[UserError]:
    """A one-line user error for ``error``, or None if it is internal.

    Args:
        error: raised while building from ``cfg`` (e.g. by the Runner).
        cfg: the config the objects were built from; used to name the key
            (``model.backbone.depht``).
        root: prefix of the key paths (``'model'`` when ``cfg`` is only the
            model's config).
        name_key: turns a key path of ``cfg`` into the user's spelling
            (e.g. ``gml.config.loading.user_key`` for the legacy dialect);
            passed in, not imported, so the registry, which calls this
            module, and the config loader, which calls the registry, form
            no import circle. Default: the path as it is.
    """
    if isinstance(error, UserError):
        return error
    frames = _frames(error)
    builder = _innermost_builder(frames)
    if builder is None:
        return None
    index, frame = builder
    tail = frames[index + 1:]
    local = frame.f_locals
    obj_cls = local.get('obj_cls')
    node = next((local[k] for k in ('cfg', 'loop_cfg', 'loop')
                 if isinstance(local.get(k), dict)), None)
    if obj_cls is None and tail:
        obj_cls = type(tail[0].f_locals.get('self', None))
        obj_cls = None if obj_cls is type(None) else obj_cls
    finder = _PathFinder(cfg, root, name_key)
    if isinstance(error, KeyError) and obj_cls is None and \
            'obj_type' in local:
        return _unknown_type(local['obj_type'], local.get('registry'),
                             node, finder)
    if isinstance(error, TypeError):
        explained = _bad_arguments(error, obj_cls, node, finder)
        if explained is not None:
            return explained
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        where = finder.path_of(node) if node is not None else None
        return ConfigError(_join(where, f'{_name(obj_cls)}: {error}'))
    if _is_validation(error, tail, node):
        where = finder.path_of(node) if node is not None else None
        key = _key_named_by(error, node)
        if where and key:
            where = f'{where}.{key}'
        kind = type(error).__name__
        message = str(error.args[0]) if isinstance(error, KeyError) \
            and error.args else str(error)
        return ConfigError(_join(
            where, f'{_name(obj_cls)} rejects its arguments ({kind}: '
            f'{message or "invalid value"})'))
    return None


# -- traceback -----------------------------------------------------------
def _is_validation(error: BaseException, tail: List, node) -> bool:
    """Raised by the constructor about its arguments: an explicit ``raise``
    or ``assert`` in it, or a failed conversion of an argument's value
    (``int('abc')``) -- not, say, a ``TypeError`` of a bug in its body."""
    if not isinstance(error, _VALIDATION) or not tail or not all(
            f.f_code.co_name in _CONSTRUCTOR_FRAMES for f in tail):
        return False
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    line = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
    if line.strip().startswith(('raise', 'assert')):
        return True
    return isinstance(error, ValueError) and \
        _key_named_by(error, node) is not None


def _frames(error: BaseException) -> List:
    frames, tb = [], error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _is_builder(frame) -> bool:
    name = frame.f_code.co_name
    module = frame.f_globals.get('__name__', '')
    if name in _BUILDERS and module.startswith('mmengine.registry'):
        return True
    # the Runner checks its own arguments, and builds its loops
    # (train_cfg/val_cfg/test_cfg) directly
    runner_modules = ('mmengine.runner', 'gml.engine')
    cls = frame.f_locals.get('cls')
    if name == 'from_cfg' and isinstance(cls, type):
        return cls.__module__.startswith(runner_modules)
    self = frame.f_locals.get('self')
    return name.startswith('build_') and name.endswith('_loop') and \
        type(self).__module__.startswith(runner_modules)


def _innermost_builder(frames) -> Optional[Tuple[int, Any]]:
    for index in range(len(frames) - 1, -1, -1):
        if _is_builder(frames[index]):
            return index, frames[index]
    return None


# -- the three kinds of mistakes ------------------------------------------
def _unknown_type(obj_type, registry, node, finder) -> ConfigError:
    where = finder.path_of(node, key='type') if node is not None else None
    names, scopes = _registered_names(registry)
    close = difflib.get_close_matches(
        str(obj_type).split('.')[-1], names, n=3, cutoff=0.6)
    hint = f'; did you mean {_quoted(close)}?' if close else ''
    from .scopes import missing_detection_stack
    missing = missing_detection_stack()
    if missing is not None and not close:
        hint = (f'; mmdet was not searched: {missing} (`make '
                'install-detection` installs the detection stack)')
    kind = getattr(registry, 'name', 'registry')
    return ConfigError(_join(
        where or 'type', f'{obj_type!r} is not a registered {kind} type '
        f'(searched scopes: {", ".join(scopes)}){hint}'))


def _bad_arguments(error, obj_cls, node, finder) -> Optional[ConfigError]:
    text = str(error)
    unexpected = _UNEXPECTED.search(text)
    if unexpected:
        key = unexpected.group(2)
        cls = obj_cls or _find_class(unexpected.group(1))
        if node is not None and key not in node:
            return None  # not an argument the config passed: internal
        valid = accepted_arguments(cls) if cls is not None else []
        close = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
        if close:
            hint = f'did you mean {_quoted(close)}?'
        elif valid:
            hint = f'valid arguments: {", ".join(valid)}'
        else:
            hint = 'remove it'
        where = finder.path_of(node, key=key, cls_name=unexpected.group(1))
        return ConfigError(_join(
            where or key, f'unknown argument {key!r} of '
            f'{_name(cls or unexpected.group(1))}; {hint}'))
    missing = _MISSING.search(text)
    if missing:
        cls = obj_cls or _find_class(missing.group(1))
        where = finder.path_of(node) if node is not None else None
        return ConfigError(_join(
            where, f'{_name(cls or missing.group(1))} needs '
            f'{missing.group(2)}, which the config does not give'))
    return None


def accepted_arguments(cls) -> List[str]:
    """Keyword arguments ``cls(...)`` accepts, following ``**kwargs`` that
    a constructor passes on to its base classes."""
    names: List[str] = []
    for klass in getattr(cls, '__mro__', (cls, )):
        init = vars(klass).get('__init__') if isinstance(klass, type) \
            else klass
        if init is None or init is object.__init__:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            break
        forwards = False
        for p in params:
            if p.kind is p.VAR_KEYWORD:
                forwards = True
            elif p.kind is not p.VAR_POSITIONAL and p.name != 'self' \
                    and p.name not in names:
                names.append(p.name)
        if not forwards:
            break
    return names


# -- naming ----------------------------------------------------------------
def _name(cls) -> str:
    if isinstance(cls, str):
        return cls
    if cls is None:
        return 'the constructor'
    module = getattr(cls, '__module__', '').split('.')[0]
    return f'{module}.{cls.__name__}' if module else cls.__name__


def _quoted(names: Sequence[str]) -> str:
    return ' or '.join(repr(n) for n in names)


def _join(where: Optional[str], message: str) -> str:
    return f'{where}: {message}' if where else message


def _key_named_by(error, node) -> Optional[str]:
    """The argument whose value the error message quotes, if exactly one."""
    if not isinstance(node, dict):
        return None
    text = str(error)
    hits = [k for k, v in node.items() if k not in ('type', '_scope_')
            and isinstance(v, (str, int, float)) and not isinstance(v, bool)
            and (repr(v) in text or (isinstance(v, str) and len(v) > 1
                                     and v in text))]
    return hits[0] if len(hits) == 1 else None


def _registered_names(registry) -> Tuple[List[str], List[str]]:
    """Every name ``registry`` and its zoos can build, and their scopes."""
    from .scopes import ZOO_SCOPES, missing_detection_stack
    names, scopes, reg = set(), [], registry
    while reg is not None:
        names.update(reg.module_dict)
        scopes.append(reg.scope)
        reg = reg.parent
    root = registry._get_root_registry() if registry is not None else None
    for zoo in ZOO_SCOPES:
        child = root._children.get(zoo) if root is not None else None
        if child is None or (zoo == 'mmdet' and missing_detection_stack()):
            continue
        child.import_from_location()
        names.update(child.module_dict)
        if zoo not in scopes:
            scopes.append(zoo)
    return sorted(names), scopes


def _find_class(name: Optional[str]):
    """A registered class called ``name`` (when the builder did not hold
    it, e.g. a loop the Runner constructs itself)."""
    if not name:
        return None
    import mmengine.registry as roots
    for value in vars(roots).values():
        if isinstance(value, roots.Registry) and value.parent is None:
            for reg in _tree(value):
                if name in reg.module_dict:
                    return reg.module_dict[name]
    return None


def _tree(registry) -> Iterator:
    yield registry
    for child in registry.children.values():
        yield from _tree(child)


class _PathFinder:
    """Find where in the config a dict the builder received came from."""

    def __init__(self, cfg: Any, root: str = '',
                 name_key: Optional[Callable[[str], str]] = None):
        self.cfg = cfg
        self.name_key = name_key
        tree = getattr(cfg, '_cfg_dict', cfg)  # an mmengine Config
        self.nodes = list(_walk(tree, root)) if tree is not None else []

    def path_of(self, *args, **kwargs) -> Optional[str]:
        path = self._path_of(*args, **kwargs)
        return self.name_key(path) if path and self.name_key else path

    def _path_of(self, node: Optional[dict], key: Optional[str] = None,
                cls_name: Optional[str] = None) -> Optional[str]:
        best, best_score = None, -1
        for path, candidate in self.nodes:
            if key is not None and key not in candidate:
                continue
            if node is not None:
                shared = [k for k in candidate
                          if k not in ('type', '_scope_') and k in node]
                if any(not _same(candidate[k], node[k]) for k in shared):
                    continue
                score = len(shared) + 2 * _same_type(candidate, node)
            else:
                score = _type_named(candidate, cls_name)
            if score > best_score:
                best, best_score = path, score
        if best is None or (best_score == 0 and key is None):
            return None
        return f'{best}.{key}' if key is not None and best else (key or best)


def _walk(node: Any, path: str) -> Iterator[Tuple[str, dict]]:
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f'{path}.{k}' if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f'{path}.{i}' if path else str(i))


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. tensors
        return a is b


def _short_type(node: dict) -> Optional[str]:
    t = node.get('type')
    if isinstance(t, str):
        return t.split('.')[-1]
    return getattr(t, '__name__', None)


def _same_type(a: dict, b: dict) -> bool:
    return _short_type(a) is not None and _short_type(a) == _short_type(b)


def _type_named(node: dict, cls_name: Optional[str]) -> int:
    return int(cls_name is not None and _short_type(node) == cls_name)

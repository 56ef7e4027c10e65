"""Every public class with constructor parameters documents them in an
``Args:`` section: the registered, config-facing ones first (a user reads
them to write a config), and every other public class in ``gml``."""
import importlib
import inspect
import pkgutil

import gml


def gml_modules():
    return [importlib.import_module(m.name)
            for m in pkgutil.walk_packages(gml.__path__, 'gml.')]


def registered_classes():
    from mmengine.registry import Registry

    from gml import registry
    found = set()
    for name in dir(registry):
        reg = getattr(registry, name)
        if not isinstance(reg, Registry):
            continue
        for cls in reg.module_dict.values():
            if inspect.isclass(cls) and cls.__module__.startswith('gml.'):
                found.add(cls)
    return found


def parameters(cls):
    # by kind, not name: a parameter called `args` is still a parameter
    return [n for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != 'self' and p.kind not in (p.VAR_POSITIONAL,
                                              p.VAR_KEYWORD)]


def undocumented(classes):
    return sorted(f'{c.__module__}.{c.__qualname__}' for c in classes
                  if parameters(c) and 'Args:' not in (c.__doc__ or ''))


def test_registered_classes_document_their_arguments():
    gml_modules()  # registration happens at import
    classes = registered_classes()
    assert len(classes) > 30
    assert undocumented(classes) == []


def test_public_classes_document_their_arguments():
    public = set()
    for module in gml_modules():
        for name, cls in vars(module).items():
            # its own constructor or one it inherits (a subclass of an
            # mmengine or submitit class takes that class's arguments)
            if (not name.startswith('_') and inspect.isclass(cls)
                    and cls.__module__ == module.__name__
                    and cls.__init__ is not object.__init__):
                public.add(cls)
    assert len(public) > 80
    assert undocumented(public) == []

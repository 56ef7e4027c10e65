"""One error tree: every exception type gml defines for bad input derives
from UserError (the tools print it as one line and exit 2); the few
internal ones are listed here with the reason they are not."""
import importlib
import inspect
import pkgutil

import gml
from gml.utils.errors import UserError

#: internal signals, never shown to a user as they are
INTERNAL = {
    # the executor's report of failed chunks; the search loops turn it into
    # a SearchError that names the candidates and the --resume command
    'gml.engine.dispatch.executors.ChunkError',
}


def test_every_gml_exception_is_a_user_error_or_listed_internal():
    found = {}
    for info in pkgutil.walk_packages(gml.__path__, 'gml.'):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if (inspect.isclass(cls) and issubclass(cls, BaseException)
                    and cls.__module__ == module.__name__):
                found[f'{cls.__module__}.{cls.__qualname__}'] = cls
    assert len(found) >= 10
    stray = sorted(name for name, cls in found.items()
                   if not issubclass(cls, UserError) and name not in INTERNAL)
    assert stray == []
    assert INTERNAL <= set(found)  # the list names what exists

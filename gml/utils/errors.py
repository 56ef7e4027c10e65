"""gml's user errors: bad input, reported in one line.

Every mistake a user can make in what they give gml (a config, an override,
a subnet file, a checkpoint, a dataset path...) raises a :class:`UserError`
whose message is one line naming the file or key, what was found and what
was expected. The tools print it and exit with code 2; anything else is an
internal error and keeps its traceback.

Which type where: a class's constructor checks its own arguments with a
plain ``ValueError`` (it does not know where in the config it was built);
the registry turns that into a :class:`ConfigError` naming the key path
(``model.head: gml.X rejects its arguments (...)``). Code that knows the
key (loops reading ``train_cfg``, the config loader, the tools) raises the
:class:`UserError` subclass directly, naming it.

Import-light on purpose: the tools import it before torch.
"""


class UserError(ValueError):
    """Bad input from the user; the message is one line naming where."""


class ConfigError(UserError):
    """A config file or a ``--cfg-options`` override does not fit."""


class CheckpointError(UserError):
    """A checkpoint is missing, unreadable, or not of this model."""


class SearchError(UserError, RuntimeError):
    """A search cannot go on, NAS or HPO: its settings or state
    (constraints nothing satisfies, a state file of another search, a task
    name or status) or candidates/jobs that could not be run, named."""


def one_line(error: BaseException) -> str:
    """``error``'s message on one line (joined, whitespace collapsed)."""
    text = str(error)
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = str(error.args[0])  # KeyError's str() adds quotes
    return ' '.join(text.split()) or type(error).__name__

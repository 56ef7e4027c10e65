"""The one error type the HPO commands turn into a one-line message, exit 2."""
from gml.utils.errors import UserError


class SearchError(UserError):
    """Bad input (config, task name, state); the message says what, where."""

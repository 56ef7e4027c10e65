"""The one error type the HPO commands turn into a one-line message, exit 2."""


class SearchError(Exception):
    """Bad input (config, task name, state); the message says what, where."""

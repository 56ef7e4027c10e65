"""The HPO commands' error (gml's one ``SearchError``), kept importable
from here for users' code."""
from gml.utils.errors import SearchError

__all__ = ['SearchError']

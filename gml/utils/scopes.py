"""Moved to :mod:`gml.registry.scopes`; this alias keeps ``gml.utils.scopes`` imports
(users' scripts) working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.registry.scopes')

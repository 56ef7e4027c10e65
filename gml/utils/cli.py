"""Moved to :mod:`gml.apis.cli`; this alias keeps ``gml.utils.cli`` imports
(users' scripts) working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.apis.cli')

"""Moved to :mod:`gml.registry.build_errors`; this alias keeps ``gml.utils.build_errors`` imports
(users' scripts) working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.registry.build_errors')

"""Moved to :mod:`gml.config.loading`; this alias keeps ``gml.utils.config`` imports
(users' scripts) working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.config.loading')

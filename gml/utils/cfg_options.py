"""Moved to :mod:`gml.config.overrides`; this alias keeps ``gml.utils.cfg_options`` imports
(users' scripts) working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.config.overrides')

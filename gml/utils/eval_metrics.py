"""Moved to :mod:`gml.config.legacy_metrics`; this alias keeps ``gml.utils.eval_metrics`` imports
(users' scripts) working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.config.legacy_metrics')

"""Moved to :mod:`gml.apis.deploy_tools` (the tools' plumbing sits above
the engine); this alias keeps ``gml.deploy.cli`` imports working: it *is*
that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.apis.deploy_tools')

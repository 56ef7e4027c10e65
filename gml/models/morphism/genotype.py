"""Moved to :mod:`gml.structures.genotype` (a genotype is a structure, like
a subnet); this alias keeps ``gml.models.morphism.genotype`` imports
working: it *is* that module."""
import importlib
import sys

sys.modules[__name__] = importlib.import_module('gml.structures.genotype')


from .image_classifier_search import ImageClassifierSearch  # noqa: F401
from .genotype_classifier import GenotypeClassifier  # noqa: F401
from .ensemble_classifier import EnsembleClassifier  # noqa: F401

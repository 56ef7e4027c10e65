
from .image_classifier_search import ImageClassifierSearch  # noqa: F401

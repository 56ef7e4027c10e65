from .base_connector import BaseConnector
from .factor_transfer import Paraphraser, Translator

__all__ = ['BaseConnector', 'Paraphraser', 'Translator']

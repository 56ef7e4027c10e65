from .qat import QAT, classifier_head, load_float_checkpoint

__all__ = ['QAT', 'classifier_head', 'load_float_checkpoint']

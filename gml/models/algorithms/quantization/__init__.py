from .checkpoints import (is_quantized_state, load_checked,
                          load_float_checkpoint, read_state_dict)
from .qat import QAT, classifier_head

__all__ = ['QAT', 'classifier_head', 'load_float_checkpoint',
           'read_state_dict', 'load_checked', 'is_quantized_state']

"""QAT: fine-tune a trained float classifier with int8 fake quantization."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub, print_log
from torch.fx import GraphModule

from gml.models import quantizers
from gml.registry import MODELS
from gml.utils.errors import CheckpointError, ConfigError

from ..base import BaseAlgorithm
from .checkpoints import is_quantized_state, load_float_checkpoint

def _pt2e():
    """torchao's flow, imported on first use (see gml.models.quantizers)."""
    return quantizers.pt2e


#: how many images the graph is captured with (batch norm in training mode
#: needs more than one; the batch dimension stays dynamic)
CAPTURE_BATCH = 2


@MODELS.register_module()
class QAT(BaseAlgorithm):
    """Quantization-aware training with torchao's PT2E flow.

    The float model (any mmpretrain image classifier a gml config builds,
    also a fixed SPOS subnet or a DMCP-pruned network) is loaded from
    ``float_checkpoint``, captured with ``torch.export`` and prepared by
    ``quantizer``: conv-bn(-relu) fused, fake quantization with observers
    on weights (per-channel) and activations (per-tensor). After
    preparation ``self.architecture`` *is* that prepared graph; it shares
    the float model's parameters. Checkpoints hold its state (weights, BN
    statistics, observer ranges), so training resumes like any other;
    ``convert()`` gives the int8 model (``tools/quantization/export.py``
    writes it as ONNX).

    Args:
        model: the float classifier, exactly as its float config builds it
            (``float_checkpoint``'s keys must fit it).
        quantizer: a PT2E quantizer config (``gml.Int8Quantizer``).
        float_checkpoint: the trained float model; required to train, not
            to test or export a QAT checkpoint.
        input_shape: (C, H, W) the model is captured at (H, W are fixed in
            the graph; the batch size is not).
        freeze_observer_epoch: from this epoch (0-based) on, quantization
            ranges stop updating. None: never.
        freeze_bn_epoch: from this epoch on, batch norm uses its running
            statistics and stops updating them. None: never.
        data_preprocessor: see ``BaseAlgorithm``.
    """

    def __init__(self,
                 model: Union[Dict, nn.Module],
                 quantizer: Union[Dict, 'Int8Quantizer'] = dict(
                     type='gml.Int8Quantizer'),
                 float_checkpoint: Optional[str] = None,
                 input_shape: Sequence[int] = (3, 224, 224),
                 freeze_observer_epoch: Optional[int] = None,
                 freeze_bn_epoch: Optional[int] = None,
                 data_preprocessor: Optional[Union[Dict, nn.Module]] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(model, data_preprocessor, init_cfg)
        if len(tuple(input_shape)) != 3:
            raise ConfigError(f'gml.QAT: input_shape={tuple(input_shape)}; '
                              'expected (C, H, W)')
        self.input_shape = tuple(int(d) for d in input_shape)
        self.freeze_observer_epoch = freeze_observer_epoch
        self.freeze_bn_epoch = freeze_bn_epoch
        self.quantizer = (MODELS.build(quantizer)
                          if isinstance(quantizer, dict) else quantizer)
        self.float_checkpoint = float_checkpoint
        if float_checkpoint is not None:
            load_float_checkpoint(self.architecture, float_checkpoint,
                                  'algorithm.float_checkpoint')
        # a plain attribute: the head's loss and prediction code is used,
        # its parameters live on in the graph
        self.__dict__['head'] = classifier_head(self.architecture)
        self.architecture = _pt2e().prepare(
            self.architecture, self.quantizer, self.example_inputs(), qat=True)
        self._materialize_weight_ranges()
        self._weights_from = 'float' if float_checkpoint else None
        self._bn_frozen = self._observers_frozen = False
        self.train()

    # modes -----------------------------------------------------------------
    def train(self, mode: bool = True) -> 'QAT':
        """Exported graphs switch batch norm by graph rewriting; frozen BN
        statistics stay frozen across validation. Observers only learn in
        training: fake quantization observes whenever it is enabled, so
        validation data would otherwise move the quantization ranges."""
        self.training = mode
        self.data_preprocessor.train(mode)
        flow = _pt2e()
        flow.set_mode(self.architecture, mode, freeze_bn=self._bn_frozen)
        flow.set_observers(self.architecture,
                           mode and not self._observers_frozen)
        return self

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        logits = self.architecture(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'predict':
            return self.head._get_predictions(logits, data_samples)
        raise ValueError(f'gml.QAT: invalid mode {mode!r}; expected '
                         "'loss', 'tensor' or 'predict'")

    def loss(self, inputs: torch.Tensor, data_samples: Optional[List] = None
             ) -> Dict[str, torch.Tensor]:
        # here rather than in train_step: mmengine's DDP wrapper calls
        # forward(mode='loss') directly
        if self._weights_from is None:
            raise ConfigError(
                'gml.QAT fine-tunes a trained float model: pass --cfg-options'
                ' algorithm.float_checkpoint=FLOAT.pth (or --resume a QAT '
                'checkpoint)')
        self.apply_freeze_schedule(self._current_epoch())
        return self.head._get_loss(self.architecture(inputs), data_samples)

    def apply_freeze_schedule(self, epoch: int) -> None:
        """Freeze observers / BN statistics once ``epoch`` reaches their
        configured epoch (idempotent, so a resumed run re-applies it)."""
        if self.freeze_observer_epoch is not None and not \
                self._observers_frozen and epoch >= self.freeze_observer_epoch:
            _pt2e().set_observers(self.architecture, False)
            self._observers_frozen = True
            print_log(f'QAT: quantization ranges frozen from epoch {epoch}',
                      logger='current')
        if self.freeze_bn_epoch is not None and not self._bn_frozen and \
                epoch >= self.freeze_bn_epoch:
            self._bn_frozen = True
            _pt2e().set_mode(self.architecture, self.training,
                             freeze_bn=True)
            print_log(f'QAT: batch-norm statistics frozen from epoch {epoch}',
                      logger='current')

    # conversion ------------------------------------------------------------
    def example_inputs(self) -> Tuple[torch.Tensor]:
        return (torch.randn(CAPTURE_BATCH, *self.input_shape), )

    def convert(self) -> GraphModule:
        """The int8 model (quantize/dequantize ops, BN folded), in eval
        mode; this algorithm is unchanged."""
        return _pt2e().convert(self.architecture)

    def init_weights(self) -> None:
        """Nothing to initialise: weights come from ``float_checkpoint`` or
        a QAT checkpoint (mmengine would re-initialise the float ones)."""

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        own = [k for k in state_dict if k.startswith(prefix)]
        if not is_quantized_state(own):
            raise CheckpointError(
                'gml.QAT: the checkpoint holds a float model, not a QAT one '
                '(no fake-quant state); fine-tune from it with --cfg-options'
                ' algorithm.float_checkpoint=CKPT, or quantize it without '
                'training with tools/quantization/ptq.py')
        self._weights_from = 'checkpoint'
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _materialize_weight_ranges(self) -> None:
        """Give per-channel weight observers their shape (and the float
        weights' ranges) now, as the first training step would, so a fresh
        model's state dict has a trained one's shapes; activation ranges
        are left unobserved."""
        graph = self.architecture
        before = {k: v.clone() for k, v in graph.state_dict().items()}
        _pt2e().set_mode(graph, False)
        with torch.no_grad():
            graph(*self.example_inputs())
        state = graph.state_dict()
        graph.load_state_dict(
            {k: v for k, v in before.items()
             if tuple(v.shape) == tuple(state[k].shape)}, strict=False)

    @staticmethod
    def _current_epoch() -> int:
        epoch = MessageHub.get_current_instance().get_info('epoch')
        return 0 if epoch is None else int(epoch)


def classifier_head(model: nn.Module) -> nn.Module:
    """The mmpretrain ``ClsHead`` of ``model`` (or of the model an algorithm
    such as SPOS/DMCP wraps): its loss and prediction code."""
    module = model
    while module is not None:
        head = getattr(module, 'head', None)
        if hasattr(head, '_get_loss') and hasattr(head, '_get_predictions'):
            return head
        module = getattr(module, 'architecture', None)
    raise ConfigError(
        f'gml.QAT: algorithm.model ({type(model).__name__}) is not an image '
        'classifier with an mmpretrain classification head (ClsHead)')

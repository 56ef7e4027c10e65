"""mmengine checkpoints load under torch's weights_only default, safely."""
import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import gml.registry  # noqa: F401  (allow-lists the classes)


def _hub_state():
    hub = MessageHub.get_instance('gml-test-ckpt')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 0.1)
    hub.update_info('iter', np.int64(3))
    return hub.state_dict()


def test_message_hub_round_trips_with_weights_only():
    buf = io.BytesIO()
    torch.save({'message_hub': _hub_state(), 'state_dict': {
        'w': torch.ones(2)}}, buf)
    buf.seek(0)
    loaded = torch.load(buf)  # weights_only=True is torch's default
    scalars = loaded['message_hub']['log_scalars']
    assert scalars['train/loss'].current() == 0.5
    assert scalars['train/loss'].statistics('mean') == 0.5
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_checkpoint_from_plain_mmengine_still_loads(monkeypatch):
    """Checkpoints written without gml pickle getattr(HistoryBuffer, 'min')."""
    from gml.utils import checkpoint
    monkeypatch.setattr(HistoryBuffer, '__getstate__',
                        checkpoint.ORIGINAL_GETSTATE)
    buffer = HistoryBuffer()
    buffer.update(1.0)
    raw = io.BytesIO()
    torch.save({'buf': buffer}, raw)
    assert b'getattr' in raw.getvalue()
    loaded = torch.load(io.BytesIO(raw.getvalue()))
    assert loaded['buf'].current() == 1.0
    assert loaded['buf'].statistics('max') == 1.0


def test_gml_checkpoints_need_no_getattr():
    buffer = HistoryBuffer()
    buffer.update(2.0)
    raw = io.BytesIO()
    torch.save({'buf': buffer}, raw)
    assert b'getattr' not in raw.getvalue()
    assert torch.load(io.BytesIO(raw.getvalue()))['buf'].current() == 2.0


def test_getattr_is_limited_to_statistics_methods():
    evil = _Reduced(getattr, (HistoryBuffer, '__init__'))
    payload = pickle.dumps(evil, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match='refusing getattr'):
        torch.load(io.BytesIO(_torch_wrap(payload)))


class _Reduced:
    """Pickles as the call ``fn(*args)``."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _torch_wrap(payload: bytes) -> bytes:
    """Put a raw pickle into torch's zip format as the data.pkl record."""
    buf = io.BytesIO()
    torch.save(None, buf)
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith('data.pkl'):
                data = payload
            dst.writestr(item, data)
    return out.getvalue()

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


# -- finding, reading and fitting checkpoints -----------------------------
def test_check_checkpoint_file_refuses_what_is_not_a_checkpoint(tmp_path):
    from gml.utils.checkpoint import check_checkpoint_file
    from gml.utils.errors import CheckpointError
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.zeros(8)}}, good)
    assert check_checkpoint_file(str(good)) == str(good)
    cases = {'empty.pth': b'', 'text.pth': b'hello',
             'cut.pth': good.read_bytes()[:40]}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CheckpointError, match=name):
            check_checkpoint_file(str(tmp_path / name))
    with pytest.raises(CheckpointError, match='nope.pth.*does not exist'):
        check_checkpoint_file(str(tmp_path / 'nope.pth'))


def test_latest_pth_resolves_through_last_checkpoint(tmp_path):
    from gml.utils.checkpoint import resolve_checkpoint
    moved = tmp_path / 'moved'
    moved.mkdir()
    torch.save({}, moved / 'epoch_3.pth')
    (moved / 'last_checkpoint').write_text('/old/place/epoch_3.pth')
    assert resolve_checkpoint(str(moved / 'latest.pth')) == str(
        moved / 'epoch_3.pth')


def test_unreadable_pickle_is_a_checkpoint_error(tmp_path):
    from gml.utils.checkpoint import load_checkpoint_file
    from gml.utils.errors import CheckpointError
    path = tmp_path / 'evil.pth'
    torch.save({'x': _Reduced(print, ('boom', ))}, path)  # not allow-listed
    with pytest.raises(CheckpointError, match='evil.pth.*cannot be read'):
        load_checkpoint_file(str(path))


def test_state_dict_fit_policies():
    from gml.utils.checkpoint import check_state_dict_fits
    from gml.utils.errors import CheckpointError
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 2))
    full = model.state_dict()
    check_state_dict_fits(model, full, 'a.pth', require='all')
    head_swapped = dict(full, **{'1.weight': torch.zeros(3, 4),
                                 '1.bias': torch.zeros(3)})
    # fine-tuning with another head: half the tensors load, that is fine
    check_state_dict_fits(model, head_swapped, 'b.pth', require='most')
    with pytest.raises(CheckpointError, match=r"b.pth.*0 of the model's 4 "
                       r"tensors missing.*2 of another shape.*1.weight: "
                       r"\(3, 4\)"):
        check_state_dict_fits(model, head_swapped, 'b.pth', require='all')
    other = {'backbone.conv.weight': torch.zeros(1)}
    with pytest.raises(CheckpointError, match=r"4 of the model's 4 tensors "
                       r"missing \(e.g. 0.weight\).*1 unexpected"):
        check_state_dict_fits(model, other, 'c.pth', require='most')


def test_runner_refuses_a_checkpoint_of_another_model(tmp_path):
    """mmengine would load nothing, warn, and run on random weights."""
    from mmengine.model import BaseModel

    from gml.engine.runner import Runner
    from gml.utils.errors import CheckpointError

    class Net(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.fc(inputs)

    runner = Runner(model=Net(), work_dir=str(tmp_path / 'w'))
    runner.checkpoint_fit = 'all'
    torch.save({'state_dict': {'conv.weight': torch.zeros(1)}},
               tmp_path / 'other.pth')
    with pytest.raises(CheckpointError, match="2 of the model's 2 tensors"):
        runner.load_checkpoint(str(tmp_path / 'other.pth'))
    torch.save({'state_dict': Net().state_dict()}, tmp_path / 'mine.pth')
    runner.load_checkpoint(str(tmp_path / 'mine.pth'))

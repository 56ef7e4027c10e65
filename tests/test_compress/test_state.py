"""Fingerprints follow content: the resolved config and the checksums of
what a stage consumes, not which stage ran."""
from gml.compress.pipeline import Stage
from gml.compress.state import PipelineState, stage_fingerprint

QAT = 'tests/data/qat_tiny_digits.py'


def stage(**options):
    return Stage('qat', dict(type='qat', config=QAT, options=options,
                             inputs={'model.float_checkpoint':
                                     'float.checkpoint'}), '.')


def test_fingerprint_follows_the_resolved_config_and_input_content():
    base = stage_fingerprint(stage(), {'model.float_checkpoint': 'aa'})
    # the same content from a rerun upstream stage: nothing to redo
    assert stage_fingerprint(stage(), {'model.float_checkpoint': 'aa'}) \
        == base
    assert stage_fingerprint(stage(), {'model.float_checkpoint': 'bb'}) \
        != base
    changed = stage(train_cfg=dict(max_epochs=7))
    assert stage_fingerprint(changed, {'model.float_checkpoint': 'aa'}) \
        != base
    # an option equal to the file's value resolves to the same config
    same = stage(train_cfg=dict(max_epochs=4))
    assert stage_fingerprint(same, {'model.float_checkpoint': 'aa'}) == base


def test_state_is_rewritten_whole_and_read_back(tmp_path):
    state = PipelineState(str(tmp_path))
    out = tmp_path / 'qat' / 'epoch_1.pth'
    out.parent.mkdir()
    out.write_bytes(b'x')
    state.update('qat', status='running', fingerprint='f1')
    assert state.can_resume('qat', 'f1') and not state.can_resume('qat', 'f2')
    state.set_outputs('qat', dict(checkpoint=str(out)), status='done')
    again = PipelineState(str(tmp_path))
    assert again.get('qat')['outputs'] == dict(checkpoint='qat/epoch_1.pth')
    assert again.outputs('qat') == dict(checkpoint=str(out))
    assert again.is_done('qat', 'f1') and not again.is_done('qat', 'f2')
    out.unlink()  # an output gone: the stage is not done any more
    assert not again.is_done('qat', 'f1')
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == \
        ['compress_state.json']  # no temporary file left behind

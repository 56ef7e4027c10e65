"""A search scores its candidates on validation data, never on the
training split mmengine hands every train loop by default."""
from gml.engine.runner import build_runner
from gml.config.loading import load_config

CONFIG = 'configs/nas/spos/spos_shufflenetv2_random_search_digits.py'


def build_loop(repo_root, tmp_path, own_dataloader=True):
    cfg = load_config(f'{repo_root}/{CONFIG}')
    cfg.work_dir = str(tmp_path)
    if not own_dataloader:
        cfg.train_cfg.pop('dataloader')
    runner = build_runner(cfg)
    return runner.build_train_loop(runner._train_loop)


def test_digits_search_scores_val_placements(repo_root, tmp_path):
    loop = build_loop(repo_root, tmp_path)
    data = loop.dataloader.dataset
    assert (data.split, len(data)) == ('val', 4 * 360)


def test_without_a_dataloader_the_search_uses_val_dataloader(
        repo_root, tmp_path):
    loop = build_loop(repo_root, tmp_path, own_dataloader=False)
    data = loop.dataloader.dataset
    assert (data.split, len(data)) == ('val', 360)

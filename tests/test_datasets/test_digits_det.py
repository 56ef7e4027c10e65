"""The digits detection task: written once, seeded, and a valid COCO file
for pycocotools with the documented counts."""
import json

import numpy as np
import pytest

from gml.datasets.digits_det import CANVAS, SPLIT_IMAGES, write_digits_det

# docs/datasets.md documents these (seed 0)
BOXES = {'train': 1524, 'val': 251, 'test': 473}


@pytest.fixture(scope='module')
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp('digits_det')
    return root, write_digits_det(str(root))


@pytest.mark.detection
def test_pycocotools_reads_the_documented_counts(written):
    from pycocotools.coco import COCO
    _, paths = written
    for split, path in paths.items():
        coco = COCO(path)
        assert len(coco.imgs) == SPLIT_IMAGES[split]
        assert len(coco.anns) == BOXES[split]
        assert sorted(coco.cats) == list(range(1, 11))
        per_image = [len(coco.getAnnIds(imgIds=i)) for i in coco.imgs]
        assert min(per_image) >= 1 and max(per_image) <= 4
        boxes = np.array([a['bbox'] for a in coco.anns.values()])
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] > 0).all()
        assert (boxes[:, 0] + boxes[:, 2] <= CANVAS).all()
        assert (boxes[:, 1] + boxes[:, 3] <= CANVAS).all()
    # the task has objects cut by the border and objects overlapping
    coco = COCO(paths['train'])
    boxes = np.array([a['bbox'] for a in coco.anns.values()])
    at_border = (boxes[:, 0] == 0) | (boxes[:, 0] + boxes[:, 2] == CANVAS)
    assert at_border.sum() > 20
    overlapping = 0
    for img in coco.imgs:
        b = [coco.anns[a]['bbox'] for a in coco.getAnnIds(imgIds=img)]
        overlapping += any(
            min(p[0] + p[2], q[0] + q[2]) > max(p[0], q[0])
            and min(p[1] + p[3], q[1] + q[3]) > max(p[1], q[1])
            for i, p in enumerate(b) for q in b[i + 1:])
    assert overlapping > 20


@pytest.mark.detection
def test_same_seed_same_files_and_a_second_run_keeps_them(written, tmp_path):
    root, paths = written
    again = write_digits_det(str(tmp_path), counts={'val': SPLIT_IMAGES['val']})
    assert open(again['val']).read() == open(paths['val']).read()
    a = (root / 'val' / '00007.png').read_bytes()
    assert (tmp_path / 'val' / '00007.png').read_bytes() == a
    # idempotent: an existing split is not rewritten
    (tmp_path / 'annotations' / 'val.json').write_text('{"kept": 1}')
    write_digits_det(str(tmp_path), counts={'val': SPLIT_IMAGES['val']})
    assert json.load(open(again['val'])) == {'kept': 1}
    other = write_digits_det(str(tmp_path / 's1'), seed=1,
                             counts={'val': SPLIT_IMAGES['val']})
    assert open(other['val']).read() != open(paths['val']).read()

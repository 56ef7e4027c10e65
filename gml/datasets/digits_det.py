"""Digits detection: the embedded 8x8 digits scaled and placed on canvases,
written once as COCO-format json + PNG images for mmdet's ``CocoDataset``.

Each canvas holds 1-4 digits of one split (so no test digit is seen in
training), each scaled to 12-28 px, at seeded positions: placements may
overlap (IoU up to 0.3 with earlier ones) and run over the border by up to
a quarter of their side (the box is clipped). A box is the tight box of the
digit's ink. Everything follows from ``seed``: the same arguments always
write the same files.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from .digits import DIGITS_FILE

# documented in docs/datasets.md; tests check these counts
SPLIT_IMAGES = {'train': 600, 'val': 100, 'test': 200}
CANVAS = 64
MIN_SIZE, MAX_SIZE = 12, 28
MAX_IOU = 0.3


def _iou(a, b) -> float:
    iw = max(0., min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0., min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
             - inter)
    return inter / union if union > 0 else 0.


def _scale(digit: np.ndarray, size: int) -> np.ndarray:
    import cv2
    return cv2.resize(digit.astype(np.float32) * (255. / 16.), (size, size),
                      interpolation=cv2.INTER_LINEAR)


def make_canvas(rng, digits, labels) -> Tuple[np.ndarray, List[tuple]]:
    """One canvas and its objects ``(x0, y0, x1, y1, label)``."""
    canvas = np.zeros((CANVAS, CANVAS), np.float32)
    objects = []
    for _ in range(int(rng.integers(1, 5))):
        for _attempt in range(20):
            size = int(rng.integers(MIN_SIZE, MAX_SIZE + 1))
            lo, hi = -size // 4, CANVAS - size + size // 4
            x, y = (int(v) for v in rng.integers(lo, hi + 1, size=2))
            i = int(rng.integers(len(digits)))
            patch = _scale(digits[i], size)
            full = np.zeros((CANVAS + 2 * size, CANVAS + 2 * size), np.float32)
            full[y + size:y + 2 * size, x + size:x + 2 * size] = patch
            full = full[size:size + CANVAS, size:size + CANVAS]
            ys, xs = np.nonzero(full > 32)
            if len(xs) < 4:
                continue
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1,
                   int(ys.max()) + 1)
            if box[2] - box[0] < 3 or box[3] - box[1] < 3:
                continue
            if any(_iou(box, o[:4]) > MAX_IOU for o in objects):
                continue
            canvas = np.maximum(canvas, full)
            objects.append(box + (int(labels[i]), ))
            break
    return canvas.clip(0, 255).astype(np.uint8), objects


def coco_split(split: str, num_images: int, seed: int,
               image_dir: str) -> Dict:
    """Write ``num_images`` canvases of ``split`` as PNGs; return the COCO
    dict (file names relative to the split's image folder)."""
    import cv2
    with np.load(DIGITS_FILE) as data:
        idx = data[split]
        digits, labels = data['images'][idx], data['labels'][idx]
    rng = np.random.default_rng([seed, ('train', 'val', 'test').index(split)])
    images, annotations = [], []
    os.makedirs(image_dir, exist_ok=True)
    for img_id in range(num_images):
        canvas, objects = make_canvas(rng, digits, labels)
        name = f'{img_id:05d}.png'
        cv2.imwrite(osp.join(image_dir, name),
                    np.repeat(canvas[..., None], 3, axis=2))
        images.append(dict(id=img_id, file_name=name, width=CANVAS,
                           height=CANVAS))
        for x0, y0, x1, y1, label in objects:
            w, h = x1 - x0, y1 - y0
            annotations.append(dict(
                id=len(annotations) + 1, image_id=img_id, category_id=label + 1,
                bbox=[x0, y0, w, h], area=w * h, iscrowd=0))
    categories = [dict(id=i + 1, name=str(i)) for i in range(10)]
    return dict(images=images, annotations=annotations,
                categories=categories)


def write_digits_det(root: str, seed: int = 0,
                     counts: Dict[str, int] = None) -> Dict[str, str]:
    """Write ``root/{split}/*.png`` and ``root/annotations/{split}.json``;
    return the json paths. A split whose json exists is kept (idempotent:
    the json is written last, so a present json means a complete split)."""
    counts = counts or SPLIT_IMAGES
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    paths = {}
    for split, n in counts.items():
        path = osp.join(root, 'annotations', f'{split}.json')
        paths[split] = path
        if osp.exists(path):
            continue
        coco = coco_split(split, n, seed, osp.join(root, split))
        with open(path + '.tmp', 'w') as f:
            json.dump(coco, f)
        os.replace(path + '.tmp', path)
    return paths

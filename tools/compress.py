"""Run a compression pipeline: stages of ordinary gml configs, chained.

    python tools/compress.py PIPELINE_CONFIG --work-dir DIR
        [--cfg-options KEY=VALUE ...] [--launcher slurm --partition P]

Each stage runs through gml's own tools (its command, config and log in
DIR/<stage>/); a rerun skips unchanged finished stages and resumes a broken
one from its last checkpoint. Writes DIR/summary.json, DIR/report.md,
DIR/report.html and DIR/deploy/model_int8.onnx. See docs/compress.md.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from gml.compress.cli import main  # noqa: E402

if __name__ == '__main__':
    main()

"""Run gml's tools as a user would: subprocesses from the repo root."""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DIGITS_CFG = 'configs/classification/digits/resnet18_digits.py'


def run_tool(script, *args, timeout=600, env=None):
    cmd = [sys.executable, os.path.join('tools', script), *map(str, args)]
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def val_accuracies(work_dir):
    """accuracy/top1 per validation step, from mmengine's scalars.json."""
    accs = {}
    for path in glob.glob(os.path.join(work_dir, '*', 'vis_data',
                                       'scalars.json')):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'accuracy/top1' in rec:
                    accs[rec['step']] = rec['accuracy/top1']
    return accs


def checkpoints(work_dir):
    """The per-epoch checkpoints (best_* copies left out)."""
    return sorted(os.path.basename(p)
                  for p in glob.glob(os.path.join(work_dir, 'epoch_*.pth')))

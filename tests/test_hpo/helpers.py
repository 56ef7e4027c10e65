"""Shared helpers: run the HPO commands as a user would, in a temp project."""
import hashlib
import os
import subprocess
import sys
import textwrap

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO = os.path.join(REPO, 'demo', 'hpo')

# The documented search yaml, adapted to the digits demo script.
DOC_YAML = {
    'task': {
        'template': 'python train_digits.py --lr {lr} --batch-size '
                    '{batch-size} --epochs {epochs} --gamma {gamma}',
        'search_args': [
            {'type': 'Categorical', 'name': 'epochs', 'value': [3, 5]},
            {'type': 'Categorical', 'name': 'gamma', 'value': [0.7, 0.8]},
            {'type': 'Nested', 'value': [{'lr': 0.5, 'batch-size': 64},
                                         {'lr': 1, 'batch-size': 128}]},
        ],
    },
}


def env():
    e = dict(os.environ)
    e['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p)
    e.pop('GML_HPO_JOB_DIR', None)
    # As in an activated venv: templates say `python`, meaning this one.
    e['PATH'] = os.pathsep.join((os.path.dirname(sys.executable),
                                 e.get('PATH', '')))
    return e


def hpo(cwd, *args, check=None, timeout=300, **kwargs):
    """``python -m gml.hpo.cli <command> args`` in ``cwd``."""
    out = subprocess.run([sys.executable, '-m', 'gml.hpo.cli', *args],
                         cwd=cwd, env=env(), capture_output=True, text=True,
                         timeout=timeout, **kwargs)
    if check is not None:
        assert out.returncode == check, out.stdout + out.stderr
    return out


def spawn(cwd, *args):
    return subprocess.Popen([sys.executable, '-m', 'gml.hpo.cli', *args],
                            cwd=cwd, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def write_yaml(path, data):
    with open(path, 'w') as f:
        yaml.safe_dump(data, f, sort_keys=False)
    return str(path)


def write_script(path, body):
    with open(path, 'w') as f:
        f.write(textwrap.dedent(body))
    return str(path)


def demo_project(tmp_path):
    """A project root holding the demo script, initialized for search."""
    import shutil
    shutil.copy(os.path.join(DEMO, 'train_digits.py'), tmp_path)
    hpo(tmp_path, 'search-init', check=0)
    return tmp_path


def tree_digest(path):
    """Names, link targets and contents of everything under ``path``."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(path)):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            h.update(full.encode())
            if os.path.islink(full):
                h.update(os.readlink(full).encode())
            elif os.path.isfile(full):
                with open(full, 'rb') as f:
                    h.update(f.read())
    return h.hexdigest()


def job_infos(root, task='default'):
    all_dir = os.path.join(root, '.search-run', 'tasks', task, 'jobs', 'all')
    infos = {}
    for name in os.listdir(all_dir):
        with open(os.path.join(all_dir, name, 'job.yaml')) as f:
            infos[name] = yaml.safe_load(f)
    return infos

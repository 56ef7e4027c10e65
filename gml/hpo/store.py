"""On-disk layout of ``.search-run`` (the user-facing contract).

```
.search-run/
├── summary.yaml                 # every task: status, update_time
└── tasks/<task>/
    ├── task.yaml                # status, controller pid, job count
    ├── run_config.yaml          # the validated search yaml, as given
    ├── optuna.log               # Optuna study (journal file): resume
    ├── best.yaml                # the best job: params, reward, command
    ├── tensorboard/<N>/         # one TensorBoard run per finished job
    ├── tmp/project/             # the project snapshot, linked per job
    ├── tmp/manifest.json        # what each job gets (gml.hpo.project)
    └── jobs/
        ├── all/<N>/             # job N: copy of the project + log,
        │                        #   job.yaml, reports.json, exit_code
        └── tree/<param>/<value>/.../<param>/<value> -> ../all/<N>
```
Every state file is written atomically; names are validated so nothing
escapes ``.search-run``.
"""
import datetime
import fcntl
import os
import re
from typing import Dict, List, Optional

from .errors import SearchError
from gml.utils.fileio import atomic_dump_yaml, load_yaml

from .project import ROOT_NAME

_TASK_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
TERMINAL = ('finished', 'error', 'pruned', 'stopped', 'lost')


def now() -> str:
    return datetime.datetime.now().strftime('%Y/%m/%d %H:%M:%S.%f')


def check_task_name(name: str) -> str:
    if not isinstance(name, str) or not _TASK_NAME.match(name) or \
            name in ('.', '..'):
        raise SearchError(f'task name {name!r}: expected 1-64 letters, digits,'
                          " '.', '_' or '-', not starting with '.' or '-'")
    return name


def find_root(start: Optional[str] = None) -> str:
    """The project root: the directory holding ``.search-run``."""
    path = os.path.abspath(start or os.getcwd())
    probe = path
    while True:
        if os.path.isfile(os.path.join(probe, ROOT_NAME, 'summary.yaml')):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            raise SearchError(f'{path}: no {ROOT_NAME}/summary.yaml here or '
                              'above; run search-init in the project root '
                              'first')
        probe = parent


class SearchRoot:
    """``<project>/.search-run`` and its summary of tasks.

    Args:
        project: the project directory ``search-init`` prepared.
    """

    def __init__(self, project: str):
        self.project = os.path.abspath(project)
        self.path = os.path.join(self.project, ROOT_NAME)
        self.summary_path = os.path.join(self.path, 'summary.yaml')
        self.tasks_dir = os.path.join(self.path, 'tasks')

    @classmethod
    def init(cls, project: str) -> 'SearchRoot':
        root = cls(project)
        os.makedirs(root.tasks_dir, exist_ok=True)
        if not os.path.exists(root.summary_path):
            atomic_dump_yaml({'project': root.project, 'created': now(),
                              'tasks': {}}, root.summary_path)
        return root

    def summary(self) -> dict:
        data = load_yaml(self.summary_path, None)
        if not isinstance(data, dict):
            raise SearchError(f'{self.summary_path}: unreadable; expected the '
                              'mapping search-init writes')
        data.setdefault('tasks', {})
        return data

    def task_names(self) -> List[str]:
        names = set(self.summary()['tasks'])
        if os.path.isdir(self.tasks_dir):
            names |= {n for n in os.listdir(self.tasks_dir)
                      if _TASK_NAME.match(n)}
        return sorted(names)

    def task(self, name: str) -> 'Task':
        return Task(self, check_task_name(name))

    def existing_task(self, name: str) -> 'Task':
        task = self.task(name)
        if not os.path.isfile(task.task_yaml):
            raise SearchError(f'task {name!r}: not found under '
                              f'{self.tasks_dir}; `search-ctl show` lists '
                              'tasks')
        return task

    def set_task_status(self, name: str, status: Optional[str]) -> None:
        """Record (or with None, forget) a task in summary.yaml.

        Controllers of different tasks share the file: the lock keeps one's
        read-modify-write from undoing another's.
        """
        with open(os.path.join(self.path, '.summary.lock'), 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.summary()
            if status is None:
                data['tasks'].pop(name, None)
            else:
                data['tasks'][name] = {'status': status,
                                       'update_time': now()}
            atomic_dump_yaml(data, self.summary_path)


class Task:
    """``tasks/<name>``: its yaml files, Optuna storage and jobs.

    Args:
        root: the project's search root.
        name: the task's name (``search-run --task NAME``).
    """

    def __init__(self, root: SearchRoot, name: str):
        self.root = root
        self.name = name
        self.path = os.path.join(root.tasks_dir, name)
        self.task_yaml = os.path.join(self.path, 'task.yaml')
        self.run_config = os.path.join(self.path, 'run_config.yaml')
        self.tmp = os.path.join(self.path, 'tmp')
        self.snapshot = os.path.join(self.tmp, 'project')
        self.manifest = os.path.join(self.tmp, 'manifest.json')
        self.best_yaml = os.path.join(self.path, 'best.yaml')
        self.dashboard_yaml = os.path.join(self.path, 'dashboard.yaml')
        self.journal = os.path.join(self.path, 'optuna.log')
        self.all_dir = os.path.join(self.path, 'jobs', 'all')
        self.tree_dir = os.path.join(self.path, 'jobs', 'tree')
        self.tensorboard_dir = os.path.join(self.path, 'tensorboard')
        # Tasks made before the journal keep their SQLite study.
        self.legacy_db = os.path.join(self.path, 'optuna.db')

    def exists(self) -> bool:
        return os.path.isfile(self.task_yaml)

    def info(self) -> dict:
        return load_yaml(self.task_yaml, {}) or {}

    def update(self, **fields) -> dict:
        info = self.info()
        info.update(fields)
        info['update_time'] = now()
        atomic_dump_yaml(info, self.task_yaml)
        if 'status' in fields:
            self.root.set_task_status(self.name, fields['status'])
        return info

    def job_names(self) -> List[str]:
        if not os.path.isdir(self.all_dir):
            return []
        return sorted((n for n in os.listdir(self.all_dir) if n.isdigit()),
                      key=int)

    def job(self, name) -> 'Job':
        name = str(name)
        if not name.isdigit():
            raise SearchError(f'job name {name!r}: expected a job number')
        return Job(self, name)

    def jobs(self) -> List['Job']:
        return [Job(self, n) for n in self.job_names()]

    def stop_requested(self) -> bool:
        return os.path.exists(os.path.join(self.path, 'stop'))

    def link_tree(self, job: 'Job', params: Dict[str, object]) -> str:
        """``jobs/tree/<p1>/<v1>/.../<pk>/<vk> -> jobs/all/<N>``."""
        parts = []
        for key, value in params.items():
            parts += [_path_part(key), _path_part(str(value))]
        link = os.path.join(self.tree_dir, *parts)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):  # same values sampled again (random, tpe)
            link = f'{link}~job{job.name}'
        target = os.path.relpath(job.path, os.path.dirname(link))
        os.symlink(target, link)
        return link


def _path_part(text: str) -> str:
    # One path component per value: no separators, no '.'/'..' tricks.
    text = text.replace('%', '%25').replace('/', '%2F').replace('\0', '')
    if text in ('', '.', '..'):
        text = text.replace('.', '%2E') or '%00'
    return text[:200]


class Job:
    """``jobs/all/<N>``: the job's run directory and its records.

    The record is read once and then kept: the controller is its only
    writer while the task runs, so updates need no re-read.

    Args:
        task: the task the job belongs to.
        name: the job's number, as a string.
    """

    def __init__(self, task: Task, name: str):
        self.task = task
        self.name = name
        self.path = os.path.join(task.all_dir, name)
        self.yaml = os.path.join(self.path, 'job.yaml')
        self.log = os.path.join(self.path, 'log')
        self.reports = os.path.join(self.path, 'reports.json')
        self.exit_code_file = os.path.join(self.path, 'exit_code')
        self._info: Optional[dict] = None

    def info(self) -> dict:
        if self._info is None:
            self._info = load_yaml(self.yaml, {}) or {}
        return self._info

    def update(self, **fields) -> dict:
        info = self.info()
        info.update(fields)
        atomic_dump_yaml(info, self.yaml, fsync=False)
        return info

    def exit_code(self) -> Optional[int]:
        try:
            with open(self.exit_code_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

"""``search-init``, ``search-run`` and ``search-ctl`` (console scripts).

Also runnable without installed scripts: ``python -m gml.hpo.cli search-run
...``. Bad input prints one line naming the file/key and exits 2, before
anything under ``.search-run`` is written.
"""
import argparse
import os
import shutil
import signal
import sys
import time
from typing import List, Optional

from .errors import SearchError
from .store import SearchRoot, Task, find_root, now, snapshot_project

LINE = '#' * 30


def _fail(prog: str, err: Exception) -> int:
    print(f'{prog}: error: {err}', file=sys.stderr)
    return 2


def _guard(prog, func, argv):
    try:
        return func(argv)
    except SearchError as e:
        return _fail(prog, e)


# -- search-init --------------------------------------------------------------
def _init(argv):
    parser = argparse.ArgumentParser(
        prog='search-init',
        description='Create .search-run/ in the project root (the current '
        'directory); later search-run/search-ctl commands run from here.')
    parser.parse_args(argv)
    root = SearchRoot.init(os.getcwd())
    print(f'initialized {root.path}')
    return 0


# -- search-run ---------------------------------------------------------------
def _run(argv):
    parser = argparse.ArgumentParser(
        prog='search-run',
        description='Run a search task: one job per sampled configuration, '
        'each in its own copy of the project under '
        '.search-run/tasks/<task>/jobs/all/<N>.')
    parser.add_argument('config', help='search yaml (task.template, '
                        'task.search_args, optional search/launcher)')
    parser.add_argument('--task', default='default', help='task name '
                        '(default: default)')
    parser.add_argument('--symlinks', action='store_true',
                        help='link the project files into each job folder '
                        'instead of copying them (large data)')
    args = parser.parse_args(argv)
    from .config import load_search_config
    root = SearchRoot(find_root())
    task = root.task(args.task)
    cfg = load_search_config(args.config)  # validated before any write
    if task.exists() or os.path.exists(task.path):
        raise SearchError(f'task {args.task!r} already exists in '
                          f'{root.tasks_dir}; use `search-ctl resume --task '
                          f'{args.task}`, delete it, or pick another --task')
    with open(args.config) as f:
        config_text = f.read()
    os.makedirs(task.tmp)
    from gml.utils.fileio import atomic_write_text
    atomic_write_text(task.run_config, config_text)
    if not args.symlinks:
        snapshot_project(root.project, task.snapshot)
    task.update(name=task.name, status='created', created=now(),
                config_source=os.path.abspath(args.config),
                symlinks=args.symlinks, max_jobs=cfg.max_jobs)
    return _control(task, cfg, args.symlinks)


def _control(task: Task, cfg, symlinks: bool) -> int:
    from .controller import Controller
    status = Controller(task, cfg, symlinks).run()
    jobs = [j.info() for j in task.jobs()]
    counts = {}
    for info in jobs:
        counts[info.get('status')] = counts.get(info.get('status'), 0) + 1
    print(f'task {task.name} {status}: ' + ', '.join(
        f'{n} {s}' for s, n in sorted(counts.items(), key=str)))
    return 0


# -- search-ctl ---------------------------------------------------------------
def _ctl(argv):
    parser = argparse.ArgumentParser(
        prog='search-ctl', description='Show, stop, resume or delete tasks.')
    sub = parser.add_subparsers(dest='command', required=True)
    show = sub.add_parser('show', help='all tasks, or one task\'s jobs')
    show.add_argument('--task')
    show.add_argument('--jobs', help='comma-separated job names')
    scalar = sub.add_parser('show-scalar', help='top-k jobs by reward')
    scalar.add_argument('--task', default='default')
    scalar.add_argument('-rt', '--rank-top', dest='rank', default='+5',
                        help='+k: the k largest rewards, non-ascending; '
                        '-k: the k smallest, non-descending')
    scalar.add_argument('--attr', help='rank by this scalar instead of the '
                        'task\'s reward_attribute')
    for name, text in (('stop', 'stop the controller and its running jobs'),
                       ('resume', 'restart the controller of a stopped or '
                        'killed task'),
                       ('delete', 'delete a task that is not running')):
        p = sub.add_parser(name, help=text)
        p.add_argument('--task', default='default')
    args = parser.parse_args(argv)
    root = SearchRoot(find_root())
    return {'show': _show, 'show-scalar': _show_scalar, 'stop': _stop,
            'resume': _resume, 'delete': _delete}[args.command](root, args)


def _task_status(task: Task) -> str:
    from .controller import controller_alive
    info = task.info()
    status = info.get('status', 'unknown')
    if status in ('running', 'created') and not controller_alive(info):
        return 'interrupted'  # controller gone: search-ctl resume
    return status


def _show(root, args):
    if not args.task:
        print('All tasks:')
        for name in root.task_names():
            task = root.task(name)
            print(f'{name}\n        status: {_task_status(task)}\n'
                  f'        update_time: {task.info().get("update_time")}')
        return 0
    task = root.existing_task(args.task)
    names = task.job_names()
    if args.jobs:
        wanted = [j.strip() for j in args.jobs.split(',') if j.strip()]
        missing = [j for j in wanted if j not in names]
        if missing:
            raise SearchError(f'--jobs: no job(s) {missing} in task '
                              f'{task.name!r}; it has {names}')
        names = wanted
    _header(task)
    print(f'status     : {_task_status(task)}\n\nJobs:')
    for name in names:
        info = task.job(name).info()
        print(f'#Job Name: {name}')
        for key in ('status', 'command', 'run_path', 'log_path',
                    'start_time', 'end_time', 'exit_code', 'reward',
                    'slurm_job_id', 'error'):
            if info.get(key) is not None:
                print(f'  {key:<14}: {info[key]}')
        print()
    return 0


def _header(task):
    print(f'{LINE}\nTask Name  : {task.name}\nconfig file: {task.run_config}'
          f'\n{LINE}')


def _show_scalar(root, args):
    from .config import load_search_config
    from .rewards import read_history, reward
    task = root.existing_task(args.task)
    cfg = load_search_config(task.run_config)
    attr = args.attr or cfg.reward_attribute
    if not attr:
        raise SearchError(f'{task.run_config}: search.reward_attribute is not'
                          ' set; pass --attr NAME to rank by a scalar')
    rank = args.rank
    if not (rank[:1] in '+-' and rank[1:].isdigit() and int(rank[1:]) > 0):
        raise SearchError(f'-rt {rank!r}: expected +k or -k with k >= 1')
    k = int(rank[1:])
    rows = []
    for job in task.jobs():
        history = read_history(job.path)
        value = reward(history, attr, cfg.mode, cfg.reward_reduce)
        if value is not None:
            rows.append((value, int(job.name), job, history))
    # As documented: +k non-ascending, -k non-descending (whatever the
    # mode; with mode min, -k lists the best); ties by job number.
    if rank[0] == '+':
        chosen = sorted(rows, key=lambda r: (-r[0], r[1]))
    else:
        chosen = sorted(rows, key=lambda r: (r[0], r[1]))
    _header(task)
    print(f'rank by    : {attr} ({cfg.reward_reduce}, mode {cfg.mode})\n'
          '\nJobs:')
    for value, _, job, history in chosen[:k]:
        info = job.info()
        print(f'#Job Name: {job.name}')
        print(f'  status        : {info.get("status")}')
        print(f'  params        : {info.get("params")}')
        print(f'  {attr:<14}: {value}')
        print(f'  scalar_info   : {_plain(history)}\n')
    return 0


def _plain(history):
    return {k: {s: round(v, 6) for s, v in sorted(series.items())}
            for k, series in sorted(history.items())}


def _stop(root, args):
    from .controller import controller_alive
    task = root.existing_task(args.task)
    info = task.info()
    if controller_alive(info):
        from gml.utils.fileio import atomic_write_text
        atomic_write_text(os.path.join(task.path, 'stop'), now() + '\n')
        os.kill(info['controller_pid'], signal.SIGTERM)
        deadline = time.time() + 60
        while controller_alive(task.info()) and time.time() < deadline:
            time.sleep(0.1)
        if controller_alive(task.info()):
            raise SearchError(f'task {task.name!r}: controller pid '
                              f'{info["controller_pid"]} did not stop in 60 s')
    else:
        _stop_orphans(task)
    print(f'task {task.name} stopped')
    return 0


def _stop_orphans(task):
    """Controller already gone: stop the jobs it left running ourselves."""
    from .config import load_search_config
    from .launchers import build_launcher
    launcher = build_launcher(load_search_config(task.run_config))
    for job in task.jobs():
        info = job.info()
        if info.get('status') in ('running', 'pending', 'launching'):
            launcher.kill(job, info)
            job.update(status='stopped', end_time=now())
    task.update(status='stopped', controller_pid=None)


def _resume(root, args):
    from .config import load_search_config
    from .controller import controller_alive
    task = root.existing_task(args.task)
    info = task.info()
    if controller_alive(info):
        raise SearchError(f'task {task.name!r} is running (controller pid '
                          f'{info["controller_pid"]}); stop it first')
    cfg = load_search_config(task.run_config)
    return _control(task, cfg, bool(info.get('symlinks')))


def _delete(root, args):
    from .controller import controller_alive
    task = root.task(args.task)
    if not os.path.isdir(task.path):
        raise SearchError(f'task {args.task!r}: not found under '
                          f'{root.tasks_dir}')
    if controller_alive(task.info()):
        raise SearchError(f'task {task.name!r} is running; `search-ctl stop '
                          f'--task {task.name}` first')
    running = [j.name for j in task.jobs()
               if j.info().get('status') == 'running']
    if running:
        _stop_orphans(task)
    # Rename first: a half-deleted task never looks like a valid one.
    trash = os.path.join(root.path, f'.deleting-{task.name}-{os.getpid()}')
    os.replace(task.path, trash)
    root.set_task_status(task.name, None)
    shutil.rmtree(trash)
    print(f'task {task.name} deleted')
    return 0


# -- entry points ------------------------------------------------------------
def search_init(argv: Optional[List[str]] = None) -> int:
    return _guard('search-init', _init, sys.argv[1:] if argv is None else argv)


def search_run(argv: Optional[List[str]] = None) -> int:
    return _guard('search-run', _run, sys.argv[1:] if argv is None else argv)


def search_ctl(argv: Optional[List[str]] = None) -> int:
    return _guard('search-ctl', _ctl, sys.argv[1:] if argv is None else argv)


COMMANDS = {'search-init': search_init, 'search-run': search_run,
            'search-ctl': search_ctl}


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m gml.hpo.cli <search-init|search-run|search-ctl> ...``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f'usage: python -m gml.hpo.cli {{{",".join(COMMANDS)}}} ...',
              file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == '__main__':
    sys.exit(main())

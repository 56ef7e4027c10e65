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
from .store import SearchRoot, Task, find_root, now

LINE = '#' * 30


def _fail(prog: str, err: Exception) -> int:
    print(f'{prog}: error: {err}', file=sys.stderr)
    return 2


def _guard(prog, func, argv):
    try:
        try:
            code = func(argv)
        except SearchError as e:
            code = _fail(prog, e)
        sys.stdout.flush()  # inside the try: a closed pipe shows up here
        return code
    except BrokenPipeError:
        # The reader left (`search-ctl show | head`): end quietly, as Unix
        # tools do; stdout goes to devnull so the exit flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE


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
    from .project import COPY_MODES
    parser = argparse.ArgumentParser(
        prog='search-run',
        description='Run a search task: one job per sampled configuration, '
        'each in its own copy of the project under '
        '.search-run/tasks/<task>/jobs/all/<N> (in a git work tree: tracked '
        'and untracked-not-ignored files; never virtual environments, '
        'work_dirs/, caches).')
    parser.add_argument('config', help='search yaml (task.template, '
                        'task.search_args, optional search/launcher/pavi)')
    parser.add_argument('--task', default='default', help='task name '
                        '(default: default)')
    parser.add_argument('--symlinks', action='store_true',
                        help='link the project files into each job folder '
                        'instead of copying them (large data)')
    parser.add_argument('--link', action='append', default=[],
                        metavar='PATH', help='link this file or folder of '
                        'the project into every job whole instead of '
                        'copying it (data sets); repeatable')
    parser.add_argument('--copy-mode', choices=COPY_MODES, default='auto',
                        help='how each job gets the files: auto (reflinks '
                        'where the filesystem can, else hard links), '
                        'reflink, hardlink or copy (default: auto)')
    parser.add_argument('--max-copy-size', default='1G', metavar='SIZE',
                        help='refuse to start when the files to copy exceed'
                        ' SIZE (e.g. 500M, 4G; 0: no limit; default: 1G)')
    args = parser.parse_args(argv)
    from .config import load_search_config
    from .project import (check_size, parse_size, select, snapshot)
    root = SearchRoot(find_root())
    task = root.task(args.task)
    cfg = load_search_config(args.config)  # validated before any write
    if task.exists() or os.path.exists(task.path):
        raise SearchError(f'task {args.task!r} already exists in '
                          f'{root.tasks_dir}; use `search-ctl resume --task '
                          f'{args.task}`, delete it, or pick another --task')
    limit = parse_size(args.max_copy_size)
    selection = select(root.project, args.link)
    if not args.symlinks:
        check_size(selection, limit)
    with open(args.config) as f:
        config_text = f.read()
    os.makedirs(task.tmp)
    from gml.utils.fileio import atomic_write_text
    atomic_write_text(task.run_config, config_text)
    selection.save(task.manifest)
    mode = 'symlinks' if args.symlinks else snapshot(
        selection, task.snapshot, args.copy_mode)
    for line in selection.describe(_MODE_WORDS[mode]):
        print(f'search-run: {line}', flush=True)
    task.update(name=task.name, status='created', created=now(),
                config_source=os.path.abspath(args.config),
                symlinks=args.symlinks, copy_mode=mode,
                copy_files=len(selection.files), copy_bytes=selection.size,
                max_jobs=cfg.max_jobs,
                study_name=cfg.compare_name or task.name)
    return _control(task, cfg)


_MODE_WORDS = {'reflink': 'reflinks', 'hardlink': 'hard links',
               'copy': 'copies', 'symlinks': 'symbolic links'}


def _job_copy(task: Task):
    """The task's Selection and copy mode (tasks made before the manifest:
    every file of the snapshot, or of the project with --symlinks)."""
    from .project import Selection, select
    info = task.info()
    if os.path.exists(task.manifest):
        selection = Selection.load(task.manifest)
    else:
        base = task.root.project if info.get('symlinks') else task.snapshot
        selection = select(base, use_git=False)
    mode = info.get('copy_mode') or ('symlinks' if info.get('symlinks')
                                     else 'copy')
    return selection, mode


def _control(task: Task, cfg) -> int:
    from .controller import Controller
    from .outcome import failure_note, status_counts
    selection, mode = _job_copy(task)
    controller = Controller(task, cfg, selection, mode)
    status = controller.run()
    counts = status_counts(controller.infos)
    notes = [n for n in (failure_note(controller.infos),
                         'max_time reached' if controller.ended_by
                         else '') if n]
    print(f'task {task.name} {status}: ' + ', '.join(
        f'{n} {s}' for s, n in sorted(counts.items(), key=str))
        + (f' ({"; ".join(notes)})' if notes else ''))
    if status == 'error':
        _explain(task, controller.infos)
        return 1
    return 0


def _explain(task: Task, infos) -> None:
    """Why the task ended ``error``, on stderr: the reason, and for a task
    whose jobs all failed, the first failing job's last log lines."""
    from .outcome import all_failed
    reason = task.info().get('error')
    if reason:
        print(f'search-run: error: task {task.name}: {reason}',
              file=sys.stderr)
    failed = all_failed(infos)
    if failed and failed[1]:
        print('  last lines of its log:', file=sys.stderr)
        for line in failed[1]:
            print(f'  | {line}', file=sys.stderr)


# -- search-ctl ---------------------------------------------------------------
def _ctl(argv):
    parser = argparse.ArgumentParser(
        prog='search-ctl', description='Show, stop, resume or delete tasks,'
        ' or serve one in optuna-dashboard.')
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
                        'task\'s reward attribute')
    dash = sub.add_parser('dashboard', help='serve the task in '
                          'optuna-dashboard: every job\'s parameters and '
                          'scalar curves side by side')
    dash.add_argument('--task', default='default')
    dash.add_argument('--host', default='127.0.0.1', help='address to '
                      'listen on (default: 127.0.0.1, this machine only; '
                      'reach it from elsewhere through `ssh -L`)')
    dash.add_argument('--port', type=int, default=8080,
                      help='default: 8080; 0 picks a free port')
    dash.add_argument('--refresh', type=float, default=5.0,
                      help='seconds between re-reads of a running task')
    for name, text in (('stop', 'stop the controller and its running jobs'),
                       ('resume', 'restart the controller of a stopped or '
                        'killed task'),
                       ('delete', 'delete a task that is not running')):
        p = sub.add_parser(name, help=text)
        p.add_argument('--task', default='default')
    args = parser.parse_args(argv)
    root = SearchRoot(find_root())
    return {'show': _show, 'show-scalar': _show_scalar, 'stop': _stop,
            'resume': _resume, 'delete': _delete,
            'dashboard': _dashboard}[args.command](root, args)


def _task_status(task: Task) -> str:
    from .controller import controller_alive
    info = task.info()
    status = info.get('status', 'unknown')
    if status in ('running', 'created') and not controller_alive(info):
        return 'interrupted'  # controller gone: search-ctl resume
    return status


def _job_note(task: Task) -> str:
    """``(2 of 8 jobs failed)`` for tasks that ended with failures (the
    counts the controller left in task.yaml, else the job records)."""
    from .outcome import failure_note
    counts = task.info().get('job_counts')
    note = failure_note([] if counts else [j.info() for j in task.jobs()],
                        counts)
    return f' ({note})' if note else ''


def _show(root, args):
    if not args.task:
        print('All tasks:')
        for name in root.task_names():
            task = root.task(name)
            status = _task_status(task)
            note = _job_note(task) if status in ('finished', 'error') else ''
            error = task.info().get('error')
            print(f'{name}\n        status: {status}{note}\n'
                  + (f'        error: {error}\n' if error else '')
                  + f'        update_time: {task.info().get("update_time")}')
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
    from .dashboard import job_urls
    from .outcome import display
    url = _header(task)
    status = _task_status(task)
    note = _job_note(task) if status in ('finished', 'error') else ''
    ended = task.info().get('ended_by')
    error = task.info().get('error')
    print(f'status     : {status}{note}'
          + (f' ({ended} reached)' if ended else '')
          + (f'\nerror      : {error}' if error else '') + '\n\nJobs:')
    urls = job_urls(url, names) if url else {}
    for name in names:
        job = task.job(name)
        info = job.info()
        print(f'#Job Name: {name}')
        for key in ('status', 'command', 'run_path', 'log_path',
                    'start_time', 'end_time', 'exit_code', 'reward',
                    'slurm_job_id', 'stop_reason', 'error'):
            if info.get(key) is not None:
                value = display(info[key]) if key == 'reward' else info[key]
                print(f'  {key:<14}: {value}')
        callback = os.path.join(job.path, 'callback')
        if os.path.isdir(callback):
            print(f'  {"callback_path":<14}: {callback}')
        if name in urls:
            print(f'  {"dashboard_url":<14}: {urls[name]}')
        print()
    return 0


def _header(task) -> Optional[str]:
    """Prints the task header; returns the running dashboard's URL."""
    from .dashboard import default_url, running_url
    url = running_url(task)
    shown = url or (f'{default_url()} (not running; start it with: '
                    f'search-ctl dashboard --task {task.name})')
    print(f'{LINE}\nTask Name  : {task.name}\nconfig file: {task.run_config}'
          f'\ndashboard_url: {shown}\n{LINE}')
    return url


def _show_scalar(root, args):
    from .callbacks import read_results
    from .config import load_search_config
    from .outcome import display
    from .rewards import HistoryReader, resolve_attribute, reward, unreported
    task = root.existing_task(args.task)
    cfg = load_search_config(task.run_config)
    rank = args.rank
    if not (rank[:1] in '+-' and rank[1:].isdigit() and int(rank[1:]) > 0):
        raise SearchError(f'-rt {rank!r}: expected +k or -k with k >= 1')
    k = int(rank[1:])
    jobs = []
    for job in task.jobs():
        info = job.info()
        history = HistoryReader(job.path, info.get('created')).read()
        jobs.append((job, info, history))
    attr, why = resolve_attribute(
        args.attr or cfg.reward_attribute or task.info().get(
            'reward_attribute'),
        {name for _, _, h in jobs for name in h}, cfg.scalars)
    if not attr:
        raise SearchError(f'{task.run_config}: {why}; pass --attr NAME to '
                          'rank by a scalar')
    known = {name for _, _, h in jobs for name in h}
    if attr not in known:
        where = '--attr' if args.attr else \
            f'{task.run_config}: search.reward_attribute'
        raise SearchError(f'{where}: ' + unreported(attr, known, 'the scalar'))
    rows = []
    for job, info, history in jobs:
        value = reward(history, attr, cfg.mode, cfg.reward_reduce)
        if value is not None:
            rows.append((value, int(job.name), job, info, history))
    # As documented: +k non-ascending, -k non-descending (whatever the
    # mode; with mode min, -k lists the best); ties by job number.
    if rank[0] == '+':
        chosen = sorted(rows, key=lambda r: (-r[0], r[1]))
    else:
        chosen = sorted(rows, key=lambda r: (r[0], r[1]))
    from .dashboard import job_urls
    url = _header(task)
    urls = job_urls(url, [str(r[1]) for r in chosen[:k]]) if url else {}
    print(f'rank by    : {attr} ({cfg.reward_reduce}, mode {cfg.mode})\n'
          '\nJobs:')
    for value, _, job, info, history in chosen[:k]:
        print(f'#Job Name: {job.name}')
        print(f'  status        : {info.get("status")}')
        print(f'  params        : {info.get("params")}')
        print(f'  {attr:<14}: {display(value)}')
        print(f'  scalar_info   : {_plain(history, cfg.scalars)}')
        if job.name in urls:
            print(f'  dashboard_url : {urls[job.name]}')
        results = {k: v for k, v in info.items() if k.endswith(
            ('_callback_result', '_callback_exit_code'))} or \
            read_results(job.path)
        for stage in ('pre', 'after'):
            result = results.get(f'{stage}_callback_result')
            if result is None:
                continue
            code = results.get(f'{stage}_callback_exit_code')
            print(f'  {stage}_callback_result:'
                  + (f' (exit code {code})' if code else ''))
            for key, val in result.items():
                print(f'    {key:<14}: {val}')
        print()
    return 0


def _plain(history, scalars=None):
    return {k: {s: round(v, 6) for s, v in sorted(series.items())}
            for k, series in sorted(history.items())
            if scalars is None or k in scalars}


def _dashboard(root, args):
    from .config import load_search_config
    from .dashboard import serve
    task = root.existing_task(args.task)
    if not 0 <= args.port < 65536:
        raise SearchError(f'--port {args.port}: expected 0-65535')
    if args.refresh <= 0:
        raise SearchError(f'--refresh {args.refresh}: expected seconds > 0')
    return serve(task, load_search_config(task.run_config), args.host,
                 args.port, args.refresh)


ENDED = ('finished', 'error', 'stopped')


def _not_running(task: Task, verb: str, ended=ENDED) -> None:
    """Refuse ``verb`` on a task that has ended: nothing would change."""
    status = _task_status(task)
    if status in ended:
        raise SearchError(f'task {task.name!r} is {status}; nothing to '
                          f'{verb} (it is left as it is)')


def _stop(root, args):
    from .controller import controller_alive
    task = root.existing_task(args.task)
    _not_running(task, 'stop')
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
    _not_running(task, 'resume', ('finished', 'error'))
    cfg = load_search_config(task.run_config)
    return _control(task, cfg)


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

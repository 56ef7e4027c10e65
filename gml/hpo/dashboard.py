"""``search-ctl dashboard``: a task in optuna-dashboard (pavi compare page).

The task's job records are turned into an Optuna study held in memory: one
trial per job (trial number = job number) with the job's parameters (a
Nested choice shown as ``lr=0.5, batch-size=64``), its reward as the value,
the reward's history as intermediate values (optuna-dashboard plots every
job's curve side by side), the last value of each compared scalar, the
callbacks' results and the command as user attributes. Each compared scalar
(``pavi.scalars``, else every reported one) also gets a plot of all jobs'
curves, named after ``pavi.compare.name``. optuna-dashboard serves that
study; a background loop re-reads the records of unfinished jobs so a
running task's page follows it.

Reading the records, not the controller's journal, keeps the server a
reader of the task: it writes only its own ``dashboard.yaml`` (its URL, for
``search-ctl show``).
"""
import datetime
import json
import os
import re
import signal
import socketserver
import sys
import threading
import warnings
from typing import Dict, List, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .callbacks import read_results
from .config import SearchConfig
from .errors import SearchError
from .launchers import _proc_start_ticks, pid_alive
from .rewards import HistoryReader, resolve_attribute
from .space import Nested
from .store import TERMINAL, Task

#: Jobs drawn in each comparison plot (the best by reward, then the rest).
MAX_PLOTTED_JOBS = 100
_STATES = {'finished': 'COMPLETE', 'pruned': 'PRUNED'}


def _nested_label(choice: dict) -> str:
    return ', '.join(f'{k}={v}' for k, v in choice.items())


def _time(text: Optional[str]) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.strptime(text, '%Y/%m/%d %H:%M:%S.%f')
    except (TypeError, ValueError):
        return None


class _Figure:
    """A plotly figure as JSON: what ``save_plotly_graph_object`` stores.

    Built as plain data so the server needs no plotly package; the
    dashboard's own plotly.js draws it.
    """

    def __init__(self, data: list, layout: dict):
        self.spec = {'data': data, 'layout': layout}

    def to_json(self) -> str:
        return json.dumps(self.spec)


class TaskView:
    """The task's jobs as an in-memory Optuna study.

    Args:
        task: the task.
        cfg: its search config (space, mode, pavi scalars and compare name).
    """

    def __init__(self, task: Task, cfg: SearchConfig):
        import optuna
        self.optuna = optuna
        self.task = task
        self.cfg = cfg
        info = task.info()
        self.name = cfg.compare_name or info.get('study_name') or task.name
        self.storage = optuna.storages.InMemoryStorage()
        direction = (optuna.study.StudyDirection.MAXIMIZE if cfg.mode == 'max'
                     else optuna.study.StudyDirection.MINIMIZE)
        self.study_id = self.storage.create_new_study([direction], self.name)
        self.study = optuna.load_study(study_name=self.name,
                                       storage=self.storage)
        self._objective = None
        self.distributions = {}
        for arg in cfg.space.args:
            if isinstance(arg, Nested):
                self.distributions[arg.name] = \
                    optuna.distributions.CategoricalDistribution(
                        [_nested_label(c) for c in arg.values])
            else:
                self.distributions[arg.name] = arg.distribution()
        self.trial_ids: Dict[str, int] = {}
        self.done: Dict[str, dict] = {}  # job -> record, once terminal
        self.histories: Dict[str, dict] = {}
        self.readers: Dict[str, HistoryReader] = {}
        self._plotted = None

    # -- records -> study -------------------------------------------------
    def _params(self, info: dict) -> dict:
        sampled = info.get('sampled') or {}
        params = {}
        for arg in self.cfg.space.args:
            if arg.name not in sampled:
                return {}
            value = sampled[arg.name]
            params[arg.name] = (_nested_label(arg.values[value])
                                if isinstance(arg, Nested) else value)
        return params

    def attribute(self) -> Optional[str]:
        """The scalar shown as each trial's value: the reward attribute, else
        the first of ``pavi.scalars``."""
        attr = self.cfg.reward_attribute or self.task.info().get(
            'reward_attribute')
        if attr:
            return attr
        reported = {k for h in self.histories.values() for k in h}
        attr = resolve_attribute(None, reported, self.cfg.scalars)[0]
        return attr or (self.cfg.scalars[0] if self.cfg.scalars else None)

    def sync(self) -> bool:
        """Bring the study up to date; True when anything changed."""
        fresh = []
        for name in self.task.job_names():
            if name in self.done:
                continue
            info = self.task.job(name).info()
            if not info.get('status'):
                continue
            reader = self.readers.setdefault(
                name, HistoryReader(self.task.job(name).path,
                                    info.get('created')))
            terminal = info.get('status') in TERMINAL
            history = reader.read(rescan=terminal)
            if terminal:
                self.done[name] = info = dict(info,
                                              **read_results(reader.job_dir))
                self.readers.pop(name, None)
            if terminal or history != self.histories.get(name) or \
                    name not in self.trial_ids:
                fresh.append((name, info, history))
            self.histories[name] = history
        attr = self.attribute()
        if attr and attr != self._objective:
            with warnings.catch_warnings():  # experimental since Optuna 3.2
                warnings.simplefilter(
                    'ignore', self.optuna.exceptions.ExperimentalWarning)
                self.study.set_metric_names([attr])
            self._objective = attr
        for name, info, history in fresh:
            self._write_trial(name, info, history, attr)
        if fresh:
            self._write_plots()
        return bool(fresh)

    def _user_attrs(self, name, info, history) -> dict:
        attrs = {'job': name, 'status': info.get('status'),
                 'command': info.get('command')}
        if info.get('exit_code') is not None:
            attrs['exit_code'] = info['exit_code']
        for scalar, series in sorted(history.items()):
            if self.cfg.scalars is None or scalar in self.cfg.scalars:
                attrs[scalar] = series[max(series)]
        for stage in ('pre', 'after'):
            for key, value in (info.get(f'{stage}_callback_result')
                               or {}).items():
                attrs[f'{stage}_callback:{key}'] = value
        return attrs

    def _write_trial(self, name, info, history, attr) -> None:
        FrozenTrial = self.optuna.trial.FrozenTrial
        TrialState = self.optuna.trial.TrialState
        curve = {int(s): v for s, v in (history.get(attr) or {}).items()}
        attrs = self._user_attrs(name, info, history)
        status = info.get('status')
        state, values = TrialState.RUNNING, None
        if status in TERMINAL:
            state = getattr(TrialState, _STATES.get(status, 'FAIL'))
            value = info.get('reward')
            if value is None and attr and curve:
                value = curve[max(curve)]
            if value is not None and state != TrialState.FAIL:
                values = [float(value)]
            if state == TrialState.COMPLETE and values is None:
                state = TrialState.FAIL  # ended without a value to show
        storage = self.storage
        trial_id = self.trial_ids.get(name)
        if trial_id is None:  # a finished job arrives whole
            params = self._params(info)
            started = _time(info.get('start_time')) or \
                datetime.datetime.now()
            ended = None
            if state != TrialState.RUNNING:
                ended = max(_time(info.get('end_time')) or started, started)
            template = FrozenTrial(
                number=-1, state=state, value=None, values=values,
                datetime_start=started, datetime_complete=ended,
                params=params,
                distributions={k: self.distributions[k] for k in params},
                user_attrs=attrs, system_attrs={}, intermediate_values=curve,
                trial_id=-1)
            self.trial_ids[name] = storage.create_new_trial(self.study_id,
                                                            template)
            return
        known = storage.get_trial(trial_id).intermediate_values
        for step, value in sorted(curve.items()):
            if known.get(step) != value:
                storage.set_trial_intermediate_value(trial_id, step, value)
        old = storage.get_trial(trial_id).user_attrs
        for key, value in attrs.items():
            if old.get(key) != value:
                storage.set_trial_user_attr(trial_id, key, value)
        if state != TrialState.RUNNING:
            storage.set_trial_state_values(trial_id, state, values)

    def _write_plots(self) -> None:
        """One plot per compared scalar: every job's curve (capped)."""
        from optuna_dashboard import save_plotly_graph_object
        scalars = self.cfg.scalars or sorted(
            {k for h in self.histories.values() for k in h})
        if not scalars:
            return
        sign = 1 if self.cfg.mode == 'max' else -1
        rewards = {n: i.get('reward') for n, i in self.done.items()}
        names = sorted(self.histories, key=lambda n: (
            rewards.get(n) is None, -sign * (rewards.get(n) or 0), int(n)))
        names = sorted(names[:MAX_PLOTTED_JOBS], key=int)
        plotted = {s: {n: self.histories[n].get(s) for n in names}
                   for s in scalars}
        if plotted == self._plotted:
            return
        self._plotted = plotted
        for scalar in scalars:
            data = []
            for name in names:
                series = self.histories[name].get(scalar) or {}
                steps = sorted(series)
                if steps:
                    data.append({'type': 'scatter', 'mode': 'lines+markers',
                                 'name': f'job {name}', 'x': steps,
                                 'y': [series[s] for s in steps]})
            layout = {'title': {'text': f'{self.name}: {scalar}'},
                      'xaxis': {'title': {'text': 'step'}},
                      'yaxis': {'title': {'text': scalar}}}
            graph_id = 'compare-' + re.sub(r'[^A-Za-z0-9_.:-]', '_', scalar)
            save_plotly_graph_object(self.study, _Figure(data, layout),
                                     graph_object_id=graph_id)


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):

    def log_message(self, *args):  # no access log on the terminal
        pass


def running_url(task: Task) -> Optional[str]:
    """The URL of the task's dashboard when one is serving it."""
    from gml.utils.fileio import load_yaml
    info = load_yaml(task.dashboard_yaml, None) or {}
    if pid_alive(info.get('pid'), info.get('pid_start')):
        return info.get('url')
    return None


def default_url(host: str = '127.0.0.1', port: int = 8080) -> str:
    return f'http://{host}:{port}/dashboard/studies/0'


def serve(task: Task, cfg: SearchConfig, host: str = '127.0.0.1',
          port: int = 8080, refresh: float = 5.0, out=sys.stdout) -> int:
    """Serve the task until SIGINT/SIGTERM; prints the URL first."""
    try:
        import optuna_dashboard
    except ImportError:
        raise SearchError('optuna-dashboard is not installed; pip install '
                          'optuna-dashboard==0.21.0 (requirements/'
                          'runtime.txt)') from None
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    view = TaskView(task, cfg)
    view.sync()
    try:
        server = make_server(host, port, optuna_dashboard.wsgi(view.storage),
                             server_class=_Server,
                             handler_class=_QuietHandler)
    except OSError as e:
        raise SearchError(f'--host {host} --port {port}: cannot listen '
                          f'({e.strerror}); pick another --port') from None
    shown = host if host not in ('0.0.0.0', '::', '') else \
        __import__('socket').gethostname()
    url = f'http://{shown}:{server.server_port}/dashboard/studies/' \
          f'{view.study_id}'
    from gml.utils.fileio import atomic_dump_yaml
    atomic_dump_yaml({'url': url, 'host': host, 'port': server.server_port,
                      'pid': os.getpid(),
                      'pid_start': _proc_start_ticks(os.getpid())},
                     task.dashboard_yaml)
    stop = threading.Event()
    old = {s: signal.signal(s, lambda *a: stop.set())
           for s in (signal.SIGTERM, signal.SIGINT)}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f'dashboard of task {task.name}: {url}  (Ctrl-C stops it)\n'
          f'  jobs side by side: {url}/smartSelection, one by one: '
          f'{url}/trials', file=out, flush=True)
    try:
        while not stop.wait(refresh):
            view.sync()
    finally:
        server.shutdown()
        server.server_close()
        for s, handler in old.items():
            signal.signal(s, handler)
        try:
            os.unlink(task.dashboard_yaml)
        except FileNotFoundError:
            pass
    return 0


def job_urls(base: str, names: List[str]) -> Dict[str, str]:
    return {n: f'{base}/trials?numbers={n}' for n in names}

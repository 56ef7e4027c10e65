"""The search controller: ask the sampler, launch jobs, collect rewards.

One controller runs per task (its pid is in ``task.yaml``). It can be killed
at any moment, even with SIGKILL: a job's record is written before the job
starts and after it ends, and ``recover`` reconciles the records, the running
processes and the Optuna study on restart, so no finished job is lost and no
job runs twice.

Per job the controller writes the job record two or three times
(launching; running, unless the job ended within one loop turn; ended) and
never re-reads it; the study's operations go to its journal in one write per
loop turn (gml.hpo.journal).
"""
import os
import select
import shutil
import signal
import sys
import time
from typing import Dict, List, Optional

from gml.utils.fileio import atomic_dump_yaml, atomic_write_text

from .callbacks import read_results
from .config import SearchConfig
from . import optuna_internals
from .errors import SearchError
from .launchers import LOST, _proc_start_ticks, build_launcher, pid_alive
from .outcome import (all_failed, best_job, best_record, display,
                      final_status, status_counts)
from .project import Selection, populate
from .report import ACK_FILE
from .rewards import HistoryReader, resolve_attribute, reward, unreported
from .schedulers import (VIOLATING, constraint_scalars, constraint_values,
                         launch_violations, open_study, report_violations,
                         running_trial, violated_so_far)
from .store import TERMINAL, Job, Task, now
from .template import render


def controller_alive(info: dict) -> bool:
    return pid_alive(info.get('controller_pid'), info.get('controller_start'))


class Controller:
    """Runs one task to its end.

    Args:
        task: the task's folder.
        cfg: its validated search config.
        selection: what each job's copy of the project holds.
        copy_mode: ``reflink``/``hardlink``/``copy`` from the snapshot, or
            ``symlinks`` to the live project.
        out: where progress lines go.
    """

    def __init__(self, task: Task, cfg: SearchConfig, selection: Selection,
                 copy_mode: str, out=sys.stdout):
        self.task = task
        self.cfg = cfg
        self.selection = selection
        self.copy_mode = copy_mode
        self.out = out
        self.launcher = build_launcher(cfg)
        self.running: Dict[str, Job] = {}
        self.readers: Dict[str, HistoryReader] = {}
        self.jobs: Dict[str, Job] = {}
        self.stop_signal = False
        self.ended_by: Optional[str] = None
        self.reported = set()  # scalar names the jobs reported
        self.unrecorded = set()  # started jobs whose record says launching
        self.infos: List[dict] = []

    # -- life cycle -----------------------------------------------------
    def run(self) -> str:
        """Run the task to its end (or a stop); return the final status."""
        import optuna
        self._trial_state = optuna.trial.TrialState
        info = self.task.info()
        self.attr = self.cfg.reward_attribute or info.get('reward_attribute')
        self.started = time.monotonic()
        self.time_used = float(info.get('time_used') or 0.0)
        self.deadline = None
        if self.cfg.max_time:
            self.deadline = self.started + self.cfg.max_time - self.time_used
        self.task.update(status='running', controller_pid=os.getpid(),
                         controller_start=_proc_start_ticks(os.getpid()))
        self.study, self.flush, close = open_study(
            self.cfg, self.task, info.get('study_name', self.task.name))
        if self.cfg.default_config and not self.study.get_trials(
                deepcopy=False):
            self.study.enqueue_trial(self.cfg.default_config)
        # Running jobs are read when a pruner or a constraint checked at
        # report time needs their scalars.
        self.watch = self.cfg.early_stop['type'] != 'none' or any(
            c.get('check') == 'report' for c in self.cfg.constraints)
        old = {s: signal.signal(s, self._on_signal)
               for s in (signal.SIGTERM, signal.SIGINT)}
        # A finished child wakes the loop at once instead of after a poll.
        old[signal.SIGCHLD] = signal.signal(signal.SIGCHLD,
                                            lambda *args: None)
        self._wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        old_fd = signal.set_wakeup_fd(wake_w)
        try:
            self.recover()
            status = self.loop()
        finally:
            close()
            signal.set_wakeup_fd(old_fd)
            for s, handler in old.items():
                signal.signal(s, handler)
            os.close(self._wake_r)
            os.close(wake_w)
        self.infos = infos = [self.job(n).info()
                              for n in self.task.job_names()]
        status = final_status(status, infos)
        problem = self.write_best(infos)
        if problem and status == 'finished':
            status = 'error'  # ran to its end without a result
        self.task.update(status=status, controller_pid=None,
                         ended_by=self.ended_by, time_used=self._time_used(),
                         job_counts=status_counts(infos),
                         error=problem if status == 'error' else None)
        if infos:  # after time_used: drawing is not the search's time
            from .progress import write_progress
            write_progress(self.task.path, infos, self.cfg.mode, self.attr)
        return status

    def _time_used(self) -> float:
        return round(self.time_used + time.monotonic() - self.started, 3)

    def _on_signal(self, signum, frame):
        self.stop_signal = True

    def loop(self) -> str:
        saved = time.monotonic()
        while True:
            if time.monotonic() - saved > 30:  # the budget survives a kill
                self.task.update(time_used=self._time_used())
                saved = time.monotonic()
            if self.stop_signal or self.task.stop_requested():
                self.stop_running()
                return 'stopped'
            self.poll_running()
            if self.deadline is not None and time.monotonic() >= \
                    self.deadline:
                self._say(f'max_time ({self.cfg.max_time:g} s) reached: '
                          'no new jobs, stopping the running ones')
                self.stop_running(reason='max_time')
                self.ended_by = 'max_time'
                return 'finished'
            while (len(self.running) < self.cfg.concurrency
                   and self.used < self.cfg.max_jobs
                   and not self.stop_signal):
                self.launch_next()
            self.flush()
            if not self.running:
                return 'finished'
            wait = self.cfg.poll_interval
            if self.deadline is not None:
                wait = max(0.0, min(wait, self.deadline - time.monotonic()))
            self._wait(wait)

    def _wait(self, seconds: float) -> None:
        ready, _, _ = select.select([self._wake_r], [], [], seconds)
        if ready:
            os.read(self._wake_r, 4096)

    def job(self, name) -> Job:
        name = str(name)
        if name not in self.jobs:
            self.jobs[name] = self.task.job(name)
        return self.jobs[name]

    # -- launching --------------------------------------------------------
    def launch_next(self) -> None:
        trial = self.study.ask(self.cfg.space.distributions())
        params = self.cfg.space.decode(trial.params)
        job = self.job(self.next_job)
        self.next_job += 1
        self.used += 1
        os.makedirs(job.path)
        if launch_violations(self.cfg, params):
            self.reject(job, trial, params)
            return
        # Scalars files older than the folder came with the project.
        created = os.stat(job.path).st_mtime
        populate(self.selection, self.task.snapshot, job.path,
                 self.copy_mode)
        hooks = {k: render(getattr(self.cfg, k), params)
                 for k in ('pre_callback', 'after_callback')
                 if getattr(self.cfg, k)}
        self.flush()  # the trial is on disk before a record names it
        job.update(name=job.name, status='launching', trial=trial.number,
                   params=params, sampled=dict(trial.params),
                   command=render(self.cfg.template, params),
                   run_path=job.path, log_path=job.log, created=created,
                   **hooks)
        self.task.link_tree(job, params)
        self.start(job)

    def reject(self, job: Job, trial, params: dict) -> None:
        """Record a job whose launch parameters break a constraint as
        infeasible without starting it."""
        self.flush()  # the trial is on disk before a record names it
        job.update(name=job.name, status='pruned', stop_reason='infeasible',
                   trial=trial.number, params=params,
                   sampled=dict(trial.params), run_path=job.path,
                   command=render(self.cfg.template, params),
                   start_time=now(), end_time=now(), reward=None, steps=0,
                   constraint_values=constraint_values(self.cfg, {}, params),
                   constraint_scalars=constraint_scalars(self.cfg, {},
                                                         params),
                   feasible=False)
        self.tell(job)
        self._say(f'job {job.name} not launched: {params} break the '
                  'constraints')

    def start(self, job: Job) -> None:
        info = job.info()
        hooks = {k: info[k] for k in ('pre_callback', 'after_callback')
                 if info.get(k)}
        try:
            handle = self.launcher.start(job, info['command'], hooks)
        except (OSError, SearchError) as e:
            # e.g. sbatch refused the job: record it, the task goes on.
            job.update(status='error', error=str(e), end_time=now())
            self.tell(job)
            self._say(f'job {job.name} could not start: {e}')
            return
        # Recorded at the next loop turn if the job still runs then; a job
        # that ends first gets only its terminal record (recovery adopts a
        # 'launching' job by the `started` marker its wrapper writes).
        info.update(status='running', start_time=now(), **handle)
        self.unrecorded.add(job.name)
        self.running[job.name] = job
        self._say(f'job {job.name} started: {info["command"]}')

    # -- watching ---------------------------------------------------------
    def reader(self, job: Job) -> HistoryReader:
        if job.name not in self.readers:
            self.readers[job.name] = HistoryReader(job.path,
                                                   job.info().get('created'))
        return self.readers[job.name]

    def poll_running(self) -> None:
        for name, job in list(self.running.items()):
            info = job.info()
            code = self.launcher.poll(job, info)
            if code is None:
                if name in self.unrecorded:
                    job.update()
                    self.unrecorded.discard(name)
                if not self.watch:
                    continue
                history = self.reader(job).read(rescan=False)
                if report_violations(self.cfg, history):
                    self.launcher.kill(job, info)
                    self.finish(job, 'pruned', code=None,
                                reason='infeasible')
                elif self.cfg.early_stop['type'] != 'none' and \
                        self._should_prune(job, info, history):
                    self.launcher.kill(job, info)
                    self.finish(job, 'pruned', code=None)
                elif self.cfg.sync_reports:
                    self._acknowledge(job, history)
                continue
            status = 'finished' if code == 0 else (
                'lost' if code == LOST else 'error')
            self.finish(job, status, code=code)

    def _should_prune(self, job, info, history) -> bool:
        series = history.get(self.cfg.reward_attribute, {})
        trial = running_trial(self.study, info['trial'])
        reported = optuna_internals.reported_steps(self.study, trial)
        fresh = [s for s in sorted(series) if s not in reported]
        if fresh and self.cfg.constraints and not trial.user_attrs.get(
                VIOLATING) and violated_so_far(self.cfg, history):
            trial.set_user_attr(VIOLATING, True)  # ranked below feasible
        for step in fresh:
            trial.report(series[step], step)
        return bool(fresh) and trial.should_prune()

    def _acknowledge(self, job, history) -> None:
        # Lets a job waiting in report() (sync_reports) go on training.
        steps = [s for series in history.values() for s in series]
        if steps:
            atomic_write_text(os.path.join(job.path, ACK_FILE),
                              f'{max(steps)}\n', fsync=False)

    def finish(self, job: Job, status: str, code: Optional[int],
               check: bool = False, reason: Optional[str] = None):
        """Record the job's end, then tell the study (order matters for
        recovery: a terminal record whose trial is still RUNNING is told
        again on restart)."""
        history = self.reader(job).read()
        self.readers.pop(job.name, None)
        self.reported.update(history)
        if self.attr is None and status == 'finished':
            self.attr, _ = resolve_attribute(None, history, self.cfg.scalars)
            if self.attr:
                self.task.update(reward_attribute=self.attr)
                self._say(f'reward attribute: {self.attr} (the only scalar '
                          'reported)')
        value = None
        if self.attr:
            value = reward(history, self.attr, self.cfg.mode,
                           self.cfg.reward_reduce)
        extra = read_results(job.path)
        if reason:
            extra['stop_reason'] = reason
        # The compute the job spent: its highest reported step (epochs).
        extra['steps'] = max((max(s) for s in history.values() if s),
                             default=0)
        if self.cfg.constraints:
            params = job.info().get('params')
            extra['constraint_values'] = constraint_values(self.cfg, history,
                                                           params)
            extra['constraint_scalars'] = constraint_scalars(self.cfg,
                                                             history, params)
            extra['feasible'] = all(v <= 0
                                    for v in extra['constraint_values'])
        job.update(status=status, exit_code=code, end_time=now(),
                   reward=value, **extra)
        self.unrecorded.discard(job.name)
        self.running.pop(job.name, None)
        self.tell(job, check)
        if history:
            from .tb_export import export_job
            export_job(job, history, self.cfg.scalars)
        self._say(f'job {job.name} {status}'
                  + (f' ({reason})' if reason else '')
                  + (f' (exit code {code})' if status == 'error' else '')
                  + (f' {self.attr}={display(value)}' if value is not None
                     else ''))

    def tell(self, job: Job, check: bool = False) -> None:
        """Tell the study how the job ended; ``check`` first skips a trial
        that is already told (recovery after a restart)."""
        info = job.info()
        number = info['trial']
        if check and optuna_internals.is_finished(self.study, number):
            return
        states = self._trial_state
        if self.cfg.constraints:
            optuna_internals.set_user_attr(
                self.study, number, 'constraints',
                info.get('constraint_values') or [1.0])
        value = info.get('reward')
        if info['status'] == 'pruned':
            self.study.tell(info['trial'], state=states.PRUNED)
        elif info['status'] == 'finished' and (
                value is not None or not self.cfg.reward_attribute):
            self.study.tell(info['trial'],
                            value if value is not None else 0.0)
        else:
            self.study.tell(info['trial'], state=states.FAIL)

    def write_best(self, infos: List[dict]) -> Optional[str]:
        """best.yaml, and a line on feasibility (see gml.hpo.outcome).

        Returns why the task has no result when that is an error: every
        job failed, or no job reported the configured reward attribute.
        """
        failed = all_failed(infos)
        if failed:
            return failed[0]
        if not self.attr:
            _, why = resolve_attribute(None, self.reported, self.cfg.scalars)
            self._say(f'no best.yaml: {why}; set search.reward_attribute')
            return None
        best = best_job(infos, self.cfg.mode)
        if best is None:
            if not any(i.get('status') == 'finished' for i in infos):
                self._say('no best.yaml: no job finished')
                return None
            return unreported(self.attr, self._all_reported(infos),
                              'the reward attribute') + \
                ' (search.reward_attribute)'
        record = best_record(best, self.task.name, self.attr, self.cfg.mode,
                             self.cfg.constraints)
        atomic_dump_yaml(record, self.task.best_yaml)
        if self.cfg.constraints and not best['feasible']:
            self._say('no job satisfied the constraints; best job overall: '
                      f'{best["name"]} ({self.attr}='
                      f'{display(best["reward"])})')
        else:
            self._say(f'best job: {best["name"]} ({self.attr}='
                      f'{display(best["reward"])}) -> {self.task.best_yaml}')
        return None

    def _all_reported(self, infos: List[dict]) -> set:
        """Every scalar the finished jobs reported (those of this run are
        known; a resumed task's earlier jobs are read again)."""
        names = set(self.reported)
        for info in infos:
            if info.get('status') == 'finished':
                job = self.job(info['name'])
                names.update(HistoryReader(job.path, info.get('created'))
                             .read())
        return names

    # -- stop and recovery ------------------------------------------------
    def stop_running(self, reason: Optional[str] = None) -> None:
        jobs = list(self.running.values())
        self.launcher.kill_all([(job, job.info()) for job in jobs])
        for job in jobs:
            fields = {'stop_reason': reason} if reason else {}
            job.update(status='stopped', end_time=now(), **fields)
            self.unrecorded.discard(job.name)
            self.running.pop(job.name)
            self.tell(job)
            self._say(f'job {job.name} stopped'
                      + (f' ({reason})' if reason else ''))
        self.flush()
        try:
            os.unlink(os.path.join(self.task.path, 'stop'))
        except FileNotFoundError:
            pass

    def recover(self) -> None:
        """Reconcile records, processes and the study after a restart."""
        states = self._trial_state
        known_trials = set()
        self.next_job = 0
        self.used = 0  # stopped jobs give their place back (re-queued)
        for name in os.listdir(self.task.all_dir) if os.path.isdir(
                self.task.all_dir) else []:
            job = Job(self.task, name)
            if name.isdigit() and not os.path.exists(job.yaml):
                # Killed while copying the project: the job never started.
                shutil.rmtree(job.path)
        for name in self.task.job_names():
            job = self.job(name)
            info = job.info()
            known_trials.add(info.get('trial'))
            status = info.get('status')
            self.next_job = max(self.next_job, int(job.name) + 1)
            self.used += status != 'stopped'
            if status in TERMINAL:
                self.tell(job, check=True)
                if status == 'stopped' and not info.get('requeued'):
                    self.study.enqueue_trial(info['sampled'])
                    job.update(requeued=True)
            elif status == 'pending':
                # Written but never launched: its trial is re-used as is.
                self.start(job)
            elif status == 'launching':
                # Killed while launching: adopt the job if it started.
                handle = self.launcher.find_started(job)
                if handle is None:
                    time.sleep(1.0)  # a just-spawned wrapper may be slow
                    handle = self.launcher.find_started(job)
                if handle is None:
                    self.start(job)
                else:
                    job.update(status='running', **handle)
                    self.running[job.name] = job
                    self._say(f'job {job.name} adopted (launch recovered)')
            elif status == 'running':
                if self.launcher.alive(job, info) or job.exit_code() \
                        is not None:
                    self.running[job.name] = job  # adopt; poll collects it
                    self._say(f'job {job.name} adopted (still running)')
                else:
                    self.finish(job, 'lost', LOST, check=True)
        # Trials asked just before a kill, with no job written: give back.
        for frozen in self.study.get_trials(deepcopy=False,
                                            states=(states.RUNNING, )):
            if frozen.number not in known_trials:
                self.study.tell(frozen.number, state=states.FAIL)
        self.flush()

    def _say(self, text: str) -> None:
        print(f'[{self.task.name}] {text}', file=self.out, flush=True)

"""The search controller: ask the sampler, launch jobs, collect rewards.

One controller runs per task (its pid is in ``task.yaml``). It can be killed
at any moment, even with SIGKILL: a job's record is written before the job
starts and after it ends, and ``recover`` reconciles the records, the running
processes and the Optuna study on restart, so no finished job is lost and no
job runs twice.
"""
import os
import select
import shutil
import signal
import time
import sys
from typing import Dict, Optional

from .config import SearchConfig
from .errors import SearchError
from .launchers import LOST, build_launcher, _proc_start_ticks, pid_alive
from gml.utils.fileio import atomic_write_text
from .report import ACK_FILE
from .rewards import read_history, reward
from .schedulers import constraint_values, open_study, running_trial
from .store import TERMINAL, Job, Task, now, populate_job_dir
from .template import render


def controller_alive(info: dict) -> bool:
    return pid_alive(info.get('controller_pid'), info.get('controller_start'))


class Controller:

    def __init__(self, task: Task, cfg: SearchConfig, symlinks: bool = False,
                 out=sys.stdout):
        self.task = task
        self.cfg = cfg
        self.symlinks = symlinks
        self.out = out
        self.launcher = build_launcher(cfg)
        self.running: Dict[str, Job] = {}
        self.stop_signal = False

    # -- life cycle -----------------------------------------------------
    def run(self) -> str:
        """Run the task to its end (or a stop); return the final status."""
        import optuna
        self._trial_state = optuna.trial.TrialState
        self.task.update(status='running', controller_pid=os.getpid(),
                         controller_start=_proc_start_ticks(os.getpid()))
        self.study = open_study(self.cfg, self.task.storage_url,
                                self.task.name)
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
            signal.set_wakeup_fd(old_fd)
            for s, handler in old.items():
                signal.signal(s, handler)
            os.close(self._wake_r)
            os.close(wake_w)
        self.task.update(status=status, controller_pid=None)
        return status

    def _on_signal(self, signum, frame):
        self.stop_signal = True

    def loop(self) -> str:
        while True:
            if self.stop_signal or self.task.stop_requested():
                self.stop_running()
                return 'stopped'
            self.poll_running()
            while (len(self.running) < self.cfg.concurrency
                   and self.jobs_used() < self.cfg.max_jobs
                   and not self.stop_signal):
                self.launch_next()
            if not self.running:
                return 'finished'
            self._wait(self.cfg.poll_interval)

    def _wait(self, seconds: float) -> None:
        ready, _, _ = select.select([self._wake_r], [], [], seconds)
        if ready:
            os.read(self._wake_r, 4096)

    def jobs_used(self) -> int:
        return self.used

    # -- launching --------------------------------------------------------
    def launch_next(self) -> None:
        trial = self.study.ask(self.cfg.space.distributions())
        params = self.cfg.space.decode(trial.params)
        job = self.task.job(self.next_job)
        self.next_job += 1
        self.used += 1
        source = self.task.root.project if self.symlinks else \
            self.task.snapshot
        populate_job_dir(source, job.path, self.symlinks)
        job.update(name=job.name, status='pending', trial=trial.number,
                   params=params, sampled=dict(trial.params),
                   command=render(self.cfg.template, params),
                   run_path=job.path, log_path=job.log)
        self.task.link_tree(job, params)
        self.start(job)

    def start(self, job: Job) -> None:
        info = job.update(status='launching')
        try:
            handle = self.launcher.start(job, info['command'])
        except (OSError, SearchError) as e:
            # e.g. sbatch refused the job: record it, the task goes on.
            job.update(status='error', error=str(e), end_time=now())
            self.tell(job)
            self._say(f'job {job.name} could not start: {e}')
            return
        job.update(status='running', start_time=now(), **handle)
        self.running[job.name] = job
        self._say(f'job {job.name} started: {info["command"]}')

    # -- watching ---------------------------------------------------------
    def poll_running(self) -> None:
        for name, job in list(self.running.items()):
            info = job.info()
            code = self.launcher.poll(job, info)
            if code is None:
                if self.cfg.early_stop['type'] == 'none':
                    continue
                history = read_history(job.path)
                if self._should_prune(job, info, history):
                    self.launcher.kill(job, info)
                    self.finish(job, 'pruned', history, code=None)
                elif self.cfg.sync_reports:
                    self._acknowledge(job, history)
                continue
            status = 'finished' if code == 0 else (
                'lost' if code == LOST else 'error')
            self.finish(job, status, read_history(job.path), code=code)

    def _should_prune(self, job, info, history) -> bool:
        series = history.get(self.cfg.reward_attribute, {})
        trial = running_trial(self.study, info['trial'])
        reported = self.study._storage.get_trial(
            trial._trial_id).intermediate_values
        fresh = [s for s in sorted(series) if s not in reported]
        for step in fresh:
            trial.report(series[step], step)
        return bool(fresh) and trial.should_prune()

    def _acknowledge(self, job, history) -> None:
        # Lets a job waiting in report() (sync_reports) go on training.
        steps = [s for series in history.values() for s in series]
        if steps:
            atomic_write_text(os.path.join(job.path, ACK_FILE),
                              f'{max(steps)}\n')

    def finish(self, job: Job, status: str, history, code: Optional[int],
               check: bool = False):
        """Record the job's end, then tell the study (order matters for
        recovery: a terminal record whose trial is still RUNNING is told
        again on restart)."""
        value = None
        if self.cfg.reward_attribute:
            value = reward(history, self.cfg.reward_attribute, self.cfg.mode,
                           self.cfg.reward_reduce)
        job.update(status=status, exit_code=code, end_time=now(),
                   reward=value)
        self.running.pop(job.name, None)
        self.tell(job, check)
        from .tb_export import export_job
        export_job(job, history)
        self._say(f'job {job.name} {status}'
                  + (f' (exit code {code})' if status == 'error' else '')
                  + (f' {self.cfg.reward_attribute}={value}'
                     if value is not None else ''))

    def tell(self, job: Job, check: bool = False) -> None:
        """Tell the study how the job ended; ``check`` first skips a trial
        that is already told (recovery after a restart)."""
        info = job.info()
        storage = self.study._storage
        trial_id = storage.get_trial_id_from_study_id_trial_number(
            self.study._study_id, info['trial'])
        if check and storage.get_trial(trial_id).state.is_finished():
            return
        states = self._trial_state
        if self.cfg.constraints:
            storage.set_trial_user_attr(
                trial_id, 'constraints',
                constraint_values(self.cfg, read_history(job.path)))
        value = info.get('reward')
        if info['status'] == 'pruned':
            self.study.tell(info['trial'], state=states.PRUNED)
        elif info['status'] == 'finished' and (
                value is not None or not self.cfg.reward_attribute):
            self.study.tell(info['trial'],
                            value if value is not None else 0.0)
        else:
            self.study.tell(info['trial'], state=states.FAIL)

    # -- stop and recovery ------------------------------------------------
    def stop_running(self) -> None:
        for job in list(self.running.values()):
            self.launcher.kill(job, job.info())
            job.update(status='stopped', end_time=now())
            self.running.pop(job.name)
            self.tell(job)
            self._say(f'job {job.name} stopped')
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
        for job in self.task.jobs():
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
                    self.finish(job, 'lost', read_history(job.path), LOST,
                                check=True)
        # Trials asked just before a kill, with no job written: give back.
        for frozen in self.study.get_trials(deepcopy=False,
                                            states=(states.RUNNING, )):
            if frozen.number not in known_trials:
                self.study.tell(frozen.number, state=states.FAIL)

    def _say(self, text: str) -> None:
        print(f'[{self.task.name}] {text}', file=self.out, flush=True)

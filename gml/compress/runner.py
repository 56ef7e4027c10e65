"""Run a pipeline's stages in order, each with the ordinary gml tools.

Every stage runs its tools as subprocesses (exactly the commands a user
would type, recorded in ``DIR/<stage>/command.sh``) with its work dir
``DIR/<stage>/`` and its log ``DIR/<stage>/stage.log``, then
``tools/test.py`` on its model. Finished stages whose fingerprint is
unchanged are skipped; a stage that started with the same fingerprint and
did not finish continues from its last checkpoint (``--resume``).
"""
import ctypes
import json
import os
import os.path as osp
import shlex
import shutil
import signal
import subprocess
import time
from typing import Dict, List, Optional

from gml.utils.errors import UserError

from .pipeline import SLURM_KEYS
from .stages import CONFIG_FILE, TEST_METRICS, last_checkpoint
from .state import PipelineState, file_checksum, resolved_config, \
    stage_fingerprint

LOG, COMMAND = 'stage.log', 'command.sh'


class StageFailed(UserError):
    """A stage's tool failed.

    Args:
        message (str): one line naming the stage, the error and the log.
        user_error (bool): the tool exited 2 (bad input).
    """

    def __init__(self, message: str, user_error: bool):
        super().__init__(message)
        self.user_error = user_error


def _die_with_parent():
    """A stage's tool ends when the pipeline process is killed (Linux)."""
    try:
        ctypes.CDLL('libc.so.6').prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PipelineRunner:
    """Runs the stages of one pipeline in one work dir.

    Args:
        stages (list[Stage]): in dependency order (``parse_stages``).
        work_dir (str): the pipeline's work dir.
        root (str): the gml checkout whose ``tools/`` run the stages.
        launcher (str): ``'local'`` or ``'slurm'``.
        partition (str | None): the Slurm partition (launcher slurm).
        job (str): the Slurm job name prefix.
        slurm (dict): default resources of every stage on Slurm.
        log (callable): prints progress.
    """

    def __init__(self, stages, work_dir: str, root: str,
                 launcher: str = 'local', partition: Optional[str] = None,
                 job: str = 'compress', slurm: Optional[dict] = None,
                 log=print):
        self.stages, self.work_dir, self.root = stages, work_dir, root
        self.launcher, self.partition, self.job = launcher, partition, job
        self.slurm = dict(slurm or {})
        self.log = log
        self.state = PipelineState(work_dir)
        self.ran: List[str] = []

    def run(self) -> PipelineState:
        outputs: Dict[str, Dict[str, str]] = {}
        for stage in self.stages:
            outputs[stage.name] = self._run_stage(stage, outputs)
        return self.state

    def stage_dir(self, name: str) -> str:
        return osp.join(self.work_dir, name)

    def _run_stage(self, stage, outputs) -> Dict[str, str]:
        stage.wired = {key: outputs[src][out]
                       for key, (src, out) in stage.sources().items()}
        checksums = {k: file_checksum(p) for k, p in stage.wired.items()}
        fingerprint = stage_fingerprint(stage, checksums)
        work_dir = self.stage_dir(stage.name)
        if self.state.is_done(stage.name, fingerprint):
            self.log(f'[skip] {stage.name}: unchanged')
            return self.state.outputs(stage.name)
        resume = (stage.type.resumable
                  and self.state.can_resume(stage.name, fingerprint)
                  and last_checkpoint(work_dir) is not None)
        if not resume and osp.isdir(work_dir):
            shutil.rmtree(work_dir)  # a changed stage starts afresh
        os.makedirs(work_dir, exist_ok=True)
        resolved_config(stage.config, stage.options).dump(
            osp.join(work_dir, CONFIG_FILE))
        commands = stage.type.commands(stage, work_dir, resume)
        self.state.update(stage.name, status='running',
                          fingerprint=fingerprint, type=stage.type.name,
                          config=stage.config, inputs=stage.wired,
                          resumed=resume, started=time.time())
        self.ran.append(stage.name)
        self.log(f'[run ] {stage.name} ({stage.type.name})'
                 + (' resuming from its last checkpoint' if resume else ''))
        start = time.time()
        for command in commands:
            self._call(stage, command, work_dir)
        found = stage.type.outputs(stage, work_dir)
        missing = [o for o in stage.type.produces if o not in found]
        if missing:
            self._fail(stage, f'finished but wrote no {missing[0]}', True)
        test = stage.type.test_command(stage, found, work_dir)
        top1 = None
        if test is not None:
            self._call(stage, test, work_dir)
            with open(osp.join(work_dir, TEST_METRICS)) as f:
                top1 = json.load(f).get('accuracy/top1')
        self.state.set_outputs(stage.name, found, status='done', top1=top1,
                               seconds=round(time.time() - start, 1))
        self.log(f'       {stage.name} done in {time.time() - start:.0f} s'
                 + (f', top-1 {top1:.2f}' if top1 is not None else ''))
        return found

    def _env(self, stage) -> Dict[str, str]:
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (self.root, env.get('PYTHONPATH')) if p)
        env.setdefault('OMP_NUM_THREADS', '1')
        for key, value in dict(self.slurm, **stage.slurm).items():
            env[SLURM_KEYS[key]] = str(value)
        return env

    def _call(self, stage, command, work_dir: str) -> None:
        argv = command.argv(self.root, self.launcher, self.partition,
                            f'{self.job}-{stage.name}')
        with open(osp.join(work_dir, COMMAND), 'a') as f:
            f.write(' '.join(shlex.quote(a) for a in argv) + '\n')
        log_path = osp.join(work_dir, LOG)
        with open(log_path, 'a') as log:
            log.write(f'$ {" ".join(shlex.quote(a) for a in argv)}\n')
            log.flush()
            proc = subprocess.run(argv, cwd=self.root, env=self._env(stage),
                                  stdout=log, stderr=subprocess.STDOUT,
                                  preexec_fn=_die_with_parent)
        if proc.returncode != 0:
            why = (f'killed by signal {-proc.returncode}'
                   if proc.returncode < 0 else f'exit {proc.returncode}')
            reason = _error_line(log_path)
            self._fail(stage, f'{command.tool} failed ({why})'
                       + (f': {reason}' if reason else ''),
                       proc.returncode == 2)

    def _fail(self, stage, message: str, user_error: bool) -> None:
        self.state.update(stage.name, status='failed', error=message)
        log = osp.join(self.stage_dir(stage.name), LOG)
        raise StageFailed(f'stage {stage.name!r}: {message}; log: {log}',
                          user_error)


def _error_line(log_path: str) -> str:
    """The tool's one-line error (``...: error: ...``), if it printed one."""
    with open(log_path, errors='replace') as f:
        lines = [line.strip() for line in f.readlines()[-50:]]
    for line in reversed(lines):
        if ': error: ' in line:
            return line.split(': error: ', 1)[1]
    return ''

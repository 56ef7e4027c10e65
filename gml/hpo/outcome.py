"""How a task ended: its status, failure counts and best job (best.yaml).

A task whose jobs all failed (``error`` or ``lost``) ends ``error``; one with
some failures ends ``finished`` and says how many. The best job is the one
with the best reward among the finished jobs that satisfy the constraints;
when none does, it is the best finished job overall and the task says that
none was feasible (the constrained EA + Hyperband driver's rule).
"""
from collections import Counter
from typing import Dict, List, Optional, Tuple

FAILED = ('error', 'lost')


def status_counts(infos: List[dict]) -> Dict[str, int]:
    return dict(Counter(str(i.get('status')) for i in infos))


def final_status(status: str, infos: List[dict]) -> str:
    """``error`` when every job failed, else the controller's status."""
    failed = sum(i.get('status') in FAILED for i in infos)
    if status == 'finished' and infos and failed == len(infos):
        return 'error'
    return status


def failure_note(infos: List[dict], counts: Optional[dict] = None) -> str:
    """``2 of 8 jobs failed`` (from ``counts`` when given), or ''."""
    counts = counts if counts is not None else status_counts(infos)
    failed = sum(counts.get(s, 0) for s in FAILED)
    total = sum(counts.values())
    return f'{failed} of {total} jobs failed' if failed else ''


def best_job(infos: List[dict], mode: str) -> Optional[dict]:
    """The best finished job with a reward, feasible ones first.

    Returns the job's record with ``feasible`` set (False when no job
    satisfied the constraints), or None when no finished job has a reward.
    """
    scored = [i for i in infos if i.get('status') == 'finished'
              and i.get('reward') is not None]
    if not scored:
        return None
    feasible = [i for i in scored if i.get('feasible', True)]
    pool = feasible or scored
    sign = 1 if mode == 'max' else -1
    best = max(pool, key=lambda i: (sign * i['reward'], -int(i['name'])))
    return dict(best, feasible=bool(feasible))


def best_record(best: dict, task_name: str, attr: str, mode: str,
                constraints: List[dict]) -> dict:
    """The contents of ``best.yaml``."""
    record = {'task': task_name, 'job': best['name'],
              'reward_attribute': attr, 'mode': mode,
              'reward': best['reward'], 'params': best.get('params'),
              'command': best.get('command'), 'run_path': best.get('run_path')}
    if constraints:
        record['feasible'] = best['feasible']
        scalars = best.get('constraint_scalars') or {}
        record['constraints'] = [
            dict(c, value=scalars.get(c.get('scalar', c.get('param'))))
            for c in constraints]
        if not best['feasible']:
            record['note'] = ('no job satisfied the constraints; this is the '
                              'best job overall')
    return record


def display(value: Optional[float]) -> str:
    """A reward for people: ``82.78`` (files keep full precision)."""
    if value is None:
        return 'None'
    if abs(value) >= 1:
        return repr(round(value, 2))  # 82.78, 32.0
    return repr(float(f'{value:.4g}'))  # 0.1235, 1.2e-05


def log_tail(path: Optional[str], lines: int = 5) -> List[str]:
    """The last ``lines`` non-empty lines of a job's log ([] if unreadable)."""
    try:
        with open(path, errors='replace') as f:
            text = f.read()[-8192:]
    except (OSError, TypeError):
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def all_failed(infos: List[dict]) -> Optional[Tuple[str, List[str]]]:
    """When every job failed: a one-line reason naming the first failing
    job and its exit code, and that job's last log lines; else None."""
    failed = [i for i in infos if i.get('status') in FAILED]
    if not infos or len(failed) != len(infos):
        return None
    first = min(failed, key=lambda i: int(i['name']))
    code = first.get('exit_code')
    how = (f'exited with code {code}' if code is not None
           else first.get('error') or first.get('status'))
    reason = (f'all {len(infos)} jobs failed; the first, job {first["name"]}'
              f', {how} (log: {first.get("log_path")})')
    return reason, log_tail(first.get('log_path'))

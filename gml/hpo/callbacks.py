"""Per-job shell hooks: ``task.pre_callback`` and ``task.after_callback``.

Both run in the job's folder, in the job's environment, as part of the job
(on the Slurm node for sbatch jobs). A hook prints its results on stdout as
``key: value`` (or ``key=value``) lines, e.g. ``__benchmark_total_time(h):
[0.5, 'xxx']``; values are read as YAML, other lines are ignored (logs belong
on stderr, which goes to the job's log). Outputs are kept in
``jobs/all/<N>/callback/`` and shown by ``search-ctl show-scalar`` as
``pre_callback_result`` and ``after_callback_result``.

A failing pre hook skips the job's command (the job ends ``error`` with the
hook's exit code); the after hook runs whatever the command's exit code (in
``$GML_HPO_EXIT_CODE``) and its failure is recorded without changing the
job's status.
"""
import os
from typing import Dict, Optional

import yaml

CALLBACK_DIR = 'callback'

_PRE = """mkdir -p callback
(
{hook}
) > callback/pre.out
rc=$?
printf '%s\\n' "$rc" > callback/pre.exit_code
if [ "$rc" -ne 0 ]; then
  echo "gml.hpo: pre_callback exited $rc; the job's command did not run" >&2
  printf '%s\\n' "$rc" > exit_code.tmp && mv -f exit_code.tmp exit_code
  exit $rc
fi
"""

_AFTER = """mkdir -p callback
(
export GML_HPO_EXIT_CODE=$rc
{hook}
) > callback/after.out
printf '%s\\n' "$?" > callback/after.exit_code
"""


def script_parts(pre: Optional[str], after: Optional[str]) -> Dict[str, str]:
    """Shell fragments for run.sh around the job's command."""
    return {'pre': _PRE.format(hook=pre) if pre else '',
            'after': _AFTER.format(hook=after) if after else ''}


def parse_results(text: str) -> Dict[str, object]:
    """``key: value`` / ``key=value`` lines of a hook's stdout."""
    results: Dict[str, object] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parsed = None
        try:
            parsed = yaml.safe_load(line)
        except yaml.YAMLError:
            pass
        if isinstance(parsed, dict) and len(parsed) == 1:
            (key, value), = parsed.items()
            if value is None and '=' in str(key):
                key, value = _split_equals(str(key))
            results[str(key)] = value
        elif '=' in line:
            key, value = _split_equals(line)
            results[key] = value
    return results


def _split_equals(line):
    key, raw = line.split('=', 1)
    try:
        value = yaml.safe_load(raw.strip())
    except yaml.YAMLError:
        value = raw.strip()
    return key.strip(), value


def read_results(job_dir: str) -> Dict[str, object]:
    """``pre_callback_result``/``after_callback_result`` (and a failed
    after hook's exit code) from the job's callback folder."""
    out: Dict[str, object] = {}
    folder = os.path.join(job_dir, CALLBACK_DIR)
    for stage in ('pre', 'after'):
        try:
            with open(os.path.join(folder, f'{stage}.out')) as f:
                out[f'{stage}_callback_result'] = parse_results(f.read())
        except OSError:
            continue
        try:
            with open(os.path.join(folder, f'{stage}.exit_code')) as f:
                code = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if code:
            out[f'{stage}_callback_exit_code'] = code
    return out

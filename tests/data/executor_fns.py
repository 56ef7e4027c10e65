"""Functions dispatched by the executor tests (importable by job processes,
light: no torch)."""
import os
import signal


class Flaky:
    """``x -> x * x``, counting attempts per item in ``log_dir``.

    Args:
        bad: items that raise on every attempt.
        lost: items whose first attempt kills its own process (a job that
            dies without a result, as when a node is lost).
    """

    def __init__(self, log_dir, bad=(), lost=()):
        self.log_dir, self.bad, self.lost = log_dir, set(bad), set(lost)

    def attempts(self, x):
        path = os.path.join(self.log_dir, f'{x}.attempts')
        return os.path.getsize(path) if os.path.exists(path) else 0

    def __call__(self, x):
        with open(os.path.join(self.log_dir, f'{x}.attempts'), 'a') as f:
            f.write('.')
        if x in self.bad:
            raise RuntimeError(f'cannot compute item {x}')
        if x in self.lost and self.attempts(x) == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return x * x

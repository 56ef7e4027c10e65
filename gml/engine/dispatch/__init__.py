"""Where a search's scoring jobs run: in this process or as submitit jobs
(Slurm or local), reattached after a kill."""
from .executors import (ChunkError, ChunkFailure, InProcessExecutor,
                        SubmititExecutor, build_executor)

__all__ = ['ChunkError', 'ChunkFailure', 'InProcessExecutor',
           'SubmititExecutor', 'build_executor']

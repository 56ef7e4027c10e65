"""A job's copy of the project: which files it holds and how they get there.

Selection. In a git work tree the copy holds what git tracks plus untracked
files that are not ignored (``.gitignore`` decides); elsewhere every file.
In both cases virtual environments, ``work_dirs/``, caches, version-control
folders and ``.search-run`` are left out, wherever they are. Entries that git
ignores (``data/``, ``*.pth``) and folders given with ``--link`` are linked
into each job whole, so relative data paths keep working without a copy.

Copying. search-run snapshots the selection once per task into
``tmp/project`` (a reflink or a real copy: never a hard link to the user's own
files), then gives each job reflinks, or else hard links, to the snapshot, so
a job costs directory entries rather than a copy of the project. Hard-linked
snapshot files are made read-only: a job that rewrote one in place would
change it for every job (root ignores the mode; ``--copy-mode copy`` gives
each job independent files).
"""
import errno
import fcntl
import json
import os
import shutil
import stat
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from .errors import SearchError

ROOT_NAME = '.search-run'
VCS = ('.git', '.hg', '.svn')
CACHES = ('__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache',
          '.ipynb_checkpoints', '.cache', '.tox', '.nox')
#: Names a job folder uses for its own records (``jobs/all/<N>/log`` ...).
JOB_FILES = ('log', 'job.yaml', 'reports.json', 'run.sh', 'exit_code',
             'started', 'ack', 'callback')
COPY_MODES = ('auto', 'reflink', 'hardlink', 'copy')
MANIFEST = 'manifest.json'
_FICLONE = 0x40049409  # linux/fs.h: share the data blocks (copy on write)
_NO_CLONE = (errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL,
             errno.ENOSYS, errno.EPERM, errno.EBADF)


def left_out_reason(rel: str, path: str) -> Optional[str]:
    """Why ``rel`` (a path inside the project) is never copied, or None."""
    name = os.path.basename(rel)
    if name == ROOT_NAME:
        return 'search state'
    if name in VCS:
        return 'version control'
    if name == 'work_dirs':
        return 'training outputs'
    if name in CACHES or name.endswith(('.pyc', '.pyo')):
        return 'cache'
    if name == '.venv' or (os.path.isdir(path) and (
            os.path.isfile(os.path.join(path, 'pyvenv.cfg'))
            or os.path.isdir(os.path.join(path, 'conda-meta')))):
        return 'virtual environment'
    if rel == name and name in JOB_FILES:
        return 'name used by the job folder'
    return None


@dataclass
class Selection:
    """What each job gets: relative paths under ``project``.

    Args:
        project: absolute project root (where search-init ran).
        git: whether git chose the files.
        dirs: folders to create, parents first.
        files: regular files to copy.
        symlinks: links in the project, copied as links.
        links: entries linked whole to the project (ignored by git, --link).
        left_out: path -> reason, for the summary.
        size: bytes of ``files``.
    """
    project: str
    git: bool = False
    dirs: List[str] = field(default_factory=list)
    files: List[str] = field(default_factory=list)
    symlinks: List[str] = field(default_factory=list)
    links: List[str] = field(default_factory=list)
    left_out: Dict[str, str] = field(default_factory=dict)
    size: int = 0
    sizes: Dict[str, int] = field(default_factory=dict)  # by top entry

    def save(self, path: str) -> None:
        from gml.utils.fileio import atomic_dump_json
        atomic_dump_json(asdict(self), path)

    @classmethod
    def load(cls, path: str) -> 'Selection':
        with open(path) as f:
            return cls(**json.load(f))

    def describe(self, mode: str, max_items: int = 8) -> List[str]:
        origin = ('git-tracked and untracked-not-ignored files' if self.git
                  else 'all files')
        lines = [f'copying {len(self.files)} files ({human_size(self.size)},'
                 f' {origin}) into each job as {mode}']
        if self.links:
            lines.append('linking into each job: ' + _some(
                [p + ('/' if os.path.isdir(os.path.join(self.project, p))
                      else '') for p in self.links], max_items))
        if self.left_out:
            lines.append('leaving out: ' + _some(
                [f'{p} ({r})' for p, r in self.left_out.items()], max_items))
        return lines


def _some(items, n):
    return ', '.join(items[:n]) + (f' and {len(items) - n} more'
                                   if len(items) > n else '')


def human_size(n: float) -> str:
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024
    return f'{n:.1f} TiB'


def parse_size(text: str) -> int:
    """``500M``, ``2G``, ``1.5GiB`` or bytes; raises SearchError."""
    units = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
    s = str(text).strip().upper().replace('IB', '').rstrip('B')
    unit = s[-1:] if s[-1:] in units and s[-1:] else ''
    try:
        value = float(s[:-1] if unit else s)
    except ValueError:
        value = -1
    if value < 0:
        raise SearchError(f'--max-copy-size {text!r}: expected a size such as'
                          ' 500M or 2G')
    return int(value * units[unit])


# -- selection ------------------------------------------------------------
def _git_list(project: str, *args: str) -> Optional[List[str]]:
    try:
        out = subprocess.run(['git', 'ls-files', '-z', *args], cwd=project,
                             capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [p for p in out.stdout.decode('utf-8', 'surrogateescape')
            .split('\0') if p]


def _in_git_work_tree(project: str) -> bool:
    try:
        out = subprocess.run(['git', 'rev-parse', '--is-inside-work-tree'],
                             cwd=project, capture_output=True, text=True,
                             timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == 'true'


def select(project: str, link: List[str] = (), use_git: bool = True
           ) -> Selection:
    """The files each job gets (see the module docstring)."""
    project = os.path.abspath(project)
    sel = Selection(project=project)
    forced = []
    for entry in link:
        rel = os.path.relpath(os.path.abspath(os.path.join(project, entry)),
                              project)
        if rel.startswith('..') or rel == '.' or not os.path.lexists(
                os.path.join(project, rel)):
            raise SearchError(f'--link {entry!r}: expected a file or folder '
                              f'inside the project {project}')
        forced.append(rel)
    sel.links.extend(forced)
    adder = _Adder(sel, forced)
    if use_git and _in_git_work_tree(project):
        listed = _git_list(project, '--cached', '--others',
                           '--exclude-standard')
        ignored = _git_list(project, '--others', '--ignored',
                            '--exclude-standard', '--directory')
        if listed is not None and ignored is not None:
            sel.git = True
            for rel in listed:
                adder.add(rel, walk=True)
            for rel in ignored:
                rel = rel.rstrip('/')
                path = os.path.join(project, rel)
                if adder.skip(rel) or not os.path.lexists(path):
                    continue
                reason = _reason_on_path(rel, project)
                if reason:
                    adder.leave_out(rel, reason)
                else:
                    sel.links.append(rel)
    if not sel.git:
        adder.walk('')
    for rel in sel.links:
        adder.add_parents(rel)
    sel.dirs = sorted(adder.dirs)
    return sel


def _reason_on_path(rel, project):
    """A reason that applies to ``rel`` or any folder above it."""
    parts = rel.split(os.sep)
    for i in range(len(parts)):
        sub = os.sep.join(parts[:i + 1])
        reason = left_out_reason(sub, os.path.join(project, sub))
        if reason:
            return reason
    return None


class _Adder:
    """Adds entries to a selection, applying the leave-out rules once."""

    def __init__(self, sel: Selection, forced: List[str]):
        self.sel = sel
        self.forced = forced
        self.dirs = set()
        self.checked: Dict[str, Optional[str]] = {}

    def skip(self, rel):
        return any(rel == f or rel.startswith(f + os.sep)
                   for f in self.forced)

    def leave_out(self, rel, reason):
        self.sel.left_out.setdefault(rel, reason)

    def _parent_ok(self, rel) -> bool:
        parent = os.path.dirname(rel)
        if not parent:
            return True
        if parent not in self.checked:
            reason = None if self._parent_ok(parent) else 'above'
            if reason is None:
                reason = left_out_reason(
                    parent, os.path.join(self.sel.project, parent))
                if reason:
                    self.leave_out(parent, reason)
            self.checked[parent] = reason
        return self.checked[parent] is None

    def add(self, rel, walk=False):
        if self.skip(rel) or not self._parent_ok(rel):
            return
        path = os.path.join(self.sel.project, rel)
        reason = left_out_reason(rel, path)
        if reason:
            self.leave_out(rel, reason)
            return
        try:
            st = os.lstat(path)
        except OSError:
            return  # tracked but deleted from the work tree
        if stat.S_ISLNK(st.st_mode):
            self.sel.symlinks.append(rel)
        elif stat.S_ISDIR(st.st_mode):
            if walk:  # a submodule or nested repository: all its files
                self.walk(rel)
            return
        elif stat.S_ISREG(st.st_mode):
            self.sel.files.append(rel)
            self.sel.size += st.st_size
            top = rel.split(os.sep, 1)[0]
            self.sel.sizes[top] = self.sel.sizes.get(top, 0) + st.st_size
        else:
            return  # sockets, fifos: nothing a job can use
        self.add_parents(rel)

    def add_parents(self, rel):
        parent = os.path.dirname(rel)
        while parent and parent not in self.dirs:
            self.dirs.add(parent)
            parent = os.path.dirname(parent)

    def walk(self, top):
        root = os.path.join(self.sel.project, top)
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = os.path.relpath(dirpath, self.sel.project)
            rel_dir = '' if rel_dir == '.' else rel_dir
            keep = []
            for d in sorted(dirnames):
                rel = os.path.join(rel_dir, d)
                path = os.path.join(dirpath, d)
                reason = left_out_reason(rel, path)
                if self.skip(rel):
                    continue
                if reason:
                    self.leave_out(rel, reason)
                elif os.path.islink(path):
                    self.add(rel)
                else:
                    keep.append(d)
                    self.dirs.add(rel)
            dirnames[:] = keep
            for name in sorted(filenames):
                self.add(os.path.join(rel_dir, name))


def check_size(sel: Selection, limit: int) -> None:
    if limit and sel.size > limit:
        largest = sorted(sel.sizes.items(), key=lambda kv: -kv[1])[:5]
        raise SearchError(
            f'the job copy of {sel.project} would be {human_size(sel.size)} '
            f'in {len(sel.files)} files, over --max-copy-size '
            f'{human_size(limit)} (largest: ' + ', '.join(
                f'{k} {human_size(v)}' for k, v in largest) + '); keep big '
            'data out of the copy (git-ignore it, or --link DIR, or '
            '--symlinks) or raise --max-copy-size')


# -- copying --------------------------------------------------------------
def reflink(src: str, dst: str) -> None:
    """Copy-on-write clone of ``src`` (same filesystem); OSError if none."""
    with open(src, 'rb') as s, open(dst, 'wb') as d:
        try:
            fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
        except OSError:
            d.close()
            os.unlink(dst)
            raise
    shutil.copystat(src, dst)  # keep mtime: rewards check it


def _clone_works(src: str, scratch: str) -> bool:
    try:
        reflink(src, scratch)
    except OSError as e:
        if e.errno in _NO_CLONE:
            return False
        raise
    os.unlink(scratch)
    return True


def _copy_file(src, dst, how):
    if how == 'reflink':
        reflink(src, dst)
    elif how == 'hardlink':
        try:
            os.link(src, dst)
        except OSError as e:
            if e.errno != errno.EMLINK:  # ext4: 65,000 links per file
                raise
            shutil.copy2(src, dst)
    else:
        shutil.copy2(src, dst)


def snapshot(sel: Selection, dest: str, mode: str = 'auto') -> str:
    """Copy the selection into ``dest`` once; returns the jobs' copy mode.

    The snapshot itself is a reflink or a real copy of the user's files;
    jobs then get reflinks (``auto`` where the filesystem can), else hard
    links, else copies of it.
    """
    tmp = dest + '.partial'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for rel in sel.dirs:
        os.makedirs(os.path.join(tmp, rel), exist_ok=True)
    first = sel.files[0] if sel.files else None
    clone = False
    if first is not None and mode in ('auto', 'reflink'):
        clone = _clone_works(os.path.join(sel.project, first),
                             os.path.join(tmp, first))
        if mode == 'reflink' and not clone:
            shutil.rmtree(tmp)
            raise SearchError(f'--copy-mode reflink: the filesystem of '
                              f'{dest} cannot clone files (try hardlink or '
                              'copy)')
    for rel in sel.files:
        _copy_file(os.path.join(sel.project, rel), os.path.join(tmp, rel),
                   'reflink' if clone else 'copy')
    for rel in sel.symlinks:
        os.symlink(os.readlink(os.path.join(sel.project, rel)),
                   os.path.join(tmp, rel))
    job_mode = {'auto': 'reflink' if clone else 'hardlink'}.get(mode, mode)
    if job_mode == 'hardlink':
        for rel in sel.files:  # shared inodes: refuse in-place rewrites
            path = os.path.join(tmp, rel)
            os.chmod(path, os.stat(path).st_mode & ~0o222)
    os.replace(tmp, dest)
    return job_mode


def populate(sel: Selection, source: str, dest: str, mode: str) -> None:
    """Give job folder ``dest`` its copy.

    ``mode`` is ``reflink``/``hardlink``/``copy`` from ``source`` (the
    snapshot) or ``symlinks``: per-file links to the live project, so files
    the job writes stay its own.
    """
    os.makedirs(dest, exist_ok=True)
    for rel in sel.dirs:
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
    if mode == 'symlinks':
        for rel in sel.files:
            os.symlink(os.path.join(sel.project, rel),
                       os.path.join(dest, rel))
    else:
        for rel in sel.files:
            _copy_file(os.path.join(source, rel), os.path.join(dest, rel),
                       mode)
    for rel in sel.symlinks:
        os.symlink(os.readlink(os.path.join(source if mode != 'symlinks'
                                            else sel.project, rel)),
                   os.path.join(dest, rel))
    for rel in sel.links:
        os.symlink(os.path.join(sel.project, rel), os.path.join(dest, rel))

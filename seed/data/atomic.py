"""Atomic file writes: a stage that fails must not leave a file that looks complete.

Every temporary name carries the writer's PID (`.NAME.PID.tmp`, `.NAME.PID.XXXXXXXX.tmp`), so that
the next writer of the same file can tell the leftovers of a killed writer (SIGKILL, power loss:
no handler runs) from a live concurrent one, and remove them (`remove_stale_temporaries`).

A process lists each folder once (the first write there): listing a folder of 16k WAVs on every
write made simulation quadratic (6 ms per listing of 20k names, measured). Temporaries left in
that folder later, by a writer killed while this process runs, are removed by the next process.
"""
import contextlib
import os
import re
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path, mode="w", encoding="utf-8", file_mode=0o644):
    """Yield a file object on a temporary name in the same folder; `os.replace` it on success.
    `file_mode`: the permissions of the result (None: mkstemp's 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
        with open(tmp, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if file_mode is not None:
            os.chmod(tmp, file_mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def temporary_path(path):
    """A sibling temporary name for writers that need a path rather than a file object (the stale
    temporaries of `path` are removed first)."""
    path = Path(path)
    remove_stale_temporaries(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # another user's live process
        return True
    return True


_listed = {}   # (pid, folder) -> {NAME: [temporary names that may belong to NAME]}, listed once


def _owners(name):
    """The NAMEs a temporary `.NAME.PID[.X].tmp` can belong to (X has no dot: at most two readings)."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return []
    parts = name[1:-len(".tmp")].split(".")
    return [".".join(parts[:i]) for i in (len(parts) - 1, len(parts) - 2)
            if i >= 1 and parts[i].isdigit()]


def _temporaries_by_name(folder):
    """{NAME: [temporary names]} of `folder` as this process first listed it (module docstring)."""
    key = (os.getpid(), os.path.abspath(folder))      # a forked child lists again
    if key not in _listed:
        found = {}
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            names = []
        for name in names:
            for owner in _owners(name):
                found.setdefault(owner, []).append(name)
        _listed[key] = found
    return _listed[key]


def remove_stale_temporaries(path):
    """Delete the temporaries of `path` whose writer process is gone; returns the names removed.

    A PID is checked on this host only: a job on another node writing the SAME file at the same time
    would be a race in any case, since both would replace it."""
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)(\.[^./]+)?\.tmp$")
    removed = []
    for name in _temporaries_by_name(path.parent).pop(path.name, []):
        m = pattern.match(name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path.parent / name)
            removed.append(name)
    return removed

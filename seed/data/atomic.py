"""Atomic file writes: a stage that fails must not leave a file that looks complete."""
import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path, mode="w", encoding="utf-8", file_mode=0o644):
    """Yield a file object on a temporary name in the same folder; `os.replace` it on success.
    `file_mode`: the permissions of the result (None: mkstemp's 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
    """A sibling temporary name for writers that need a path rather than a file object."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")

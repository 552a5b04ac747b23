"""Removing a step's previous outputs before it works, so a failed rerun never leaves them looking usable.

Every step that writes a folder deletes what it will rewrite at its START (not just before writing):
if it then fails, on bad input or a crash, a reader finds no result instead of the last run's. Names
are removed in the order given: the file readers look for first (embedding.scp, config.yaml) goes
first, so an interrupted removal cannot leave it pointing at nothing.
"""
import shutil
from pathlib import Path

EMBEDDING_OUTPUTS = ("embedding.scp", "embedding.ark", "meta.yaml")


def remove_outputs(folder, names=EMBEDDING_OUTPUTS):
    """Delete `folder/<name>` for each name (files; a folder is removed whole); absent ones are fine."""
    for name in names:
        path = Path(folder) / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def remove_output_file(path, option="output"):
    """Delete a single-file result of an earlier run (`score --out`, `compute_metrics --json`) at the start;
    a folder in its place is a SeedDataError naming `option`, never removed."""
    from seed.data.errors import SeedDataError
    path = Path(path)
    if path.is_dir():
        raise SeedDataError(path, f"{option} is a directory; give a file name")
    path.unlink(missing_ok=True)

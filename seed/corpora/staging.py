"""How a generated corpus folder is (re)written: claimed, built in a staging folder, swapped in.

Shared by the synthetic mini corpus (seed.corpora.synthetic) and the VoxCeleb-layout stand-in
(seed.corpora.voxceleb_standin). An owner file marks a folder as the generator's, so outputs in it may
be replaced while a folder holding someone else's corpus is refused; the done marker is removed
before any work and written by the caller only after the swap, so nothing half-built looks complete.
"""
import os
import shutil
from pathlib import Path


def claim(out, owner, marker, output_names, tool, error):
    """Make `out` the tool's, refusing a folder that holds outputs it did not write (raises `error`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / owner).exists():
        foreign = [n for n in output_names if (out / n).exists()]
        if foreign:
            raise error(f"{out} already holds {', '.join(foreign)} not written by {tool} "
                        f"(no {owner}); remove them or choose another --out-dir")
        (out / owner).write_text(f"written by python -m seed.bin.{tool}\n", encoding="utf-8")
    (out / marker).unlink(missing_ok=True)
    for stale in out.glob(".staging.*"):
        shutil.rmtree(stale, ignore_errors=True)


def build_staged(out, output_names, generate):
    """`generate(staging)` into a fresh staging folder, then swap its outputs in; returns its result."""
    out = Path(out)
    staging = out / f".staging.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        result = generate(staging)
        swap_in(out, staging, output_names)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def swap_in(out, staging, output_names):
    """Replace the previous outputs by the staged ones (old ones go to a trash folder first)."""
    trash = out / f".old.{os.getpid()}"
    trash.mkdir(exist_ok=True)
    try:
        for name in output_names:
            if (out / name).exists():
                os.replace(out / name, trash / name)
            if (staging / name).exists():
                os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(trash, ignore_errors=True)

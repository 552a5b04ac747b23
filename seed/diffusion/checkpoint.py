"""Checkpoints written atomically, with every RNG state so a resumed run continues bit-identically."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from seed.data.atomic import temporary_path

FORMAT = "seed-diffusion-checkpoint/1"


def capture_rng_state() -> dict:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    # NumPy's key array travels as a tensor so checkpoints load with torch.load(weights_only=True).
    state = {"torch": torch.get_rng_state(),
             "numpy": [name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
             "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path, payload: dict) -> None:
    """torch.save to a temporary sibling, then rename: a crash never leaves a truncated .pt."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        torch.save({"format": FORMAT, **payload}, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_checkpoint(path, map_location="cpu") -> dict:
    """Load a SEED checkpoint; raises naming the file when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means "not ours"
        raise ValueError(f"{path}: cannot be read as a SEED checkpoint: {e}".split("\n")[0]) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not a SEED diffusion checkpoint (format {FORMAT})")
    return ckpt

"""Enhance an embedding scp into an embedding folder: embedding.ark, embedding.scp, meta.yaml.

Per-crop matrices are flattened to rows, enhanced row by row (each crop independently, as in the
paper) and written back with their original shapes, in the input's key order.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import yaml


def source_meta(in_scp) -> dict:
    """The input folder's meta.yaml (extractor, crop policy, …), or {} when there is none."""
    meta = Path(in_scp).resolve().parent / "meta.yaml"
    if meta.is_file():
        with open(meta, encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    return {}


def flatten_table(table: dict, dim: int, source) -> tuple:
    """(keys, shapes, rows [R, dim]) of a key -> vector / crop-matrix table, rows in key order: the
    order that fixes each row's enhancement noise (seed.diffusion.enhance)."""
    from seed.data import SeedDataError
    if not table:
        raise SeedDataError(source, "no embeddings")
    keys = list(table)
    shapes = []
    for k in keys:
        a = table[k]
        if a.ndim not in (1, 2) or a.shape[-1] != dim:
            raise SeedDataError(source, f"shape {a.shape} does not end in the model dimension {dim}", key=k)
        shapes.append(a.shape)
    return keys, shapes, np.concatenate([table[k].reshape(-1, dim) for k in keys])


def unflatten_rows(keys, shapes, rows):
    """(key, array of its original shape) pairs back from `flatten_table`'s row order."""
    start = 0
    for key, shape in zip(keys, shapes):
        n = int(np.prod(shape[:-1])) if len(shape) == 2 else 1
        yield key, rows[start: start + n].reshape(shape)
        start += n


def enhance_table(model, table: dict, seed: int = 0, source="<memory>", **overrides) -> dict:
    """Enhanced copy of a whole table, in memory: exactly what `enhance_scp` writes for the same table
    (same row order, so the same noise), e.g. for the strength sweep."""
    keys, shapes, rows = flatten_table(table, model.dim, source)
    enhanced = model.enhancer(**overrides).enhance_rows(rows, seed=seed)
    return dict(unflatten_rows(keys, shapes, enhanced))


def enhance_scp(model, in_scp, out_dir, seed: int = 0, **overrides) -> dict:
    """Enhance every embedding of `in_scp` with a loaded `SEED` model; returns the meta written.

    `overrides` (t, zero_noise, ddim_steps, batch_size, strength) replace the model config's enhancement
    options. A previous embedding.scp, embedding.ark and meta.yaml are removed before anything else
    (meta.yaml is written last), so a failed run leaves no result that a scorer could still read.
    """
    from seed.data import EmbeddingWriter, SeedDataError, atomic_write, load_embedding_dict
    from seed.data.outputs import remove_outputs
    from seed.provenance import environment_info

    out_dir = Path(out_dir)
    if Path(in_scp).resolve().parent == out_dir.resolve():
        raise SeedDataError(in_scp, f"input lies in the output folder {out_dir}, whose previous result is "
                            "removed first; choose another output folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_outputs(out_dir)
    t0 = time.perf_counter()
    keys, shapes, rows = flatten_table(load_embedding_dict(in_scp), model.dim, in_scp)
    t_load = time.perf_counter() - t0
    enhancer = model.enhancer(**overrides)
    enhanced = enhancer.enhance_rows(rows, seed=seed)
    t_enh = time.perf_counter() - t0 - t_load
    with EmbeddingWriter(out_dir / "embedding.ark", out_dir / "embedding.scp") as writer:
        for key, value in unflatten_rows(keys, shapes, enhanced):
            writer.write(key, value)
    rows_per_utt = sorted({1 if len(s) == 1 else s[0] for s in shapes})
    opts = enhancer.options
    src = source_meta(in_scp)
    meta = {
        "stage": "enhance",
        "dim": model.dim,
        "num_keys": len(keys),
        "num_rows": int(rows.shape[0]),
        "rows_per_utt": rows_per_utt[0] if len(rows_per_utt) == 1 else rows_per_utt,
        "vector_per_key": all(len(s) == 1 for s in shapes),
        "source_scp": str(Path(in_scp).resolve()),
        "model": {"checkpoint": str(model.checkpoint_path.resolve()), "step": model.step,
                  "finished": model.finished, "config": model.config.get("name"),
                  "train_scale": model.config["train"]["train_scale"]},
        "enhance": {"seed": int(seed), "t": opts.t, "ddim_steps": opts.ddim_steps,
                    "timesteps": enhancer.timesteps, "zero_noise": opts.zero_noise, "strength": opts.strength,
                    "input_scale": opts.input_scale, "clamp": opts.clamp,
                    "device": str(model.device)},
        "timing_s": {"load": round(t_load, 3), "enhance": round(t_enh, 3),
                     "write": round(time.perf_counter() - t0 - t_load - t_enh, 3)},
        "source_meta": src,
        "environment": environment_info(),
    }
    for key in ("extractor", "sample_rate", "crop_policy"):
        if key in src:
            meta[key] = src[key]
    with atomic_write(out_dir / "meta.yaml") as f:
        yaml.safe_dump(meta, f, sort_keys=False)
    return meta

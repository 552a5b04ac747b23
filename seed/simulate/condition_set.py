"""A test condition over a Kaldi data dir: same utterance ids, materialised audio, aug.jsonl.

The RNG of an utterance is seeded by derive_seed(global seed, utterance id, condition name), so
an output depends only on those three and the pools, never on job count or order.
"""
import sys
from pathlib import Path

import numpy as np

from seed.data import DataDir, SeedDataError, atomic_write, derive_seed, save_audio, validate_data_dir, write_kv
from seed.simulate import outputs
from seed.simulate.augment import AudioCache, apply_recipe
from seed.simulate.inputs import load_input


def _progress(items, desc):
    from tqdm import tqdm
    return tqdm(items, desc=desc, file=sys.stderr, mininterval=2.0, unit="utt")


def run_condition_shard(data, utts, recipe, pools, out_dir, seed, sample_rate, on_bad_input="error", desc=None,
                        audio_format="wav"):
    """Simulate `utts`; returns (records, skipped). Audio goes to OUT/wav/<spk>/<utt>.<audio_format>."""
    out_dir = Path(out_dir)
    cache = AudioCache(sample_rate)
    records, skipped = [], []
    for utt in _progress(utts, desc or recipe.name):
        try:
            x = load_input(data, utt, sample_rate)
        except SeedDataError as e:
            if on_bad_input != "skip":
                raise
            skipped.append({"utt": utt, "reason": e.problem.replace("\n", " ")})
            continue
        rng = np.random.default_rng(derive_seed(seed, utt, recipe.name))
        try:
            y, rec = apply_recipe(x, recipe, rng, pools, cache, sample_rate)
        except ValueError as e:
            if isinstance(e, SeedDataError):
                raise
            raise SeedDataError(data.wav_path(utt), str(e), key=utt) from None
        rel = outputs.wav_relpath(data.utt2spk[utt], utt, audio_format)
        save_audio(out_dir / rel, y.astype(np.float32), sample_rate)
        records.append({"utt": utt, "condition": recipe.name, "wav": rel, "num_samples": int(len(y)), **rec})
    return records, skipped


def merge_condition(data, out_dir, nj, sample_rate, settings):
    """Merge the job shards into the data dir; the count of written + skipped must match the input."""
    out_dir = Path(out_dir).resolve()
    records = outputs.read_shards(out_dir, nj, "records", "utt")
    skipped = outputs.read_shards(out_dir, nj, "skipped", "utt")
    done = {r["utt"] for r in records} | {s["utt"] for s in skipped}
    if done != set(data.utt2spk):
        missing = sorted(set(data.utt2spk) - done, key=str.encode)
        raise SeedDataError(out_dir, f"{len(missing)} input utterances have no output", key=(missing or ["?"])[0])
    if not records:
        raise SeedDataError(out_dir, "every utterance was skipped; nothing to write (see the skipped reasons)")
    outputs.write_jsonl(out_dir / "aug.jsonl", records)
    outputs.write_skipped(out_dir, skipped)
    utts = [r["utt"] for r in records]
    write_kv(out_dir / "utt2spk", {u: data.utt2spk[u] for u in utts})
    write_kv(out_dir / "spk2utt", {s: " ".join(v) for s, v in DataDir(wav_scp={}, utt2spk={
        u: data.utt2spk[u] for u in utts}).spk2utt.items()})
    write_kv(out_dir / "utt2dur", {r["utt"]: f"{r['num_samples'] / sample_rate:.3f}" for r in records})
    if data.path is not None and (Path(data.path) / "trials").is_file():
        # Same utterance ids, so the clean trial list applies unchanged; a copy keeps the dir self-contained.
        with atomic_write(out_dir / "trials", "wb") as f:
            f.write((Path(data.path) / "trials").read_bytes())
    outputs.write_settings(out_dir, {**settings, "num_utts": len(records), "num_skipped": len(skipped)})
    write_kv(out_dir / "wav.scp", {r["utt"]: str(out_dir / r["wav"]) for r in records})
    validate_data_dir(out_dir)
    outputs.remove_shards(out_dir)
    return len(records), len(skipped)

"""Multi-pair training copies (seed-method.md §4): random crops, each with its augmented versions.

For every clean utterance, `num_crops` crops of `crop_samples` (default 32240 = 2.015 s at 16 kHz,
the paper's 200 frames) are drawn; crop i of utterance u gets keys `<u>-crop<iii>-<version>` for
every version of the preset (`clean` first), all cut at the same offset. The `pairs` file lists
`<input key> <target key>` where the target is always the clean crop (`<u>-crop<iii>-clean`),
including the clean->clean pair. Seeds: crop offsets from (seed, utt, "crop", i); augmentation
from (seed, utt, "crop<iii>", preset, version), so adding crops or versions leaves the others
unchanged. An utterance shorter than the crop is tiled (wrap-padded, as voxceleb_trainer does)
from offset 0 — recorded per crop (`padded` in crops.jsonl) and counted in settings and the step's
summary line, since a tiled crop repeats speech; a crop that is digital silence is redrawn (up to
10 offsets), else skipped and counted.
"""
import sys
from pathlib import Path

import numpy as np

from seed.data import DataDir, SeedDataError, derive_seed, save_audio, validate_data_dir, write_kv
from seed.simulate import mixing, outputs
from seed.simulate.augment import AudioCache, apply_recipe
from seed.simulate.inputs import load_input

DEFAULT_CROP_SAMPLES = 32240
DEFAULT_NUM_CROPS = 40      # random crops per clean utterance: many short views of each utterance, as the
                            # recipes train with (the one place this default lives; recipes may override)
CROP_DRAWS = 10


def crop_key(utt, index, version):
    return f"{utt}-crop{index:03d}-{version}"


def draw_crop(x, index, utt, seed, crop_samples):
    """(crop, offset, padded, draws) or None when every drawn crop is digital silence."""
    n = len(x)
    if n <= crop_samples:
        crop = np.take(x, np.arange(crop_samples) % n)
        return (None if mixing.is_silent(crop) else (crop, 0, n < crop_samples, 1))
    rng = np.random.default_rng(derive_seed(seed, utt, "crop", index))
    for draw in range(1, CROP_DRAWS + 1):
        offset = int(rng.integers(0, n - crop_samples + 1))
        crop = x[offset: offset + crop_samples]
        if not mixing.is_silent(crop):
            return crop, offset, False, draw
    return None


def run_pairs_shard(data, utts, preset_name, versions, pools, out_dir, seed, sample_rate,
                    crop_samples=DEFAULT_CROP_SAMPLES, num_crops=DEFAULT_NUM_CROPS, on_bad_input="error", desc=None,
                    audio_format="wav"):
    """Make the copies of `utts`; returns (records, skipped, crops)."""
    from tqdm import tqdm
    out_dir = Path(out_dir)
    cache = AudioCache(sample_rate)
    records, skipped, crops = [], [], []
    for utt in tqdm(utts, desc=desc or f"pairs {preset_name}", file=sys.stderr, mininterval=2.0, unit="utt"):
        try:
            x = load_input(data, utt, sample_rate)
        except SeedDataError as e:
            if on_bad_input != "skip":
                raise
            skipped.append({"utt": utt, "reason": e.problem.replace("\n", " ")})
            continue
        spk = data.utt2spk[utt]
        for i in range(num_crops):
            target = crop_key(utt, i, "clean")
            got = draw_crop(x, i, utt, seed, crop_samples)
            if got is None:
                skipped.append({"utt": target, "source_utt": utt,
                                "reason": f"crop {i}: every drawn crop is digital silence"})
                continue
            crop, offset, padded, draws = got
            crops.append({"key": target, "utt": utt, "crop": i, "offset": offset, "length": crop_samples,
                          "padded": padded, "draws": draws, "source_samples": int(len(x))})
            for version in versions:
                key = crop_key(utt, i, version.name)
                if version.name == "clean":
                    y, rec = np.asarray(crop, dtype=np.float64), {"gain": 1.0}
                else:
                    rng = np.random.default_rng(derive_seed(seed, utt, f"crop{i:03d}", preset_name, version.name))
                    try:
                        y, rec = apply_recipe(crop, version, rng, pools, cache, sample_rate)
                    except ValueError as e:
                        if isinstance(e, SeedDataError):
                            raise
                        raise SeedDataError(data.wav_path(utt), f"crop {i}, {version.name}: {e}", key=utt) from None
                rel = outputs.wav_relpath(spk, key, audio_format)
                save_audio(out_dir / rel, y.astype(np.float32), sample_rate)
                records.append({"key": key, "utt": utt, "crop": i, "version": version.name, "preset": preset_name,
                                "target": target, "wav": rel, "num_samples": int(len(y)), **rec})
    return records, skipped, crops


def merge_pairs(data, out_dir, nj, sample_rate, settings):
    """Merge shards into the data dir + `pairs` + `crops.jsonl`; counts are checked.
    Returns (copies, crops, skipped, wrap-padded crops); the last also goes to `settings`."""
    out_dir = Path(out_dir).resolve()
    records = outputs.read_shards(out_dir, nj, "records", "key")
    skipped = outputs.read_shards(out_dir, nj, "skipped", "utt")
    crops = outputs.read_shards(out_dir, nj, "crops", "key")
    seen = {r["utt"] for r in records} | {s.get("source_utt", s["utt"]) for s in skipped}
    missing = set(data.utt2spk) - seen
    if missing:
        raise SeedDataError(out_dir, f"{len(missing)} input utterances have no output",
                            key=sorted(missing, key=str.encode)[0])
    expected = len(crops) * len(settings["versions"])
    if len(records) != expected:
        raise SeedDataError(out_dir, f"{len(records)} copies written, expected {expected} "
                            f"({len(crops)} crops x {len(settings['versions'])} versions)")
    if not records:
        raise SeedDataError(out_dir, "every utterance was skipped; nothing to write (see the skipped reasons)")
    outputs.write_jsonl(out_dir / "aug.jsonl", records)
    outputs.write_jsonl(out_dir / "crops.jsonl", crops)
    outputs.write_skipped(out_dir, skipped)
    u2s = {r["key"]: data.utt2spk[r["utt"]] for r in records}
    write_kv(out_dir / "utt2spk", u2s)
    write_kv(out_dir / "spk2utt", {s: " ".join(v) for s, v in DataDir(wav_scp={}, utt2spk=u2s).spk2utt.items()})
    write_kv(out_dir / "utt2dur", {r["key"]: f"{r['num_samples'] / sample_rate:.3f}" for r in records})
    write_kv(out_dir / "pairs", {r["key"]: r["target"] for r in records})
    padded = [c for c in crops if c["padded"]]
    outputs.write_settings(out_dir, {**settings, "num_crops_written": len(crops), "num_copies": len(records),
                                      "num_skipped": len(skipped), "num_crops_wrap_padded": len(padded),
                                      "num_utts_wrap_padded": len({c["utt"] for c in padded})})
    write_kv(out_dir / "wav.scp", {r["key"]: str(out_dir / r["wav"]) for r in records})
    validate_data_dir(out_dir)
    outputs.remove_shards(out_dir)
    return len(records), len(crops), len(skipped), len(padded)

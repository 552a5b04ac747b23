"""Output layout shared by condition sets and multi-pair copies: audio paths, shard files, merge.

OUT/wav/<speaker>/<key>.wav (or .flac; 16-bit either way) holds the audio (names percent-quoted,
so any Kaldi key maps to one file name and back). Each job writes OUT/.shards/{records,skipped}.<J>.jsonl; the merging
process sorts them by key, so every merged file is identical whatever the number of jobs.
The files that make the directory look complete (wav.scp last) are written only after every
shard succeeded, and removed first when a run starts. simulate.json carries `content_sha256`, a
digest of aug.jsonl (every draw) and the seed: the content id by which later steps (the extraction's
done markers, seed/extract/stage.py) tell a re-simulated folder from the one they were made from.
"""
import hashlib
import json
from pathlib import Path
from urllib.parse import quote

from seed.data import SeedDataError, atomic_write, c_sorted
from seed.data.outputs import remove_outputs

COMPLETE_FILES = ("wav.scp", "utt2spk", "spk2utt", "utt2dur", "aug.jsonl", "skipped", "pairs", "crops.jsonl",
                  "simulate.json", "trials")
SHARD_DIR = ".shards"


AUDIO_FORMATS = ("wav", "flac")


def wav_relpath(speaker, key, audio_format="wav"):
    """`wav/<speaker>/<key>.<wav|flac>` with characters outside [A-Za-z0-9._+-] percent-quoted."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio format {audio_format!r} not one of {AUDIO_FORMATS}")
    return f"wav/{quote(speaker, safe='-_.+')}/{quote(key, safe='-_.+')}.{audio_format}"


def json_line(obj):
    """One canonical JSON line (sorted keys, no NaN), so merged files compare byte for byte."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def write_jsonl(path, objs):
    with atomic_write(path) as f:
        for o in objs:
            f.write(json_line(o) + "\n")


def write_settings(out_dir, settings):
    """OUT/simulate.json: `settings` plus the content id; call it after aug.jsonl is written."""
    out_dir = Path(out_dir)
    h = hashlib.sha256((out_dir / "aug.jsonl").read_bytes())
    h.update(f"\nseed {settings['seed']}\n".encode("utf-8"))
    write_jsonl(out_dir / "simulate.json", [{**settings, "content_sha256": h.hexdigest()}])


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SeedDataError(path, f"bad JSON: {e}", line=lineno) from None
    return out


def invalidate_out_dir(out_dir, data_dir):
    """First thing of a run: remove the files that make OUT look complete, so a run that then fails (bad
    input, bad pools) leaves no previous result behind. Refuses OUT = the input data dir."""
    if Path(out_dir).resolve() == Path(data_dir).resolve():
        raise SeedDataError(out_dir, "the output dir is the input data dir; choose another --out-dir")
    remove_outputs(out_dir, COMPLETE_FILES)


def prepare_out_dir(out_dir, inputs_inside=()):
    """Remove what would make an old or partial run look complete (and its audio and shards)."""
    out_dir = Path(out_dir)
    for p in inputs_inside:
        if Path(p).resolve().is_relative_to(out_dir.resolve()):
            raise SeedDataError(p, f"input audio lies inside the output dir {out_dir}; choose another --out-dir")
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_outputs(out_dir, COMPLETE_FILES + ("wav", SHARD_DIR))
    (out_dir / SHARD_DIR).mkdir()


def write_shard(out_dir, job_id, records, skipped, extra=None):
    """One job's results; `extra` maps a name to more records (e.g. crops)."""
    d = Path(out_dir) / SHARD_DIR
    d.mkdir(parents=True, exist_ok=True)
    for name, objs in {"records": records, "skipped": skipped, **(extra or {})}.items():
        write_jsonl(d / f"{name}.{job_id}.jsonl", objs)


def read_shards(out_dir, nj, name, key):
    """Every job's `name` records, merged and sorted by `key`; a missing shard is an error."""
    out = []
    for j in range(1, nj + 1):
        path = Path(out_dir) / SHARD_DIR / f"{name}.{j}.jsonl"
        if not path.is_file():
            raise SeedDataError(path, f"job {j} of {nj} left no {name}; did it fail? (see the logs)")
        out += read_jsonl(path)
    order = {k: i for i, k in enumerate(c_sorted([o[key] for o in out]))}
    if len(order) != len(out):
        raise SeedDataError(Path(out_dir) / SHARD_DIR, f"duplicate {key} across job shards")
    return sorted(out, key=lambda o: order[o[key]])


def write_skipped(out_dir, skipped):
    """`OUT/skipped`: `<key> <reason>` lines, only when something was skipped."""
    if skipped:
        with atomic_write(Path(out_dir) / "skipped") as f:
            for s in skipped:
                f.write(f"{s['utt']} {s['reason']}\n")


def remove_shards(out_dir):
    remove_outputs(out_dir, (SHARD_DIR,))

"""Stage 2 bookkeeping: per-job outputs, done markers, the merge and meta.yaml.

Layout of an output folder O for `--nj N`:
  O/split<N>/embedding.<J>.{ark,scp}   job J's embeddings (written atomically)
  O/split<N>/done.<J>                   JSON written only after job J's ark/scp are complete; it holds
                                        a fingerprint of what the job was asked to do, so a re-run skips
                                        the job only when extractor, crops, N and its inputs match
  O/log/extract.<J>.log                 job logs when dispatched through run.pl/slurm.pl
  O/embedding.{ark,scp}, O/meta.yaml    the merged result, rows in C-sorted key order; written last,
                                        and removed at the start of every run, so a failed run never
                                        leaves a folder that looks complete.

A done marker is valid only for the audio it was made from, identified by content, not by names:
re-simulating a condition into the same folder keeps every wav.scp line but changes the files. Hashing
all audio on every run would cost as much as reading it, so the fingerprint uses what changes whenever
a file is rewritten: per utterance its segment and the size and st_mtime_ns of its audio file (for a
piped `cmd |` entry, the command text; a missing file counts as such, and then fails in the job), plus
the content id a simulating step writes into the data dir (`simulate.json`'s `content_sha256`, a
digest of aug.jsonl, i.e. of every draw, and the seed), which differs even when a rewrite keeps size
and mtime. Touching a file without changing it recomputes the job: a wasted job, never a stale one.
"""
import hashlib
import json
import os
from pathlib import Path

import yaml

from seed import jobs
from seed.data import EmbeddingWriter, SeedDataError, atomic_write, load_embedding_dict, write_embeddings
from seed.data.outputs import EMBEDDING_OUTPUTS, remove_outputs
from seed.extract.registry import load_extractor
from seed.extract.runner import extract_utterances

CONTENT_ID_FILE, CONTENT_ID_KEY = "simulate.json", "content_sha256"   # written by seed.simulate.outputs


def split_dir(out_dir, nj):
    return Path(out_dir) / f"split{nj}"


def job_files(out_dir, nj, job_id):
    d = split_dir(out_dir, nj)
    return d / f"embedding.{job_id}.ark", d / f"embedding.{job_id}.scp", d / f"done.{job_id}"


def audio_signature(entry):
    """What identifies the content of one wav.scp entry cheaply: size and mtime_ns of the file, or the
    command text of a piped entry."""
    if entry.rstrip().endswith("|"):
        return f"pipe {entry.strip()}"
    try:
        st = os.stat(entry)
    except OSError:
        return "missing"
    return f"{st.st_size} {st.st_mtime_ns}"


def content_id(data):
    """The content id the data dir's maker wrote (None when there is none or it is unreadable)."""
    if data.path is None:
        return None
    try:
        with open(Path(data.path) / CONTENT_ID_FILE, encoding="utf-8") as f:
            return json.loads(f.readline()).get(CONTENT_ID_KEY)
    except (OSError, ValueError, AttributeError):
        return None


def job_fingerprint(spec, policy, data, nj, job_id, device):
    """What job J computes: extractor spec, device kind, crop policy, and its utterances with their audio
    (by content: see the module docstring)."""
    h = hashlib.sha256()
    h.update(f"content {content_id(data)}\n".encode("utf-8"))
    for utt in jobs.shard(data.utts, nj, job_id):
        rec, start, end = data.segment_of(utt)
        entry = data.wav_scp.get(rec)
        signature = None if entry is None else audio_signature(entry)
        h.update(f"{utt}\t{entry}\t{signature}\t{start}\t{end}\n".encode("utf-8"))
    return {"extractor": spec, "device": "cuda" if str(device).startswith("cuda") else "cpu",
            "crops": str(policy), "nj": nj, "job_id": job_id, "inputs_sha256": h.hexdigest()}


def job_is_done(out_dir, nj, job_id, fingerprint):
    ark, scp, marker = job_files(out_dir, nj, job_id)
    return jobs.is_done(marker, fingerprint, (ark, scp))


def check_nj(data, nj):
    jobs.check_job_options(nj, None, len(data.utts), data.path)


def run_job(spec, data, out_dir, policy, nj, job_id, device="cpu", batch_size=64, progress=True, log=print,
            extractor=None):
    """Compute job `job_id` of `nj` unless its done marker matches; returns 'skipped' or 'done'.

    `extractor`: an already loaded extractor of `spec` (several data dirs in one process load it once),
    or a zero-argument callable returning it (loaded only when the job has work to do).
    """
    fingerprint = job_fingerprint(spec, policy, data, nj, job_id, device)
    ark, scp, marker = job_files(out_dir, nj, job_id)
    if jobs.is_done(marker, fingerprint, (ark, scp)):
        log(f"extract: job {job_id}/{nj} already done ({marker}); not recomputed")
        return "skipped"
    marker.unlink(missing_ok=True)
    utts = jobs.shard(data.utts, nj, job_id)
    if extractor is None:
        extractor = load_extractor(spec, device)
    elif callable(extractor) and not hasattr(extractor, "embed"):
        extractor = extractor()
    log(f"extract: job {job_id}/{nj}: {len(utts)} utterances with {spec} on {extractor.device}, crops {policy}")
    with EmbeddingWriter(ark, scp) as writer:
        stats = extract_utterances(extractor, data, utts, policy, writer, batch_size=batch_size, progress=progress,
                                   desc=f"extract {job_id}/{nj}")
    jobs.write_done(marker, fingerprint, {
        "count": writer.count, "dim": extractor.dim, "sample_rate": extractor.sample_rate,
        "rows_per_utt": policy.rows_per_utt, "device": extractor.device, "extractor": extractor.describe(),
        "stats": {"audio_seconds": stats.audio_seconds, "wall_seconds": stats.wall_seconds,
                  "embed_seconds": stats.embed_seconds, "rtf": stats.rtf},
        "wrap_padded_utts": stats.wrap_padded})
    log(f"extract: job {job_id}/{nj}: {stats.summary()}")
    return "done"


def clear_outputs(out_dir):
    """Remove a previous merged result (embedding.scp first) before recomputing anything."""
    remove_outputs(out_dir, EMBEDDING_OUTPUTS)


def merge_jobs(data, out_dir, policy, nj, spec, device, environment=None, logs=None):
    """Merge per-job ark/scp into O/embedding.{ark,scp}; the count must equal the data dir's utterances.
    `logs`: the job log pattern, named when a job did not finish (default O/log/extract.JOB.log)."""
    out_dir = Path(out_dir)
    logs = logs or jobs.log_pattern(out_dir, "extract")
    merged, records = {}, []
    for j in range(1, nj + 1):
        ark, scp, marker = job_files(out_dir, nj, j)
        fingerprint = job_fingerprint(spec, policy, data, nj, j, device)
        records.append(jobs.check_done(marker, fingerprint, j, nj, jobs.substitute_job(logs, j)))
        for key, arr in load_embedding_dict(scp).items():
            if key in merged:
                raise SeedDataError(scp, "utterance also produced by another job", key=key)
            merged[key] = arr
    expected = data.utts
    missing = [u for u in expected if u not in merged]
    extra = sorted(set(merged) - set(expected))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} of {len(expected)} utterances have no embedding (first: "
                         f"{', '.join(missing[:5])})")
        if extra:
            parts.append(f"{len(extra)} embeddings for utterances not in the data dir (first: {', '.join(extra[:5])})")
        raise SeedDataError(split_dir(out_dir, nj), "merged count " + str(len(merged)) + " != data dir count "
                            + str(len(expected)) + ": " + "; ".join(parts))
    dims = {r["dim"] for r in records}
    if len(dims) != 1:
        raise SeedDataError(split_dir(out_dir, nj), f"jobs disagree on the embedding dimension: {sorted(dims)}")
    dim = dims.pop()
    want = (dim,) if policy.is_whole else (policy.rows_per_utt, dim)
    for key in expected:
        if merged[key].shape != want:
            raise SeedDataError(split_dir(out_dir, nj), f"embedding shape {merged[key].shape}, expected {want}",
                                key=key)
    write_embeddings(out_dir / "embedding.ark", out_dir / "embedding.scp", ((k, merged[k]) for k in expected))
    meta = {
        "extractor": records[0]["extractor"],
        "sample_rate": records[0]["sample_rate"],
        "crop_policy": str(policy),
        "rows_per_utt": policy.rows_per_utt,
        "dim": dim,
        "num_utts": len(expected),
        # utterances shorter than one crop, tiled to the crop length (crops policies only)
        "num_wrap_padded": sum(len(r.get("wrap_padded_utts", ())) for r in records),
        "device": "cuda" if str(device).startswith("cuda") else "cpu",
        "data_dir": str(Path(data.path).resolve()),
        "environment": environment if environment is not None else _environment(),
    }
    with atomic_write(out_dir / "meta.yaml") as f:
        yaml.safe_dump(meta, f, sort_keys=False, allow_unicode=True)
    return meta, records


def _environment():
    from seed.provenance import environment_info
    return environment_info()


def total_stats(records):
    audio = sum(r["stats"]["audio_seconds"] for r in records)
    wall = sum(r["stats"]["wall_seconds"] for r in records)
    return audio, wall


"""Stage 2 bookkeeping: per-job outputs, done markers, the merge and meta.yaml.

Layout of an output folder O for `--nj N`:
  O/split<N>/embedding.<J>.{ark,scp}   job J's embeddings (written atomically)
  O/split<N>/done.<J>                   JSON written only after job J's ark/scp are complete; it holds
                                        a fingerprint of what the job was asked to do, so a re-run skips
                                        the job only when extractor, crops, N and its utterances match
  O/log/extract.<J>.log                 job logs when dispatched through run.pl/slurm.pl
  O/embedding.{ark,scp}, O/meta.yaml    the merged result, rows in C-sorted key order; written last,
                                        and removed at the start of every run, so a failed run never
                                        leaves a folder that looks complete.
"""
import hashlib
import json
from pathlib import Path

import yaml

from seed.data import EmbeddingWriter, SeedDataError, atomic_write, load_embedding_dict, write_embeddings
from seed.extract.registry import load_extractor
from seed.extract.runner import extract_utterances
from seed.jobs import shard

OUTPUTS = ("meta.yaml", "embedding.scp", "embedding.ark")


def split_dir(out_dir, nj):
    return Path(out_dir) / f"split{nj}"


def job_files(out_dir, nj, job_id):
    d = split_dir(out_dir, nj)
    return d / f"embedding.{job_id}.ark", d / f"embedding.{job_id}.scp", d / f"done.{job_id}"


def job_fingerprint(spec, policy, data, nj, job_id, device):
    """What job J computes: extractor spec, device kind, crop policy, and its utterances with their audio."""
    h = hashlib.sha256()
    for utt in shard(data.utts, nj, job_id):
        rec, start, end = data.segment_of(utt)
        h.update(f"{utt}\t{data.wav_scp.get(rec)}\t{start}\t{end}\n".encode("utf-8"))
    return {"extractor": spec, "device": "cuda" if str(device).startswith("cuda") else "cpu",
            "crops": str(policy), "nj": nj, "job_id": job_id, "utterances_sha256": h.hexdigest()}


def read_done(out_dir, nj, job_id):
    """The job's done record, or None when absent or unreadable."""
    marker = job_files(out_dir, nj, job_id)[2]
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def job_is_done(out_dir, nj, job_id, fingerprint):
    ark, scp, _ = job_files(out_dir, nj, job_id)
    done = read_done(out_dir, nj, job_id)
    return bool(done) and done.get("fingerprint") == fingerprint and ark.is_file() and scp.is_file()


def check_nj(data, nj):
    if nj < 1:
        raise ValueError(f"--nj must be >= 1, got {nj}")
    if nj > len(data.utts):
        raise ValueError(f"--nj {nj} exceeds the number of utterances ({len(data.utts)}) in {data.path}")


def run_job(spec, data, out_dir, policy, nj, job_id, device="cpu", batch_size=64, progress=True, log=print,
            extractor=None):
    """Compute job `job_id` of `nj` unless its done marker matches; returns 'skipped' or 'done'.

    `extractor`: an already loaded extractor of `spec` (several data dirs in one process load it once),
    or a zero-argument callable returning it (loaded only when the job has work to do).
    """
    fingerprint = job_fingerprint(spec, policy, data, nj, job_id, device)
    if job_is_done(out_dir, nj, job_id, fingerprint):
        log(f"extract: job {job_id}/{nj} already done ({job_files(out_dir, nj, job_id)[2]}); not recomputed")
        return "skipped"
    ark, scp, marker = job_files(out_dir, nj, job_id)
    marker.unlink(missing_ok=True)
    utts = shard(data.utts, nj, job_id)
    if extractor is None:
        extractor = load_extractor(spec, device)
    elif callable(extractor) and not hasattr(extractor, "embed"):
        extractor = extractor()
    log(f"extract: job {job_id}/{nj}: {len(utts)} utterances with {spec} on {extractor.device}, crops {policy}")
    with EmbeddingWriter(ark, scp) as writer:
        stats = extract_utterances(extractor, data, utts, policy, writer, batch_size=batch_size, progress=progress,
                                   desc=f"extract {job_id}/{nj}")
    record = {"fingerprint": fingerprint, "count": writer.count, "dim": extractor.dim,
              "sample_rate": extractor.sample_rate, "rows_per_utt": policy.rows_per_utt,
              "device": extractor.device, "extractor": extractor.describe(),
              "stats": {"audio_seconds": stats.audio_seconds, "wall_seconds": stats.wall_seconds,
                        "embed_seconds": stats.embed_seconds, "rtf": stats.rtf}}
    with atomic_write(marker) as f:
        json.dump(record, f, indent=1, sort_keys=True)
    log(f"extract: job {job_id}/{nj}: {stats.summary()}")
    return "done"


def clear_outputs(out_dir):
    """Remove a previous merged result (meta.yaml first) before recomputing anything."""
    for name in OUTPUTS:
        (Path(out_dir) / name).unlink(missing_ok=True)


def merge_jobs(data, out_dir, policy, nj, spec, device, environment=None):
    """Merge per-job ark/scp into O/embedding.{ark,scp}; the count must equal the data dir's utterances."""
    out_dir = Path(out_dir)
    merged, records = {}, []
    for j in range(1, nj + 1):
        ark, scp, marker = job_files(out_dir, nj, j)
        done = read_done(out_dir, nj, j)
        if not done or done.get("fingerprint") != job_fingerprint(spec, policy, data, nj, j, device):
            raise SeedDataError(marker, f"job {j} of {nj} did not finish (see {out_dir}/log/extract.{j}.log)")
        records.append(done)
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


"""Stage 5: the backend models a recipe scores with, from one folder of embeddings.

- `centering.scp`: the clean training crops SEED learns from (the targets of the pairs file).
  Subtracting their mean before cosine is the *centering control*: it uses exactly SEED's
  unlabelled data and no model, so any gain SEED claims must be on top of it.
- `plda/`: two-covariance PLDA (+ optional LDA) on a labelled set.
- `cohort.{ark,scp}`: per-speaker mean embeddings of the labelled set, the AS-norm cohort.
All three are removed before anything is computed, so a failed rerun leaves none of the old ones.
"""
from pathlib import Path

import numpy as np

from seed.backend import PldaBackend
from seed.backend.plda_backend import clear_plda_dir
from seed.data import SeedDataError, atomic_write, c_sorted, load_embeddings, read_kv, write_embeddings
from seed.data.outputs import remove_outputs

OUTPUTS = ("centering.scp", "cohort.scp", "cohort.ark", "speaker_overlap.json")   # the last: seed.report.overlap


def targets_of_pairs(pairs_file):
    """The clean target keys of a `<input_key> <target_key>` pairs file, sorted and unique."""
    return c_sorted(set(read_kv(pairs_file).values()))


def write_centering_scp(embeddings_scp, pairs_file, out_scp):
    """Filter the pairs set's scp to the clean targets (lines copied, no ark rewrite)."""
    table = read_kv(embeddings_scp)
    targets = targets_of_pairs(pairs_file)
    missing = [k for k in targets if k not in table]
    if missing:
        raise SeedDataError(embeddings_scp, "clean target of the pairs file has no embedding", key=missing[0])
    with atomic_write(out_scp) as f:
        for k in targets:
            f.write(f"{k} {table[k]}\n")
    return len(targets)


def labelled_matrix(embeddings_scp, utt2spk_file):
    """(embeddings [N, D], speaker index [N], speaker names) for keys of the scp; a key without a
    speaker label is an error, never silently dropped."""
    keys, x = load_embeddings(embeddings_scp)
    utt2spk = read_kv(utt2spk_file)
    missing = [k for k in keys if k not in utt2spk]
    if missing:
        raise SeedDataError(utt2spk_file, "embedding has no speaker label", key=missing[0])
    speakers = c_sorted(set(utt2spk[k] for k in keys))
    index = {s: i for i, s in enumerate(speakers)}
    return x, np.array([index[utt2spk[k]] for k in keys], dtype=np.int64), speakers


def speaker_means(x, spk, n_speakers):
    sums = np.zeros((n_speakers, x.shape[1]), dtype=np.float64)
    np.add.at(sums, spk, x)
    counts = np.bincount(spk, minlength=n_speakers)[:, None]
    return (sums / counts).astype(np.float32)


def clear_backend(out_dir):
    """Remove a previous backend (centering.scp, cohort.*, plda/'s files) from out_dir."""
    remove_outputs(out_dir, OUTPUTS)
    clear_plda_dir(Path(out_dir) / "plda")


def prepare_backend(embeddings_dir, pairs_file, pairs_set, labelled_set, utt2spk_file, out_dir, lda_dim=0):
    """Write centering.scp, plda/ and cohort.{ark,scp} under out_dir; returns a summary dict."""
    embeddings_dir, out_dir = Path(embeddings_dir), Path(out_dir)
    clear_backend(out_dir)          # first, so a failure below leaves no previous backend behind
    out_dir.mkdir(parents=True, exist_ok=True)
    n_center = write_centering_scp(embeddings_dir / pairs_set / "embedding.scp", pairs_file,
                                   out_dir / "centering.scp")
    x, spk, speakers = labelled_matrix(embeddings_dir / labelled_set / "embedding.scp", utt2spk_file)
    counts = np.bincount(spk)
    if (counts >= 2).sum() < 2:
        raise SeedDataError(utt2spk_file, "PLDA needs at least two speakers with two or more embeddings")
    plda = PldaBackend.train(x, spk, lda_dim=lda_dim or None)
    plda.save(out_dir / "plda")
    means = speaker_means(x, spk, len(speakers))
    write_embeddings(out_dir / "cohort.ark", out_dir / "cohort.scp", zip(speakers, means))
    return {"centering_embeddings": n_center, "plda_embeddings": int(len(x)), "plda_speakers": len(speakers),
            "cohort_size": len(speakers), "lda_dim": lda_dim or None}

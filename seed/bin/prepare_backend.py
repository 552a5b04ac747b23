"""Recipe stage 5: centering set, PLDA (+LDA) and AS-norm cohort from one embeddings folder.

  python -m seed.bin.prepare_backend --embeddings-dir exp/embed/resemblyzer \
      --pairs data/train_pairs/pairs --pairs-set train_pairs \
      --labelled-set train_pairs --utt2spk data/train_pairs/utt2spk [--lda-dim 200] \
      --out-dir exp/backend/resemblyzer

Writes OUT/centering.scp (the clean training crops SEED learns from: the centering control's mean),
OUT/plda/ (seed.bin.train_plda format) and OUT/cohort.{ark,scp} (speaker means of the labelled set).
Run it on the extractor's embeddings for the baseline rows and on enhanced ones for SEED rows.

Recipe stage 5 (one call for the baseline and every SEED system of stage 4's systems file; each SEED
backend is trained on THIS corpus's sets enhanced by that system with the first eval seed):
  python -m seed.bin.prepare_backend --systems exp/systems/T.json [--lda-dim 200] [--allow-speaker-overlap]

With --systems, a labelled set that shares speaker labels with the speakers of the trials (the
training copies of a user's own corpus, say) is refused: its PLDA and AS-norm rows would be
label-leaked. --allow-speaker-overlap goes on and records the overlap in
<baseline backend>/speaker_overlap.json, and stage 6 marks every affected row LABEL-LEAKED.
"""
import argparse
import sys
from pathlib import Path

from seed.data import SeedDataError
from seed.report.backend_prep import clear_backend, prepare_backend


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--systems", help="stage 4's systems file: prepare the baseline's and every system's backend "
                                     "(replaces the five options below)")
    p.add_argument("--embeddings-dir", help="folder with <set>/embedding.scp")
    p.add_argument("--pairs", help="pairs file '<input_key> <target_key>' of the training copies")
    p.add_argument("--pairs-set", help="set name of the training copies under --embeddings-dir")
    p.add_argument("--labelled-set", help="set with speaker labels for PLDA and the cohort")
    p.add_argument("--utt2spk", help="utt2spk of the labelled set")
    p.add_argument("--lda-dim", type=int, default=0, help="LDA dimension before PLDA (0: no LDA)")
    p.add_argument("--out-dir")
    p.add_argument("--allow-speaker-overlap", action="store_true",
                   help="with --systems: train on a labelled set that shares speakers with the trials anyway "
                        "(recorded; stage 6 marks the PLDA and AS-norm rows LABEL-LEAKED)")
    args = p.parse_args(argv)
    single = ("embeddings_dir", "pairs", "pairs_set", "labelled_set", "utt2spk", "out_dir")
    if not args.systems and any(getattr(args, k) is None for k in single):
        p.error("give --systems, or all of --embeddings-dir --pairs --pairs-set --labelled-set --utt2spk --out-dir")
    try:
        recipe = read_systems(args.systems) if args.systems else None
        jobs = backend_jobs(recipe) if recipe else [tuple(getattr(args, k) for k in single)]
        overlap = check_speaker_overlap(recipe, args.allow_speaker_overlap) if recipe else None
        for *_, out in jobs:   # every backend first: a failure in one leaves no stale other looking usable
            clear_backend(out)
        for emb, pairs, pairs_set, labelled, utt2spk, out in jobs:
            info = prepare_backend(emb, pairs, pairs_set, labelled, utt2spk, out, args.lda_dim)
            print(f"prepare_backend: {out}: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
        if overlap:
            write_overlap(jobs[0][-1], overlap)
    except (SeedDataError, ValueError) as e:
        print(f"prepare_backend: {e}", file=sys.stderr)
        return 1
    return 0


def read_systems(path):
    from seed.recipe.systems import RecipeSystems
    return RecipeSystems.read(path)


def backend_jobs(r):
    """(embeddings dir, pairs, pairs set, labelled set, utt2spk, out dir) for the baseline and each system."""
    common = (r.pairs_file, r.pairs_set, r.labelled_set, r.utt2spk)
    return [(r.embed_dir, *common, r.baseline_backend_dir)] + \
        [(s.seed_dir(r.first_seed), *common, s.backend_dir) for s in r.systems]


def check_speaker_overlap(recipe, allow):
    """{labelled file, trial speakers file, speakers} when the labelled set shares speakers with the trials
    (refused unless `allow`), else None."""
    from seed.report.overlap import speaker_overlap
    overlap = speaker_overlap(recipe)
    if overlap and not allow:
        raise SeedDataError(overlap["labelled_utt2spk"],
                            f"shares {len(overlap['speakers'])} speaker(s) with the trials of "
                            f"{overlap['trial_utt2spk']} (e.g. '{overlap['speakers'][0]}'): PLDA and AS-norm trained "
                            "on it would be label-leaked; give --plda-set a set of other speakers, or "
                            "--allow-speaker-overlap to go on with every affected row marked", key=overlap["speakers"][0])
    return overlap


def write_overlap(baseline_backend_dir, overlap):
    import json
    from seed.data import atomic_write
    from seed.report.overlap import OVERLAP_FILE
    with atomic_write(Path(baseline_backend_dir) / OVERLAP_FILE) as f:
        json.dump(overlap, f, indent=1)
    print(f"prepare_backend: WARNING: {len(overlap['speakers'])} speaker(s) of the trials are in the labelled set "
          f"(--allow-speaker-overlap): PLDA and AS-norm rows will be marked LABEL-LEAKED", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""How well the synthetic speakers separate for a real speaker encoder (Resemblyzer GE2E).

  python local/voice_separation.py --db db --subset test [--json out.json]

Embeds every utterance of DB/<subset> (RMS-normalised to -30 dBFS, no VAD: seed's default
`resemblyzer` extractor), scores all utterance pairs by cosine and prints the clean all-pairs EER,
the mean same-/different-speaker cosines and, per speaker, its nearest other speaker (centroid
cosine). A speaker whose nearest neighbour is as close as its own utterances are to each other
(`collapses`) is not a distinct speaker to the encoder and should be dropped or merged.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from seed.corpora.librispeech import scan_subset
from seed.data import atomic_write, load_audio
from seed.extract.resemblyzer_ge2e import ResemblyzerExtractor
from seed.metrics import compute_eer


def speaker_table(db):
    """spk_id → voice, from DB/speakers.tsv when present."""
    path = Path(db) / "speakers.tsv"
    if not path.exists():
        return {}
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line]
    return {r[0]: f"{r[2]}:{r[3]}" for r in rows}


def separation(embeddings, speakers):
    """All-pairs EER and cosine statistics of unit-norm `embeddings` [N, D] labelled by `speakers`."""
    labels = np.unique(speakers, return_inverse=True)[1]
    sims = embeddings @ embeddings.T
    iu = np.triu_indices(len(embeddings), 1)
    scores, target = sims[iu], (labels[iu[0]] == labels[iu[1]]).astype(np.int8)
    n = labels.max() + 1
    block = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            m = sims[np.ix_(labels == a, labels == b)]
            block[a, b] = (m.sum() - np.trace(m)) / max(1, m.size - len(m)) if a == b else m.mean()
    return {"eer": float(compute_eer(scores, target)), "n_target": int(target.sum()),
            "n_nontarget": int((1 - target).sum()), "target_cosine_mean": float(scores[target == 1].mean()),
            "nontarget_cosine_mean": float(scores[target == 0].mean())}, block


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True, help="corpus root written by make_synthetic_corpus")
    p.add_argument("--subset", default="test", help="subset to measure (default: the trial speakers)")
    p.add_argument("--json", default=None, help="also write the figures here")
    p.add_argument("--device", default="cpu", help="torch device of the encoder (cpu, cuda, cuda:N)")
    args = p.parse_args(argv)
    wav_scp, utt2spk = scan_subset(args.db, args.subset)
    utts = sorted(wav_scp)
    start = time.time()
    encoder = ResemblyzerExtractor(args.device)
    emb = encoder.embed([load_audio(wav_scp[u], 16000, key=u) for u in utts])
    spk = np.array([utt2spk[u] for u in utts])
    stats, block = separation(emb, spk)
    names = np.unique(spk)
    voices = speaker_table(args.db)
    rows = []
    for i, s in enumerate(names):
        other = np.where(np.arange(len(names)) == i, -np.inf, block[i])
        j = int(np.argmax(other))
        rows.append({"spk": s, "voice": voices.get(s, ""), "self": float(block[i, i]), "nearest": names[j],
                     "nearest_voice": voices.get(names[j], ""), "nearest_cosine": float(block[i, j]),
                     "collapses": bool(block[i, j] >= block[i, i])})
    for r in rows:
        print(f"{r['spk']} {r['voice']:28s} self {r['self']:.3f}  nearest {r['nearest']} {r['nearest_voice']:28s} "
              f"{r['nearest_cosine']:.3f}{'  COLLAPSES' if r['collapses'] else ''}")
    stats.update({"subset": args.subset, "speakers": len(names), "utterances": len(utts),
                  "collapsing_speakers": [r["spk"] for r in rows if r["collapses"]],
                  "seconds": round(time.time() - start, 1)})
    print(f"{args.subset}: {len(names)} speakers, {len(utts)} utterances, {stats['n_target']} target / "
          f"{stats['n_nontarget']} non-target pairs: EER {stats['eer']:.2f} %, cosine same speaker "
          f"{stats['target_cosine_mean']:.3f}, different {stats['nontarget_cosine_mean']:.3f}; "
          f"{len(stats['collapsing_speakers'])} collapsing ({stats['seconds']} s)")
    if args.json:
        with atomic_write(args.json) as f:
            json.dump({"summary": stats, "speakers": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

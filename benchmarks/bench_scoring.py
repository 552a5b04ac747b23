"""Speed of metrics and trial scoring (issue 3 targets).

  python benchmarks/bench_scoring.py [--n-scores 10000000] [--n-trials 1000000] [--n-emb 100000] [--dim 256]

1. EER + minDCF@0.01 + minDCF@0.05 (``seed.metrics.compute_metrics``: validation, one sort, tie
   grouping, both metrics) on N random scores, divided by the time of one ``numpy.sort`` of the
   same float64 array measured in the same run.  Target: <= 3x.  Timed both for untied
   Gaussian scores and for scores rounded to 4 decimals (heavy ties).
2. Cosine-scoring M trials drawn at random from K embeddings (float32, D dims): the scoring
   core (normalise every embedding, gather the enroll/test rows of each block of trials, dot)
   and the end-to-end ``score_trials`` (also mapping trial keys to rows).  Target: <= 1 s.

Every figure is the fastest of repeated calls after a warm-up (the least disturbed by other jobs
on a shared CPU); the ratio is taken per round and the median over rounds is quoted.
"""
import argparse
import statistics
import sys
import time

import numpy as np


def timed(fn, repeat: int) -> float:
    """Fastest of ``repeat`` calls (seconds) after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_metrics(n: int, rounds: int, repeat: int) -> None:
    from seed.metrics import compute_metrics
    rng = np.random.default_rng(0)
    labels = (rng.random(n) < 0.5).astype(np.int8)
    cases = {"untied": rng.standard_normal(n) + 2.0 * labels}
    cases["tied (4 decimals)"] = np.round(np.tanh(cases["untied"] / 3), 4)
    for name, scores in cases.items():
        ratios, t_metric, t_sort = [], [], []
        for _ in range(rounds):
            ts = timed(lambda: np.sort(scores), repeat)
            tm = timed(lambda: compute_metrics(scores, labels), repeat)
            ratios.append(tm / ts)
            t_metric.append(tm)
            t_sort.append(ts)
        m = compute_metrics(scores, labels)
        print(f"metrics, {n:,} scores, {name}: EER+minDCF@0.01+@0.05 {min(t_metric) * 1e3:.1f} ms, "
              f"numpy.sort {min(t_sort) * 1e3:.1f} ms -> ratio {statistics.median(ratios):.2f}x "
              f"(median of {rounds} rounds; target <= 3x)  [EER {m['eer']:.3f}%]")


def bench_cosine(n_trials: int, n_emb: int, dim: int, repeat: int) -> None:
    from seed.backend import CosineScorer, EmbeddingSet, score_pairs, score_trials
    from seed.data import Trials
    rng = np.random.default_rng(1)
    keys = [f"utt{i:06d}" for i in range(n_emb)]
    emb = EmbeddingSet.from_array(rng.standard_normal((n_emb, dim), dtype=np.float32), keys)
    ie, it = rng.integers(0, n_emb, n_trials), rng.integers(0, n_emb, n_trials)
    scorer = CosineScorer(mean=rng.standard_normal(dim).astype(np.float32))

    def core():
        rows = scorer.prepare(emb)
        return score_pairs(scorer, rows, rows, ie, it)

    trials = Trials([keys[i] for i in ie], [keys[i] for i in it], np.zeros(n_trials, np.int8))
    t_core = timed(core, repeat)
    t_full = timed(lambda: score_trials(scorer, trials, emb, emb), repeat)
    print(f"cosine, {n_trials:,} trials from {n_emb:,} x {dim} embeddings: scoring {t_core:.3f} s "
          f"(target <= 1 s); with trial-key lookup (score_trials) {t_full:.3f} s")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-scores", type=int, default=10_000_000, help="scores for the metric timing (default 10M)")
    p.add_argument("--n-trials", type=int, default=1_000_000, help="trials to cosine-score (default 1M)")
    p.add_argument("--n-emb", type=int, default=100_000, help="embeddings the trials draw from (default 100k)")
    p.add_argument("--dim", type=int, default=256, help="embedding dimension (default 256)")
    p.add_argument("--rounds", type=int, default=5, help="rounds for the sort ratio (default 5)")
    p.add_argument("--repeat", type=int, default=3, help="timed calls per measurement (default 3)")
    args = p.parse_args(argv)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    bench_metrics(args.n_scores, args.rounds, args.repeat)
    bench_cosine(args.n_trials, args.n_emb, args.dim, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Issue 15 part 3, out of domain: the mini-trained source models on LibriSpeech test-other (real
# speakers, real noise, measured rooms), side by side in one report: `mini` (the default mini model,
# as make test scores it) and `mini_varied` (trained on far more varied synthetic data:
# egs/mini/seed1/local/run_varied_source.sh), beside the CI model and the same controls as RESULTS_ci.md.
# Reruns stages 4-6 of the CI-size run in exp_ci (its report then holds these OOD rows only: rerun make
# test's LibriSpeech line to restore it) and keeps RESULTS_ci_ood_varied.md.
# Run after the default mini run, the CI-size LibriSpeech run (make test does both) and
# egs/mini/seed1/local/run_varied_source.sh.   (≈ 8 min on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
mini=$(cd ../../mini/seed1 && pwd)
for m in exp/seed/resemblyzer_seed exp_varied/seed/resemblyzer_seed_varied; do
    [ -f "${mini}/${m}/best.pt" ] || { echo "$0: ${mini}/${m}/best.pt missing: run make test and egs/mini/seed1/local/run_varied_source.sh first" >&2; exit 1; }
done
[ -f exp_ci/.done.stage3.resemblyzer_seed_ci ] || { echo "$0: exp_ci has no trained CI model: run make test first" >&2; exit 1; }
./run.sh --data-dir data_ci --exp-dir exp_ci --seed-config conf/seed_ci.yaml --crops-per-utt 10 --nj 2 --n-sim-rooms 4 \
    --eval-seeds "0 1 2" --stage 4 \
    --ood-models "mini=${mini}/exp/seed/resemblyzer_seed mini_varied=${mini}/exp_varied/seed/resemblyzer_seed_varied" \
    --results-copy RESULTS_ci_ood_varied.md "$@"

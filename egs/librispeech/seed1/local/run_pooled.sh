#!/usr/bin/env bash
# Issue 15 parts 3 and 5: SEED trained on real read speech POOLED with generated voices. The CI-size
# LibriSpeech model's training pairs (221 real speakers) and the mini corpus's (100 generated voices in
# 26 accents, generated noise and music, simulated rooms) as one training set (--pool-pairs; keys and
# speakers of the mini corpus prefixed `mini-`), conf/seed_ci_pooled.yaml (twice the steps for 2.1x the
# pairs). Scored on LibriSpeech test-other beside the same controls as RESULTS_ci.md (same data_ci,
# exp_ci: it lives beside the CI model under its own tag, <extractor>_seed_ci_pooled).
#   local/run_pooled.sh [--extractor resemblyzer|campplus] [run.sh options]
# Run after make test (it needs exp_ci and the mini run's pair embeddings of that extractor; make test
# makes both for resemblyzer and campplus). Keeps RESULTS_ci_pooled.md (resemblyzer) or
# RESULTS_ci_pooled_<extractor>.md.   (≈ 10 min on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
extractor=resemblyzer
if [ "${1:-}" = "--extractor" ]; then extractor=${2:?$0: --extractor needs a name (resemblyzer, campplus)}; shift 2; fi
mini=$(cd ../../mini/seed1 && pwd)
scp=${mini}/exp/embed/${extractor}/mini_train_pairs/embedding.scp
if [ ! -f "${scp}" ] || [ ! -f exp_ci/.done.stage1 ]; then
    echo "$0: run make test first (needs ${scp} and exp_ci's stages 0-1)" >&2; exit 1
fi
copy=RESULTS_ci_pooled.md
[ "${extractor}" = resemblyzer ] || copy=RESULTS_ci_pooled_${extractor}.md
./run.sh --data-dir data_ci --exp-dir exp_ci --seed-config conf/seed_ci_pooled.yaml --crops-per-utt 10 --nj 2 \
    --n-sim-rooms 4 --eval-seeds "0 1 2" --stage 2 --extractor "${extractor}" \
    --pool-pairs "mini=${scp}:${mini}/data/mini_train_pairs/pairs" --results-copy "${copy}" "$@"

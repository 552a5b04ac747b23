#!/usr/bin/env bash
# Issue 15: every CI-size training variant, several training seeds each, in domain and out of domain both
# ways (Resemblyzer), then one table over them (conf/replicates_ci.yaml → RESULTS_ci_replicates.md).
# Run after `make test` (it reuses the CI data, embeddings and the default x0 runs at train.seed 0 of
# both recipes: egs/librispeech/seed1/exp_ci and egs/mini/seed1/exp):
#   egs/librispeech/seed1/local/run_variants_ci.sh           # ≈ 40 min on 2 CPU cores
# A variant is a conf file (conf/seed_ci_<variant>.yaml here, conf/seed_<variant>.yaml in egs/mini);
# a replicate adds train.seed (…_trainseed<N>.yaml). Each LibriSpeech run scores its mini twin as
# the OOD model, and each mini run its LibriSpeech twin.
set -euo pipefail
libri=$(cd "$(dirname "$0")/.." && pwd)
mini=$(cd "${libri}/../../mini/seed1" && pwd)
repo=$(cd "${libri}/../../.." && pwd)
libri_ci=(--data-dir data_ci --exp-dir exp_ci --crops-per-utt 10 --nj 2 --n-sim-rooms 4 --eval-seeds "0 1 2")
variants="residual clean0 clean50"          # one training seed each, besides the replicates below
replicated=("" _residual)                    # x0 (the default) and residual: train.seed 1 and 2 as well
for f in "${mini}/exp/.done.stage6.resemblyzer_seed" "${libri}/exp_ci/.done.stage6.resemblyzer_seed_ci"; do
    [ -f "${f}" ] || { echo "$0: ${f} missing: run make test first (its CI runs are train.seed 0 of x0)" >&2; exit 1; }
done
log() { echo "$(date '+%F %T') $*"; }

cd "${mini}"   # 1. the mini models (stages 2-3): the LibriSpeech runs score them out of domain
for v in "${replicated[@]}"; do for s in "" 1 2; do
    c="seed${v}${s:+_trainseed${s}}"; [ "${c}" = seed ] && continue
    log "mini: train ${c}"; ./run.sh --seed-config "conf/${c}.yaml" --stage 2 --stop-stage 3 --results-copy ""
done; done

cd "${libri}"   # 2. LibriSpeech: every variant in domain, each replicate with its mini twin out of domain
for v in ${variants}; do
    twin=(); [ -f "${mini}/conf/seed_${v}.yaml" ] && twin=(--ood-models "mini=${mini}/exp/seed/resemblyzer_seed_${v}")
    log "librispeech: ${v}"
    ./run.sh "${libri_ci[@]}" --seed-config "conf/seed_ci_${v}.yaml" "${twin[@]}" --results-copy "RESULTS_ci_${v}.md" --stage 2
done
for v in "${replicated[@]}"; do for s in 1 2; do
    log "librispeech: seed_ci${v}_trainseed${s}"
    ./run.sh "${libri_ci[@]}" --seed-config "conf/seed_ci${v}_trainseed${s}.yaml" \
        --ood-models "mini=${mini}/exp/seed/resemblyzer_seed${v}_trainseed${s}" --results-copy "" --stage 2
done; done

cd "${mini}"   # 3. mini: stages 4-6 of every mini model, its LibriSpeech twin out of domain
for v in "${replicated[@]}"; do for s in "" 1 2; do
    c="seed${v}${s:+_trainseed${s}}"; [ "${c}" = seed ] && continue
    copy=""; [ -z "${s}" ] && copy="RESULTS${v}.md"
    log "mini: ${c} stages 4-6"
    ./run.sh --seed-config "conf/${c}.yaml" --stage 4 --results-copy "${copy}" \
        --ood-models "librispeech=${libri}/exp_ci/seed/resemblyzer_seed_ci${v}${s:+_trainseed${s}}"
done; done

cd "${repo}"    # 4. one table over all of it
log "table: RESULTS_ci_replicates.md"
python -m seed.bin.compare_replicates egs/librispeech/seed1/conf/replicates_ci.yaml \
    --md egs/librispeech/seed1/RESULTS_ci_replicates.md --json egs/librispeech/seed1/exp_ci/replicates_ci.json

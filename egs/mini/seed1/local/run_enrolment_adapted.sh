#!/usr/bin/env bash
# Issue 15: enrolment-adapted SEED on the mini corpus, beside the speaker-disjoint model. The corpus
# gets N more utterances of every trial speaker (another session, sentences not in the trials: audio
# a deployment has from enrolment, unlabelled); SEED is trained on them (from scratch: `seed`; and the
# recipe's speaker-disjoint model fine-tuned on them: `enrol_adapted`), and the speaker-disjoint model
# is scored on the same trials (`speaker_disjoint`). Its own MINI_DB, data and exp dirs, so the default
# mini run is untouched; the trials, test sets and noise/room pools are those of the default run.
# Cosine, no normalisation only: PLDA and the AS-norm cohort would learn from the trial speakers.
# Run after the default mini run (make test, or ./run.sh):  local/run_enrolment_adapted.sh [N] [run.sh options]
# e.g. with CAM++: ./run.sh --extractor campplus --stage 2, then local/run_enrolment_adapted.sh 20 --extractor campplus
#   --results-copy RESULTS_enrol_campplus.md
# (≈ 9 min on 2 CPU cores; RESULTS_enrol.md)
set -euo pipefail
cd "$(dirname "$0")/.."
n_enrol=20   # utterances per trial speaker: 40 × 20 × 3 crops = 2,400 crops, as mini_train's 100 × 8 × 3
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then n_enrol=$1; shift; fi
extractor=resemblyzer                  # the run.sh default; an --extractor among the options replaces it
args=("$@"); for ((i = 0; i + 1 < ${#args[@]}; i++)); do [ "${args[i]}" = --extractor ] && extractor=${args[i + 1]}; done
own=exp/seed/${extractor}_seed         # the speaker-disjoint model of the default run with that extractor
[ -f "exp/.done.stage6.${extractor}_seed" ] || {
    echo "$0: run the default mini recipe with --extractor ${extractor} first (./run.sh)" >&2; exit 1; }
MINI_DB=db_enrol ./run.sh --data-dir data_enrol --exp-dir exp_enrol --train-set mini_enrol \
    --local-data-opts "--train-subset enrol --enrol-utts-per-speaker ${n_enrol}" \
    --allow-speaker-overlap true --backends cosine --norms none \
    --ood-models "speaker_disjoint=$(pwd)/${own}" --adapted-models "enrol_adapted=$(pwd)/${own}" \
    --sweep-strengths "0.2 0.3 0.5 0.7 1.0" --results-copy RESULTS_enrol.md "$@"

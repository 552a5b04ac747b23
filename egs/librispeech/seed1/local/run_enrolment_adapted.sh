#!/usr/bin/env bash
# Issue 15: enrolment-adapted SEED on REAL speech, beside the speaker-disjoint model. The first N
# utterances (C order) of every test-other speaker are held out of the trials as its enrolment audio
# (unlabelled, as a deployment has it; the same chapter, i.e. the same recording session, as the
# trials: these excerpts have one chapter per speaker); SEED is trained on it (from scratch: `seed`;
# and the speaker-disjoint model fine-tuned on it: `enrol_adapted`), and the speaker-disjoint model,
# trained on train-clean-100, is scored on the same trials (`speaker_disjoint`). The trials hold the
# other utterances only (N = 5: 50 utterances, 1,225 trials, 100 target), so every control is
# recomputed on them in the same report. Own data and exp dirs; noise, music, babble talkers and room
# pools are those of the default run. Cosine, no normalisation only: PLDA and the AS-norm cohort would
# learn from the trial speakers.
# Run after the CI-size LibriSpeech run (make test, or ./run.sh with tests/recipe/run_ci_recipe.sh's
# options):   local/run_enrolment_adapted.sh [N] [--source-exp-dir DIR] [run.sh options]
# e.g. after the full-size run:  local/run_enrolment_adapted.sh 5 --source-exp-dir exp --seed-config conf/seed.yaml
#   --crops-per-utt 177 --data-dir data_enrol --exp-dir exp_enrol --results-copy RESULTS_enrol.md
set -euo pipefail
cd "$(dirname "$0")/.."
n_enrol=5                       # enrolment utterances per trial speaker (of 10 in the shared excerpts)
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then n_enrol=$1; shift; fi
source_exp=exp_ci               # exp dir of the speaker-disjoint run whose model is compared and fine-tuned
if [ "${1:-}" = --source-exp-dir ]; then source_exp=$2; shift 2; fi
extractor=resemblyzer           # run.sh's default; an --extractor among the options replaces it
seed_config=conf/seed_ci.yaml   # the CI size; a --seed-config among the options replaces it
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --extractor) extractor=${args[i + 1]} ;;
        --seed-config) seed_config=${args[i + 1]} ;;
    esac
done
tag="${extractor}_$(basename "${seed_config}" .yaml)"
own="${source_exp}/seed/${tag}"   # the speaker-disjoint model of that run with this extractor and config
[ -f "${source_exp}/.done.stage3.${tag}" ] || {
    echo "$0: no trained model ${own}: run the LibriSpeech recipe with --exp-dir ${source_exp} --extractor ${extractor} --seed-config ${seed_config} first" >&2; exit 1; }
# 44 crops per enrolment utterance: 10 speakers × N=5 × 44 = 2,200 clean crops, as many as the CI
# model's 221 training utterances × 10 crops.
./run.sh --data-dir data_ci_enrol --exp-dir exp_ci_enrol --seed-config "${seed_config}" --crops-per-utt 44 \
    --nj 2 --n-sim-rooms 4 --eval-seeds "0 1 2" --train-set test_other_enrol \
    --local-data-opts "--train-audio enrol --enrol-utts-per-speaker ${n_enrol}" \
    --allow-speaker-overlap true --backends cosine --norms none \
    --ood-models "speaker_disjoint=$(pwd)/${own}" --adapted-models "enrol_adapted=$(pwd)/${own}" \
    --sweep-strengths "0.2 0.3 0.5 0.7 1.0" --results-copy RESULTS_ci_enrol.md "$@"

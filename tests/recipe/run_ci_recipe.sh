#!/usr/bin/env bash
# End-to-end recipe test (part of `make test`), on real and synthetic speech, both directions of the
# out-of-domain protocol (issue 9):
#   1. egs/mini/seed1: the embedded demo (synthetic voices, generated noise, simulated rooms), exactly
#      as `make demo` runs it (stages 0-6);
#   2. egs/librispeech/seed1 stages 0-6 on the shared real excerpts (../shared/data) with the CI
#      configuration (conf/seed_ci.yaml, fewer crops), plus the mini model scored out of domain;
#   3. egs/librispeech/seed1 stages 2-6 again with the CAM++ extractor (a second system on the same
#      simulated data: stages 0-1 are shared, 2-6 carry the system tag);
#   4. egs/mini/seed1 stages 4-6 again, now also scoring the LibriSpeech-trained model out of domain
#      (with the full strength sweep, which the demo itself shortens to 0.3 and 1.0).
# Each RESULTS.md / results.json is checked for a row of every condition x system x backend x norm.
# Work goes to the recipes' data*/exp*/db folders (gitignored), rebuilt from scratch each run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${SEED_VENV:-${repo}/.venv}/bin/python"
check() {  # check RESULTS_DIR CONDITIONS SYSTEMS
    "${python}" "${repo}/tests/recipe/check_results.py" --results-dir "$1" --conditions "$2" --systems "$3" \
        --backends "cosine plda" --norms "none asnorm" --n-seeds 3
}
mini="${repo}/egs/mini/seed1"
libri="${repo}/egs/librispeech/seed1"
mini_conditions="clean noise_snr0 noise_snr5 music_snr5 babble_snr5 reverb_medium reverb_noise_snr5"
libri_conditions="clean noise_snr0 noise_snr5 noise_snr10 music_snr0 music_snr5 babble_snr5 reverb_real reverb_noise_snr0 reverb_noise_snr5"
libri_ci=(--data-dir data_ci --exp-dir exp_ci --seed-config conf/seed_ci.yaml --crops-per-utt 10 --nj 2 --n-sim-rooms 4
          --eval-seeds "0 1 2" --results-copy "")

start=$(date +%s)
cd "${mini}"
rm -rf data exp
./run.sh --results-copy ""
echo "recipe-test: egs/mini stages 0-6 took $(( $(date +%s) - start )) s"
check "${mini}/exp/results/resemblyzer_seed" "${mini_conditions}" "baseline centering seed seed_centered official"

start=$(date +%s)
cd "${libri}"
rm -rf data_ci exp_ci
./run.sh "${libri_ci[@]}" --ood-models "mini=${mini}/exp/seed/resemblyzer_seed"
echo "recipe-test: egs/librispeech stages 0-6 took $(( $(date +%s) - start )) s"
check "${libri}/exp_ci/results/resemblyzer_seed_ci" "${libri_conditions}" \
    "baseline centering seed seed_centered official mini mini_centered"

start=$(date +%s)
./run.sh "${libri_ci[@]}" --extractor campplus --stage 2      # the strong extractor on the same data (stages 0-1 shared)
echo "recipe-test: egs/librispeech stages 2-6 with CAM++ took $(( $(date +%s) - start )) s"
check "${libri}/exp_ci/results/campplus_seed_ci" "${libri_conditions}" "baseline centering seed seed_centered official"

start=$(date +%s)
cd "${mini}"
./run.sh --stage 4 --results-copy "" --ood-models "librispeech=${libri}/exp_ci/seed/resemblyzer_seed_ci" \
    --sweep-strengths "0.2 0.3 0.5 0.7 1.0"
echo "recipe-test: egs/mini stages 4-6 with the out-of-domain model took $(( $(date +%s) - start )) s"
check "${mini}/exp/results/resemblyzer_seed" "${mini_conditions}" \
    "baseline centering seed seed_centered official librispeech librispeech_centered"

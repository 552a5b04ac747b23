#!/usr/bin/env bash
# End-to-end recipe test (part of `make test`): egs/librispeech/seed1 stages 0-6 on the shared real
# excerpts (../shared/data) with the CI configuration (conf/seed_ci.yaml, fewer crops), then checks
# that RESULTS.md and results.json exist with a row for every condition x system x backend x norm.
# Work goes to egs/librispeech/seed1/{data_ci,exp_ci} (gitignored), rebuilt from scratch each run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
recipe="${repo}/egs/librispeech/seed1"
cd "${recipe}"
rm -rf data_ci exp_ci
start=$(date +%s)
./run.sh --data-dir data_ci --exp-dir exp_ci --seed-config conf/seed_ci.yaml --crops-per-utt 10 --nj 2 \
    --n-sim-rooms 4 --eval-seeds "0 1 2" --results-copy ""
echo "recipe-test: stages 0-6 took $(( $(date +%s) - start )) s"
"${SEED_VENV:-${repo}/.venv}/bin/python" "${repo}/tests/recipe/check_results.py" \
    --results-dir "$(ls -d exp_ci/results/*/ | head -1)" \
    --conditions "clean noise_snr0 noise_snr5 noise_snr10 music_snr5 reverb_real reverb_noise_snr5" \
    --systems "baseline centering seed" --backends "cosine plda" --norms "none asnorm" --n-seeds 3

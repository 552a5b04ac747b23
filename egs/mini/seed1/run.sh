#!/usr/bin/env bash
# The embedded default (`make demo`): a synthetic multi-speaker corpus made here, offline, then the
# same stages 1-6 as every recipe, with Resemblyzer. The corpus is SYNTHETIC (TTS voices, generated
# noise, simulated rooms): for real speech see egs/librispeech/seed1 and egs/voxceleb/seed1.
set -euo pipefail
cd "$(dirname "$0")"
./seed.sh \
    --train-set mini_train \
    --test-set mini_test \
    --babble-set mini_babble \
    --test-conditions "noise_snr0 noise_snr5 music_snr5 babble_snr5 reverb_medium reverb_noise_snr5" \
    --rir-source simulated \
    --n-sim-rooms 6 \
    --crops-per-utt 3 \
    --nj 2 \
    --extractor resemblyzer \
    --seed-config conf/seed.yaml \
    --sweep-strengths "0.3 1.0" \
    --results-title "SEED on the synthetic mini corpus" \
    "$@"

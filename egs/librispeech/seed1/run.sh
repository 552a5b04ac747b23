#!/usr/bin/env bash
# SEED on a LibriSpeech-layout corpus: real LibriSpeech, mini LibriSpeech or the shared excerpts
# (train-clean-100: SEED's clean training speech, its last 30 speakers held out as babble talkers;
# test-other: trials). Noise in MUSAN layout, measured RIRs plus simulated rooms.
# Two systems on the same data (stages 0-1 are shared; each extractor gets its own stages 2-6):
#   ./run.sh                                                       # Resemblyzer (GE2E, 256-d)
#   ./run.sh --extractor campplus --stage 2 --results-copy RESULTS_campplus.md   # CAM++ (3D-Speaker, 192-d)
#   ./run.sh --seed-config conf/seed_ci.yaml --crops-per-utt 10    # the smaller CI configuration
# Any option of the shared stage script works here: ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
./seed.sh \
    --train-set train_clean_100 \
    --test-set test_other \
    --babble-set train_clean_100_babble \
    --test-conditions "noise_snr0 noise_snr5 noise_snr10 music_snr0 music_snr5 babble_snr5 reverb_real reverb_noise_snr0 reverb_noise_snr5" \
    --extractor resemblyzer \
    --seed-config conf/seed.yaml \
    --results-title "SEED on LibriSpeech test-other" \
    "$@"

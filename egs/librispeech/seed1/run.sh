#!/usr/bin/env bash
# SEED on a LibriSpeech-layout corpus: real LibriSpeech, mini LibriSpeech or the shared excerpts
# (train-clean-100: SEED's clean training speech; test-other: trials). Noise in MUSAN layout,
# measured RIRs plus simulated rooms, Resemblyzer by default (ESPnet-SPK via --extractor espnet:DIR).
#   ./run.sh                                   # all stages 0-6 with conf/seed.yaml (full config)
#   ./run.sh --seed-config conf/seed_ci.yaml --crops-per-utt 10   # the smaller CI configuration
# Any option of the shared stage script works here: ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
./seed.sh \
    --train-set train_clean_100 \
    --test-set test_other \
    --test-conditions "noise_snr0 noise_snr5 noise_snr10 music_snr5 reverb_real reverb_noise_snr5" \
    --extractor resemblyzer \
    --seed-config conf/seed.yaml \
    --results-title "SEED on LibriSpeech test-other (Resemblyzer)" \
    "$@"

#!/usr/bin/env bash
# SEED at paper scale: VoxCeleb1 (Vox1-O/E/H, simulated mismatch on Vox1-O, VC-Mix), SEED trained on
# LibriTTS-R with MUSAN and RIRS_NOISES, ESPnet-SPK extractors (the published baselines).
# Set the corpus roots in db.sh (VOXCELEB1, LIBRITTS_R, MUSAN, RIRS_NOISES; VOXCONVERSE, VOXCELEB2 optional).
#   ./run.sh --ngpu 1                                       # default: ESPnet-SPK ECAPA-WavLM tag, 10x4 s crops
#   ./run.sh --extractor espnet:/path/to/espnet/exp/dir     # a local ESPnet-SPK experiment
#   ./run.sh --extract-crops crops:4x8                      # ESPnet-SPK's published scoring crops
# Babble conditions (babble_snrN) need --babble-set: a data dir of speech whose speakers are not in the trials.
# The model tag downloads from the Hugging Face hub: run stage 2 once on a machine with internet.
set -euo pipefail
cd "$(dirname "$0")"
./seed.sh \
    --train-set seed_train \
    --test-set voxceleb1_test \
    --plda-set voxceleb2_dev \
    --test-conditions "noise_snr0 noise_snr5 noise_snr10 noise_snr15 noise_snr20 music_snr0 music_snr5 music_snr10 reverb_small reverb_medium reverb_large reverb_noise_snr5 reverb_noise_snr10" \
    --rir-source real \
    --rir-split-by folder \
    --extractor espnet-tag:espnet/voxcelebs12_ecapa_wavlm_joint \
    --extract-crops crops:10x4 \
    --crops-per-utt 1 \
    --seed-config conf/seed.yaml \
    --eval-seeds "0 1 2" \
    --lda-dim 200 \
    --nj 32 \
    --results-title "SEED on VoxCeleb1" \
    "$@"

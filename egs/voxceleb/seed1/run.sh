#!/usr/bin/env bash
# SEED at paper scale: VoxCeleb1 (Vox1-O with simulated mismatch; Vox1-E, Vox1-H, VC-Mix, VoxSRC-23 as
# distributed), SEED trained on LibriTTS-R with MUSAN and RIRS_NOISES, ESPnet-SPK extractors (the
# published baselines). Set the corpus roots in db.sh: VOXCELEB1, LIBRITTS_R, MUSAN, RIRS_NOISES;
# optional: VOXCELEB2 (PLDA / AS-norm cohort; without it the training copies are used, and RESULTS.md
# says so), VOXCONVERSE (VC-Mix), VOXSRC23 (the VoxSRC-23 validation list). README.md lists the
# downloads, and how to try the recipe offline on the VoxCeleb-layout stand-in (local/make_standin.sh).
#   ./run.sh --ngpu 1                                       # default: ESPnet-SPK RawNet3 tag, 10x4 s crops
#   ./run.sh --extractor espnet:/path/to/espnet/exp/dir     # a local ESPnet-SPK experiment
#   ./run.sh --extract-crops crops:4x8 --eer-method espnet  # ESPnet-SPK's published scoring convention
# The model tag loads through the Hugging Face hub client: with internet once, or offline from a
# filled cache (HF_HUB_CACHE=... HF_HUB_OFFLINE=1). The default is RawNet3 (published Vox1-O EER 0.739 %),
# not ESPnet-SPK's best (ECAPA + joint WavLM, 0.394 %): WavLM front ends need s3prl, and s3prl 0.4.18 does
# not import with the pinned torchaudio 2.9 (it calls the removed torchaudio.set_audio_backend).
set -euo pipefail
cd "$(dirname "$0")"
. ./db.sh
# the optional corpora present decide the extra trial lists and the PLDA / cohort set
eval_lists="vox1_e=voxceleb1:trials_vox1_e vox1_h=voxceleb1:trials_vox1_h"
[ -n "${VOXCONVERSE}" ] && eval_lists+=" vcmix=vcmix_test"
[ -n "${VOXSRC23}" ] && eval_lists+=" voxsrc23=voxsrc23"
plda_set=""
[ -n "${VOXCELEB2}" ] && plda_set=voxceleb2_dev
./seed.sh \
    --train-set seed_train \
    --test-set voxceleb1_test \
    --test-list-name vox1_o \
    --eval-lists "${eval_lists}" \
    --plda-set "${plda_set}" \
    --test-conditions "noise_snr0 noise_snr5 noise_snr10 noise_snr15 noise_snr20 music_snr0 music_snr5 music_snr10 reverb_small reverb_medium reverb_large reverb_noise_snr5 reverb_noise_snr10" \
    --rir-source real \
    --rir-split-by folder \
    --extractor espnet-tag:espnet/voxcelebs12_rawnet3 \
    --extract-crops crops:10x4 \
    --crops-per-utt 1 \
    --seed-config conf/seed.yaml \
    --eval-seeds "0 1 2" \
    --lda-dim 200 \
    --nj 32 \
    --results-title "SEED on VoxCeleb1" \
    "$@"

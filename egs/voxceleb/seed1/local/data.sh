#!/usr/bin/env bash
# VoxCeleb recipe data (README.md lists the downloads): VoxCeleb1 with Vox1-O (data/voxceleb1_test:
# the list the recipe simulates mismatch on) and Vox1-E/H (data/voxceleb1: all of VoxCeleb1), in
# the cleaned lists the user downloads next to the audio; VC-Mix when VOXCONVERSE is set; the
# VoxSRC-23 validation list when VOXSRC23 is set; VoxCeleb2 dev (PLDA/cohort) when VOXCELEB2 is set;
# and SEED's clean read-speech training corpus (LibriTTS-R or LibriSpeech layout, no labels used).
set -euo pipefail
data_dir=data
trial_sets=vox1_o,vox1_e,vox1_h   # comma list of vox1_o (always), vox1_e, vox1_h
voxsrc23_list=VoxSRC2023_val.txt  # the VoxSRC-23 list file inside ${VOXSRC23} (its paths are relative to it)
train_corpus=libritts_r           # libritts_r or librispeech: SEED's clean training speech
train_subsets="train-clean-100 train-clean-360"   # subsets of that corpus
train_set=seed_train              # data dir name of the training speech
test_set=voxceleb1_test           # data dir of the Vox1-O utterances (the name prepare_voxceleb writes)
nj=4                              # parallel resampling jobs (LibriTTS-R is 24 kHz)
help_message="Usage: $0 [--data-dir data] [--trial-sets vox1_o,vox1_e,vox1_h] [--voxsrc23-list NAME] [--train-corpus libritts_r|librispeech] [--train-subsets \"A B\"] [--nj N]"
. ./path.sh
. ./db.sh
. utils/parse_options.sh
[ $# -eq 0 ] || { echo "$0: unexpected arguments: $*" >&2; echo "${help_message}" >&2; exit 1; }
[ -n "${VOXCELEB1}" ] || { echo "$0: VOXCELEB1 is empty: set it in db.sh or the environment" >&2; exit 1; }
[ "${test_set}" = voxceleb1_test ] || { echo "$0: --test-set ${test_set}: prepare_voxceleb writes voxceleb1_test" >&2; exit 1; }
opts=()
[ -n "${VOXCONVERSE}" ] && opts+=(--voxconverse "${VOXCONVERSE}")
[ -n "${VOXCELEB2}" ] && opts+=(--vox2 "${VOXCELEB2}")
[ -n "${VOXSRC23}" ] && opts+=(--extra-list "voxsrc23=${VOXSRC23}/${voxsrc23_list}")
python -m seed.bin.prepare_voxceleb --vox1 "${VOXCELEB1}" --out-dir "${data_dir}" --trial-sets "${trial_sets}" "${opts[@]}"
case "${train_corpus}" in
    libritts_r) root="${LIBRITTS_R}"; var=LIBRITTS_R ;;
    librispeech) root="${LIBRISPEECH}"; var=LIBRISPEECH ;;
    *) echo "$0: unknown --train-corpus ${train_corpus}" >&2; exit 1 ;;
esac
[ -n "${root}" ] || { echo "$0: ${var} is empty: SEED's clean training speech is needed (set it in db.sh)" >&2; exit 1; }
parts=()
for s in ${train_subsets}; do
    python -m seed.bin.prepare_librispeech --root "${root}" --subset "${s}" --out-dir "${data_dir}/${train_set}_${s}" --nj "${nj}"
    parts+=("${data_dir}/${train_set}_${s}")
done
utils/combine_data.sh "${data_dir}/${train_set}" "${parts[@]}"

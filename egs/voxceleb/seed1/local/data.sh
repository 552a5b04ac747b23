#!/usr/bin/env bash
# VoxCeleb recipe data: VoxCeleb1 test utterances with Vox1-O/E/H trials (cleaned lists, which the
# user downloads next to the audio), VC-Mix when VOXCONVERSE is set, VoxCeleb2 dev (PLDA/cohort) when
# VOXCELEB2 is set, and SEED's clean read-speech training corpus (LibriTTS-R or LibriSpeech layout).
set -euo pipefail
data_dir=data
trial_sets=vox1_o               # comma list of vox1_o, vox1_e, vox1_h
train_corpus=libritts_r         # libritts_r or librispeech: SEED's clean training speech (no labels used)
train_subsets="train-clean-100 train-clean-360"   # subsets of that corpus
train_set=seed_train            # data dir name of the training speech
test_set=voxceleb1_test         # data dir of the VoxCeleb1 test utterances (the name prepare_voxceleb writes)
help_message="Usage: $0 [--data-dir data] [--trial-sets vox1_o,vox1_e,vox1_h] [--train-corpus libritts_r|librispeech]"
. ./path.sh
. ./db.sh
. utils/parse_options.sh
[ -n "${VOXCELEB1}" ] || { echo "$0: VOXCELEB1 is empty: set it in db.sh or the environment" >&2; exit 1; }
opts=()
[ -n "${VOXCONVERSE}" ] && opts+=(--voxconverse "${VOXCONVERSE}")
[ -n "${VOXCELEB2}" ] && opts+=(--vox2 "${VOXCELEB2}")
python -m seed.bin.prepare_voxceleb --vox1 "${VOXCELEB1}" --out-dir "${data_dir}" --trial-sets "${trial_sets}" "${opts[@]}"
[ "${test_set}" = voxceleb1_test ] || { echo "$0: --test-set ${test_set}: prepare_voxceleb writes voxceleb1_test" >&2; exit 1; }
# the shared stage script expects data/<test_set>/trials: Vox1-O is the simulated-mismatch trial list
cp "${data_dir}/${test_set}/trials_vox1_o" "${data_dir}/${test_set}/trials"
case "${train_corpus}" in
    libritts_r) root="${LIBRITTS_R}"; var=LIBRITTS_R ;;
    librispeech) root="${LIBRISPEECH}"; var=LIBRISPEECH ;;
    *) echo "$0: unknown --train-corpus ${train_corpus}" >&2; exit 1 ;;
esac
[ -n "${root}" ] || { echo "$0: ${var} is empty: SEED's clean training speech is needed (set it in db.sh)" >&2; exit 1; }
parts=()
for s in ${train_subsets}; do
    python -m seed.bin.prepare_librispeech --root "${root}" --subset "${s}" --out-dir "${data_dir}/${train_set}_${s}"
    parts+=("${data_dir}/${train_set}_${s}")
done
utils/combine_data.sh "${data_dir}/${train_set}" "${parts[@]}"

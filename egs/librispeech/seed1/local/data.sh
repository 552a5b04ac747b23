#!/usr/bin/env bash
# LibriSpeech layout → data/<train_set> (clean SEED training speech, labels unused by SEED) and
# data/<test_set> with all-pairs trials. Reads $LIBRISPEECH (db.sh); never writes into it.
set -euo pipefail
data_dir=data
train_subset=train-clean-100   # LibriSpeech subset used as SEED's clean training speech
train_set=train_clean_100      # its data dir name
test_subset=test-other         # LibriSpeech subset used for trials
test_set=test_other            # its data dir name
babble_set=""                  # data dir of babble talkers (empty: none); the stage script passes --babble-set
babble_speakers=30             # with --babble-set: the last N speakers of the training subset (C-sorted) become
                               # babble talkers, held out of SEED's training speech and disjoint from the trials
max_utts_per_speaker=""        # cap per speaker (empty: all)
max_nontarget=""               # subsample non-target trials (empty: all pairs)
help_message="Usage: $0 [--data-dir data] [--train-set S] [--test-set S] [--babble-set S] [--babble-speakers N] ..."
. ./path.sh
. ./db.sh
. utils/parse_options.sh
[ -n "${LIBRISPEECH}" ] || { echo "$0: LIBRISPEECH is empty: set it in db.sh or the environment" >&2; exit 1; }
cap=(); [ -n "${max_utts_per_speaker}" ] && cap=(--max-utts-per-speaker "${max_utts_per_speaker}")
non=(); [ -n "${max_nontarget}" ] && non=(--max-nontarget "${max_nontarget}")
train_part=(); [ -n "${babble_set}" ] && train_part=("--speaker-slice=:-${babble_speakers}")
python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${train_subset}" \
    --out-dir "${data_dir}/${train_set}" "${cap[@]}" "${train_part[@]}"
if [ -n "${babble_set}" ]; then
    python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${train_subset}" \
        --out-dir "${data_dir}/${babble_set}" "${cap[@]}" "--speaker-slice=-${babble_speakers}:"
fi
python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${test_subset}" \
    --out-dir "${data_dir}/${test_set}" --trials all-pairs "${non[@]}"

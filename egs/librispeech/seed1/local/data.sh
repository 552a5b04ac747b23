#!/usr/bin/env bash
# LibriSpeech layout → data/<train_set> (clean SEED training speech, labels unused by SEED) and
# data/<test_set> with all-pairs trials. Reads $LIBRISPEECH (db.sh); never writes into it.
# With --enrol-utts-per-speaker N > 0 the first N utterances (C order) of every trial speaker are held
# out of the trials as its enrolment audio, and --train-audio enrol makes them SEED's training speech:
# enrolment-adapted SEED (speakers shared with the trials, utterances not; RESULTS.md flags the
# overlap). The trials then hold the other utterances only. Use own data/exp dirs
# (local/run_enrolment_adapted.sh, issue 15).
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
enrol_utts_per_speaker=0       # utterances of each trial speaker held out of the trials as enrolment audio (0: none)
train_audio=subset             # SEED's training speech: subset (--train-subset: speakers disjoint from the trials)
                               # or enrol (the trial speakers' enrolment audio: enrolment-adapted SEED)
help_message="Usage: $0 [--data-dir data] [--train-set S] [--test-set S] [--babble-set S] [--babble-speakers N]
  [--max-utts-per-speaker N] [--max-nontarget N] [--train-subset S] [--enrol-utts-per-speaker N] [--train-audio subset|enrol]"
. ./path.sh
. ./db.sh
. utils/parse_options.sh
[ -n "${LIBRISPEECH}" ] || { echo "$0: LIBRISPEECH is empty: set it in db.sh or the environment" >&2; exit 1; }
case "${train_audio}" in
    subset) ;;
    enrol) [ "${enrol_utts_per_speaker}" -gt 0 ] || { echo "$0: --train-audio enrol needs --enrol-utts-per-speaker > 0" >&2; exit 1; } ;;
    *) echo "$0: --train-audio must be subset or enrol, got '${train_audio}'" >&2; exit 1 ;;
esac
cap=(); [ -n "${max_utts_per_speaker}" ] && cap=(--max-utts-per-speaker "${max_utts_per_speaker}")
non=(); [ -n "${max_nontarget}" ] && non=(--max-nontarget "${max_nontarget}")
train_part=(); [ -n "${babble_set}" ] && train_part=("--speaker-slice=:-${babble_speakers}")
trial_part=()
if [ "${enrol_utts_per_speaker}" -gt 0 ]; then
    trial_part=(--utt-slice "${enrol_utts_per_speaker}:")
    python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${test_subset}" \
        --out-dir "${data_dir}/${test_set}_enrol" "${cap[@]}" --utt-slice ":${enrol_utts_per_speaker}"
fi
if [ "${train_audio}" = enrol ]; then
    python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${test_subset}" \
        --out-dir "${data_dir}/${train_set}" "${cap[@]}" --utt-slice ":${enrol_utts_per_speaker}"
else
    python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${train_subset}" \
        --out-dir "${data_dir}/${train_set}" "${cap[@]}" "${train_part[@]}"
fi
if [ -n "${babble_set}" ]; then
    python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${train_subset}" \
        --out-dir "${data_dir}/${babble_set}" "${cap[@]}" "--speaker-slice=-${babble_speakers}:"
fi
python -m seed.bin.prepare_librispeech --root "${LIBRISPEECH}" --subset "${test_subset}" \
    --out-dir "${data_dir}/${test_set}" --trials all-pairs "${non[@]}" "${trial_part[@]}"

#!/usr/bin/env bash
# The mini recipe's corpus: synthesise it (espeak-ng + flite voices, generated noise and music,
# babble talkers) into ${MINI_DB} (db.sh; default db/, gitignored) unless it is already complete
# for the same options, then write the Kaldi data dirs:
#   data/<train_set>   SEED's clean training speech (speakers disjoint from the trials)
#   data/<test_set>    trial speakers, with all-pairs `trials`
#   data/<babble_set>  babble talkers (outside the trial list)
# With --enrol-utts-per-speaker N > 0 the corpus also gets an `enrol` subset: N more utterances of
# every trial speaker (another session, sentences it does not read in the trials). --train-subset enrol
# makes that SEED's training speech: enrolment-adapted SEED (speakers shared with the trials, utterances
# not; RESULTS.md flags the overlap). Use its own MINI_DB, data and exp dirs (see README, issue 15).
# The MUSAN-layout noise (noise/, music/, speech/ by family) is ${MINI_DB}/musan.
set -euo pipefail
data_dir=data               # where the data dirs go
train_set=mini_train        # data dir of the training speakers
test_set=mini_test          # data dir of the trial speakers (+ trials)
babble_set=mini_babble      # data dir of the babble talkers
corpus_seed=0               # seed of the synthetic corpus (voices drawn, sessions, noise)
n_trial_speakers=40         # trial speakers (the first 40 are curated, measured voices)
n_train_speakers=100        # training speakers (beyond 38 curated ones: generated espeak-ng voices)
n_babble_speakers=8         # babble talkers
utts_per_speaker=8          # utterances per speaker (different sentences from conf/sentences.txt)
enrol_utts_per_speaker=0    # utterances of each trial speaker in the corpus's `enrol` subset (0: none)
train_subset=train          # corpus subset of data/<train_set>: train (speaker-disjoint) or enrol
noise_files_per_family=4    # generated files per noise family (9 families)
music_files_per_family=4    # generated files per music family (4 families)
sentences=conf/sentences.txt  # sentence list read by the voices
max_nontarget=""            # subsample non-target trials (empty: all pairs)
nj=2                        # parallel synthesis processes
force=false                 # regenerate the corpus even if it is complete
help_message="Usage: $0 [options]
Synthesises the mini corpus into \${MINI_DB} (db.sh) and prepares data dirs.
Options (default):
  --data-dir DIR (${data_dir})            --train-set NAME (${train_set})
  --test-set NAME (${test_set})           --babble-set NAME (${babble_set})
  --corpus-seed N (${corpus_seed})        --n-trial-speakers N (${n_trial_speakers})
  --n-train-speakers N (${n_train_speakers})    --n-babble-speakers N (${n_babble_speakers})
  --utts-per-speaker N (${utts_per_speaker})    --sentences FILE (${sentences})
  --enrol-utts-per-speaker N (${enrol_utts_per_speaker})  --train-subset train|enrol (${train_subset})
  --noise-files-per-family N (${noise_files_per_family})  --music-files-per-family N (${music_files_per_family})
  --max-nontarget N (all pairs)           --nj N (${nj})      --force true|false (${force})"
. ./path.sh
. ./db.sh
. utils/parse_options.sh
if [ $# -ne 0 ]; then echo "$0: unexpected arguments: $*" >&2; echo "${help_message}" >&2; exit 1; fi
[ -n "${MINI_DB:-}" ] || { echo "$0: MINI_DB is empty: set it in db.sh or the environment" >&2; exit 1; }
case "${train_subset}" in
    train) ;;
    enrol) [ "${enrol_utts_per_speaker}" -gt 0 ] || { echo "$0: --train-subset enrol needs --enrol-utts-per-speaker > 0" >&2; exit 1; } ;;
    *) echo "$0: --train-subset must be train or enrol, got '${train_subset}'" >&2; exit 1 ;;
esac

force_opt=(); [ "${force}" = true ] && force_opt=(--force)
python -m seed.bin.make_synthetic_corpus --out-dir "${MINI_DB}" --seed "${corpus_seed}" \
    --n-trial-speakers "${n_trial_speakers}" --n-train-speakers "${n_train_speakers}" \
    --n-babble-speakers "${n_babble_speakers}" --utts-per-speaker "${utts_per_speaker}" \
    --enrol-utts-per-trial-speaker "${enrol_utts_per_speaker}" \
    --noise-files-per-family "${noise_files_per_family}" --music-files-per-family "${music_files_per_family}" \
    --sentences "${sentences}" --nj "${nj}" "${force_opt[@]}"

non=(); [ -n "${max_nontarget}" ] && non=(--max-nontarget "${max_nontarget}" --seed "${corpus_seed}")
python -m seed.bin.prepare_librispeech --root "${MINI_DB}" --subset "${train_subset}" --out-dir "${data_dir}/${train_set}"
python -m seed.bin.prepare_librispeech --root "${MINI_DB}" --subset test --out-dir "${data_dir}/${test_set}" \
    --trials all-pairs "${non[@]}"
if [ "${n_babble_speakers}" -gt 0 ]; then
    python -m seed.bin.prepare_librispeech --root "${MINI_DB}" --subset babble --out-dir "${data_dir}/${babble_set}"
fi
echo "$0: MUSAN-layout noise, music and babble talkers are in ${MINI_DB}/musan (MUSAN=${MINI_DB}/musan)"

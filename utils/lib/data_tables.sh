# shellcheck shell=bash
# Which tables of a Kaldi data dir are keyed by utterance, by speaker or by recording, so that
# split_data.sh and combine_data.sh treat every table the same way. Each function prints the
# names of the tables present in DIR, one per line. spk2utt is never listed: it is always
# derived from utt2spk (utils/utt2spk_to_spk2utt.pl).

# Keyed by utterance. wav.scp is keyed by utterance unless there is a segments file.
seed_utt_tables() {
  local dir=$1 name
  local -A seen=()
  for name in utt2spk text segments feats.scp vad.scp "$dir"/utt2*; do
    name=${name##*/}
    [ -f "$dir/$name" ] || continue
    [ -n "${seen[$name]:-}" ] && continue
    seen[$name]=1
    echo "$name"
  done
  if [ ! -f "$dir/segments" ] && [ -f "$dir/wav.scp" ]; then echo wav.scp; fi
}

# Keyed by speaker.
seed_spk_tables() {
  local dir=$1 name
  for name in cmvn.scp "$dir"/spk2*; do
    name=${name##*/}
    [ "$name" = spk2utt ] && continue
    [ -f "$dir/$name" ] && echo "$name"
  done
  return 0
}

# Keyed by recording (only meaningful with a segments file, which maps utterances to recordings).
seed_reco_tables() {
  local dir=$1 name
  [ -f "$dir/segments" ] || return 0
  for name in wav.scp "$dir"/reco2*; do
    name=${name##*/}
    [ -f "$dir/$name" ] && echo "$name"
  done
  return 0
}

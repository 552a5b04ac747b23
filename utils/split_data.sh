#!/usr/bin/env bash
# split_data.sh [--per-spk | --per-utt] DIR N
# Splits the Kaldi data dir DIR into N data dirs DIR/splitN/1 .. DIR/splitN/N, so that job J of a
# JOB=1:N array reads DIR/splitN/J. By utterance (default; --per-utt is accepted for Kaldi habits)
# the parts are the contiguous split of utt2spk made by split_scp.pl (the same as seed.jobs.shard);
# with --per-spk no speaker straddles two parts. Every table is split with its utterances
# (utt2spk, wav.scp, segments, text, feats.scp, vad.scp, utt2*), its speakers (spk2*, cmvn.scp)
# or its recordings (wav.scp and reco2* when there is a segments file); spk2utt is regenerated.
# Unlike Kaldi, utterance splitting is the default and both modes write DIR/splitN.
# The tables must agree (run utils/fix_data_dir.sh first): a table with a key that utt2spk lacks,
# or without a key that utt2spk has, is an error naming it, so no line is silently left out.
# DIR/splitN is replaced as a whole only when every part is complete.
set -euo pipefail
utils=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/lib/data_tables.sh
. "$utils/lib/data_tables.sh"
export LC_ALL=C

usage="usage: $0 [--per-spk | --per-utt] DIR N"
die() { echo "$0: $*" >&2; exit 1; }
mode=utt
while [ $# -gt 0 ]; do
  case $1 in
    --per-spk) mode=spk ;;
    --per-utt) mode=utt ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) die "unknown option $1; $usage" ;;
    *) break ;;
  esac
  shift
done
[ $# -eq 2 ] || die "$usage"
data=${1%/}
n=$2
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$n'"
[ -f "$data/utt2spk" ] || die "$data/utt2spk: file missing"

# The first key of the lines of $2 whose key is not in the id list $1 (empty if none).
first_key_not_in() {
  "$utils/filter_scp.pl" --exclude "$1" "$2" | awk 'NR == 1 { k = $1 } END { print k }'
}

utt_tables=$(seed_utt_tables "$data")
spk_tables=$(seed_spk_tables "$data")
reco_tables=$(seed_reco_tables "$data")
tmp=$(mktemp -d "$data/.split$n.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$utils/utt2spk_to_spk2utt.pl" "$data/utt2spk" > "$tmp/spk2utt"
for t in $utt_tables; do
  [ "$t" = utt2spk ] && continue
  k=$(first_key_not_in "$data/utt2spk" "$data/$t")
  [ -z "$k" ] || die "$data/$t: key '$k': not in $data/utt2spk (run utils/fix_data_dir.sh $data)"
  k=$(first_key_not_in "$data/$t" "$data/utt2spk")
  [ -z "$k" ] || die "$data/$t: key '$k': utterance of utt2spk missing here (run utils/fix_data_dir.sh $data)"
done
for t in $spk_tables; do
  k=$(first_key_not_in "$tmp/spk2utt" "$data/$t")
  [ -z "$k" ] || die "$data/$t: key '$k': not a speaker of $data/utt2spk"
  k=$(first_key_not_in "$data/$t" "$tmp/spk2utt")
  [ -z "$k" ] || die "$data/$t: key '$k': speaker of utt2spk missing here"
done
if [ -n "$reco_tables" ]; then
  awk '{ print $2 }' "$data/segments" | sort -u > "$tmp/recordings"
  for t in $reco_tables; do
    k=$(first_key_not_in "$data/$t" "$tmp/recordings")
    [ -z "$k" ] || die "$data/$t: key '$k': recording used in $data/segments missing here"
  done
fi

parts=()
for ((j = 1; j <= n; j++)); do
  mkdir "$tmp/$j"
  parts+=("$tmp/$j/utt2spk")
done
if [ "$mode" = spk ]; then
  "$utils/split_scp.pl" --utt2spk="$data/utt2spk" "$data/utt2spk" "${parts[@]}"
else
  "$utils/split_scp.pl" "$data/utt2spk" "${parts[@]}"
fi
for ((j = 1; j <= n; j++)); do
  part=$tmp/$j
  "$utils/utt2spk_to_spk2utt.pl" "$part/utt2spk" > "$part/spk2utt"
  for t in $utt_tables; do
    [ "$t" = utt2spk ] || "$utils/filter_scp.pl" "$part/utt2spk" "$data/$t" > "$part/$t"
  done
  for t in $spk_tables; do
    "$utils/filter_scp.pl" "$part/spk2utt" "$data/$t" > "$part/$t"
  done
  if [ -n "$reco_tables" ]; then
    awk '{ print $2 }' "$part/segments" | sort -u > "$tmp/part_recordings"
    for t in $reco_tables; do
      "$utils/filter_scp.pl" "$tmp/part_recordings" "$data/$t" > "$part/$t"
    done
  fi
done
rm -f "$tmp/spk2utt" "$tmp/recordings" "$tmp/part_recordings"

final=$data/split$n
if [ -e "$final" ]; then
  old=$(mktemp -d "$data/.split$n.old.XXXXXX")
  mv "$final" "$old/"
  mv "$tmp" "$final"
  rm -rf "$old"
else
  mv "$tmp" "$final"
fi

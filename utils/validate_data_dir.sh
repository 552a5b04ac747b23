#!/usr/bin/env bash
# validate_data_dir.sh [--check-audio] [--require-utt2dur] DIR
# Checks a Kaldi data dir (python -m seed.bin.validate_data_dir): wav.scp, utt2spk, spk2utt
# (and utt2dur, segments when present) sorted in C order, unique keys, consistent across files;
# with --check-audio every audio file is opened. Exit 0 when valid, else 1 with one line per
# problem naming the file, line and key.
# Kaldi's --no-feats, --no-text, --no-spk-sort and --non-print are accepted and change nothing:
# these data dirs never need feats.scp or text.
set -euo pipefail
utils=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/lib/seed_python.sh
. "$utils/lib/seed_python.sh"

usage="usage: $0 [--check-audio] [--require-utt2dur] DIR"
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --check-audio|--require-utt2dur) args+=("$1") ;;
    --no-feats|--no-text|--no-spk-sort|--non-print) ;;
    --no-wav) echo "$0: --no-wav is not supported: these data dirs always need wav.scp" >&2; exit 1 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "$0: unknown option $1; $usage" >&2; exit 1 ;;
    *) break ;;
  esac
  shift
done
if [ $# -ne 1 ]; then echo "$usage" >&2; exit 1; fi
python=$(seed_python)
exec "$python" -m seed.bin.validate_data_dir "${args[@]}" "$1"

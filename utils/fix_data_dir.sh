#!/usr/bin/env bash
# fix_data_dir.sh [--no-backup] DIR
# Repairs a Kaldi data dir in place (python -m seed.bin.fix_data_dir): sorts every table with
# LC_ALL=C order, drops utterances missing from any table and prints how many were dropped and
# why; spk2utt is regenerated. The previous tables go to DIR/.backup/ unless --no-backup (an earlier,
# different .backup/ is kept as DIR/.backup.N, so a second fix never loses what the first started from).
# Exit 1, changing nothing, when no utterance would be left.
set -euo pipefail
utils=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/lib/seed_python.sh
. "$utils/lib/seed_python.sh"

usage="usage: $0 [--no-backup] DIR"
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-backup) args+=("$1") ;;
    --utt-extra-files|--spk-extra-files)
      echo "$0: $1 is not supported: fix_data_dir handles wav.scp, utt2spk, spk2utt, segments and utt2dur" >&2
      exit 1 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "$0: unknown option $1; $usage" >&2; exit 1 ;;
    *) break ;;
  esac
  shift
done
if [ $# -ne 1 ]; then echo "$usage" >&2; exit 1; fi
if [ ! -d "$1" ]; then echo "$0: data dir '$1' not found" >&2; exit 1; fi
python=$(seed_python)
export LC_ALL=C
exec "$python" -m seed.bin.fix_data_dir "${args[@]}" "$1"

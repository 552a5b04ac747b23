#!/usr/bin/env bash
# combine_data.sh [--extra-files "F1 F2"] [--skip-fix true|false] DEST SRC1 [SRC2 ...]
# Merges Kaldi data dirs into DEST: every table that all sources have (wav.scp, utt2spk,
# segments, text, utt2*, spk2*, reco2*, cmvn.scp, feats.scp, vad.scp, plus --extra-files) is
# concatenated and sorted with LC_ALL=C; spk2utt is regenerated from utt2spk. A line repeated
# identically in several sources is kept once (and counted on stderr); a key with different
# values in different sources is an error naming the table and the key. A table that only some
# sources have is left out with a warning naming them (an --extra-files table must be in all).
# DEST is built aside and then replaces any previous DEST as a whole. Afterwards
# utils/fix_data_dir.sh DEST runs unless --skip-fix true (it prints what it drops, if anything).
set -euo pipefail
utils=$(dirname "$(readlink -f "$0")")
# shellcheck source=SCRIPTDIR/lib/data_tables.sh
. "$utils/lib/data_tables.sh"
export LC_ALL=C

extra_files=""
skip_fix=false
help_message="usage: $0 [--extra-files \"F1 F2\"] [--skip-fix true|false] DEST SRC1 [SRC2 ...]
  --extra-files   more tables (keyed by their first field) to combine; every source must have them
  --skip-fix      true: do not run utils/fix_data_dir.sh on DEST afterwards (default: false)"
# shellcheck source=SCRIPTDIR/parse_options.sh
. "$utils/parse_options.sh"

die() { echo "$0: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "need DEST and at least one SRC; see --help"
dest=${1%/}
shift
srcs=("$@")
for src in "${srcs[@]}"; do
  [ -f "$src/utt2spk" ] || die "$src/utt2spk: file missing"
  [ -f "$src/wav.scp" ] || die "$src/wav.scp: file missing"
  if [ -e "$dest" ] && [ "$(readlink -f "$src")" = "$(readlink -f "$dest")" ]; then
    die "DEST $dest is also a source"
  fi
done
with_segments=0
for src in "${srcs[@]}"; do [ -f "$src/segments" ] && with_segments=$((with_segments + 1)); done
if [ "$with_segments" -ne 0 ] && [ "$with_segments" -ne "${#srcs[@]}" ]; then
  die "only some sources have a segments file; add segments to the others (or remove them)"
fi

# Every table name found in any source, once.
declare -A wanted=()
tables=()
for src in "${srcs[@]}"; do
  for t in $(seed_utt_tables "$src") $(seed_spk_tables "$src") $(seed_reco_tables "$src") $extra_files; do
    [ -n "${wanted[$t]:-}" ] && continue
    wanted[$t]=1
    tables+=("$t")
  done
done

mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$dest.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for t in "${tables[@]}"; do
  missing=()
  for src in "${srcs[@]}"; do [ -f "$src/$t" ] || missing+=("$src"); done
  if [ ${#missing[@]} -gt 0 ]; then
    case " $extra_files " in
      *" $t "*) die "$t (from --extra-files) is missing in: ${missing[*]}" ;;
    esac
    [ "$t" = utt2spk ] || [ "$t" = wav.scp ] || [ "$t" = segments ] \
      && die "$t is missing in: ${missing[*]}"
    echo "$0: warning: not combining $t: missing in ${missing[*]}" >&2
    continue
  fi
  for src in "${srcs[@]}"; do cat "$src/$t"; done | sort > "$tmp/$t.all"
  sort -u "$tmp/$t.all" > "$tmp/$t"
  n_all=$(wc -l < "$tmp/$t.all")
  n_uniq=$(wc -l < "$tmp/$t")
  rm "$tmp/$t.all"
  key=$(awk '{ print $1 }' "$tmp/$t" | uniq -d | awk 'NR == 1 { k = $1 } END { print k }')
  [ -z "$key" ] || die "$t: key '$key': different values in different sources (${srcs[*]})"
  if [ "$n_all" -ne "$n_uniq" ]; then
    echo "$0: note: $t: $((n_all - n_uniq)) line(s) repeated identically across sources kept once" >&2
  fi
done
"$utils/utt2spk_to_spk2utt.pl" "$tmp/utt2spk" > "$tmp/spk2utt"

if [ -e "$dest" ]; then
  old=$(mktemp -d "$dest.old.XXXXXX")
  mv "$dest" "$old/"
  mv "$tmp" "$dest"
  rm -rf "$old"
else
  mv "$tmp" "$dest"
fi
echo "$0: combined ${#srcs[@]} data dirs into $dest ($(wc -l < "$dest/utt2spk") utterances, $(wc -l < "$dest/spk2utt") speakers)" >&2
if [ "$skip_fix" = false ]; then
  "$utils/fix_data_dir.sh" "$dest"
fi

#!/usr/bin/env bash
# Scaffold a new corpus recipe: egs/TEMPLATE/seed1/setup.sh NAME  →  egs/NAME/seed1/
# Shared pieces (seed.sh, path.sh, utils) are symlinks into TEMPLATE, as ESPnet requires in review;
# run.sh, db.sh, cmd.sh, conf/ and local/data.sh are copies for you to edit.
set -euo pipefail
[ $# -eq 1 ] || { echo "Usage: $0 NAME   (creates egs/NAME/seed1)" >&2; exit 1; }
name=$1
[[ "${name}" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "$0: recipe name '${name}' must be [A-Za-z0-9_.-]+" >&2; exit 1; }
template="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${template}/../../${name}/seed1"
[ -e "${target}" ] && { echo "$0: ${target} already exists" >&2; exit 1; }
mkdir -p "${target}/conf" "${target}/local"
cd "${target}"
ln -s ../../TEMPLATE/seed1/seed.sh seed.sh
ln -s ../../TEMPLATE/seed1/path.sh path.sh
ln -s ../../../utils utils
cp "${template}/cmd.sh" "${template}/db.sh" .
cp "${template}/conf/seed.yaml" conf/seed.yaml
cp -r "${template}/conf/slurm.conf" "${template}/conf/queue.conf" conf/ 2>/dev/null || true
cat > local/data.sh <<'EOS'
#!/usr/bin/env bash
# Corpus-specific data preparation. Write, under --data-dir:
#   <train_set>/  clean speech SEED learns from (wav.scp, utt2spk, spk2utt; labels are not used by SEED)
#   <test_set>/   the test utterances and <test_set>/trials (Kaldi: "<enroll> <test> target|nontarget")
# Read corpus roots from db.sh; never write into a corpus folder. Useful tools:
#   python -m seed.bin.prepare_librispeech --root R --subset S --out-dir D [--trials all-pairs]
#   python -m seed.bin.convert_trials --from voxceleb|espnet --to kaldi IN OUT
#   python -m seed.bin.fix_data_dir D ; python -m seed.bin.validate_data_dir D --check-audio
# The stage script passes --data-dir, --train-set, --test-set (and --babble-set when run.sh sets one),
# so the set names live in one place.
set -euo pipefail
data_dir=data
train_set=train
test_set=test
babble_set=""
help_message="Usage: $0 [--data-dir data] [--train-set train] [--test-set test] [--babble-set NAME]"
. ./path.sh
. ./db.sh
. utils/parse_options.sh
echo "$0: edit me: write ${data_dir}/${train_set} and ${data_dir}/${test_set}/trials" >&2
exit 1
EOS
chmod +x local/data.sh
cat > run.sh <<EOS
#!/usr/bin/env bash
# SEED recipe for ${name}. Options: ./run.sh --help
set -euo pipefail
cd "\$(dirname "\$0")"
# Every recipe reports the same systems (defaults of seed.sh): baseline, centering control, SEED,
# SEED + centering, the official output (--enhance-variants "official:strength=1.0") and its centring.
./seed.sh \\
    --train-set train \\
    --test-set test \\
    --extractor resemblyzer \\
    --seed-config conf/seed.yaml \\
    "\$@"
EOS
chmod +x run.sh
echo "created ${target}: edit db.sh (corpus roots), local/data.sh (data dirs + trials), run.sh (options)"

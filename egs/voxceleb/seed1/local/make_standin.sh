#!/usr/bin/env bash
# Offline stand-in of every corpus this recipe reads (README.md "Offline: the VoxCeleb-layout
# stand-in"): a SYNTHETIC tree in the real layouts (python -m seed.bin.make_voxceleb_standin), then
# the db.sh roots that point at it, printed on stdout as `export` lines:
#   eval "$(local/make_standin.sh)" && ./run.sh ...            # default folder db/standin (gitignored)
#   local/make_standin.sh --out-dir /data/standin --nj 4 -- --vox1-test-speakers 20
# A rerun with the same options does nothing (done marker). Its numbers say nothing about VoxCeleb.
set -euo pipefail
out_dir=db/standin   # where the stand-in goes
nj=2                 # parallel generator processes (the bytes do not depend on it)
seed=0               # seed of every draw
help_message="Usage: $0 [--out-dir db/standin] [--nj 2] [--seed 0] [-- generator size options]"
. ./path.sh
. utils/parse_options.sh
python -m seed.bin.make_voxceleb_standin --out-dir "${out_dir}" --nj "${nj}" --seed "${seed}" "$@" >&2
root=$(cd "${out_dir}" && pwd)
cat <<EOV
export VOXCELEB1=${root}/voxceleb1
export VOXCELEB2=${root}/voxceleb2
export VOXCONVERSE=${root}/voxconverse_test_SV
export VOXSRC23=${root}/voxsrc23
export LIBRITTS_R=${root}/LibriTTS_R
export MUSAN=${root}/musan
export RIRS_NOISES=${root}/RIRS_NOISES
EOV

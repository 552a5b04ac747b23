#!/usr/bin/env bash
# Issue 15 part 3: does a source model trained on far more varied data carry its gain to unseen
# speakers, noises and rooms? The mini corpus with 400 generated training voices in 26 English and
# foreign accents (default 100), 16 babble talkers (default 8: the kaldi preset mixes up to 7 of the
# training share), 12 generated files per noise family and 8 per music family (default
# 4 and 4), 16 simulated rooms per class (default 6), and the kaldi training preset (reverb, foreground
# noise, music AND babble versions of every crop; default: the paper's clean/music/noise/reverb). Trained
# with conf/seed_varied.yaml (steps scaled with the data). Own MINI_DB, data and exp dirs; its in-domain
# report is RESULTS_varied.md (its test noise files and rooms are drawn from the larger pools, so its
# baseline differs from RESULTS.md's). The out-of-domain measurement, on LibriSpeech beside the default
# mini model, is egs/librispeech/seed1/local/run_ood_varied.sh.
# (≈ 25 min on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
MINI_DB=db_varied ./run.sh --data-dir data_varied --exp-dir exp_varied --seed-config conf/seed_varied.yaml \
    --local-data-opts "--n-train-speakers 400 --n-babble-speakers 16 --noise-files-per-family 12 --music-files-per-family 8" \
    --n-sim-rooms 16 --train-preset kaldi --sweep-strengths "0.2 0.3 0.5 1.0" --results-copy RESULTS_varied.md "$@"

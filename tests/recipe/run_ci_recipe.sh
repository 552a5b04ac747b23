#!/usr/bin/env bash
# End-to-end recipe test (part of `make test`), on real and synthetic speech, both directions of the
# out-of-domain protocol (issue 9) and the paper-scale recipe on its stand-in (issue 12):
#   mini        egs/mini/seed1: the embedded demo (synthetic voices, generated noise, simulated rooms),
#               exactly as `make demo` runs it (stages 0-6); then local/run_enrolment_adapted.sh: SEED
#               trained on other utterances of the trial speakers, and the demo's model fine-tuned on them;
#   librispeech egs/librispeech/seed1 stages 0-6 on the shared real excerpts (../shared/data) with the CI
#               configuration (conf/seed_ci.yaml, fewer crops), plus the mini model scored out of domain;
#               then local/run_enrolment_adapted.sh: SEED trained on 5 of each trial speaker's 10 utterances
#               (real speech; the trials keep the other 5), beside the CI model on the same trials;
#               then stages 2-6 again with the CAM++ extractor (stages 0-1 shared, 2-6 carry the system tag);
#               then egs/mini/seed1 stages 3-6 again, also scoring the LibriSpeech-trained model out of
#               domain and that model fine-tuned on mini's training pairs (with the full strength sweep,
#               which the demo itself shortens to 0.3 and 1.0); the LibriSpeech run likewise scores the
#               mini model as it is and fine-tuned on LibriSpeech's pairs (--adapted-models); and the
#               same protocol, both directions, with CAM++ (part mini trains mini's CAM++ model at
#               stages 2-3; the CAM++ LibriSpeech run scores it as it is and adapted; then egs/mini
#               stages 3-6 with CAM++ score the CAM++ LibriSpeech model as it is and adapted);
#   voxceleb    egs/voxceleb/seed1 stages 0-6 on the VoxCeleb-layout stand-in (local/make_standin.sh),
#               with an ESPnet-SPK model loaded BY TAG from an offline hub cache (trained here on the
#               stand-in's VoxCeleb2 dev after stage 0, packed as ESPnet publishes), per-crop test
#               embeddings, and every trial list (Vox1-O on every condition, Vox1-E/H, VC-Mix, VoxSRC-23).
#   tests/recipe/run_ci_recipe.sh                 # every part, in this order
#   tests/recipe/run_ci_recipe.sh voxceleb        # only the named part(s)
# Each RESULTS.md / results.json is checked for a row of every condition x system x backend x norm (and
# every trial list). Work goes to the recipes' data*/exp*/db folders (gitignored), rebuilt each run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${SEED_VENV:-${repo}/.venv}/bin/python"
check() {  # check RESULTS_DIR CONDITIONS SYSTEMS [check_results options]
    "${python}" "${repo}/tests/recipe/check_results.py" --results-dir "$1" --conditions "$2" --systems "$3" \
        --backends "cosine plda" --norms "none asnorm" --n-seeds 3 "${@:4}"
}
took() { echo "recipe-test: $1 took $(( $(date +%s) - $2 )) s"; }
mini="${repo}/egs/mini/seed1"
libri="${repo}/egs/librispeech/seed1"
vox="${repo}/egs/voxceleb/seed1"
mini_conditions="clean noise_snr0 noise_snr5 music_snr5 babble_snr5 reverb_medium reverb_noise_snr5"
libri_conditions="clean noise_snr0 noise_snr5 noise_snr10 music_snr0 music_snr5 babble_snr5 reverb_real reverb_noise_snr0 reverb_noise_snr5"
# mini's report once the LibriSpeech model is scored there as it is and adapted (either extractor)
mini_ood_systems="baseline centering domain_centering seed seed_centered seed_domain_centered official librispeech librispeech_centered librispeech_domain_centered librispeech_adapted librispeech_adapted_centered librispeech_adapted_domain_centered"
libri_ci=(--data-dir data_ci --exp-dir exp_ci --seed-config conf/seed_ci.yaml --crops-per-utt 10 --nj 2 --n-sim-rooms 4
          --eval-seeds "0 1 2" --results-copy "")

part_mini() {
    local start; start=$(date +%s)
    cd "${mini}"
    rm -rf data exp data_enrol exp_enrol db_enrol
    ./run.sh --results-copy ""
    took "egs/mini stages 0-6" "${start}"
    check "${mini}/exp/results/resemblyzer_seed" "${mini_conditions}" "baseline centering domain_centering seed seed_centered seed_domain_centered official official_domain_centered"

    start=$(date +%s)   # enrolment-adapted SEED (other utterances of the trial speakers) beside the default model
    local/run_enrolment_adapted.sh 20 --results-copy ""
    took "egs/mini enrolment-adapted stages 0-6" "${start}"
    check "${mini}/exp_enrol/results/resemblyzer_seed" "${mini_conditions}" \
        "baseline centering domain_centering seed seed_centered seed_domain_centered official speaker_disjoint speaker_disjoint_centered speaker_disjoint_domain_centered enrol_adapted enrol_adapted_centered enrol_adapted_domain_centered" \
        --backends cosine --norms none

    start=$(date +%s)   # the CAM++ source model of the out-of-domain protocol (mini -> LibriSpeech, part librispeech)
    ./run.sh --extractor campplus --stage 2 --stop-stage 3 --results-copy ""
    took "egs/mini stages 2-3 with CAM++" "${start}"
}

part_librispeech() {   # needs part_mini's model (the out-of-domain protocol, both directions)
    local start; start=$(date +%s)
    cd "${libri}"
    rm -rf data_ci exp_ci
    ./run.sh "${libri_ci[@]}" --ood-models "mini=${mini}/exp/seed/resemblyzer_seed" \
        --adapted-models "mini_adapted=${mini}/exp/seed/resemblyzer_seed"
    took "egs/librispeech stages 0-6" "${start}"
    check "${libri}/exp_ci/results/resemblyzer_seed_ci" "${libri_conditions}" \
        "baseline centering domain_centering seed seed_centered seed_domain_centered official mini mini_centered mini_domain_centered mini_adapted mini_adapted_centered mini_adapted_domain_centered"

    start=$(date +%s)   # enrolment-adapted SEED on real speech (half of each trial speaker's utterances)
    rm -rf data_ci_enrol exp_ci_enrol
    local/run_enrolment_adapted.sh 5 --results-copy ""
    took "egs/librispeech enrolment-adapted stages 0-6" "${start}"
    check "${libri}/exp_ci_enrol/results/resemblyzer_seed_ci" "${libri_conditions}" \
        "baseline centering domain_centering seed seed_centered seed_domain_centered official speaker_disjoint speaker_disjoint_centered speaker_disjoint_domain_centered enrol_adapted enrol_adapted_centered enrol_adapted_domain_centered" \
        --backends cosine --norms none

    start=$(date +%s)
    ./run.sh "${libri_ci[@]}" --extractor campplus --stage 2 \
        --ood-models "mini=${mini}/exp/seed/campplus_seed" --adapted-models "mini_adapted=${mini}/exp/seed/campplus_seed"
    took "egs/librispeech stages 2-6 with CAM++" "${start}"
    check "${libri}/exp_ci/results/campplus_seed_ci" "${libri_conditions}" \
        "baseline centering domain_centering seed seed_centered seed_domain_centered official official_domain_centered mini mini_centered mini_domain_centered mini_adapted mini_adapted_centered mini_adapted_domain_centered"

    start=$(date +%s)
    cd "${mini}"
    ./run.sh --stage 3 --results-copy "" --ood-models "librispeech=${libri}/exp_ci/seed/resemblyzer_seed_ci" \
        --adapted-models "librispeech_adapted=${libri}/exp_ci/seed/resemblyzer_seed_ci" --sweep-strengths "0.2 0.3 0.5 0.7 1.0"
    took "egs/mini stages 3-6 with the out-of-domain model and its adaptation" "${start}"
    check "${mini}/exp/results/resemblyzer_seed" "${mini_conditions}" \
        "${mini_ood_systems}"

    start=$(date +%s)   # the same, both directions, with CAM++
    ./run.sh --extractor campplus --stage 3 --results-copy "" --ood-models "librispeech=${libri}/exp_ci/seed/campplus_seed_ci" \
        --adapted-models "librispeech_adapted=${libri}/exp_ci/seed/campplus_seed_ci" --sweep-strengths "0.2 0.3 0.5 0.7 1.0"
    took "egs/mini stages 3-6 with CAM++, the out-of-domain model and its adaptation" "${start}"
    check "${mini}/exp/results/campplus_seed" "${mini_conditions}" \
        "${mini_ood_systems}"
}

part_voxceleb() {
    local start tag=seed-standin/ecapa_tiny_vox2dev
    local vox_conditions="clean noise_snr0 noise_snr5 noise_snr10 noise_snr15 noise_snr20 music_snr0 music_snr5 music_snr10 reverb_small reverb_medium reverb_large reverb_noise_snr5 reverb_noise_snr10"
    # the real run.sh, with only the corpus roots (db.sh variables), the model tag and CI sizes changed
    local vox_ci=(--data-dir data_ci --exp-dir exp_ci --seed-config conf/seed_ci.yaml --extractor "espnet-tag:${tag}"
                  --extract-crops crops:3x2 --crops-per-utt 8 --nj 2 --lda-dim 0 --results-copy ""
                  --results-title "SEED on the VoxCeleb-layout STAND-IN (synthetic voices: says nothing about VoxCeleb)")
    start=$(date +%s)
    cd "${vox}"
    rm -rf data_ci exp_ci db_ci
    eval "$(local/make_standin.sh --out-dir db_ci/standin)"
    took "egs/voxceleb stand-in corpus" "${start}"
    export HF_HUB_CACHE="${vox}/db_ci/hub" HF_HUB_OFFLINE=1   # no network: the tag resolves from this cache only
    start=$(date +%s)
    ./run.sh "${vox_ci[@]}" --stop-stage 1
    # the ESPnet-SPK model of the tag: trained on the stand-in's VoxCeleb2 dev, packed, put into the cache
    "${python}" -m seed.bin.make_espnet_hub_model --data-dir data_ci/voxceleb2_dev --tag "${tag}" \
        --hub-cache "${HF_HUB_CACHE}" --work-dir db_ci/espnet_model
    ./run.sh "${vox_ci[@]}" --stage 2
    took "egs/voxceleb stages 0-6 (+ the ESPnet-SPK model)" "${start}"
    check "${vox}/exp_ci/results/seed-standin_ecapa_tiny_vox2dev_seed_ci" "${vox_conditions}" \
        "baseline centering domain_centering seed seed_centered seed_domain_centered official official_domain_centered" --main-list vox1_o --lists "vox1_e vox1_h vcmix voxsrc23"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(mini librispeech voxceleb)
for p in "${parts[@]}"; do
    case "${p}" in
        mini|librispeech|voxceleb) ;;
        *) echo "$0: unknown part '${p}' (mini, librispeech, voxceleb)" >&2; exit 2 ;;
    esac
done
for p in "${parts[@]}"; do
    start=$(date +%s)
    "part_${p}"
    took "part ${p}" "${start}"
done

#!/usr/bin/env bash
# The shared SEED recipe: stages 0-6. Corpus recipes (egs/<corpus>/seed1/run.sh) set options and
# call this script; each stage is one `python -m seed.bin.<step>` call (stage 0 also runs
# local/data.sh) that only wires files (docs/ARCHITECTURE.md). Run from the recipe folder.
# Running stage N invalidates N+1..6 (their .done markers go), so nothing downstream of a rerun
# stage looks complete; each marker records its wall time, listed in RESULTS.md. Stages 0-1 (data,
# simulation) are shared by every extractor and SEED config of the exp dir; the markers and logs of
# stages 2-6 carry the system tag (<extractor>_<config>), so several systems live side by side.
set -euo pipefail

log() {
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*" >&2
}

# ----------------------------------------------------------------------------------------------
# Options (each declared once, with its default; all are listed by --help)
stage=0                 # first stage to run
stop_stage=6            # last stage to run
skip_stages=""          # stages to skip, e.g. "3 4"
nj=4                    # parallel jobs for simulation and extraction
ngpu=0                  # GPUs (0: CPU). >0: every GPU step goes through ${cuda_cmd} --gpu N; extraction runs ngpu jobs of 1 GPU; >1 trains with torchrun
gpu_device=cuda         # device of the GPU steps when ngpu > 0 (cpu runs the same job placement on CPU: the tests do)
num_nodes=1             # nodes for SEED training (torchrun --nnodes)
node_rank=0             # this node's rank (multi-node training)
master_addr=localhost   # rendezvous host (multi-node training)
master_port=29500       # rendezvous port (multi-node training)
data_dir=data           # where data dirs, pools and trials go
exp_dir=exp             # where embeddings, models, scores and RESULTS.md go
train_set=""            # clean SEED training corpus (data dir name, made by local/data.sh)
test_set=""             # clean test set with a `trials` file (made by local/data.sh)
trials_name=trials      # trial list file name inside data/<test_set>
test_list_name=""       # name of the main list in RESULTS.md / results.json / score folders (empty: the test set)
eval_lists=""           # more clean trial lists, scored as distributed (not simulated): "NAME=SET[:TRIALS_FILE] ..." (file in data/SET, default trials)
plda_set=""             # labelled set for PLDA/cohort (empty: use the training copies with their speaker labels)
adapt_set=""            # unlabelled target-domain data dir: the domain-centering controls subtract its mean (empty: the clean test set itself, transductive)
local_data_opts=""      # extra options for local/data.sh
# simulation
sim_seed=0              # global seed of every simulated draw
test_conditions="noise_snr0 noise_snr5 noise_snr10 music_snr5 reverb_real reverb_noise_snr5"  # mismatch conditions (clean always included)
train_preset=seed       # augmentation preset of the training copies: seed, kaldi, espnet, wespeaker
crops_per_utt=""        # random crops per clean training utterance (empty: seed.bin.make_pairs' default)
crop_samples=32240      # crop length in samples (the paper's 200 frames + 240 = 2.015 s at 16 kHz)
pool_split_seed=0       # seed of the train/test split of noise and RIR pools
pool_test_fraction=0.4  # share of each pool's files (or folders) held out for test conditions
noise_split_by="file"   # noise pool split unit: file, or folder (whole noise families held out)
rir_split_by="file"     # split unit of the RIR corpus list: file, or folder (RIRS_NOISES rooms held out whole)
rir_source=both         # RIRs: real (from RIRS_NOISES/measured), simulated (pyroomacoustics), both
sim_room_classes="small medium large"  # simulated room classes (RIRS_NOISES sizes)
n_sim_rooms=8           # simulated rooms per class; split by room, so test rooms are unseen rooms
sim_rirs_per_room=3     # RIRs per simulated room (new source/microphone positions)
babble_set=""           # data dir of speech for babble (speakers outside the trials); empty: no babble
# extraction
extractor=resemblyzer   # extractor spec (seed.extract registry), e.g. resemblyzer, espnet:/path/to/exp
extractor_tag=""        # short name for folders (default: derived from the spec)
extract_crops=whole     # crop policy of test embeddings: whole or crops:NxT (e.g. crops:10x4)
extract_batch_size=64   # extractor batch size
# SEED
seed_config=conf/seed.yaml   # SEED config: the ONE place a recipe sets SEED values (train: stage 3; enhance: stage 4)
eval_seeds="0 1 2"      # enhancement noise seeds; SEED rows are mean +- std over them
enhance_variants="official:strength=1.0"  # more systems from the same model, other enhancement options: "NAME:opt=val,opt ..." (any enhance: key; a bare opt means true)
ood_models=""           # SEED models trained on OTHER corpora, scored here (out-of-domain protocol): "NAME=EXP_DIR ..."
adapted_models=""       # label-free adaptation: each SOURCE model (e.g. an OOD one) fine-tuned at stage 3 on this recipe's training pairs, same conf and steps as the own model, scored as NAME: "NAME=SOURCE_EXP_DIR ..."
pool_pairs=""           # stage 3: other corpora's training pairs pooled with this recipe's for every model trained here: "NAME=EMBEDDING_SCP:PAIRS ..." (same extractor; empty: this recipe's pairs only)
sweep_strengths="0.2 0.3 0.5 0.7 1.0"  # stage 6: cosine EER for each enhancement strength, this recipe's and the OOD models (empty: skip)
# backend and report
backends="cosine plda"  # scoring backends
norms="none asnorm"     # score normalisation
lda_dim=0               # LDA dimension before PLDA (0: none)
allow_speaker_overlap=false  # true: train PLDA/cohort on a labelled set sharing speakers with the trials anyway (rows marked LABEL-LEAKED)
asnorm_top_k=""         # AS-norm top-k cohort size (empty: the package default, seed.backend.trial_scorer)
eer_method=interp       # EER convention: interp (the project's) or espnet (ESPnet-SPK's)
results_title=""        # title of RESULTS.md (the extractor tag and SEED config are appended)
results_copy=RESULTS.md # copy the results table into the recipe folder (empty: do not)

help_message=$(cat <<EOM
Usage: $0 [options]
SEED recipe stages:
  0 data dirs, trials, noise/RIR pools (disjoint train/test)    1 simulate test conditions + training copies
  2 extract embeddings                                         3 train SEED
  4 enhance every set with every SEED system (eval seeds)      5 backend: mean, PLDA, AS-norm cohort
  6 score, metrics, sweep, RESULTS.md / results.json / det.png
Options (default in brackets):
$(sed -nE 's/^([a-z_]+)=("[^"]*"|[^ ]*) *# *(.*)/  --\1 [\2] \3/p' "${BASH_SOURCE[0]}")
EOM
)

. ./path.sh
. ./cmd.sh
. ./db.sh
. utils/parse_options.sh
: "${train_cmd:?cmd.sh must set train_cmd}" "${cuda_cmd:?cmd.sh must set cuda_cmd}"

[ $# -gt 0 ] && { log "unexpected positional arguments: $*"; echo "${help_message}" >&2; exit 1; }
for v in train_set test_set; do
    [ -n "${!v}" ] || { log "--${v} must be set (by the corpus run.sh)"; exit 1; }
done
[ -n "${extractor_tag}" ] || extractor_tag=$(echo "${extractor}" | sed -E 's#^espnet-tag:##; s#[/:,.]+#_#g; s#_+$##')
seed_tag="${extractor_tag}_$(basename "${seed_config}" .yaml)"
conditions="clean ${test_conditions}"
pools="${data_dir}/pools"
embed="${exp_dir}/embed/${extractor_tag}"
seed_exp="${exp_dir}/seed/${seed_tag}"
backend="${exp_dir}/backend"
results="${exp_dir}/results/${seed_tag}"
systems="${exp_dir}/systems/${seed_tag}.json"
pairs_set="${train_set}_pairs"
device=cpu; [ "${ngpu}" -gt 0 ] && device="${gpu_device}"
py() { python "$@"; }
gpu_step() {  # gpu_step LOG CMD...: one GPU through ${cuda_cmd} (output in LOG) when ngpu > 0, else here
    if [ "${ngpu}" -gt 0 ]; then log "on 1 GPU via ${cuda_cmd}: log $1"; ${cuda_cmd} --gpu 1 "$@"; else shift; "$@"; fi
}
sets_of() { local s; for s in "$@"; do printf '%s ' "${data_dir}/${s}"; done; }
eval_sets() { local x; for x in ${eval_lists}; do x=${x#*=}; echo "${x%%:*}"; done | sort -u; }
adapted_dirs() { local x; for x in ${adapted_models}; do printf '%s ' "${x%%=*}=${seed_exp}_adapted_${x%%=*}"; done; }

# ---- stages: one entry point each --------------------------------------------------------------
stage_0() {  # data dirs + trials (the corpus's local/data.sh gets the set names), validated data, pools
    # shellcheck disable=SC2086
    local/data.sh --data-dir "${data_dir}" --train-set "${train_set}" --test-set "${test_set}" \
        ${babble_set:+--babble-set "${babble_set}"} ${local_data_opts}
    local checks=() s
    for s in "${train_set}" "${test_set}" ${plda_set} ${adapt_set} ${babble_set}; do checks+=(--check-data-dir "${data_dir}/${s}"); done
    # shellcheck disable=SC2086
    py -m seed.bin.prepare_pools --out-dir "${pools}" --musan "${MUSAN}" --rirs-noises "${RIRS_NOISES}" \
        --rir-source "${rir_source}" "${checks[@]}" --trials "${data_dir}/${test_set}/${trials_name}" \
        --test-fraction "${pool_test_fraction}" --split-seed "${pool_split_seed}" --noise-split-by "${noise_split_by}" \
        --rir-split-by "${rir_split_by}" --sim-room-classes ${sim_room_classes} --n-sim-rooms "${n_sim_rooms}" \
        --sim-rirs-per-room "${sim_rirs_per_room}" --sim-seed "${sim_seed}" --nj "${nj}" --cmd "${train_cmd}"
}
stage_1() {  # mismatch test conditions (test pools) and SEED's training copies (training pools)
    py -m seed.bin.simulate_sets --data-dir "${data_dir}" --test-set "${test_set}" --conditions "${test_conditions}" \
        --train-set "${train_set}" --pools "${pools}" --seed "${sim_seed}" --babble-set "${babble_set}" \
        --preset "${train_preset}" --crops-per-utt "${crops_per_utt}" --crop-samples "${crop_samples}" \
        --nj "${nj}" --cmd "${train_cmd}"
}
stage_2() {  # embeddings of every set, one extractor load per job (test sets with their crop policy)
    local test_sets=() s
    for s in ${conditions}; do [ "${s}" = clean ] && test_sets+=("${test_set}") || test_sets+=("${test_set}_${s}"); done
    # shellcheck disable=SC2207
    test_sets+=($(eval_sets | grep -vxF -e "${test_set}" || true))
    if [ -n "${adapt_set}" ] && ! printf '%s\n' "${test_sets[@]}" | grep -qxF -e "${adapt_set}"; then
        test_sets+=("${adapt_set}")   # the test crop policy: its mean is subtracted from test embeddings
    fi
    # shellcheck disable=SC2206
    local all=("${test_sets[@]}" "${pairs_set}" ${plda_set}) crops=() jobs=("${nj}" "${train_cmd}")
    for s in "${test_sets[@]}"; do crops+=("${extract_crops}"); done
    [ "${ngpu}" -gt 0 ] && jobs=("${ngpu}" "${cuda_cmd} --gpu 1")   # one job per GPU
    # shellcheck disable=SC2046
    py -m seed.bin.extract --extractor "${extractor}" --data-dir $(sets_of "${all[@]}") \
        --out-dir "${all[@]/#/${embed}/}" --crops "${crops[@]}" whole ${plda_set:+whole} \
        --nj "${jobs[0]}" --cmd "${jobs[1]}" --device "${device}" --batch-size "${extract_batch_size}"
}
stage_3() {  # SEED on the training copies' (noisy, clean) pairs, then each --adapted-models source fine-tuned on them
    local x name out pool=()
    for x in ${pool_pairs}; do pool+=(--pool "${x}"); done   # other corpora's pairs pooled with this recipe's
    for x in "=" ${adapted_models}; do   # "=": the recipe's own model, from a random init
        name=${x%%=*}; out="${seed_exp}${name:+_adapted_${name}}"
        local args=(-m seed.bin.train_seed --config "${seed_config}" --embeddings "${embed}/${pairs_set}/embedding.scp"
                    --pairs "${data_dir}/${pairs_set}/pairs" --out-dir "${out}" --device "${device}" ${name:+--init "${x#*=}"}
                    "${pool[@]}")
        if [ "${ngpu}" -gt 1 ] || [ "${num_nodes}" -gt 1 ]; then   # torchrun for >1 GPU or node
            ${cuda_cmd} --gpu "${ngpu}" "${out}/log/train.log" torchrun --nnodes "${num_nodes}" \
                --node_rank "${node_rank}" --nproc_per_node "${ngpu}" --master_addr "${master_addr}" \
                --master_port "${master_port}" "${args[@]}"
        else
            gpu_step "${out}/log/train.log" python "${args[@]}"
        fi
    done
}
stage_4() {  # resolve the SEED systems (conf's enhance:, variants, OOD models) and enhance every set
    # shellcheck disable=SC2086
    gpu_step "${exp_dir}/log/enhance.${seed_tag}.log" python -m seed.bin.enhance_systems --config "${seed_config}" \
        --model "${seed_exp}" --enhanced-dir "${exp_dir}/enhanced/${seed_tag}" --backend-dir "${backend}/${seed_tag}" \
        --baseline-backend-dir "${backend}/${extractor_tag}" --ood-root "${exp_dir}" --embed-dir "${embed}" \
        --data-dir "${data_dir}" --test-set "${test_set}" --conditions "${conditions}" --pairs-set "${pairs_set}" \
        --labelled-set "${plda_set}" --enhance-variants "${enhance_variants}" --ood-models "${ood_models}" \
        --adapted-models "$(adapted_dirs)" \
        --test-list-name "${test_list_name}" --eval-lists "${eval_lists}" --adapt-set "${adapt_set}" \
        --eval-seeds ${eval_seeds} --device "${device}" --systems-out "${systems}"
}
stage_5() {  # centering mean, PLDA (+LDA), AS-norm cohort: the baseline's and every system's
    local overlap=(); [ "${allow_speaker_overlap}" = true ] && overlap=(--allow-speaker-overlap)
    py -m seed.bin.prepare_backend --systems "${systems}" --lda-dim "${lda_dim}" "${overlap[@]}"
}
stage_6() {  # every system x backend x norm x condition, the strength sweep, RESULTS.md / results.json
    # shellcheck disable=SC2086
    gpu_step "${exp_dir}/log/report.${seed_tag}.log" python -m seed.bin.make_report --systems "${systems}" \
        --trials "${data_dir}/${test_set}/${trials_name}" --backends ${backends} --norms ${norms} \
        ${asnorm_top_k:+--top-k "${asnorm_top_k}"} --eer-method "${eer_method}" \
        --sweep-strengths ${sweep_strengths} --stage-markers "${exp_dir}" --stage-tag "${seed_tag}" --device "${device}" \
        --title "${results_title:-SEED on ${test_set}} (${extractor_tag}, $(basename "${seed_config}"))" \
        --out-dir "${results}" ${results_copy:+--copy-to "${results_copy}"}
}

# ---- stage bookkeeping ---------------------------------------------------------------------------
selected() {  # selected N: N is inside [stage, stop_stage] and not skipped
    [ "${stage}" -le "$1" ] && [ "${stop_stage}" -ge "$1" ] || return 1
    local s; for s in ${skip_stages}; do [ "${s}" = "$1" ] && { log "Stage $1: skipped (--skip-stages)"; return 1; }; done
}
marker() {  # marker N: stages 0-1 are shared by every extractor and config; 2-6 belong to this seed_tag
    if [ "$1" -le 1 ]; then echo "${exp_dir}/.done.stage$1"; else echo "${exp_dir}/.done.stage$1.${seed_tag}"; fi
}
run_stage() {  # run_stage N: invalidate N..6, check N-1, run stage_N into its log, record the wall time
    local n=$1 m start log_file="${exp_dir}/log/stage$1${2:+.$2}.log"
    for m in $(seq "${n}" 6); do
        rm -f "$(marker "${m}")"
        if [ "${n}" -le 1 ]; then rm -f "${exp_dir}/.done.stage${m}."*; fi   # shared data changed: every tag
    done
    if [ "${n}" -gt 0 ] && [ ! -f "$(marker $((n - 1)))" ]; then
        log "Stage ${n}: stage $((n - 1)) has not completed (no $(marker $((n - 1))): never run, failed," \
            "or invalidated by a rerun of an earlier stage); run it first"; exit 1
    fi
    start=$(date +%s)
    log "Stage ${n}: start" 2>&1 | tee "${log_file}"
    "stage_${n}" 2>&1 | tee -a "${log_file}"
    printf 'stage=%s\nstart=%s\nend=%s\nseconds=%s\n' "${n}" "${start}" "$(date +%s)" "$(( $(date +%s) - start ))" \
        > "$(marker "${n}")"
    log "Stage ${n}: done in $(( $(date +%s) - start )) s (log: ${log_file})" 2>&1 | tee -a "${log_file}"
}

mkdir -p "${exp_dir}/log"
for n in 0 1 2 3 4 5 6; do
    if selected "${n}"; then if [ "${n}" -le 1 ]; then run_stage "${n}"; else run_stage "${n}" "${seed_tag}"; fi; fi
done
if selected 6; then log "Results: ${results}/RESULTS.md${results_copy:+ (copied to ${results_copy})}"; cat "${results}/RESULTS.md"; fi

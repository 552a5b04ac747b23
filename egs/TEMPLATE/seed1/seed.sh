#!/usr/bin/env bash
# The shared SEED recipe: stages 0-6. Corpus recipes (egs/<corpus>/seed1/run.sh) set options and
# call this script; it only wires files between `python -m seed.bin.<step>` calls
# (docs/ARCHITECTURE.md). Run from the recipe folder.
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
ngpu=0                  # GPUs for training/enhancement/extraction (0: CPU); >1 trains with torchrun
num_nodes=1             # nodes for SEED training (torchrun --nnodes)
node_rank=0             # this node's rank (multi-node training)
master_addr=localhost   # rendezvous host (multi-node training)
master_port=29500       # rendezvous port (multi-node training)
data_dir=data           # where data dirs, pools and trials go
exp_dir=exp             # where embeddings, models, scores and RESULTS.md go
train_set=""            # clean SEED training corpus (data dir name, made by local/data.sh)
test_set=""             # clean test set with a `trials` file (made by local/data.sh)
trials_name=trials      # trial list file name inside data/<test_set>
plda_set=""             # labelled set for PLDA/cohort (empty: use the training copies with their speaker labels)
local_data_opts=""      # extra options for local/data.sh
# simulation
sim_seed=0              # global seed of every simulated draw
test_conditions="noise_snr0 noise_snr5 noise_snr10 music_snr5 reverb_real reverb_noise_snr5"  # mismatch conditions (clean always included)
train_preset=seed       # augmentation preset of the training copies: seed, kaldi, espnet, wespeaker
crops_per_utt=40        # random crops per clean training utterance
crop_samples=32240      # crop length in samples (the paper's 200 frames + 240 = 2.015 s at 16 kHz)
pool_split_seed=0       # seed of the train/test split of noise and RIR pools
pool_test_fraction=0.4  # share of each pool's files (or folders) held out for test conditions
noise_split_by=file     # noise pool split unit: file, or folder (whole noise families held out)
rir_split_by=file       # split unit of the RIR corpus list: file, or folder (RIRS_NOISES rooms held out whole)
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
seed_config=conf/seed.yaml   # SEED training config
eval_seeds="0 1 2"      # enhancement noise seeds; SEED rows are mean +- std over them
enhance_opts=""         # extra options for seed.bin.enhance (e.g. "--t 20")
enhance_variants=""     # more rows from the same model, other enhancement: "NAME:opt=val,opt=val ..." (e.g. official:strength=1.0)
ood_models=""           # SEED models trained on OTHER corpora, scored here (out-of-domain protocol): "NAME=EXP_DIR ..."
sweep_strengths="0.2 0.3 0.5 0.7 1.0"  # stage 6: cosine EER for each enhancement strength, this recipe's and the OOD models (empty: skip)
# backend and report
backends="cosine plda"  # scoring backends
norms="none asnorm"     # score normalisation
lda_dim=0               # LDA dimension before PLDA (0: none)
asnorm_top_k=100        # AS-norm top-k cohort size
results_title=""        # title of RESULTS.md
results_copy=RESULTS.md # copy the results table into the recipe folder (empty: do not)

help_message=$(cat <<EOM
Usage: $0 [options]
SEED recipe stages:
  0 data dirs, trials, noise/RIR pools (disjoint train/test)    1 simulate test conditions + training copies
  2 extract embeddings                                         3 train SEED
  4 enhance test embeddings (eval seeds)                       5 backend: mean, PLDA, AS-norm cohort
  6 score, metrics, RESULTS.md / results.json / det.png
Options (default in brackets):
$(grep -E '^[a-z_]+=.*#' "${BASH_SOURCE[0]}" | sed -E 's/^([a-z_]+)=([^ ]*) *# *(.*)/  --\1 [\2] \3/')
EOM
)

. ./path.sh
. ./cmd.sh
. ./db.sh
. utils/parse_options.sh

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
enhanced="${exp_dir}/enhanced/${seed_tag}"
backend="${exp_dir}/backend"
results="${exp_dir}/results/${seed_tag}"
pairs_set="${train_set}_pairs"
device=cpu; [ "${ngpu}" -gt 0 ] && device=cuda

run_stage() {  # run_stage N: true when N is inside [stage, stop_stage] and not skipped
    local n=$1
    [ "${stage}" -le "${n}" ] && [ "${stop_stage}" -ge "${n}" ] || return 1
    for s in ${skip_stages}; do [ "${s}" = "${n}" ] && { log "Stage ${n}: skipped (--skip_stages)"; return 1; }; done
    mkdir -p "${exp_dir}/log"
    rm -f "${exp_dir}/.done.stage${n}"
    return 0
}
stage_done() { touch "${exp_dir}/.done.stage$1"; log "Stage $1: done (log: ${exp_dir}/log/stage$1.log)"; }
need_done() {  # a stage refuses to start on the outputs of an unfinished earlier stage
    [ -f "${exp_dir}/.done.stage$1" ] || { log "stage $1 has not completed (no ${exp_dir}/.done.stage$1); run it first"; exit 1; }
}
test_data() { [ "$1" = clean ] && echo "${test_set}" || echo "${test_set}_$1"; }
py() { python "$@"; }
# Every SEED system of stage 4-6, one line each: "name|model dir|enhance options|enhanced dir|backend dir".
# The main system is "seed"; variants reuse its model with other options; OOD models come from other recipes.
seed_systems() {
    echo "seed|${seed_exp}|${enhance_opts}|${enhanced}|${backend}/${seed_tag}"
    local v name opts
    for v in ${enhance_variants}; do
        name=${v%%:*}; opts=""
        [ "${v}" != "${name}" ] && opts=$(echo "${v#*:}" | tr ',' '\n' | sed -E 's/^([a-z_]+)=(.*)$/--\1 \2/; s/_/-/g' | tr '\n' ' ')
        echo "${name}|${seed_exp}|${enhance_opts} ${opts}|${enhanced}_${name}|${backend}/${seed_tag}_${name}"
    done
    for v in ${ood_models}; do
        name=${v%%=*}
        [ "${v}" != "${name}" ] || { log "--ood_models entry '${v}': expected NAME=EXP_DIR"; exit 1; }
        echo "${name}|${v#*=}||${exp_dir}/enhanced/ood_${name}|${backend}/ood_${name}"
    done
}

mkdir -p "${exp_dir}/log"

if run_stage 0; then
    log "Stage 0: data dirs, trials, noise/RIR pools"
    {
        local/data.sh --data-dir "${data_dir}" ${local_data_opts}
        for s in "${train_set}" "${test_set}" ${plda_set} ${babble_set}; do
            py -m seed.bin.validate_data_dir "${data_dir}/${s}"
        done
        [ -f "${data_dir}/${test_set}/${trials_name}" ] || { log "local/data.sh wrote no ${data_dir}/${test_set}/${trials_name}"; exit 1; }
        mkdir -p "${pools}"
        [ -n "${MUSAN}" ] || { log "MUSAN is empty: set it in db.sh or the environment (noise corpus in MUSAN layout)"; exit 1; }
        py -m seed.bin.make_noise_list --musan "${MUSAN}" --out "${pools}/noise.list"
        py -m seed.bin.split_pools --list "${pools}/noise.list" --test-fraction "${pool_test_fraction}" \
            --seed "${pool_split_seed}" --group-by "${noise_split_by}" \
            --train-out "${pools}/noise_train.list" --test-out "${pools}/noise_test.list"
        : > "${pools}/rir_train.list.tmp"; : > "${pools}/rir_test.list.tmp"
        if [ "${rir_source}" != simulated ]; then
            [ -n "${RIRS_NOISES}" ] || { log "RIRS_NOISES is empty but --rir_source ${rir_source} needs it"; exit 1; }
            py -m seed.bin.make_noise_list --rirs-noises "${RIRS_NOISES}" --out "${pools}/rir_real.list"
            py -m seed.bin.split_pools --list "${pools}/rir_real.list" --test-fraction "${pool_test_fraction}" \
                --seed "${pool_split_seed}" --group-by "${rir_split_by}" \
                --train-out "${pools}/rir_real_train.list" --test-out "${pools}/rir_real_test.list"
            cat "${pools}/rir_real_train.list" >> "${pools}/rir_train.list.tmp"
            cat "${pools}/rir_real_test.list" >> "${pools}/rir_test.list.tmp"
        fi
        if [ "${rir_source}" != real ]; then
            # shellcheck disable=SC2086
            py -m seed.bin.simulate_rirs --out-dir "${pools}/rirs_sim" --room-classes ${sim_room_classes} \
                --num-rooms "${n_sim_rooms}" --rirs-per-room "${sim_rirs_per_room}" --seed "${sim_seed}" \
                --list-out "${pools}/rir_simulated.list" --nj "${nj}" --cmd "${train_cmd}"
            py -m seed.bin.split_pools --list "${pools}/rir_simulated.list" --test-fraction "${pool_test_fraction}" \
                --seed "${pool_split_seed}" --group-by folder \
                --train-out "${pools}/rir_sim_train.list" --test-out "${pools}/rir_sim_test.list"
            cat "${pools}/rir_sim_train.list" >> "${pools}/rir_train.list.tmp"
            cat "${pools}/rir_sim_test.list" >> "${pools}/rir_test.list.tmp"
        fi
        mv "${pools}/rir_train.list.tmp" "${pools}/rir_train.list"
        mv "${pools}/rir_test.list.tmp" "${pools}/rir_test.list"
    } 2>&1 | tee "${exp_dir}/log/stage0.log"
    stage_done 0
fi

if run_stage 1; then
    log "Stage 1: simulate test conditions (${test_conditions}) and training copies (${train_preset})"
    need_done 0
    {
        for cond in ${test_conditions}; do
            babble_opt=""; [ -n "${babble_set}" ] && babble_opt="--babble-dir ${data_dir}/${babble_set}"
            py -m seed.bin.simulate --data-dir "${data_dir}/${test_set}" --out-dir "${data_dir}/$(test_data "${cond}")" \
                --condition "${cond}" --noise-list "${pools}/noise_test.list" --rir-list "${pools}/rir_test.list" \
                --seed "${sim_seed}" --nj "${nj}" --cmd "${train_cmd}" ${babble_opt} \
                --exclude-pool "${pools}/noise_train.list" --exclude-pool "${pools}/rir_train.list"
        done
        py -m seed.bin.make_pairs --data-dir "${data_dir}/${train_set}" --out-dir "${data_dir}/${pairs_set}" \
            --preset "${train_preset}" --num-crops "${crops_per_utt}" --crop-samples "${crop_samples}" \
            --noise-list "${pools}/noise_train.list" --rir-list "${pools}/rir_train.list" \
            --seed "${sim_seed}" --nj "${nj}" --cmd "${train_cmd}"
    } 2>&1 | tee "${exp_dir}/log/stage1.log"
    stage_done 1
fi

if run_stage 2; then
    log "Stage 2: extract ${extractor} embeddings"
    need_done 1
    {
        # one command per crop policy: its jobs load the extractor once for all the sets
        test_dirs=(); test_outs=()
        for cond in ${conditions}; do
            s=$(test_data "${cond}"); test_dirs+=("${data_dir}/${s}"); test_outs+=("${embed}/${s}")
        done
        py -m seed.bin.extract --extractor "${extractor}" --data-dir "${test_dirs[@]}" --out-dir "${test_outs[@]}" \
            --crops "${extract_crops}" --nj "${nj}" --cmd "${train_cmd}" --device "${device}" \
            --batch-size "${extract_batch_size}"
        train_dirs=(); train_outs=()
        for s in "${pairs_set}" ${plda_set}; do train_dirs+=("${data_dir}/${s}"); train_outs+=("${embed}/${s}"); done
        py -m seed.bin.extract --extractor "${extractor}" --data-dir "${train_dirs[@]}" --out-dir "${train_outs[@]}" \
            --crops whole --nj "${nj}" --cmd "${train_cmd}" --device "${device}" --batch-size "${extract_batch_size}"
    } 2>&1 | tee "${exp_dir}/log/stage2.log"
    stage_done 2
fi

if run_stage 3; then
    log "Stage 3: train SEED (${seed_config}) on ${pairs_set}"
    need_done 2
    {
        train_args=(--config "${seed_config}" --embeddings "${embed}/${pairs_set}/embedding.scp"
                    --pairs "${data_dir}/${pairs_set}/pairs" --out-dir "${seed_exp}" --device "${device}")
        nproc=$(( ngpu > 1 ? ngpu : 1 ))
        if [ "${nproc}" -gt 1 ] || [ "${num_nodes}" -gt 1 ]; then
            ${cuda_cmd} --gpu "${ngpu}" "${seed_exp}/log/train.log" \
                torchrun --nnodes "${num_nodes}" --node_rank "${node_rank}" --nproc_per_node "${nproc}" \
                --master_addr "${master_addr}" --master_port "${master_port}" \
                -m seed.bin.train_seed "${train_args[@]}"
        else
            py -m seed.bin.train_seed "${train_args[@]}"
        fi
    } 2>&1 | tee "${exp_dir}/log/stage3.log"
    stage_done 3
fi

if run_stage 4; then
    log "Stage 4: enhance every embedding set (eval seeds: ${eval_seeds})"
    need_done 3
    {
        # one process per (system, eval seed) enhances every set (the model is loaded once);
        # the backend of SEED rows is trained on enhanced embeddings (first eval seed)
        first_seed=$(echo ${eval_seeds} | cut -d' ' -f1)
        seed_systems | while IFS='|' read -r name model opts out_root _; do
            [ -d "${model}" ] || [ -f "${model}" ] || { log "SEED model of '${name}' not found: ${model}"; exit 1; }
            for s in ${eval_seeds}; do
                sets=""
                for cond in ${conditions}; do sets+=" $(test_data "${cond}")"; done
                [ "${s}" = "${first_seed}" ] && sets+=" ${pairs_set} ${plda_set}"
                in_scps=(); out_dirs=()
                for set_name in ${sets}; do
                    in_scps+=("${embed}/${set_name}/embedding.scp"); out_dirs+=("${out_root}/seed${s}/${set_name}")
                done
                # shellcheck disable=SC2086
                py -m seed.bin.enhance --model "${model}" --in-scp "${in_scps[@]}" --out-dir "${out_dirs[@]}" \
                    --seed "${s}" --device "${device}" ${opts}
            done
        done
    } 2>&1 | tee "${exp_dir}/log/stage4.log"
    stage_done 4
fi

if run_stage 5; then
    log "Stage 5: backend (centering mean, PLDA, AS-norm cohort)"
    need_done 4
    {
        lab_set="${plda_set:-${pairs_set}}"
        first_seed=$(echo ${eval_seeds} | cut -d' ' -f1)
        # baseline backend from the extractor's embeddings; SEED backend from enhanced ones
        # (OOD models too: their centering mean and PLDA come from THIS corpus's unlabelled training
        # crops / labelled set, enhanced by that model — exactly what the baseline's backend sees)
        { echo "baseline|||${embed}|${backend}/${extractor_tag}"; seed_systems; } |
        while IFS='|' read -r name _ _ src out; do
            [ "${name}" = baseline ] || src="${src}/seed${first_seed}"
            py -m seed.bin.prepare_backend --embeddings-dir "${src}" --pairs "${data_dir}/${pairs_set}/pairs" \
                --pairs-set "${pairs_set}" --labelled-set "${lab_set}" --utt2spk "${data_dir}/${lab_set}/utt2spk" \
                --lda-dim "${lda_dim}" --out-dir "${out}"
        done
    } 2>&1 | tee "${exp_dir}/log/stage5.log"
    stage_done 5
fi

if run_stage 6; then
    log "Stage 6: score {baseline, centering, SEED} x {${backends}} x {${norms}} x {${conditions}}"
    need_done 5
    {
        seed_dirs=""
        for s in ${eval_seeds}; do seed_dirs+=" ${enhanced}/seed${s}"; done
        variant_opts=()
        while IFS='|' read -r name _ _ out_root bdir; do
            [ "${name}" = seed ] && continue
            dirs=""; for s in ${eval_seeds}; do dirs+="${dirs:+,}${out_root}/seed${s}"; done
            variant_opts+=(--variant "${name}=${bdir}:${dirs}")
        done < <(seed_systems)
        py -m seed.bin.make_report "${variant_opts[@]}" --trials "${data_dir}/${test_set}/${trials_name}" --test-set "${test_set}" \
            --conditions "${conditions}" --baseline-dir "${embed}" --seed-dirs ${seed_dirs} \
            --baseline-backend "${backend}/${extractor_tag}" --seed-backend "${backend}/${seed_tag}" \
            --backends ${backends} --norms ${norms} --top-k "${asnorm_top_k}" --out-dir "${results}" \
            --title "${results_title:-SEED on ${test_set} (${extractor_tag}, $(basename "${seed_config}"))}" \
            --seed-exp "${seed_exp}"
        if [ -n "${sweep_strengths}" ]; then
            # strength sweep of every distinct model (in-domain first, then out-of-domain), appended to RESULTS.md
            sweep_md="${results}/sweep.md"
            echo -e "\n## Enhancement strength sweep: in-domain and out-of-domain models\n" > "${sweep_md}.tmp"
            echo "Cosine EER % with output = s·SEED(e) + (1−s)·e, plain and after subtracting the mean of the" >> "${sweep_md}.tmp"
            echo "enhanced clean training crops of THIS corpus (its unlabelled training speech). Eval seeds: ${eval_seeds}." >> "${sweep_md}.tmp"
            { echo "seed=${seed_exp}"; for v in ${ood_models}; do echo "${v}"; done; } | while IFS='=' read -r name model; do
                # shellcheck disable=SC2086
                py -m seed.bin.sweep_enhance --model "${model}" --embed-dir "${embed}" --test-set "${test_set}" \
                    --trials "${data_dir}/${test_set}/${trials_name}" --conditions "${conditions}" \
                    --centering-scp "${backend}/${extractor_tag}/centering.scp" --strengths ${sweep_strengths} \
                    --seeds ${eval_seeds} --device "${device}" --json "${results}/sweep_${name}.json" \
                    --md "${results}/sweep_${name}.md" > /dev/null
                domain="in-domain: trained on this recipe's ${pairs_set}"
                [ "${name}" = seed ] || domain="OUT-OF-DOMAIN: trained on another corpus"
                echo -e "\n### \`${name}\` — ${model} (${domain})\n" >> "${sweep_md}.tmp"
                cat "${results}/sweep_${name}.md" >> "${sweep_md}.tmp"
            done
            mv "${sweep_md}.tmp" "${sweep_md}"
            cat "${results}/RESULTS.md" "${sweep_md}" > "${results}/RESULTS.md.tmp"
            mv "${results}/RESULTS.md.tmp" "${results}/RESULTS.md"
        fi
        [ -z "${results_copy}" ] || cp "${results}/RESULTS.md" "${results_copy}"
    } 2>&1 | tee "${exp_dir}/log/stage6.log"
    stage_done 6
    log "Results: ${results}/RESULTS.md${results_copy:+ (copied to ${results_copy})}, results.json, det.png"
    cat "${results}/RESULTS.md"
fi

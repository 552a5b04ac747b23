# Sourced by every recipe: the project's venv, utils/ and the seed package on the paths.
# SEED_VENV overrides the venv (default <repo>/.venv, made by tools/install.sh).
SEED_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
export SEED_ROOT
SEED_VENV="${SEED_VENV:-${SEED_ROOT}/.venv}"
if [ -x "${SEED_VENV}/bin/python" ]; then
    export PATH="${SEED_VENV}/bin:${PATH}"
fi
export PATH="${SEED_ROOT}/utils:${PATH}"
export PYTHONPATH="${SEED_ROOT}${PYTHONPATH:+:${PYTHONPATH}}"
export LC_ALL=C
export PYTHONUNBUFFERED=1
# Two threads per process: stages run jobs in parallel (nj) and oversubscription only slows them down.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-2}"
# numpy's OpenBLAS threads oversubscribe a CPU already shared by nj jobs (measured: a 0.1 ms dot
# product took 20 ms under load); parallelism comes from the jobs instead.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

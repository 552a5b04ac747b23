# shellcheck shell=bash
# seed_python: print the Python interpreter that has the `seed` package, for the wrappers in
# utils/ that call `python -m seed.bin.<tool>`. In order: $SEED_VENV/bin/python (the venv that
# tools/install.sh made), the active virtual environment ($VIRTUAL_ENV), <repo>/.venv/bin/python,
# then python3 from PATH (for people who installed `pip install -e .` into their own environment).
seed_python() {
  local root
  root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
  if [ -n "${SEED_VENV:-}" ] && [ -x "${SEED_VENV}/bin/python" ]; then
    echo "${SEED_VENV}/bin/python"
  elif [ -n "${VIRTUAL_ENV:-}" ] && [ -x "${VIRTUAL_ENV}/bin/python" ]; then
    echo "${VIRTUAL_ENV}/bin/python"
  elif [ -x "${root}/.venv/bin/python" ]; then
    echo "${root}/.venv/bin/python"
  elif command -v python3 >/dev/null 2>&1; then
    command -v python3
  else
    echo "seed_python: no Python found (run tools/install.sh or set SEED_VENV)" >&2
    return 1
  fi
}

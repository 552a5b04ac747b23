# shellcheck shell=bash
# cmd_backend.sh: choose the job backend for a recipe. A recipe's cmd.sh sources it:
#
#   cmd_backend=${cmd_backend:-local}   # local | slurm | sge
#   # cmd_conf=conf/slurm.conf         # optional: conf file for slurm.pl/queue.pl
#   # cmd_opts="--max-jobs-run 8"      # optional: options added to every command
#   . utils/cmd_backend.sh
#
# and the stages then run `${train_cmd} JOB=1:$nj $dir/log/x.JOB.log python -m ...`,
# `${cuda_cmd} --gpu 1 ...`, `${decode_cmd} ...`. It exports:
#   train_cmd   CPU jobs                      run.pl | slurm.pl | queue.pl
#   decode_cmd  CPU jobs for inference        (same backend)
#   cuda_cmd    GPU jobs: the backend with --gpu 1 (a later --gpu N on the command line wins)
# local → run.pl (this machine), slurm → slurm.pl, sge → queue.pl; their options (--mem, --gpu,
# --num-threads, --max-jobs-run) map to scheduler flags through conf/slurm.conf or conf/queue.conf.
# The commands name the scripts by absolute path, so they work from any directory.

case ${cmd_backend:-local} in
  local) _cb_script=run.pl ;;
  slurm) _cb_script=slurm.pl ;;
  sge|queue) _cb_script=queue.pl ;;
  *)
    echo "cmd_backend.sh: unknown cmd_backend '${cmd_backend}' (use local, slurm or sge)" >&2
    # shellcheck disable=SC2317  # exit is reached only when this file is run instead of sourced
    return 1 2>/dev/null || exit 1 ;;
esac

_cb_utils=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $_cb_utils =~ [[:space:]] ]]; then
  # An unquoted ${train_cmd} would split such a path; rely on utils/ being on PATH instead.
  _cb_prefix=""
else
  _cb_prefix="$_cb_utils/"
fi
_cb_base="${_cb_prefix}${_cb_script}"
if [ -n "${cmd_conf:-}" ] && [ "$_cb_script" != run.pl ]; then
  _cb_base+=" --config ${cmd_conf}"
fi
if [ -n "${cmd_opts:-}" ]; then
  _cb_base+=" ${cmd_opts}"
fi

export train_cmd="$_cb_base"
export decode_cmd="$_cb_base"
export cuda_cmd="$_cb_base --gpu 1"
unset _cb_script _cb_utils _cb_prefix _cb_base
true

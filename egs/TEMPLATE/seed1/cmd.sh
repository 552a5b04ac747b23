# Which job backend the stages use (Kaldi/ESPnet convention):
#   local: utils/run.pl (this machine)   slurm: utils/slurm.pl (conf/slurm.conf)   sge: utils/queue.pl
# e.g. `cmd_backend=slurm ./run.sh`. Exports train_cmd, decode_cmd, cuda_cmd.
cmd_backend="${cmd_backend:-local}"
if [ "${cmd_backend}" = slurm ] && [ -f conf/slurm.conf ]; then cmd_conf="${cmd_conf:-conf/slurm.conf}"; fi
if [ "${cmd_backend}" = sge ] && [ -f conf/queue.conf ]; then cmd_conf="${cmd_conf:-conf/queue.conf}"; fi
. utils/cmd_backend.sh

# Which job backend the stages use (Kaldi/ESPnet convention).
#   local: utils/run.pl (this machine)   slurm: utils/slurm.pl (conf/slurm.conf)   sge: utils/queue.pl
cmd_backend="${cmd_backend:-local}"
case "${cmd_backend}" in
    local) train_cmd="run.pl"; cuda_cmd="run.pl"; decode_cmd="run.pl" ;;
    slurm) train_cmd="slurm.pl --config conf/slurm.conf"; cuda_cmd="slurm.pl --config conf/slurm.conf --gpu 1"
           decode_cmd="slurm.pl --config conf/slurm.conf" ;;
    sge)   train_cmd="queue.pl --config conf/queue.conf"; cuda_cmd="queue.pl --config conf/queue.conf --gpu 1"
           decode_cmd="queue.pl --config conf/queue.conf" ;;
    *) echo "cmd.sh: unknown cmd_backend '${cmd_backend}' (local, slurm, sge)" >&2; return 1 ;;
esac
export train_cmd cuda_cmd decode_cmd

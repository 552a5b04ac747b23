#!/usr/bin/env perl
# slurm.pl: run a command, or an array of N jobs, on a Slurm cluster, with Kaldi's job interface.
#
#   slurm.pl [options] JOB=1:N LOG CMD...     # one array job; JOB is replaced by 1..N
#   slurm.pl [options] LOG CMD...             # one job
#
# Options (also --name=value):
#   --config FILE      scheduler conf (default: conf/slurm.conf in the current directory if it
#                      exists, else the built-in conf below)
#   --max-jobs-run N   at most N tasks of the array at a time (sbatch --array=1-N%M)
#   --mem X, --gpu N, --num-threads N, and any option the conf describes (e.g. --time)
#                      mapped to sbatch options through the conf; an option the conf does not
#                      describe is an error
#   --dry-run true     print the sbatch command line (and write the job script) without submitting
# Single-dash options (e.g. -A myaccount) are passed to sbatch as they are.
#
# Conf format (Kaldi's):
#   command sbatch --export=PATH       the submit command
#   option mem=* --mem-per-cpu $0      any value; $0 is replaced by the value
#   option mem=0                       an exact value (here: no sbatch option)
#   default gpu=0                      the value used when the option is not given
#
# The job script, sbatch output and done files go to LOGDIR/q/. The command of each task and its
# log header and footer are exactly as with run.pl. slurm.pl waits (sbatch --wait), then exits 0
# when every task succeeded, else 1 naming the failed tasks' logs. Interrupting slurm.pl cancels
# the job (scancel). Tests and dry runs can point at another sbatch with SEED_SLURM_SBATCH (and
# SEED_SLURM_SCANCEL); SEED_QUEUE_SYNC_WAIT (default 60) is how many seconds to wait for the
# done files of finished tasks to appear on a network file system.
#
# Built-in conf (used when there is no conf/slurm.conf):
#   | command sbatch --export=PATH
#   | option name=* --job-name $0
#   | option time=* --time $0
#   | option mem=* --mem-per-cpu $0
#   | option mem=0
#   | option num_threads=* --cpus-per-task $0
#   | option num_threads=1 --cpus-per-task 1
#   | option num_nodes=* --nodes $0
#   | default gpu=0
#   | option gpu=0
#   | option gpu=* --gres=gpu:$0
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use SeedQueue qw(run_scheduled);

my $builtin = join '', map { s/^#   \| //r } grep { /^#   \| / }
    do { open my $fh, '<', $0 or die "$0: $!\n"; <$fh> };

my %slurm = (
    prog => 'slurm.pl',
    default_conf => 'conf/slurm.conf',
    builtin_conf => $builtin,
    submit_env => 'SEED_SLURM_SBATCH',
    cancel => ['scancel'],
    cancel_env => 'SEED_SLURM_SCANCEL',
    task_env => 'SLURM_ARRAY_TASK_ID',
    array_args => sub {
        my ($first, $last, $max) = @_;
        return ("--array=$first-$last" . (defined $max ? "%$max" : ''));
    },
    log_args => sub { return ('--open-mode=append', '-o', $_[0]); },
    wait_args => ['--wait'],
    jobid_re => qr/Submitted batch job (\d+)/,
    max_jobs_special => 1,
);
exit run_scheduled(\%slurm, $0, @ARGV);

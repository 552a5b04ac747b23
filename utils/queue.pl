#!/usr/bin/env perl
# queue.pl: run a command, or an array of N jobs, on a Grid Engine (SGE/UGE/OGS) cluster, with
# Kaldi's job interface.
#
#   queue.pl [options] JOB=1:N LOG CMD...     # one array job (qsub -t 1:N); JOB is replaced by 1..N
#   queue.pl [options] LOG CMD...             # one job
#
# Options (also --name=value):
#   --config FILE      scheduler conf (default: conf/queue.conf in the current directory if it
#                      exists, else the built-in conf below)
#   --max-jobs-run N, --mem X, --gpu N, --num-threads N, and any option the conf describes
#                      mapped to qsub options through the conf; an option the conf does not
#                      describe is an error
#   --dry-run true     print the qsub command line (and write the job script) without submitting
# Single-dash options (e.g. -l h_rt=4:00:00, -V) are passed to qsub as they are.
#
# Conf format (Kaldi's):
#   command qsub -v PATH -cwd -S /bin/bash -j y   the submit command
#   option mem=* -l mem_free=$0,ram_free=$0       any value; $0 is replaced by the value
#   option mem=0                                  an exact value (here: no qsub option)
#   default gpu=0                                 the value used when the option is not given
#
# The job script, qsub output and done files go to LOGDIR/q/. The command of each task and its
# log header and footer are exactly as with run.pl. queue.pl waits (qsub -sync y), then exits 0
# when every task succeeded, else 1 naming the failed tasks' logs. Interrupting queue.pl deletes
# the job (qdel). Tests and dry runs can point at another qsub with SEED_SGE_QSUB (and
# SEED_SGE_QDEL); SEED_QUEUE_SYNC_WAIT (default 60) is how many seconds to wait for the done
# files of finished tasks to appear on a network file system.
#
# Built-in conf (used when there is no conf/queue.conf):
#   | command qsub -v PATH -cwd -S /bin/bash -j y
#   | option name=* -N $0
#   | option time=* -l h_rt=$0
#   | option mem=* -l mem_free=$0,ram_free=$0
#   | option mem=0
#   | option num_threads=* -pe smp $0
#   | option num_threads=1
#   | option max_jobs_run=* -tc $0
#   | default gpu=0
#   | option gpu=0
#   | option gpu=* -l gpu=$0 -q g.q
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use SeedQueue qw(run_scheduled);

my $builtin = join '', map { s/^#   \| //r } grep { /^#   \| / }
    do { open my $fh, '<', $0 or die "$0: $!\n"; <$fh> };

my %sge = (
    prog => 'queue.pl',
    default_conf => 'conf/queue.conf',
    builtin_conf => $builtin,
    submit_env => 'SEED_SGE_QSUB',
    cancel => ['qdel'],
    cancel_env => 'SEED_SGE_QDEL',
    task_env => 'SGE_TASK_ID',
    array_args => sub { my ($first, $last) = @_; return ('-t', "$first:$last"); },
    log_args => sub { return ('-o', $_[0]); },
    wait_args => ['-sync', 'y'],
    jobid_re => qr/Your job(?:-array)? (\d+)/,
    max_jobs_special => 0,
);
exit run_scheduled(\%sge, $0, @ARGV);

#!/usr/bin/env perl
# run.pl: run a command, or an array of N jobs, on this machine, with Kaldi's job interface.
#
#   run.pl [options] JOB=1:N LOG CMD...     # N jobs; JOB is replaced by 1..N in LOG and CMD
#   run.pl [options] LOG CMD...             # one job
#
# Options (also --name=value):
#   --max-jobs-run N   at most N jobs at a time (default: the number of CPUs)
#   --num-threads N    threads per job; recorded in the log's accounting line
#   --mem X, --gpu N, --config F, --time T
#                      accepted so that $train_cmd/$cuda_cmd lines work unchanged with every
#                      backend; they mean nothing on one machine and are ignored
# Any other --name value (or single-dash scheduler option) is ignored with a warning.
#
# Each log starts with "# CMD" and "# Started at DATE" and ends with "# Accounting: time=S
# threads=T" and "# Ended (code C) at DATE, elapsed time S seconds". A word of CMD that contains
# whitespace or quotes stays one argument; other words reach bash as written, so `\|` and `\>`
# build pipelines and redirections. Commands run under `bash -o pipefail`, stdin from /dev/null.
# Exit status: 0 when every job succeeded; otherwise 1, with the failed jobs and their logs on
# stderr. Interrupting run.pl (Ctrl-C, TERM) terminates the running jobs.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/lib";
use POSIX qw(WNOHANG);
use Time::HiRes qw(time);
use SeedJob qw(parse_job_args shell_join substitute_job task_list log_paths header_text
               footer_text cpu_count ensure_log_dirs fail);

my $prog = 'run.pl';
if (@ARGV == 1 && $ARGV[0] =~ /^(--help|-h)$/) {
    open my $self, '<', $0 or die;
    while (my $line = <$self>) {
        last if $line !~ /^#/;
        next if $line =~ /^#!/;
        $line =~ s/^# ?//;
        print $line;
    }
    exit 0;
}

my $p = parse_job_args($prog, @ARGV);
my %opt = %{$p->{options}};
my %ignored = map { $_ => 1 } qw(mem gpu config time max_jobs_run num_threads);
for my $name (@{$p->{option_order}}) {
    next if $ignored{$name};
    print STDERR "$prog: ignoring option --" . ($name =~ tr/_/-/r) . " (not used by the local backend)\n";
}
print STDERR "$prog: ignoring scheduler options '@{$p->{raw}}' (not used by the local backend)\n"
    if @{$p->{raw}};

my $max_jobs = $opt{max_jobs_run} // cpu_count();
my $threads = $opt{num_threads} // 1;
my $cmd_template = shell_join(@{$p->{words}});
my @tasks = task_list($p);
my %log = log_paths($p);
ensure_log_dirs($prog, values %log);

my %running;   # pid => { task, start }
my %code;      # task => exit code

my $stopping = 0;
sub stop_all {
    my ($sig) = @_;
    return if $stopping++;   # a second signal (Ctrl-C reaches us twice: the terminal and seed.jobs) waits
    for my $pid (keys %running) {
        kill 'TERM', -$pid;   # each job is its own process group (setpgrp in the child)
        kill 'TERM', $pid;    # in case the child had not yet made its group
    }
    for my $pid (keys %running) {
        waitpid($pid, 0);
        my $r = $running{$pid};
        append_footer($r->{task}, 'killed by SIG' . $sig, time() - $r->{start});
    }
    print STDERR "$prog: interrupted by SIG$sig; stopped " . scalar(keys %running) . " running job(s)\n";
    exit 1;
}
$SIG{INT} = sub { stop_all('INT') };
$SIG{TERM} = sub { stop_all('TERM') };
$SIG{HUP} = sub { stop_all('HUP') };

sub append_footer {
    my ($task, $code, $seconds) = @_;
    my $newline = '';
    if (open my $in, '<', $log{$task}) {   # keep the footer on lines of its own
        if (-s $in && seek($in, -1, 2) && read($in, my $last, 1)) { $newline = "\n" if $last ne "\n"; }
        close $in;
    }
    open my $fh, '>>', $log{$task} or fail($prog, "cannot append to log '$log{$task}': $!");
    print $fh $newline, footer_text($code, sprintf('%.0f', $seconds), $threads);
    close $fh;
}

sub start_job {
    my ($task) = @_;
    my $cmd = substitute_job($cmd_template, $p->{jobvar}, $task);
    open my $fh, '>', $log{$task} or fail($prog, "cannot write log '$log{$task}': $!");
    print $fh header_text($cmd);
    close $fh;
    my $start = time();
    my $pid = fork();
    fail($prog, "fork failed: $!") unless defined $pid;
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null' or die "$prog: /dev/null: $!\n";
        open STDOUT, '>>', $log{$task} or die "$prog: cannot append to '$log{$task}': $!\n";
        open STDERR, '>&', \*STDOUT or die "$prog: cannot redirect stderr: $!\n";
        exec('bash', '-o', 'pipefail', '-c', $cmd) or die "$prog: cannot run bash: $!\n";
    }
    $running{$pid} = { task => $task, start => $start };
}

# Started by seed.jobs (SEED_JOBS_PARENT_PID): stop the jobs when that process is gone, even after a
# SIGKILL that gave it no chance to pass a signal on. Run by hand (nohup, a shell) nothing is watched.
my $parent = $ENV{SEED_JOBS_PARENT_PID};
$parent = undef unless defined $parent && $parent =~ /^\d+$/ && $parent == getppid();
my @queue = @tasks;
while (@queue || %running) {
    while (@queue && keys(%running) < $max_jobs) {
        start_job(shift @queue);
    }
    my $pid;
    if (defined $parent) {
        while (($pid = waitpid(-1, WNOHANG)) == 0) {
            stop_all('KILL of the parent process') if getppid() != $parent;
            select(undef, undef, undef, 0.2);
        }
    } else {
        $pid = waitpid(-1, 0);
    }
    next if $pid <= 0 || !$running{$pid};
    my $status = $?;
    my $r = delete $running{$pid};
    my $code = ($status & 127) ? 128 + ($status & 127) : $status >> 8;
    $code{$r->{task}} = $code;
    append_footer($r->{task}, $code, time() - $r->{start});
}

my @failed = grep { $code{$_} != 0 } @tasks;
exit 0 unless @failed;

my $shown = 0;
for my $task (@failed) {
    last if ++$shown > 20;
    my $which = defined $p->{jobvar} ? "job $task" : "job";
    print STDERR "$prog: $which failed with exit code $code{$task}; see $log{$task}\n";
}
print STDERR "$prog: ... and " . (@failed - 20) . " more failed job(s)\n" if @failed > 20;
if (defined $p->{jobvar}) {
    my $pattern = substitute_job($p->{log}, $p->{jobvar}, '*');
    print STDERR "$prog: " . scalar(@failed) . " / " . scalar(@tasks) . " failed, logs are $pattern\n";
}
# The end of the first failing log usually says why; show it so CI output is self-contained.
if (open my $fh, '<', $log{$failed[0]}) {
    my @lines = grep { !/^# (Accounting|Ended)/ } <$fh>;
    close $fh;
    my @tail = @lines > 5 ? @lines[-5 .. -1] : @lines;
    print STDERR "$prog: last lines of $log{$failed[0]}:\n", map { "  | $_" } @tail;
}
exit 1;

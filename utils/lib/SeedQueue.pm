package SeedQueue;
# The submit-and-wait flow shared by slurm.pl and queue.pl: map the job options through the conf
# file, write one job script that runs any task of the array (JOB already substituted, so the
# command is exactly the one run.pl would run), submit it as an array with a blocking submit
# (`sbatch --wait`, `qsub -sync y`), then read each task's exit status from its done file and
# report failures naming the logs. The backend scripts only describe their scheduler.
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Basename qw(basename dirname);
use File::Spec;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use SeedJob qw(parse_job_args shell_join shell_quote substitute_job job_var_re task_list log_paths
               ensure_log_dirs read_conf map_conf_options fail);

our @EXPORT_OK = qw(run_scheduled);
use Exporter qw(import);

# Print the comment block at the top of the calling script (its --help).
sub print_help {
    my ($script) = @_;
    open my $self, '<', $script or die "$script: $!\n";
    while (my $line = <$self>) {
        last if $line !~ /^#/;
        next if $line =~ /^#!/;
        $line =~ s/^# ?//;
        print $line;
    }
}

# Backend description ($b): prog, default_conf, builtin_conf, submit_env, cancel, cancel_env,
# task_env, array_args(first, last, max_jobs) (max_jobs undef unless handled here), log_args(qlog),
# wait_args, jobid_re, max_jobs_special (true: --max-jobs-run is handled by array_args, not conf).
sub run_scheduled {
    my ($b, $script, @argv) = @_;
    my $prog = $b->{prog};
    if (@argv == 1 && $argv[0] =~ /^(--help|-h)$/) {
        print_help($script);
        exit 0;
    }
    my $p = parse_job_args($prog, @argv);
    my %opt = %{$p->{options}};

    my $conf_path = delete $opt{config};
    my $dry_run = delete $opt{dry_run} // 'false';
    fail($prog, "--dry-run must be true or false, got '$dry_run'") unless $dry_run =~ /^(true|false)$/;
    if (defined $conf_path) {
        fail($prog, "config file '$conf_path' not found") unless -f $conf_path;
    } elsif (-f $b->{default_conf}) {
        $conf_path = $b->{default_conf};
    }
    my $conf = read_conf($prog, $conf_path, $b->{builtin_conf});

    my $is_array = defined $p->{jobvar};
    my $max_jobs = $opt{max_jobs_run};
    delete $opt{max_jobs_run} if $b->{max_jobs_special} || !$is_array;
    my @sched_opts = (map_conf_options($prog, $conf, \%opt), @{$p->{raw}});
    my $threads = $opt{num_threads} // 1;

    my @tasks = task_list($p);
    my %log = log_paths($p);
    ensure_log_dirs($prog, values %log);
    my $qdir = dirname($log{$tasks[0]}) . '/q';
    ensure_log_dirs($prog, "$qdir/x");
    my $base = basename($p->{log});
    if ($is_array) { my $re = job_var_re($p->{jobvar}); $base =~ s/\.?$re//g; }
    $base =~ s/\.log$//;
    $base = 'job' if $base eq '';
    # Absolute, so the scheduler finds them whatever directory it starts the job in.
    my $job_script = File::Spec->rel2abs("$qdir/$base.sh");
    my $qlog = File::Spec->rel2abs("$qdir/$base.log");
    my $done_prefix = "$qdir/$base.done.$$";

    write_job_script($b, $p, $job_script, \%log, $done_prefix, $threads, $is_array);

    my @submit = @{$conf->{command}};
    $submit[0] = $ENV{$b->{submit_env}} if defined $ENV{$b->{submit_env}} && $ENV{$b->{submit_env}} ne '';
    push @submit, @sched_opts, $b->{log_args}->($qlog);
    push @submit, $b->{array_args}->($p->{first}, $p->{last}, $b->{max_jobs_special} ? $max_jobs : undef)
        if $is_array;
    push @submit, @{$b->{wait_args}}, $job_script;

    if ($dry_run eq 'true') {
        print shell_join(@submit), "\n";
        return 0;
    }
    remove_done_files($done_prefix);

    my ($status, $output, $job_id) = submit_and_wait($b, \@submit);
    my %code;
    my @missing = grep { !defined($code{$_} = read_done("$done_prefix.$_")) } @tasks;
    if (@missing && !defined $job_id && $status != 0) {
        chomp $output;
        fail($prog, "submitting with '$submit[0]' failed (exit code $status):\n$output");
    }
    # Done files written on compute nodes can take a while to appear on a network file system.
    my $deadline = time() + ($ENV{SEED_QUEUE_SYNC_WAIT} // 60);
    while (@missing && time() < $deadline) {
        sleep(0.5);
        @missing = grep { !defined($code{$_} = read_done("$done_prefix.$_")) } @missing;
    }
    remove_done_files($done_prefix);

    my @failed = grep { !defined $code{$_} || $code{$_} ne '0' } @tasks;
    return 0 unless @failed;
    my $shown = 0;
    for my $task (@failed) {
        last if ++$shown > 20;
        my $which = $is_array ? "job $task" : "job";
        if (defined $code{$task}) {
            print STDERR "$prog: $which failed with exit code $code{$task}; see $log{$task}\n";
        } else {
            print STDERR "$prog: $which left no exit status (killed by the scheduler, or never "
                       . "started); see $log{$task} and $qlog\n";
        }
    }
    print STDERR "$prog: ... and " . (@failed - 20) . " more failed job(s)\n" if @failed > 20;
    if ($is_array) {
        my $pattern = substitute_job($p->{log}, $p->{jobvar}, '*');
        print STDERR "$prog: " . scalar(@failed) . " / " . scalar(@tasks) . " failed, logs are $pattern\n";
    }
    return 1;
}

sub remove_done_files {
    my ($prefix) = @_;
    my ($dir, $name) = (dirname($prefix), basename($prefix) . '.');
    opendir my $dh, $dir or return;
    unlink map { "$dir/$_" } grep { index($_, $name) == 0 } readdir $dh;
    closedir $dh;
}

sub read_done {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    my $line = <$fh> // '';
    close $fh;
    $line =~ s/\s+$//;
    return $line =~ /^\d+$/ ? $line : "unreadable status '$line'";
}

# Run the blocking submit command; cancel the job if we are interrupted meanwhile.
sub submit_and_wait {
    my ($b, $submit) = @_;
    my $prog = $b->{prog};
    my $pid = open(my $out, '-|') // fail($prog, "fork failed: $!");
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        no warnings 'exec';
        exec { $submit->[0] } @$submit;
        syswrite STDOUT, "cannot run '$submit->[0]': $!\n";
        POSIX::_exit(127);
    }
    my ($output, $job_id) = ('', undef);
    my $cancel = sub {
        my ($sig) = @_;
        my @cancel = @{$b->{cancel}};
        $cancel[0] = $ENV{$b->{cancel_env}} if defined $ENV{$b->{cancel_env}} && $ENV{$b->{cancel_env}} ne '';
        if (defined $job_id) {
            system(@cancel, $job_id);
            print STDERR "$prog: interrupted by SIG$sig; cancelled job $job_id (@cancel $job_id)\n";
        } else {
            print STDERR "$prog: interrupted by SIG$sig before the job id was known; check your queue\n";
        }
        kill 'TERM', $pid;
        exit 1;
    };
    local $SIG{INT} = sub { $cancel->('INT') };
    local $SIG{TERM} = sub { $cancel->('TERM') };
    local $SIG{HUP} = sub { $cancel->('HUP') };
    while (my $line = <$out>) {
        $output .= $line;
        $job_id //= $1 if $line =~ $b->{jobid_re};
    }
    close $out;
    my $status = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    return ($status, $output, $job_id);
}

# One bash script that runs task $TASK of the array: the scheduler tells it which task it is.
sub write_job_script {
    my ($b, $p, $path, $log, $done_prefix, $threads, $is_array) = @_;
    my $prog = $b->{prog};
    my $cmd_template = shell_join(@{$p->{words}});
    my @tasks = task_list($p);
    my $range = $is_array ? "$p->{jobvar}=$p->{first}:$p->{last}" : 'a single job';
    my $s = "#!/usr/bin/env bash\n"
          . "# Written by $prog for $range, log $p->{log}.\n"
          . "# Runs one task; the scheduler names it in \$$b->{task_env}.\n"
          . "cd " . shell_quote(getcwd()) . " || exit 1\n"
          . "if [ -f ./path.sh ]; then . ./path.sh; fi\n";
    $s .= $is_array ? "task=\${$b->{task_env}:-}\n" : "task=$tasks[0]\n";
    $s .= "case \$task in\n";
    for my $t (@tasks) {
        my $cmd = substitute_job($cmd_template, $p->{jobvar}, $t);
        $s .= "  $t) log=" . shell_quote($log->{$t}) . "; cmd=" . shell_quote($cmd) . " ;;\n";
    }
    $s .= "  *) echo \"$prog job script: no task '\$task' in $range\" >&2; exit 1 ;;\nesac\n";
    $s .= <<'EOS';
stamp() { date '+%a %b %e %H:%M:%S %Z %Y'; }
start=$(date +%s%N)
printf '# %s\n# Started at %s\n# Running on %s\n#\n' "$cmd" "$(stamp)" "$(hostname)" > "$log"
bash -o pipefail -c "$cmd" < /dev/null >> "$log" 2>&1
code=$?
seconds=$(( ($(date +%s%N) - start + 500000000) / 1000000000 ))   # rounded, as run.pl does
if [ -n "$(tail -c 1 "$log")" ]; then echo >> "$log"; fi
EOS
    $s .= "printf '# Accounting: time=%s threads=%s\\n# Ended (code %s) at %s, elapsed time %s seconds\\n' "
        . "\"\$seconds\" $threads \"\$code\" \"\$(stamp)\" \"\$seconds\" >> \"\$log\"\n";
    my $done = shell_quote($done_prefix);
    $s .= "echo \"\$code\" > $done.\"\$task\".tmp && mv $done.\"\$task\".tmp $done.\"\$task\"\n"
        . "exit \"\$code\"\n";
    my $tmp = "$path.tmp.$$";
    open my $fh, '>', $tmp or fail($prog, "cannot write job script '$tmp': $!");
    print $fh $s;
    close $fh or fail($prog, "cannot write job script '$tmp': $!");
    chmod 0755, $tmp;
    rename $tmp, $path or fail($prog, "cannot rename '$tmp' to '$path': $!");
}

1;

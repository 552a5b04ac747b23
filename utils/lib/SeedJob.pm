package SeedJob;
# Shared pieces of run.pl, slurm.pl and queue.pl: one command-line grammar
# (`[options] [JOB=1:N] LOG CMD...`), one way to turn argument words into a shell command, the
# log header/footer every backend writes, and the Kaldi-style scheduler conf files.
# Kept in one place so that the three backends cannot drift apart.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use POSIX qw(strftime);
use Exporter qw(import);

our @EXPORT_OK = qw(parse_job_args shell_join shell_quote substitute_job job_var_re task_list log_paths
                    date_string header_text footer_text cpu_count ensure_log_dirs
                    read_conf map_conf_options fail);

# Die with one line "PROG: message" (no Perl file/line noise) and exit status 1.
sub fail {
    my ($prog, $msg) = @_;
    print STDERR "$prog: $msg\n";
    exit 1;
}

# Parse `[--opt value|--opt=value]... [VAR=A:B|VAR=A] [--opt value]... LOG CMD...`.
# Options may come before and after the job range, as in Kaldi. Option names are normalised
# to underscores (--max-jobs-run -> max_jobs_run); a later occurrence overrides an earlier one,
# so `$cuda_cmd --gpu 2` works when cuda_cmd already says `--gpu 1`.
# Single-dash options (`-l h_rt=1:00:00`, `-V`) are scheduler options passed through as is (raw).
# Returns a hash: options (name => value), option_order, raw, jobvar, first, last, log, words.
sub parse_job_args {
    my ($prog, @args) = @_;
    my (%options, @order, @raw, $jobvar, $first, $last);
    while (@args) {
        my $arg = $args[0];
        if ($arg =~ /^--([A-Za-z][A-Za-z0-9_-]*)=(.*)$/s) {
            my $name = $1; my $value = $2;
            $name =~ tr/-/_/;
            push @order, $name unless exists $options{$name};
            $options{$name} = $value;
            shift @args;
        } elsif ($arg =~ /^--([A-Za-z][A-Za-z0-9_-]*)$/) {
            my $name = $1;
            fail($prog, "option $arg needs a value") if @args < 2;
            $name =~ tr/-/_/;
            push @order, $name unless exists $options{$name};
            $options{$name} = $args[1];
            splice @args, 0, 2;
        } elsif ($arg =~ /^([A-Za-z_][A-Za-z0-9_]*)=(\d+)(?::(\d+))?$/) {
            fail($prog, "more than one job range given ('$jobvar=...' and '$arg')") if defined $jobvar;
            ($jobvar, $first, $last) = ($1, $2 + 0, defined $3 ? $3 + 0 : $2 + 0);
            fail($prog, "empty job range '$arg' (start is after end)") if $first > $last;
            shift @args;
        } elsif ($arg eq '-V') {
            # Kaldi's queue.pl passes -V (export the environment) to qsub as is.
            push @raw, $arg;
            shift @args;
        } elsif ($arg =~ /^-[A-Za-z]/) {
            # Kaldi passes single-dash options straight to the scheduler: `queue.pl -l h_rt=1:00:00`.
            fail($prog, "option $arg needs a value") if @args < 2;
            push @raw, splice(@args, 0, 2);
        } else {
            last;
        }
    }
    fail($prog, "missing log file and command\n" . usage_text($prog)) if @args < 1;
    my $log = shift @args;
    fail($prog, "missing command after log file '$log'\n" . usage_text($prog)) if @args < 1;
    if (defined $jobvar && $last > $first && $log !~ job_var_re($jobvar)) {
        fail($prog, "running jobs $jobvar=$first:$last but the log file '$log' does not contain "
             . "'$jobvar' as a word part (e.g. log.$jobvar.log), so every job would write the same log");
    }
    for my $int (qw(max_jobs_run num_threads gpu)) {
        next unless exists $options{$int};
        my $min = $int eq 'gpu' ? 0 : 1;
        fail($prog, "--" . ($int =~ tr/_/-/r) . " must be an integer >= $min, got '$options{$int}'")
            unless $options{$int} =~ /^\d+$/ && $options{$int} >= $min;
    }
    return { options => \%options, option_order => \@order, raw => \@raw, jobvar => $jobvar,
             first => $first, last => $last, log => $log, words => \@args };
}

sub usage_text {
    my ($prog) = @_;
    return "usage: $prog [--max-jobs-run N] [--mem X] [--gpu N] [--num-threads N] [JOB=1:N] LOG CMD...";
}

# Quote one word for bash so it is passed through literally.
sub shell_quote {
    my ($w) = @_;
    return "''" if $w eq '';
    return $w if $w =~ m{^[A-Za-z0-9_\-+=.,:/@%^]+$};
    (my $q = $w) =~ s/'/'\\''/g;
    return "'$q'";
}

# Join command words into one shell command, Kaldi style: a word with whitespace or quote
# characters is quoted and stays one argument; any other word goes to the shell as written, so
# `run.pl LOG a \| b` is a pipeline and `run.pl LOG cmd \> out` a redirection, as users expect.
sub shell_join {
    my @out;
    for my $w (@_) {
        if ($w eq '' || $w =~ /[\s'"]/) {
            push @out, shell_quote($w);
        } else {
            push @out, $w;
        }
    }
    return join ' ', @out;
}

# The job variable where it stands as a whole word part, delimited by non-identifier characters
# (or the ends): `log.JOB.log`, `split4/JOB/`, `--job-id JOB`, `embedding.JOB.ark` match, while
# `JOBS_dir`, `MYJOB` and `JOB2` (a user's path or word) do not. seed/jobs.py uses the same rule.
sub job_var_re {
    my ($jobvar) = @_;
    return qr/(?<![A-Za-z0-9_])\Q$jobvar\E(?![A-Za-z0-9_])/;
}

# Replace the job variable (e.g. JOB) by the task id wherever it is a whole word part (job_var_re).
sub substitute_job {
    my ($text, $jobvar, $id) = @_;
    return $text unless defined $jobvar;
    my $re = job_var_re($jobvar);
    $text =~ s/$re/$id/g;
    return $text;
}

# The task ids of a parsed command line: first..last, or (1) for the single-job form.
sub task_list {
    my ($p) = @_;
    return defined $p->{jobvar} ? ($p->{first} .. $p->{last}) : (1);
}

# task id => log path.
sub log_paths {
    my ($p) = @_;
    my %logs = map { $_ => substitute_job($p->{log}, $p->{jobvar}, $_) } task_list($p);
    return %logs;
}

sub ensure_log_dirs {
    my ($prog, @logs) = @_;
    my %seen;
    for my $dir (grep { !$seen{$_}++ } map { dirname($_) } @logs) {
        next if -d $dir;
        eval { make_path($dir); 1 } or fail($prog, "cannot create log directory '$dir': $@");
        fail($prog, "cannot create log directory '$dir'") unless -d $dir;
    }
}

sub date_string { return strftime('%a %b %e %H:%M:%S %Z %Y', localtime(shift // time)); }

# The first lines of every job log (same text from every backend).
sub header_text {
    my ($cmd) = @_;
    return "# $cmd\n# Started at " . date_string() . "\n#\n";
}

# The last lines of every job log; "# Ended (code 0)" is what tools grep for success.
sub footer_text {
    my ($code, $seconds, $threads) = @_;
    $threads //= 1;
    return "# Accounting: time=$seconds threads=$threads\n"
         . "# Ended (code $code) at " . date_string() . ", elapsed time $seconds seconds\n";
}

# CPUs this process may use (respects affinity masks via nproc).
sub cpu_count {
    # nproc honours OMP_NUM_THREADS / OMP_THREAD_LIMIT, which path.sh sets to the threads of ONE job (2):
    # that is not a job limit, so count the CPUs this process may use without them.
    local %ENV = %ENV;
    delete @ENV{qw(OMP_NUM_THREADS OMP_THREAD_LIMIT)};
    for my $probe ('nproc 2>/dev/null', 'getconf _NPROCESSORS_ONLN 2>/dev/null') {
        my $n = `$probe`;
        return $n + 0 if defined $n && $n =~ /^\s*(\d+)\s*$/ && $1 > 0;
    }
    if (open my $fh, '<', '/proc/cpuinfo') {
        my $n = grep { /^processor\s*:/ } <$fh>;
        return $n if $n > 0;
    }
    return 1;
}

# Read a Kaldi-format scheduler conf:
#   command sbatch --export=PATH      # the submit command
#   option mem=* --mem-per-cpu $0     # a value pattern ("*" = any; $0 = the value) -> options
#   option mem=0                      # an exact value -> options (possibly none)
#   default gpu=0                     # value used when the option is not on the command line
# `$path` may be undef, then `$default_text` (the backend's built-in conf) is parsed.
sub read_conf {
    my ($prog, $path, $default_text) = @_;
    my ($text, $name);
    if (defined $path) {
        open my $fh, '<', $path or fail($prog, "cannot read config '$path': $!");
        local $/;
        $text = <$fh>;
        close $fh;
        $name = $path;
    } else {
        ($text, $name) = ($default_text, "(built-in $prog config)");
    }
    my %conf = (command => undef, rules => [], defaults => {}, name => $name, names => []);
    my %known;
    my $lineno = 0;
    for my $line (split /\n/, $text) {
        $lineno++;
        $line =~ s/#.*$//;
        next if $line =~ /^\s*$/;
        my @w = split ' ', $line;
        my $kind = shift @w;
        if ($kind eq 'command') {
            fail($prog, "$name:$lineno: 'command' needs the submit program") unless @w;
            $conf{command} = \@w;
        } elsif ($kind eq 'option' || $kind eq 'default') {
            my $spec = shift @w // '';
            fail($prog, "$name:$lineno: expected NAME=VALUE after '$kind', got '$spec'")
                unless $spec =~ /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/;
            my ($opt, $value) = ($1, $2);
            push @{$conf{names}}, $opt unless $known{$opt}++;
            if ($kind eq 'default') {
                fail($prog, "$name:$lineno: 'default $opt=$value' takes no scheduler options") if @w;
                $conf{defaults}{$opt} = $value;
            } else {
                push @{$conf{rules}}, { name => $opt, value => $value, args => \@w, line => $lineno };
            }
        } else {
            fail($prog, "$name:$lineno: cannot parse line (expected 'command', 'option' or 'default')");
        }
    }
    fail($prog, "$name: no 'command' line") unless $conf{command};
    return \%conf;
}

# Scheduler options for the command-line options (after defaults), in conf order. An option
# that the conf does not describe is an error naming it, never silently dropped.
sub map_conf_options {
    my ($prog, $conf, $options) = @_;
    my %opts = (%{$conf->{defaults}}, %$options);
    my @out;
    my %described = map { $_->{name} => 1 } @{$conf->{rules}};
    for my $opt (sort keys %opts) {
        next if $described{$opt};
        fail($prog, "option --" . ($opt =~ tr/_/-/r) . " is not described in $conf->{name} "
             . "(add a line like 'option $opt=* <scheduler options using \$0>')");
    }
    for my $opt (@{$conf->{names}}) {
        next unless exists $opts{$opt};
        my $value = $opts{$opt};
        my @rules = grep { $_->{name} eq $opt } @{$conf->{rules}};
        my ($rule) = grep { $_->{value} eq $value } @rules;
        ($rule) = grep { $_->{value} eq '*' } @rules unless $rule;
        fail($prog, "$conf->{name}: no rule for --" . ($opt =~ tr/_/-/r) . " $value "
             . "(have: " . join(', ', map { "$opt=$_->{value}" } @rules) . ")") unless $rule;
        push @out, map { s/\$0/$value/gr } @{$rule->{args}};
    }
    return @out;
}

1;

#!/usr/bin/env perl
# split_scp.pl: split a Kaldi table (scp, utt2spk, ...) into N contiguous parts.
#
#   split_scp.pl [--utt2spk=UTT2SPK] in.scp out1 out2 ... outN
#   split_scp.pl [--utt2spk=UTT2SPK] [--one-based] -j N J in.scp [out]   # only part J (stdout)
#
# By utterance, part j (1-based) of N gets lines floor((j-1)*L/N) .. floor(j*L/N)-1 of the L
# input lines: the same split as seed.jobs.shard, so shell and Python shards agree.
# With --utt2spk, whole speakers go to parts (no speaker straddles two parts), balancing the
# line counts; each speaker's lines must be consecutive in the input (true for sorted Kaldi data
# dirs, where utterance ids start with the speaker id). Concatenating the parts in order gives
# the input back. -j selects part J (0-based, or 1-based with --one-based).
# Errors (one line, naming file, line and key): fewer lines (or speakers) than parts, a key
# missing from UTT2SPK, a speaker whose lines are not consecutive, an empty line.
# Output files are written under temporary names and renamed when complete.
use strict;
use warnings;

my $prog = 'split_scp.pl';
sub fail { print STDERR "$prog: $_[0]\n"; exit 1; }

my ($utt2spk_file, $one_based, $num_jobs, $job_id);
while (@ARGV && $ARGV[0] =~ /^-./) {
    my $opt = shift @ARGV;
    if ($opt =~ /^--utt2spk=(.+)$/) {
        $utt2spk_file = $1;
    } elsif ($opt eq '--utt2spk') {
        $utt2spk_file = shift @ARGV // fail("--utt2spk needs a file");
    } elsif ($opt eq '--one-based') {
        $one_based = 1;
    } elsif ($opt eq '-j') {
        ($num_jobs, $job_id) = splice @ARGV, 0, 2;
        fail("-j needs two numbers: -j NUM_JOBS JOB_ID")
            unless defined $job_id && $num_jobs =~ /^\d+$/ && $job_id =~ /^\d+$/ && $num_jobs > 0;
    } elsif ($opt =~ /^(--help|-h)$/) {
        open my $self, '<', $0 or die;
        while (my $l = <$self>) { last if $l !~ /^#/; next if $l =~ /^#!/; $l =~ s/^# ?//; print $l; }
        exit 0;
    } else {
        fail("unknown option '$opt'");
    }
}
fail("usage: $prog [--utt2spk=F] [--one-based] [-j N J] in.scp [out1 out2 ...]") unless @ARGV;
my $in = shift @ARGV;
my @outs = @ARGV;
my $num_parts;
if (defined $num_jobs) {
    my $j = $one_based ? $job_id - 1 : $job_id;
    fail("-j $num_jobs $job_id: job id out of range" . ($one_based ? ' 1' : ' 0') . ".."
         . ($one_based ? $num_jobs : $num_jobs - 1)) if $j < 0 || $j >= $num_jobs;
    fail("with -j give at most one output file") if @outs > 1;
    $num_parts = $num_jobs;
    $job_id = $j;
} else {
    fail("no output files given") unless @outs;
    $num_parts = @outs;
}

# Read the input: lines and their keys.
my (@lines, @keys);
{
    my $fh;
    if ($in eq '-') { $fh = \*STDIN } else { open $fh, '<', $in or fail("cannot read '$in': $!") }
    while (my $line = <$fh>) {
        my ($key) = split ' ', $line;
        fail("$in:$.: empty line") unless defined $key;
        $line .= "\n" unless $line =~ /\n\z/;
        push @lines, $line;
        push @keys, $key;
    }
}
my $n = @lines;

# Boundaries: part p (0-based) holds lines $start[$p] .. $start[$p+1]-1.
my @start;
if (!defined $utt2spk_file) {
    fail("cannot split $n line(s) of '$in' into $num_parts parts") if $n < $num_parts;
    @start = map { int($_ * $n / $num_parts) } 0 .. $num_parts;
} else {
    my %spk_of;
    open my $fh, '<', $utt2spk_file or fail("cannot read '$utt2spk_file': $!");
    while (my $line = <$fh>) {
        my @f = split ' ', $line;
        fail("$utt2spk_file:$.: key '" . ($f[0] // '') . "': expected '<utt> <spk>'") unless @f == 2;
        $spk_of{$f[0]} = $f[1];
    }
    close $fh;
    # Speaker runs: first line index of each speaker, in input order.
    my (@run_start, %done_spk);
    my $prev;
    for my $i (0 .. $n - 1) {
        my $spk = $spk_of{$keys[$i]};
        fail("$in:" . ($i + 1) . ": key '$keys[$i]': not in $utt2spk_file") unless defined $spk;
        next if defined $prev && $spk eq $prev;
        fail("$in:" . ($i + 1) . ": key '$keys[$i]': speaker '$spk' appears again after other "
             . "speakers; sort the input so that each speaker's lines are together") if $done_spk{$spk}++;
        push @run_start, $i;
        $prev = $spk;
    }
    my $num_spk = @run_start;
    fail("cannot split the $num_spk speaker(s) of '$in' into $num_parts parts") if $num_spk < $num_parts;
    push @run_start, $n;
    # Part boundary k sits at the speaker boundary closest to k*n/N, leaving at least one speaker
    # for every part on either side.
    my @b = (0);
    for my $k (1 .. $num_parts - 1) {
        my $target = $k * $n / $num_parts;
        my ($lo, $hi) = ($b[-1] + 1, $num_spk - ($num_parts - $k));
        my $best = $lo;
        for my $s ($lo .. $hi) {
            $best = $s if abs($run_start[$s] - $target) < abs($run_start[$best] - $target);
            last if $run_start[$s] > $target;
        }
        push @b, $best;
    }
    push @b, $num_spk;
    @start = map { $run_start[$_] } @b;
}

sub write_part {
    my ($path, $p) = @_;
    my @part = @lines[$start[$p] .. $start[$p + 1] - 1];
    if (!defined $path || $path eq '-') {
        print @part;
        return;
    }
    my $tmp = "$path.tmp.$$";
    open my $fh, '>', $tmp or fail("cannot write '$tmp': $!");
    print $fh @part;
    close $fh or fail("cannot write '$tmp': $!");
    rename $tmp, $path or fail("cannot rename '$tmp' to '$path': $!");
}

if (defined $num_jobs) {
    write_part($outs[0], $job_id);
} else {
    write_part($outs[$_], $_) for 0 .. $num_parts - 1;
}

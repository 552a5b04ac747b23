#!/usr/bin/env perl
# shuffle_list.pl [--srand N] [file ...] > shuffled
# Prints the input lines (files or stdin) in a random order that depends only on N (default 0):
# the same input and seed give the same order on every run and machine.
use strict;
use warnings;

my $seed = 0;
while (@ARGV && $ARGV[0] =~ /^-./) {
    my $opt = shift @ARGV;
    if ($opt =~ /^--srand=(.*)$/) {
        $seed = $1;
    } elsif ($opt eq '--srand') {
        $seed = shift @ARGV // '';
    } elsif ($opt =~ /^(--help|-h)$/) {
        print "usage: shuffle_list.pl [--srand N] [file ...] > shuffled\n";
        exit 0;
    } else {
        print STDERR "shuffle_list.pl: unknown option '$opt'\n";
        exit 1;
    }
}
if ($seed !~ /^\d+$/) {
    print STDERR "shuffle_list.pl: --srand needs a non-negative integer, got '$seed'\n";
    exit 1;
}
my @lines = <>;
$lines[-1] .= "\n" if @lines && $lines[-1] !~ /\n\z/;
srand($seed);   # perl >= 5.20 uses its own drand48: the same sequence on every platform
for (my $i = $#lines; $i > 0; $i--) {
    my $j = int(rand($i + 1));
    @lines[$i, $j] = @lines[$j, $i];
}
print @lines;

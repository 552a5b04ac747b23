#!/usr/bin/env perl
# filter_scp.pl [--exclude] [-f N] ID_LIST [in.scp ...] > out.scp
# Keeps the lines of in.scp (files or stdin) whose N-th field (default 1, the key) is the first
# field of a line of ID_LIST; with --exclude keeps the other lines. Order and text of the kept
# lines are unchanged. ID_LIST may be `-` (stdin) when in.scp files are given.
# A line with fewer than N fields is an error naming the file and line.
use strict;
use warnings;

my $prog = 'filter_scp.pl';
my ($exclude, $field) = (0, 1);
while (@ARGV && $ARGV[0] =~ /^-./) {
    my $opt = shift @ARGV;
    if ($opt eq '--exclude') {
        $exclude = 1;
    } elsif ($opt eq '-f' || $opt =~ /^--?field=?$/) {
        $field = shift @ARGV // '';
    } elsif ($opt =~ /^-f(\d+)$/ || $opt =~ /^--field=(.+)$/) {
        $field = $1;
    } elsif ($opt =~ /^(--help|-h)$/) {
        print "usage: $prog [--exclude] [-f N] ID_LIST [in.scp ...] > out.scp\n";
        exit 0;
    } else {
        print STDERR "$prog: unknown option '$opt'\n";
        exit 1;
    }
}
if ($field !~ /^\d+$/ || $field < 1) {
    print STDERR "$prog: -f needs a field number >= 1, got '$field'\n";
    exit 1;
}
if (!@ARGV) {
    print STDERR "usage: $prog [--exclude] [-f N] ID_LIST [in.scp ...] > out.scp\n";
    exit 1;
}
my $idlist = shift @ARGV;
if ($idlist eq '-' && (!@ARGV || grep { $_ eq '-' } @ARGV)) {
    print STDERR "$prog: ID_LIST and in.scp cannot both be stdin\n";
    exit 1;
}
my %keep;
{
    my $fh;
    if ($idlist eq '-') {
        $fh = \*STDIN;
    } else {
        open $fh, '<', $idlist or do { print STDERR "$prog: cannot read id list '$idlist': $!\n"; exit 1 };
    }
    while (my $line = <$fh>) {
        my ($id) = split ' ', $line;
        $keep{$id} = 1 if defined $id;
    }
}
while (my $line = <>) {
    my @f = split ' ', $line;
    if (@f < $field) {
        my $where = ($ARGV eq '-' ? 'stdin' : $ARGV) . ":$.";
        print STDERR "$prog: $where: line has " . scalar(@f) . " field(s), filtering on field $field\n";
        exit 1;
    }
    next if ($keep{$f[$field - 1]} ? 1 : 0) == $exclude;
    $line .= "\n" unless $line =~ /\n\z/;
    print $line;
} continue {
    close ARGV if eof;
}

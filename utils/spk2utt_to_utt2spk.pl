#!/usr/bin/env perl
# spk2utt_to_utt2spk.pl [spk2utt ...] > utt2spk
# Turns `<spk> <utt1> <utt2> ...` lines (files or stdin) into `<utt> <spk>` lines, in input order.
# A speaker without utterances, or an utterance listed twice, is an error naming it.
use strict;
use warnings;

if (@ARGV && $ARGV[0] =~ /^(--help|-h)$/) {
    print "usage: spk2utt_to_utt2spk.pl [spk2utt ...] > utt2spk\n";
    exit 0;
}
my %spk_of;
while (my $line = <>) {
    my $where = ($ARGV eq '-' ? 'stdin' : $ARGV) . ":$.";
    my ($spk, @utts) = split ' ', $line;
    if (!@utts) {
        print STDERR "spk2utt_to_utt2spk.pl: $where: key '" . ($spk // '')
                   . "': expected '<spk> <utt1> [<utt2> ...]'\n";
        exit 1;
    }
    for my $utt (@utts) {
        if (exists $spk_of{$utt}) {
            print STDERR "spk2utt_to_utt2spk.pl: $where: key '$utt': utterance listed under "
                       . "speakers '$spk_of{$utt}' and '$spk'\n";
            exit 1;
        }
        $spk_of{$utt} = $spk;
        print "$utt $spk\n";
    }
} continue {
    close ARGV if eof;
}

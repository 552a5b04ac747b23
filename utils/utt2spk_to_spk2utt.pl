#!/usr/bin/env perl
# utt2spk_to_spk2utt.pl [utt2spk ...] > spk2utt
# Turns `<utt> <spk>` lines (files or stdin) into `<spk> <utt1> <utt2> ...` lines. Speakers come
# out in C (byte) order, each speaker's utterances in input order; so a sorted utt2spk whose
# utterance ids start with the speaker id gives a sorted spk2utt, as Kaldi data dirs require.
# A line without exactly two fields, or an utterance listed twice, is an error naming it.
use strict;
use warnings;

if (@ARGV && $ARGV[0] =~ /^(--help|-h)$/) {
    print "usage: utt2spk_to_spk2utt.pl [utt2spk ...] > spk2utt\n";
    exit 0;
}
my (%utts_of, %seen);
while (my $line = <>) {
    my $where = ($ARGV eq '-' ? 'stdin' : $ARGV) . ":$.";
    my @f = split ' ', $line;
    my $key = $f[0] // '';
    if (@f != 2) {
        print STDERR "utt2spk_to_spk2utt.pl: $where: key '$key': expected '<utt> <spk>', got "
                   . scalar(@f) . " fields\n";
        exit 1;
    }
    if ($seen{$key}++) {
        print STDERR "utt2spk_to_spk2utt.pl: $where: key '$key': utterance listed twice\n";
        exit 1;
    }
    push @{$utts_of{$f[1]}}, $key;
} continue {
    close ARGV if eof;   # restart $. for each file
}
for my $spk (sort keys %utts_of) {
    print join(' ', $spk, @{$utts_of{$spk}}), "\n";
}

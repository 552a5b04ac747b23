"""Synthesise the embedded demo's corpus: speakers (espeak-ng + flite) in LibriSpeech layout and
noise, music and babble in MUSAN layout. Needs espeak-ng and flite
(`apt-get install espeak-ng flite` as root, or tools/install.sh as root).

  python -m seed.bin.make_synthetic_corpus --out-dir db --seed 0 \
      [--n-trial-speakers 40] [--n-train-speakers 200] [--utts-per-speaker 8] [--nj 2]

Writes DB/{train,test,babble[,enrol]}/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac (read them with
`python -m seed.bin.prepare_librispeech --root DB --subset test`), DB/musan/{noise,music,speech}/
<family>/*.wav (read with `python -m seed.bin.make_noise_list --musan DB/musan`), DB/speakers.tsv.
The same options give identical bytes whatever --nj. A finished corpus is marked by
DB/.synthetic_corpus.json; a rerun with the same options does nothing (use --force to redo).
"""
import argparse
import sys

from seed.corpora.synthetic import DEFAULT_SENTENCES, CorpusError, CorpusOptions, generate_corpus, load_sentences
from seed.corpora.synthetic_tts import SynthesisError
from seed.data import SeedDataError


def build_parser():
    d = CorpusOptions()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", required=True, help="corpus root to write (created; must not hold a foreign corpus)")
    p.add_argument("--seed", type=int, default=d.seed, help="global seed of every random draw")
    p.add_argument("--n-trial-speakers", type=int, default=d.n_test,
                   help="speakers of the `test` subset (trial speakers); the first 40 are curated voices")
    p.add_argument("--n-train-speakers", type=int, default=d.n_train,
                   help="speakers of the `train` subset (SEED training speech); beyond 38 curated voices "
                        "they are generated espeak-ng voices")
    p.add_argument("--n-babble-speakers", type=int, default=d.n_babble,
                   help="speakers of the `babble` subset, also written as musan/speech/ talkers")
    p.add_argument("--utts-per-speaker", type=int, default=d.utts_per_speaker,
                   help="utterances per speaker, each a different sentence")
    p.add_argument("--enrol-utts-per-trial-speaker", type=int, default=d.enrol_utts_per_test_speaker,
                   help="more utterances of each trial speaker (another session, sentences it does not read in "
                        "`test`) in the `enrol` subset: unlabelled trial-speaker audio for enrolment-adapted SEED")
    p.add_argument("--sentences", default=str(DEFAULT_SENTENCES),
                   help="text list, one sentence a line ('#' comments)")
    p.add_argument("--noise-files-per-family", type=int, default=d.noise_files_per_family,
                   help="files per noise family (white pink brown blue hum clicks engine wind tones)")
    p.add_argument("--music-files-per-family", type=int, default=d.music_files_per_family,
                   help="files per music family (chords arpeggio rhythm band)")
    p.add_argument("--speed-jitter", type=float, default=d.speed_jitter,
                   help="per-utterance speaking-rate change, ± this fraction of the speaker's rate")
    p.add_argument("--pitch-jitter", type=float, default=d.pitch_jitter,
                   help="per-utterance pitch change, ± this fraction of the speaker's pitch (keep small: "
                        "a pitch change does not make a new speaker)")
    p.add_argument("--channel", choices=("mild", "none"), default=d.channel,
                   help="per-utterance channel colouring (EQ peak, shelf, low cut)")
    p.add_argument("--nj", type=int, default=1, help="parallel worker processes (output does not depend on it)")
    p.add_argument("--force", action="store_true", help="regenerate even when the done marker matches")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.nj < 1:
        print("make_synthetic_corpus: --nj must be >= 1", file=sys.stderr)
        return 2
    try:
        options = CorpusOptions(
            seed=args.seed, n_test=args.n_trial_speakers, n_train=args.n_train_speakers,
            n_babble=args.n_babble_speakers, utts_per_speaker=args.utts_per_speaker,
            enrol_utts_per_test_speaker=args.enrol_utts_per_trial_speaker,
            noise_files_per_family=args.noise_files_per_family, music_files_per_family=args.music_files_per_family,
            speed_jitter=args.speed_jitter, pitch_jitter=args.pitch_jitter, channel=args.channel,
            sentences=load_sentences(args.sentences))
        summary = generate_corpus(args.out_dir, options, nj=args.nj, force=args.force)
    except (CorpusError, SynthesisError, SeedDataError, ValueError) as e:
        print(f"make_synthetic_corpus: {e}", file=sys.stderr)
        return 1
    if not summary["skipped"]:
        s = summary["speakers"]
        print(f"make_synthetic_corpus: {args.out_dir}: {summary['utterances']} utterances, "
              f"{summary['speech_hours']:.2f} h of speech (train {s['train']}, test {s['test']}, babble {s['babble']} "
              f"speakers); musan: {summary['noise_files']} noise, {summary['music_files']} music, "
              f"{summary['babble_files']} speech files; {summary['enrol_utterances']} enrol utterances; "
              f"{summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

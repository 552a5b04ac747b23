"""Write a small SYNTHETIC stand-in for the VoxCeleb recipe's corpora, laid out as the real downloads
(VoxCeleb1 with Vox1-O/E/H lists and vox1_meta.csv, VoxCeleb2 dev as wav, VoxConverse test SV,
a VoxSRC-23-style validation set, LibriTTS-R at 24 kHz, MUSAN, RIRS_NOISES). Needs espeak-ng and
flite (`apt-get install espeak-ng flite`, or tools/install.sh as root).

  python -m seed.bin.make_voxceleb_standin --out-dir DIR [--seed 0] [--nj 2] [size options]

then, from egs/voxceleb/seed1 (README.md there):
  VOXCELEB1=DIR/voxceleb1 VOXCELEB2=DIR/voxceleb2 VOXCONVERSE=DIR/voxconverse_test_SV \\
  LIBRITTS_R=DIR/LibriTTS_R MUSAN=DIR/musan RIRS_NOISES=DIR/RIRS_NOISES VOXSRC23=DIR/voxsrc23 ./run.sh

The same options give identical bytes whatever --nj. A finished stand-in is marked by
DIR/.voxceleb_standin.json (options, tool versions, a sha256 fingerprint of every file); a rerun
with the same options does nothing (--force redoes it). Its numbers say nothing about real VoxCeleb.
"""
import argparse
import dataclasses
import sys

from seed.corpora.synthetic import DEFAULT_SENTENCES, load_sentences
from seed.corpora.synthetic_tts import SynthesisError
from seed.corpora.voxceleb_standin import StandinError, StandinOptions, generate_standin
from seed.data import SeedDataError

SIZE_HELP = {
    "vox1_test_speakers": "VoxCeleb1 test speakers (real ids id10270...; at most 40)",
    "vox1_dev_speakers": "VoxCeleb1 dev speakers (id10001...; in Vox1-E/H only)",
    "vox1_videos": "videos (sessions: own channel and background) per VoxCeleb1 speaker",
    "vox1_segments": "segments per VoxCeleb1 video",
    "vox2_speakers": "VoxCeleb2 dev speakers (id00012...)",
    "vox2_videos": "videos per VoxCeleb2 speaker",
    "vox2_segments": "segments per VoxCeleb2 video",
    "vc_sessions": "VoxConverse recordings",
    "vc_speakers": "speakers per VoxConverse recording",
    "vc_segments": "segments per VoxConverse speaker",
    "voxsrc_speakers": "VoxSRC-23 speakers",
    "voxsrc_utts": "utterances per VoxSRC-23 speaker",
    "libritts_speakers": "LibriTTS-R speakers per subset (train-clean-100, train-clean-360)",
    "libritts_chapters": "chapters per LibriTTS-R speaker",
    "libritts_utts": "utterances per LibriTTS-R chapter",
    "musan_noise": "files per MUSAN noise source (free-sound, sound-bible)",
    "musan_music": "files per MUSAN music source (fma, fma-western-art, hd-classical, jamendo, rfm)",
    "musan_speech": "talkers per MUSAN speech source (librivox, us-gov)",
    "rir_rooms": "simulated rooms per RIRS_NOISES room class (small, medium, large; >= 2)",
    "rirs_per_room": "RIRs per simulated room",
}


def build_parser():
    d = StandinOptions()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", required=True, help="stand-in root to write (must not hold foreign corpus folders)")
    p.add_argument("--seed", type=int, default=d.seed, help="global seed of every random draw")
    for name, text in SIZE_HELP.items():
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(d, name), help=text)
    p.add_argument("--sentences", default=str(DEFAULT_SENTENCES), help="text list, one sentence a line ('#' comments)")
    p.add_argument("--nj", type=int, default=1, help="parallel worker processes (output does not depend on it)")
    p.add_argument("--force", action="store_true", help="regenerate even when the done marker matches")
    return p


def options_from_args(args):
    sizes = {name: getattr(args, name) for name in SIZE_HELP}
    return StandinOptions(seed=args.seed, sentences=load_sentences(args.sentences), **sizes)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.nj < 1:
        print("make_voxceleb_standin: --nj must be >= 1", file=sys.stderr)
        return 2
    try:
        summary = generate_standin(args.out_dir, options_from_args(args), nj=args.nj, force=args.force)
    except (StandinError, SynthesisError, SeedDataError) as e:
        print(f"make_voxceleb_standin: {e}", file=sys.stderr)
        return 1
    if not summary["skipped"]:
        speakers = ", ".join(f"{c} {n}" for c, n in summary["speakers"].items())
        print(f"make_voxceleb_standin: {args.out_dir}: {summary['speech_files']} speech files "
              f"({summary['speech_hours'] * 60:.1f} min; speakers: {speakers}), {summary['noise_files']} noise files, "
              f"{summary['rirs']} RIRs; {summary['files']} files, fingerprint {summary['fingerprint'][:16]}; "
              f"{summary['seconds']:.1f} s")
    return 0


assert set(SIZE_HELP) == {f.name for f in dataclasses.fields(StandinOptions)} - {"seed", "sentences"}

if __name__ == "__main__":
    sys.exit(main())

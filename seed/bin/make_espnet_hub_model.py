"""Train a tiny ESPnet-SPK model, pack it as ESPnet publishes it, and install it into a hub cache.

  python -m seed.bin.make_espnet_hub_model --data-dir DIR --tag ORG/NAME --hub-cache DIR --work-dir DIR \\
      [--size tiny] [--epochs 2] [--seed 0] [--num-threads 1]

Then, with no network: HF_HUB_OFFLINE=1 HF_HUB_CACHE=DIR python -m seed.bin.extract
--extractor espnet-tag:ORG/NAME ... loads it through Speech2Embedding.from_pretrained, espnet_model_zoo and
huggingface_hub, unmodified. Prints two lines on stdout: the tag and the snapshot folder.

Steps (seed/extract/espnet_tiny.py, seed/extract/espnet_hub.py): `python -m espnet2.bin.spk_train` on
DIR's wav.scp + utt2spk (plain 16 kHz mono audio files, >= 2 speakers, one with >= 2 utterances) in
WORK/train; `python -m espnet2.bin.pack spk` (spk.sh's stage 9) to WORK/train/exp/exp_valid.eer.best.zip;
the unpacked repository with README.md and .gitattributes in WORK/hf_ORG_NAME (spk.sh's stage 10, before
its push); that repository into HUB_CACHE/models--ORG--NAME in the hub's own layout, refs/main last.

Deterministic: the build key is the sha256 of the audio contents, labels, options and espnet/torch/python
versions; the trainer runs with --num-threads torch threads (weights are bitwise equal between runs
with the same thread count, not between 1 and 2 threads), and the revision is a git commit id over the
repository's content. A rerun whose key matches the README of the complete snapshot that refs/main
names does nothing; training is also reused from WORK when its key matches.
"""
import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from seed.data import DataDir, SeedDataError
from seed.extract.registry import ExtractorError, file_sha256

KEY_FORMAT = "seed-espnet-hub-model-1"
MODEL_FILE = "valid.eer.best.pth"  # what the tiny trainer selects (best_model_criterion valid eer min)


def build_parser():
    p = argparse.ArgumentParser(prog="python -m seed.bin.make_espnet_hub_model", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="Kaldi data dir with wav.scp and utt2spk (labelled speech)")
    p.add_argument("--tag", required=True, metavar="ORG/NAME", help="hub repository id, e.g. seed/ecapa_tiny_vox2dev")
    p.add_argument("--hub-cache", required=True, help="hub cache folder (what HF_HUB_CACHE will name)")
    p.add_argument("--work-dir", required=True, help="folder for the ESPnet experiment, the zip and the repository")
    p.add_argument("--size", default="tiny", help="model size of seed.extract.espnet_tiny.SIZES (default tiny)")
    p.add_argument("--epochs", type=int, default=2, help="training epochs (default 2)")
    p.add_argument("--seed", type=int, default=0, help="ESPnet's --seed (default 0)")
    p.add_argument("--num-threads", type=int, default=1,
                   help="torch threads of the trainer (default 1: the same weights on any machine size)")
    return p


def log(msg):
    print(f"make_espnet_hub_model: {msg}", file=sys.stderr, flush=True)


def read_training_data(data_dir, sample_rate):
    """(wavs utt→path, utt2spk) of a data dir, every problem a one-line error naming the file."""
    import soundfile
    d = Path(data_dir)
    for name in ("wav.scp", "utt2spk"):
        if not (d / name).is_file():
            raise SeedDataError(d / name, "file missing (a Kaldi data dir with wav.scp and utt2spk is needed)")
    data = DataDir.load(d)
    if data.segments is not None:
        raise SeedDataError(d / "segments", "segments are not supported: ESPnet's trainer reads whole audio files")
    for k in sorted(set(data.utt2spk) - set(data.wav_scp))[:1]:
        raise SeedDataError(d / "wav.scp", "utterance of utt2spk missing here", key=k)
    for k in sorted(set(data.wav_scp) - set(data.utt2spk))[:1]:
        raise SeedDataError(d / "utt2spk", "utterance of wav.scp missing here", key=k)
    wavs = {}
    for utt in sorted(data.utt2spk):
        entry = data.wav_scp[utt]
        if entry.rstrip().endswith("|") or not Path(entry).is_file():
            raise SeedDataError(d / "wav.scp", f"'{entry}' is not an audio file (pipes are not supported)", key=utt)
        try:
            info = soundfile.info(entry)
        except Exception as e:  # soundfile raises several types
            raise SeedDataError(d / "wav.scp", f"cannot read audio {entry}: {e}".replace("\n", " "), key=utt) from None
        if info.samplerate != sample_rate or info.channels != 1 or info.frames == 0:
            raise SeedDataError(d / "wav.scp", f"{entry}: {info.channels} channel(s), {info.samplerate} Hz, "
                                f"{info.frames} frames; need mono {sample_rate} Hz audio", key=utt)
        wavs[utt] = Path(entry).absolute()
    per_spk = {}
    for u, s in data.utt2spk.items():
        per_spk[s] = per_spk.get(s, 0) + 1
    if len(per_spk) < 2 or max(per_spk.values()) < 2:
        raise SeedDataError(d / "utt2spk", f"{len(per_spk)} speaker(s), at most {max(per_spk.values(), default=0)} "
                            "utterance(s) each; need >= 2 speakers and one with >= 2 utterances")
    return wavs, dict(data.utt2spk)


def build_info(args, wavs, utt2spk):
    """What the weights depend on, and its sha256 (the build key)."""
    import platform
    from importlib import metadata

    from seed.extract.espnet_tiny import train_config
    audio = hashlib.sha256()
    for u in sorted(wavs):
        audio.update(f"{u} {utt2spk[u]} {file_sha256(wavs[u])}\n".encode())
    info = {"format": KEY_FORMAT, "tag": args.tag, "utterances": len(wavs), "speakers": len(set(utt2spk.values())),
            "audio_and_labels_sha256": audio.hexdigest(), "size": args.size, "epochs": args.epochs,
            "seed": args.seed, "num_threads": args.num_threads, "train_config": train_config(args.size, args.epochs),
            "espnet": metadata.version("espnet"), "torch": metadata.version("torch"),
            "python": platform.python_version()}
    key = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()
    shown = {k: v for k, v in info.items() if k not in ("train_config", "format", "tag")}
    return key, shown


def train(args, work, wavs, utt2spk, key):
    """The ESPnet experiment for `key`, reused from WORK/train when its marker says so."""
    from seed.extract.espnet_tiny import build_espnet_model
    train_dir = work / "train"
    marker = train_dir / ".seed_build_key"
    exp = train_dir / "exp"
    if marker.is_file() and marker.read_text().strip() == key and (exp / MODEL_FILE).exists():
        log(f"reusing the experiment in {exp} (same build key)")
        return exp
    if train_dir.exists():
        shutil.rmtree(train_dir)  # another key's (or an interrupted) experiment: ESPnet would resume it
    log(f"training with espnet2.bin.spk_train ({args.size}, {args.epochs} epoch(s), seed {args.seed}, "
        f"{args.num_threads} thread(s)) in {train_dir}")
    exp = build_espnet_model(train_dir, wavs, utt2spk, size=args.size, epochs=args.epochs, seed=args.seed,
                             num_threads=args.num_threads)
    marker.write_text(key + "\n")
    return exp


def write_repository(folder, files):
    """The hub repository as files (spk.sh's hf_<repo> folder after `unzip -o` and README.md)."""
    if folder.exists():
        shutil.rmtree(folder)
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)


def run(args):
    from seed.extract import espnet_hub as hub
    from seed.extract.espnet_tiny import SIZES
    hub.check_repo_id(args.tag)
    if args.size not in SIZES:
        raise ExtractorError(f"--size {args.size!r}: choose one of {', '.join(SIZES)}")
    if args.epochs < 1 or args.num_threads < 1:
        raise ExtractorError("--epochs and --num-threads must be >= 1")
    wavs, utt2spk = read_training_data(args.data_dir, sample_rate=16000)
    key, shown = build_info(args, wavs, utt2spk)
    cache = Path(args.hub_cache).absolute()
    found = hub.cached_main(cache, args.tag)
    if found is not None and hub.build_key_of((found[1] / "README.md").read_text(encoding="utf-8")) == key:
        log(f"{args.tag} is up to date in {cache} (revision {found[0]}, same build key): nothing to do")
        return args.tag, found[1]
    work = Path(args.work_dir).absolute()
    exp = train(args, work, wavs, utt2spk, key)
    packed = hub.pack_experiment(exp, exp / f"{exp.name}_{Path(MODEL_FILE).stem}.zip", model_file=MODEL_FILE)
    files = hub.repo_files(packed, readme="")
    files["README.md"] = hub.model_card(args.tag, files, dict(key=key, **shown)).encode()
    write_repository(work / ("hf_" + args.tag.replace("/", "_")), files)
    commit, snapshot = hub.install_into_hub_cache(files, args.tag, cache)
    log(f"installed {args.tag} at revision {commit} into {cache}")
    return args.tag, snapshot


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        tag, snapshot = run(args)
    except (SeedDataError, ExtractorError, ValueError, OSError) as e:
        log(f"error: {e}".replace("\n", " "))
        return 1
    print(tag)
    print(snapshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())

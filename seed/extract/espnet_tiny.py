"""Build a small ESPnet-SPK model with ESPnet's own trainer (`python -m espnet2.bin.spk_train`).

For tests, benchmarks and the CI mini recipe: the result is a genuine ESPnet experiment folder
(`config.yaml`, `valid.eer.best.pth`, ...) in ESPnet's format, loadable with `espnet:EXP_DIR`
exactly like a downloaded ESPnet-SPK model, without any network. Two sizes:
- `tiny`: ECAPA-TDNN with 32 channels, 16-d embeddings (a few seconds of training);
- `ecapa512`: ECAPA-TDNN C=512, 1536-d pooling input, 192-d embeddings (6.2 M parameters; the
  size class of ESPnet's `ecapa_mel` baseline), for speed measurements.
The weights are barely trained: use it to test plumbing and speed, not accuracy.
"""
import os
import subprocess
import sys
from pathlib import Path

import soundfile
import yaml

from seed.extract.registry import ExtractorError

SIZES = {
    "tiny": {"encoder_conf": {"model_scale": 2, "ndim": 32, "output_size": 48}, "n_mels": 40, "emb": 16},
    "ecapa512": {"encoder_conf": {"model_scale": 8, "ndim": 512, "output_size": 1536}, "n_mels": 80, "emb": 192},
}


def train_config(size="tiny", epochs=2, sample_rate=16000):
    s = SIZES[size]
    return {
        "frontend": "melspec_torch",
        "frontend_conf": {"preemp": True, "n_fft": 512, "log": True, "win_length": 400, "hop_length": 160,
                          "n_mels": s["n_mels"], "normalize": "mn"},
        "encoder": "ecapa_tdnn", "encoder_conf": dict(s["encoder_conf"]),
        "pooling": "chn_attn_stat",
        "projector": "rawnet3", "projector_conf": {"output_size": s["emb"]},
        "preprocessor": "spk",
        "preprocessor_conf": {"target_duration": 2.0, "sample_rate": sample_rate, "num_eval": 2,
                              "noise_apply_prob": 0.0, "rir_apply_prob": 0.0},
        "loss": "aamsoftmax", "loss_conf": {"margin": 0.2, "scale": 30},
        "optim": "adam", "optim_conf": {"lr": 0.001},
        "num_att_plot": 0, "max_epoch": int(epochs), "batch_size": 2, "batch_type": "unsorted",
        "num_workers": 0, "best_model_criterion": [["valid", "eer", "min"]], "keep_nbest_models": 1,
    }


def validation_trials(spk2utt, per_speaker=2, max_speakers=16):
    """Every pair among the first `per_speaker` utterances of the first `max_speakers` speakers, as
    (enrol, test, label). The trainer keeps the epoch with the lowest validation EER
    (`best_model_criterion`), so the list must be able to tell epochs apart: with one target and one
    non-target trial every epoch ties at EER 0 or 50 and the first epoch is kept, untrained."""
    utts = [u for s in sorted(spk2utt)[:max_speakers] for u in spk2utt[s][:per_speaker]]
    spk = {u: s for s, us in spk2utt.items() for u in us}
    return [(a, b, int(spk[a] == spk[b])) for i, a in enumerate(utts) for b in utts[i + 1:]]


def build_espnet_model(work_dir, wavs, utt2spk, size="tiny", epochs=2, seed=0, timeout=900, num_threads=None):
    """Train an ESPnet-SPK model on `wavs` (utt → audio path) / `utt2spk`; returns the experiment folder.

    Needs at least two speakers, one with two utterances (for a target and a non-target
    validation trial). The trainer's log is `work_dir/train.log`; a failure raises with its tail.
    `num_threads` sets OMP_NUM_THREADS/MKL_NUM_THREADS for the trainer (None: torch's default, one per
    core). On CPU the weights are bitwise equal between runs with the same thread count (measured
    here: two runs with 2 threads gave identical 1epoch.pth files) but differ between 1 and 2 threads,
    so a reproducible build fixes it.
    """
    work = Path(work_dir).absolute()
    data, exp = work / "data", work / "exp"
    wavs = {u: Path(p).absolute() for u, p in wavs.items()}  # the trainer runs in work_dir
    (data / "train").mkdir(parents=True, exist_ok=True)
    (data / "valid").mkdir(parents=True, exist_ok=True)
    utts = sorted(wavs)
    spk2utt = {}
    for u in utts:
        spk2utt.setdefault(utt2spk[u], []).append(u)
    spks = sorted(spk2utt)
    two = next((s for s in spks if len(spk2utt[s]) >= 2), None)
    if len(spks) < 2 or two is None:
        raise ValueError("need >= 2 speakers and one speaker with >= 2 utterances to build an ESPnet-SPK model")

    def write(path, lines):
        Path(path).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

    lengths = {u: soundfile.info(str(wavs[u])).frames for u in utts}
    write(data / "train/wav.scp", [f"{u} {wavs[u]}" for u in utts])
    write(data / "train/utt2spk", [f"{u} {utt2spk[u]}" for u in utts])
    write(data / "train/spk2utt", [f"{s} {' '.join(spk2utt[s])}" for s in spks])
    write(data / "train/speech_shape", [f"{u} {lengths[u]}" for u in utts])
    trials = validation_trials(spk2utt)
    write(data / "valid/trial.scp", [f"{x}*{y} {wavs[x]}" for x, y, _ in trials])
    write(data / "valid/trial2.scp", [f"{x}*{y} {wavs[y]}" for x, y, _ in trials])
    write(data / "valid/trial_label", [f"{x}*{y} {lab}" for x, y, lab in trials])
    write(data / "valid/speech_shape", [f"{x}*{y} {lengths[x]}" for x, y, _ in trials])
    config = work / "train.yaml"
    config.write_text(yaml.safe_dump(train_config(size, epochs)), encoding="utf-8")
    # Run from work_dir with relative paths, as an ESPnet recipe runs from its egs2/*/spk1 folder: the
    # config.yaml that the trainer writes (and `espnet2.bin.pack` ships) then does not depend on where
    # work_dir is, so the same data and seed give the same packed model (seed/extract/espnet_hub.py).
    data, exp_rel = Path("data"), Path("exp")
    cmd = [sys.executable, "-m", "espnet2.bin.spk_train", "--use_tensorboard", "false", "--ngpu", "0",
           "--seed", str(seed), "--output_dir", str(exp_rel), "--config", config.name,
           "--train_data_path_and_name_and_type", f"{data}/train/wav.scp,speech,sound",
           "--train_data_path_and_name_and_type", f"{data}/train/utt2spk,spk_labels,text",
           "--train_shape_file", f"{data}/train/speech_shape",
           "--valid_data_path_and_name_and_type", f"{data}/valid/trial.scp,speech,sound",
           "--valid_data_path_and_name_and_type", f"{data}/valid/trial2.scp,speech2,sound",
           "--valid_data_path_and_name_and_type", f"{data}/valid/trial_label,spk_labels,text",
           "--valid_shape_file", f"{data}/valid/speech_shape",
           "--spk2utt", f"{data}/train/spk2utt", "--spk_num", str(len(spks))]
    log = work / "train.log"
    env = None
    if num_threads is not None:
        env = dict(os.environ, OMP_NUM_THREADS=str(int(num_threads)), MKL_NUM_THREADS=str(int(num_threads)))
    with open(log, "w", encoding="utf-8") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout, cwd=work, env=env)
    if proc.returncode != 0 or not (exp / "config.yaml").is_file() or not (exp / "valid.eer.best.pth").exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise ExtractorError(f"espnet2.bin.spk_train failed (exit {proc.returncode}); {log}: " + " | ".join(tail))
    return exp

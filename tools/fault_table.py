#!/usr/bin/env python
"""Fault table: run the toolkit's real command-line steps on broken inputs and judge every answer.

    .venv/bin/python tools/fault_table.py                 # every case; writes docs/fault-table.md
    .venv/bin/python tools/fault_table.py --quick --out /tmp/ft.md   # the subset the test suite runs
    .venv/bin/python tools/fault_table.py --only audio --only kill   # some families (table on stdout)
    .venv/bin/python tools/fault_table.py --list                     # the cases, without running them

Each case builds its inputs in a fresh folder under a temporary root (a tiny data dir of real 16 kHz
LibriSpeech test-other excerpts copied as WAV, small embedding arks written by seed.data, a tiny SEED
model and PLDA trained by the toolkit itself, a trial list), breaks one thing, and runs the step the way
a user does: `python -m seed.bin.<step> ...` or `utils/<script>.sh ...` in a subprocess, with absolute
paths. Families: audio, datadir, embeddings, trials, options, kill (a signal mid-run, then a rerun),
rerun. Exit status 1 when any case is `traceback`, `silent` or `lost`; 0 otherwise. Nothing outside the
temporary root (removed at the end unless --keep) and the output file is written. What each verdict
means is VERDICTS below (appended to this docstring, printed by --help, written into the table).
"""
import argparse
import concurrent.futures
import dataclasses
import datetime
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from seed.data import (DataDir, Trials, atomic_write, load_embedding_dict, save_audio,  # noqa: E402
                       write_embeddings, write_kv, write_trials)
from seed.provenance import git_revision  # noqa: E402

TEST_OTHER = REPO.parent / "shared" / "data" / "librispeech_excerpts" / "test-other"
DEFAULT_OUT = REPO / "docs" / "fault-table.md"
FAMILIES = ("audio", "datadir", "embeddings", "trials", "options", "kill", "rerun")
VERDICT_NAMES = ("clear", "unclear", "traceback", "silent", "lost")
BAD_VERDICTS = ("traceback", "silent", "lost")

VERDICTS = """\
- `clear`: a case whose right answer is a refusal exited non-zero with exactly ONE message line (no
  traceback) that names the broken file and, where the fault has a key (an utterance, speaker, trial
  or option), the key. A case whose right answer is success (a rerun after a kill, a fix that drops
  what it reports) exited 0 and its result was verified (files compared with an uninterrupted run,
  backups compared byte by byte, no `*.tmp` left, no process left behind).
- `unclear`: refused without a traceback, but the message does not name the file or the key, or it
  is more than one line; also a case whose right answer is success that exited non-zero cleanly.
- `traceback`: `Traceback (most recent call last)` on stderr or stdout, whatever the exit status.
- `silent`: exit 0 although the input was broken and nothing named the fault, or a wrong or stale
  result (an output that differs from an uninterrupted run, an earlier output left in place by a
  failed rerun, `*.tmp` leftovers, orphan processes), or a step that did not end within its time limit.
- `lost`: data disappeared: a backup overwritten, utterances dropped that no report or backup records.

What counts as the message: the non-blank lines of stderr and stdout, less argparse's `usage:` banner
(the `usage:` line and its indented continuation lines) and the progress lines the step prints on
success too (tqdm bars, `extract: job J/N: ...`, the `YYYY-MM-DD hh:mm:ss INFO` lines of train_seed:
INFO_LINES in tools/fault_table.py). "Names the file": the message contains the file's last two path
components (`data/utt2spk`, `bad/stereo.wav`, `scores/trials`), so a bare generic name such as `utt2spk`
is not enough; a pipe entry of wav.scp is named by its command text; an option error by the option (`--nj`)
or the bad value. "Names the key": the key appears as a whole token (not as part of a longer name
or of a path)."""

__doc__ += "\nVerdicts (the same text is in docs/fault-table.md):\n\n" + VERDICTS + "\n"

INFO_LINES = [re.compile(p) for p in (
    r"\d+%\|",                                         # tqdm progress bars
    r"^extract: job \d+/\d+: ",                        # job start and job summary
    r"^extract: dispatching ",
    r"^extract: all \d+ job\(s\) already done",
    r"^extract: .*embedding\.scp: \d+ utterances x ",  # merge summary
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO ",           # train_seed logging
)]


# ---------------------------------------------------------------------------------------------------
# running a step and judging its answer

@dataclasses.dataclass
class Proc:
    argv: list
    rc: int
    out: str
    err: str
    seconds: float
    timed_out: bool = False

    @property
    def text(self):
        return self.err + ("\n" if self.err and self.out else "") + self.out


@dataclasses.dataclass
class Outcome:
    verdict: str
    message: str


@dataclasses.dataclass
class Case:
    family: str
    name: str
    step: str
    fn: object            # (Ctx) -> Outcome
    quick: bool = False


ENV = {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + os.environ["PYTHONPATH"]
                                                 if os.environ.get("PYTHONPATH") else ""),
       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def run(argv, cwd, timeout=180, env=None):
    t0 = time.monotonic()
    argv = [str(a) for a in argv]
    try:
        p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=timeout,
                           env=env or ENV, stdin=subprocess.DEVNULL)
        return Proc(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        def txt(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return Proc(argv, -9, txt(e.stdout), txt(e.stderr), time.monotonic() - t0, timed_out=True)


def message_lines(text):
    """The lines a user reads as the step's answer: see VERDICTS (usage banner and INFO_LINES dropped)."""
    lines, in_usage = [], False
    for raw in text.replace("\r", "\n").splitlines():
        if not raw.strip():
            continue
        if raw.startswith("usage: "):
            in_usage = True
            continue
        if in_usage and raw[:1].isspace():
            continue
        in_usage = False
        if any(p.search(raw) for p in INFO_LINES):
            continue
        lines.append(raw.rstrip())
    return lines


def subject_text(subject):
    """What must appear in the message for `subject` (a Path: its last two components; else the text)."""
    if isinstance(subject, Path):
        return "/".join(subject.parts[-2:])
    return str(subject)


def names_key(message, key):
    return re.search(rf"(?<![\w./-]){re.escape(key)}(?![\w/-]|\.\w)", message) is not None


def has_traceback(proc):
    return "Traceback (most recent call last)" in proc.text


def refused(proc, *subjects, key=None):
    """Verdict of a case whose right answer is a refusal naming one of `subjects` (and `key`)."""
    lines = message_lines(proc.text)
    msg = " ⏎ ".join(lines)
    if has_traceback(proc):
        tb = [ln for ln in proc.text.splitlines() if ln.strip()]
        return Outcome("traceback", tb[-1] if tb else "Traceback")
    if proc.timed_out:
        return Outcome("silent", f"did not end within {proc.seconds:.0f} s")
    if proc.rc == 0:
        return Outcome("silent", "exit 0" + (f": {msg}" if msg else "; no warning or error, only progress lines"))
    if not lines:
        return Outcome("unclear", f"exit {proc.rc} and no message")
    named = any(subject_text(s) in msg for s in subjects) if subjects else True
    keyed = key is None or names_key(msg, key)
    missing = [w for w, ok in (("file", named), ("key", keyed)) if not ok]
    if len(lines) == 1 and not missing:
        return Outcome("clear", msg)
    why = []
    if len(lines) > 1:
        why.append(f"{len(lines)} lines")
    if missing:
        why.append("names no " + " or ".join(missing))
    return Outcome("unclear", f"[{', '.join(why)}] {msg}")


def succeeded(proc, check, note):
    """Verdict of a case whose right answer is success: `check()` returns None (verified) or
    (verdict, why)."""
    if has_traceback(proc):
        tb = [ln for ln in proc.text.splitlines() if ln.strip()]
        return Outcome("traceback", tb[-1] if tb else "Traceback")
    if proc.timed_out:
        return Outcome("silent", f"did not end within {proc.seconds:.0f} s")
    if proc.rc != 0:
        return Outcome("unclear", f"[expected success, exit {proc.rc}] " + " ⏎ ".join(message_lines(proc.text)))
    bad = check()
    if bad:
        return Outcome(*bad)
    return Outcome("clear", note)


# ---------------------------------------------------------------------------------------------------
# the shared inputs, built once (lazily: a family that does not need the model never trains one)

DIM = 16


class Base:
    def __init__(self, root):
        self.root = Path(root) / "base"
        self.root.mkdir(parents=True)
        self._lock = threading.Lock()
        self._locks, self._done = {}, {}

    def _once(self, name, build):
        """build() once per name; one lock per name, since a build may use another name's result."""
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._done:
                self._done[name] = build()
            return self._done[name]

    # --- audio: 6 utterances (3 speakers x 2), 2 s WAV copies of test-other
    @property
    def data(self):
        return self._once("data", lambda: self._audio_dir("data", seconds=2.0, speakers=("1688", "1998", "2033")))

    @property
    def long_data(self):
        """6 long utterances (about 100 s of audio) for the kill cases: a job runs long enough to be hit."""
        return self._once("long", lambda: self._audio_dir("long", seconds=None, speakers=("2609", "3080", "3331"),
                                                          longest=True))

    def _audio_dir(self, name, seconds, speakers, longest=False):
        import soundfile
        if not TEST_OTHER.is_dir():
            raise SystemExit(f"fault_table: {TEST_OTHER} is missing (the shared LibriSpeech excerpts)")
        wav_dir = self.root / f"{name}_wav"
        wav, u2s = {}, {}
        for spk in speakers:
            files = sorted((TEST_OTHER / spk).glob("*/*.flac"))
            if longest:
                files = sorted(files, key=lambda f: -soundfile.info(str(f)).frames)
            for f in files[:2]:
                x, rate = soundfile.read(str(f), dtype="float32")
                if seconds:
                    x = x[: int(seconds * rate)]
                utt = f.stem
                save_audio(wav_dir / f"{utt}.wav", x, rate)
                wav[utt], u2s[utt] = str(wav_dir / f"{utt}.wav"), spk
        d = self.root / name
        DataDir(wav_scp=wav, utt2spk=u2s).write(d)
        return d

    @property
    def noise_list(self):
        def build():
            rng = np.random.default_rng(0)
            save_audio(self.root / "noise" / "white.wav", 0.1 * rng.standard_normal(48000), 16000)
            lst = self.root / "noise.list"
            lst.write_text(f"noise {self.root / 'noise' / 'white.wav'}\n")
            return lst
        return self._once("noise", build)

    # --- embeddings (dimension 16): test set + trials, training pairs, cohort
    @property
    def emb(self):
        return self._once("emb", self._embeddings)

    def _embeddings(self):
        d = self.root / "emb"
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((3, DIM))
        keys = [f"t{s}-u{u}" for s in range(3) for u in range(3)]
        write_embeddings(d / "test.ark", d / "test.scp",
                         [(k, centres[int(k[1])] + 0.3 * rng.standard_normal(DIM)) for k in keys])
        write_trials(d / "trials", Trials(*zip(*[(a, b, int(a[:2] == b[:2])) for i, a in enumerate(keys)
                                                 for b in keys[i + 1:]])))
        tkeys, tvals, pairs, u2s = [], [], [], {}
        for s in range(4):
            c = rng.standard_normal(DIM)
            for i in range(8):
                clean = c + 0.3 * rng.standard_normal(DIM)
                for kind, v in (("clean", clean), ("noisy", clean + 0.5 + 0.3 * rng.standard_normal(DIM))):
                    k = f"s{s}-c{i}-{kind}"
                    tkeys.append(k)
                    tvals.append(v)
                    u2s[k] = f"s{s}"
                pairs.append((f"s{s}-c{i}-noisy", f"s{s}-c{i}-clean"))
        write_embeddings(d / "train.ark", d / "train.scp", zip(tkeys, tvals))
        write_kv(d / "pairs", dict(pairs))
        write_kv(d / "utt2spk", u2s)
        write_embeddings(d / "cohort.ark", d / "cohort.scp",
                         [(f"c{i}", rng.standard_normal(DIM)) for i in range(6)])
        return d

    def model_args(self, out_dir, *extra):
        e = self.emb
        """train_seed's options for a tiny run on the base training set (seed_debug, batch 16)."""
        return ["--config", "seed_debug", "--embeddings", e / "train.scp",
                "--pairs", e / "pairs", "--out-dir", out_dir, "--device", "cpu", "--num-threads", "1",
                "--set", "train.batch_size=16", *extra]

    @property
    def model(self):
        def build():
            out = self.root / "model"
            p = run([sys.executable, "-m", "seed.bin.train_seed", *self.model_args(out)], cwd=self.root)
            if p.rc != 0:
                raise RuntimeError(f"training the base model failed: {p.err[-2000:]}")
            return out
        return self._once("model", build)

    @property
    def plda(self):
        def build():
            e = self.emb
            out = self.root / "plda"
            p = run([sys.executable, "-m", "seed.bin.train_plda", "--scp", e / "train.scp", "--utt2spk",
                     e / "utt2spk", "--out-dir", out], cwd=self.root)
            if p.rc != 0:
                raise RuntimeError(f"training the base PLDA failed: {p.err[-2000:]}")
            return out
        return self._once("plda", build)

    @property
    def scores(self):
        def build():
            e = self.emb
            out = self.root / "scores"
            p = run([sys.executable, "-m", "seed.bin.score", "--trials", e / "trials", "--enroll-scp",
                     e / "test.scp", "--test-scp", e / "test.scp", "--backend", "cosine", "--out", out],
                    cwd=self.root)
            if p.rc != 0:
                raise RuntimeError(f"scoring the base trials failed: {p.err[-2000:]}")
            return out
        return self._once("scores", build)


# ---------------------------------------------------------------------------------------------------
# per-case context

class Ctx:
    def __init__(self, base, case_dir):
        self.base, self.dir = base, Path(case_dir)
        self.dir.mkdir(parents=True)

    def step(self, name, *args, timeout=180):
        return run([sys.executable, "-m", f"seed.bin.{name}", *args], cwd=self.dir, timeout=timeout)

    def sh(self, script, *args, timeout=180):
        return run(["bash", REPO / "utils" / script, *args], cwd=self.dir, timeout=timeout)

    def data_copy(self, name="data", src=None):
        """A private copy of the base data dir (tables only; audio stays in the base)."""
        dst = self.dir / name
        shutil.copytree(src or self.base.data, dst)
        return dst


CASES = []


def case(family, name, step, quick=False):
    def register(fn):
        CASES.append(Case(family, name, step, fn, quick))
        return fn
    return register


def lines_of(path):
    return Path(path).read_text().splitlines()


def replace_line(path, index, new):
    lines = lines_of(path)
    lines[index] = new
    Path(path).write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------
# family: audio — one utterance of a valid data dir points at broken audio

def _tone(seconds=1.0, rate=16000, seed=1):
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * rate))).astype(np.float32)


def make_bad_audio(kind, folder):
    """Create the broken audio `kind` in `folder`; returns (wav.scp entry, subjects that name it)."""
    import soundfile
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{kind}.wav"
    good = folder / "good.wav"
    soundfile.write(str(good), _tone(), 16000, subtype="PCM_16")
    if kind == "missing":
        pass
    elif kind == "zero_bytes":
        p.write_bytes(b"")
    elif kind == "header_only":
        soundfile.write(str(p), np.zeros(0, np.float32), 16000, subtype="PCM_16")
    elif kind == "truncated_header":
        p.write_bytes(good.read_bytes()[:20])
    elif kind == "truncated_data":
        b = good.read_bytes()
        p.write_bytes(b[: len(b) * 6 // 10])
    elif kind == "garbage":
        p.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    elif kind == "text":
        p.write_text("this is not audio\n")
    elif kind == "rate_8k":
        soundfile.write(str(p), _tone(rate=8000), 8000, subtype="PCM_16")
    elif kind == "rate_44k":
        soundfile.write(str(p), _tone(rate=44100), 44100, subtype="PCM_16")
    elif kind == "stereo":
        soundfile.write(str(p), np.stack([_tone(), _tone(seed=2)], axis=1), 16000, subtype="PCM_16")
    elif kind == "silent":
        soundfile.write(str(p), np.zeros(16000, np.float32), 16000, subtype="PCM_16")
    elif kind == "nan_float":
        x = _tone()
        x[100:200] = np.nan
        soundfile.write(str(p), x, 16000, subtype="FLOAT")
    elif kind == "inf_float":
        x = _tone()
        x[100] = np.inf
        soundfile.write(str(p), x, 16000, subtype="FLOAT")
    elif kind == "directory":
        p.mkdir()
    elif kind == "ten_samples":
        soundfile.write(str(p), _tone()[:10], 16000, subtype="PCM_16")
    elif kind.startswith("pipe_"):
        src = {"pipe_stereo": "stereo", "pipe_silent": "silent", "pipe_8k": "rate_8k"}.get(kind)
        if src:
            make_bad_audio(src, folder)
            cmd = f"cat {folder / (src + '.wav')} |"
        else:
            cmd = {"pipe_false": "false |", "pipe_no_command": f"no-such-command-xyz {good} |",
                   "pipe_garbage": "echo not-audio |"}[kind]
        return cmd, [cmd.rstrip(" |")]
    else:
        raise ValueError(kind)
    return str(p), [p]


BAD_AUDIO = ("missing", "zero_bytes", "header_only", "truncated_header", "truncated_data", "garbage", "text",
             "rate_8k", "rate_44k", "stereo", "silent", "nan_float", "inf_float", "directory", "ten_samples",
             "pipe_false", "pipe_no_command", "pipe_garbage", "pipe_stereo", "pipe_silent", "pipe_8k")
HEADER_LEVEL = ("missing", "zero_bytes", "header_only", "truncated_header", "garbage", "text", "directory")
# ten_samples: 10 samples are not a broken file; refusing or embedding them are both right, but an
# embedding must then be finite (checked below).
QUICK_AUDIO = ("silent",)
# simulate reads through the same audio reader as extract: only the kinds that differ in what it then does
SIMULATE_AUDIO = ("missing", "truncated_data", "garbage", "rate_8k", "stereo", "silent", "nan_float", "ten_samples",
                  "pipe_false", "pipe_stereo")


def _audio_case_dir(ctx, kind):
    data = ctx.data_copy()
    dd = DataDir.load(data)
    utt = dd.utts[2]
    entry, subjects = make_bad_audio(kind, ctx.dir / "bad")
    dd.wav_scp[utt] = entry
    dd.write(data)
    return data, utt, subjects


def _register_audio():
    for kind in BAD_AUDIO:
        def extract(ctx, kind=kind):
            data, utt, subjects = _audio_case_dir(ctx, kind)
            p = ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", data, "--out-dir", ctx.dir / "emb",
                         "--no-progress")
            if kind == "ten_samples" and p.rc == 0:
                def check():
                    table = load_embedding_dict(ctx.dir / "emb" / "embedding.scp")
                    return None if np.isfinite(table[utt]).all() else ("silent", "non-finite embedding written")
                return succeeded(p, check, "embedded 10 samples (finite embedding)")
            return refused(p, *subjects, key=utt)
        case("audio", f"{kind}", "extract", quick=kind in QUICK_AUDIO)(extract)

        def simulate(ctx, kind=kind):
            data, utt, subjects = _audio_case_dir(ctx, kind)
            p = ctx.step("simulate", "--data-dir", data, "--out-dir", ctx.dir / "sim", "--condition",
                         "noise_snr5", "--noise-list", ctx.base.noise_list)
            if kind == "ten_samples" and p.rc == 0:
                return succeeded(p, lambda: None, "simulated 10 samples")
            return refused(p, *subjects, key=utt)
        if kind in SIMULATE_AUDIO:
            case("audio", f"{kind}", "simulate")(simulate)

        if kind in HEADER_LEVEL:
            def validate(ctx, kind=kind):
                data, utt, subjects = _audio_case_dir(ctx, kind)
                return refused(ctx.step("validate_data_dir", "--check-audio", data), *subjects, key=utt)
            case("audio", f"{kind}", "validate_data_dir --check-audio")(validate)

    @case("audio", "segment_past_the_end", "extract")
    def _(ctx):
        data = ctx.data_copy()
        dd = DataDir.load(data)
        seg = {f"{u}-seg": f"{u} 0.00 1.00" for u in dd.utts}
        bad = dd.utts[1]
        seg[f"{bad}-seg"] = f"{bad} 30.00 31.00"      # the file is 2 s long
        DataDir(wav_scp=dd.wav_scp, utt2spk={f"{u}-seg": dd.utt2spk[u] for u in dd.utts}, segments=seg).write(data)
        p = ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", data, "--out-dir", ctx.dir / "emb",
                     "--no-progress")
        return refused(p, Path(dd.wav_scp[bad]), data / "segments", key=f"{bad}-seg")

    @case("audio", "skip_bad_inputs_listed", "simulate --on-bad-input skip")
    def _(ctx):
        data = ctx.data_copy()
        dd = DataDir.load(data)
        bad = {dd.utts[1]: "missing", dd.utts[4]: "silent"}
        for utt, kind in bad.items():
            dd.wav_scp[utt] = make_bad_audio(kind, ctx.dir / "bad")[0]
        dd.write(data)
        out = ctx.dir / "sim"
        p = ctx.step("simulate", "--data-dir", data, "--out-dir", out, "--condition", "noise_snr5",
                     "--noise-list", ctx.base.noise_list, "--on-bad-input", "skip")

        def check():
            skipped = (out / "skipped").read_text() if (out / "skipped").exists() else ""
            unrecorded = [u for u in bad if u not in skipped]
            if unrecorded:
                return "lost", f"skipped utterances not listed in OUT/skipped: {unrecorded}"
            kept = set(DataDir.load(out).utt2spk)
            if kept != set(dd.utts) - set(bad):
                return "lost", f"output holds {sorted(kept)}"
            return None
        return succeeded(p, check, "both bad utterances listed with a reason in OUT/skipped; the other 4 simulated")


# ---------------------------------------------------------------------------------------------------
# family: datadir — broken Kaldi tables

def corrupt_datadir(kind, data):
    """Break `data` as `kind`; returns (subjects, key)."""
    dd = DataDir.load(data)
    utts = dd.utts
    u2s, wav, s2u = data / "utt2spk", data / "wav.scp", data / "spk2utt"
    if kind == "missing_utt2spk":
        u2s.unlink()
        return [u2s], None
    if kind == "missing_wav_scp":
        wav.unlink()
        return [wav], None
    if kind == "missing_spk2utt":
        s2u.unlink()
        return [s2u], None
    if kind == "duplicate_key_utt2spk":
        lines = lines_of(u2s)
        u2s.write_text("\n".join(lines[:3] + [lines[2]] + lines[3:]) + "\n")
        return [u2s], utts[2]
    if kind == "duplicate_key_wav_scp":
        lines = lines_of(wav)
        wav.write_text("\n".join(lines[:3] + [lines[2]] + lines[3:]) + "\n")
        return [wav], utts[2]
    if kind == "unsorted_utt2spk":
        lines = lines_of(u2s)
        lines[1], lines[2] = lines[2], lines[1]
        u2s.write_text("\n".join(lines) + "\n")
        return [u2s], utts[1]
    if kind in ("non_utf8_utt2spk", "non_utf8_wav_scp", "non_utf8_spk2utt"):
        f = {"non_utf8_utt2spk": u2s, "non_utf8_wav_scp": wav, "non_utf8_spk2utt": s2u}[kind]
        raw = f.read_bytes().split(b"\n")
        raw[2] = raw[2] + b"\xff"
        f.write_bytes(b"\n".join(raw))
        key = raw[2].split()[0].decode()
        return [f], key
    if kind == "spk2utt_mismatch":
        lines = lines_of(s2u)
        spk = lines[1].split()[0]
        replace_line(s2u, 1, " ".join(lines[1].split()[:-1]))
        return [s2u], spk
    if kind == "spk2utt_extra_speaker":
        s2u.write_text(s2u.read_text() + "zzspk zz-utt\n")
        return [s2u], "zzspk"
    if kind == "utt_missing_from_wav_scp":
        lines = [ln for ln in lines_of(wav) if not ln.startswith(utts[2] + " ")]
        wav.write_text("\n".join(lines) + "\n")
        return [wav, u2s], utts[2]
    if kind == "utt_missing_from_utt2spk":
        lines = [ln for ln in lines_of(u2s) if not ln.startswith(utts[2] + " ")]
        u2s.write_text("\n".join(lines) + "\n")
        return [wav, u2s], utts[2]
    if kind == "empty_utt2spk":
        u2s.write_text("")
        return [u2s], None
    if kind == "empty_wav_scp":
        wav.write_text("")
        return [wav], None
    if kind == "blank_line_utt2spk":
        lines = lines_of(u2s)
        u2s.write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n")
        return [u2s], None
    if kind == "trailing_blank_line_wav_scp":
        wav.write_text(wav.read_text() + "\n")
        return [wav], None
    if kind == "utt2spk_one_column":
        replace_line(u2s, 2, utts[2])
        return [u2s], utts[2]
    if kind == "utt2spk_three_columns":
        replace_line(u2s, 2, f"{utts[2]} {dd.utt2spk[utts[2]]} extra")
        return [u2s], utts[2]
    if kind == "wav_scp_one_column":
        replace_line(wav, 2, utts[2])
        return [wav], utts[2]
    if kind.startswith("segments_") or kind.startswith("utt2dur_"):
        seg = {f"{u}-s": f"{u} 0.00 1.00" for u in utts}
        u2s_seg = {f"{u}-s": dd.utt2spk[u] for u in utts}
        dur = {k: 1.0 for k in seg} if kind.startswith("utt2dur_") else None
        DataDir(wav_scp=dd.wav_scp, utt2spk=u2s_seg, segments=seg, utt2dur=dur).write(data)
        key = f"{utts[2]}-s"
        sf, df = data / "segments", data / "utt2dur"
        bad = {"segments_two_columns": (sf, f"{key} {utts[2]}"),
               "segments_unknown_recording": (sf, f"{key} no-such-recording 0.00 1.00"),
               "segments_start_not_a_number": (sf, f"{key} {utts[2]} abc 1.00"),
               "segments_end_before_start": (sf, f"{key} {utts[2]} 1.50 0.50"),
               "utt2dur_not_a_number": (df, f"{key} 1.0s"),
               "utt2dur_missing_utt": (df, None)}[kind]
        f, line = bad
        if line is None:
            f.write_text("\n".join(ln for ln in lines_of(f) if not ln.startswith(key + " ")) + "\n")
        else:
            replace_line(f, 2, line)
        return [f], key
    raise ValueError(kind)


DATADIR_CASES = {
    # kind: steps that must refuse it ("fix" = fix_data_dir; "fixok" = fix_data_dir must repair it)
    "missing_utt2spk": ("validate", "fix", "extract"),
    "missing_wav_scp": ("validate", "fix"),
    "missing_spk2utt": ("validate", "fixok"),
    "duplicate_key_utt2spk": ("validate", "fix"),
    "duplicate_key_wav_scp": ("validate",),
    "unsorted_utt2spk": ("validate", "fixok"),
    "non_utf8_utt2spk": ("validate", "fix"),
    "non_utf8_wav_scp": ("validate",),
    "non_utf8_spk2utt": ("validate",),
    "spk2utt_mismatch": ("validate", "fixok"),
    "spk2utt_extra_speaker": ("validate",),
    "utt_missing_from_wav_scp": ("validate", "fixok", "extract"),
    "utt_missing_from_utt2spk": ("validate", "fixok"),
    "empty_utt2spk": ("validate", "fix"),
    "empty_wav_scp": ("validate", "fix"),
    "blank_line_utt2spk": ("validate",),
    "trailing_blank_line_wav_scp": ("validate",),
    "utt2spk_one_column": ("validate",),
    "utt2spk_three_columns": ("validate", "fix"),
    "wav_scp_one_column": ("validate",),
    "segments_two_columns": ("validate",),
    "segments_unknown_recording": ("validate", "fixok"),
    "segments_start_not_a_number": ("validate", "extract"),
    "segments_end_before_start": ("validate",),
    "utt2dur_not_a_number": ("validate",),
    "utt2dur_missing_utt": ("validate", "fixok"),
}
QUICK_DATADIR = {("duplicate_key_utt2spk", "validate"), ("utt_missing_from_wav_scp", "fixok"),
                 ("non_utf8_utt2spk", "fix")}


def _check_fixed(data, before, report):
    """fix_data_dir's repair is right when the dir then validates and every utterance it dropped is in
    its report, with the original tables kept byte for byte in .backup/."""
    def check():
        p = run([sys.executable, "-m", "seed.bin.validate_data_dir", data], cwd=data.parent)
        if p.rc != 0:
            return "silent", "fix_data_dir exit 0 but the dir still fails validation: " + " ⏎ ".join(
                message_lines(p.text))
        for name, content in before.items():
            b = data / ".backup" / name
            if not b.exists() or b.read_bytes() != content:
                return "lost", f".backup/{name} does not hold the original"
        kept = set(DataDir.load(data).utt2spk)
        orig = set()
        if "utt2spk" in before:
            orig = {ln.split()[0] for ln in before["utt2spk"].decode().splitlines() if ln.split()}
        dropped = orig - kept
        unreported = [u for u in dropped if u not in report.out]
        if unreported and not re.search(rf"dropped {len(dropped)}\b", report.out):
            return "lost", f"dropped without a record: {sorted(unreported)}"
        return None
    return check


def _register_datadir():
    for kind, steps in DATADIR_CASES.items():
        for st in steps:
            quick = (kind, st) in QUICK_DATADIR

            def fn(ctx, kind=kind, st=st):
                data = ctx.data_copy()
                subjects, key = corrupt_datadir(kind, data)
                if st == "validate":
                    return refused(ctx.step("validate_data_dir", data), *subjects, key=key)
                if st == "extract":
                    return refused(ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", data,
                                            "--out-dir", ctx.dir / "emb", "--no-progress"), *subjects, key=key)
                before = {n.name: n.read_bytes() for n in data.iterdir() if n.is_file()}
                p = ctx.step("fix_data_dir", data)
                if st == "fix":
                    return refused(p, *subjects, key=key)
                return succeeded(p, _check_fixed(data, before, p),
                                 "repaired: validates afterwards, drops reported, originals in .backup/ "
                                 f"({message_lines(p.text)[0] if message_lines(p.text) else ''})")
            label = {"validate": "validate_data_dir", "fix": "fix_data_dir", "fixok": "fix_data_dir (repairs)",
                     "extract": "extract"}[st]
            case("datadir", kind, label, quick=quick)(fn)

    @case("datadir", "data_dir_missing", "validate_data_dir")
    def _(ctx):
        return refused(ctx.step("validate_data_dir", ctx.dir / "nosuch"), ctx.dir / "nosuch")

    @case("datadir", "data_dir_missing", "fix_data_dir")
    def _(ctx):
        return refused(ctx.step("fix_data_dir", ctx.dir / "nosuch"), ctx.dir / "nosuch")

    @case("datadir", "data_dir_missing", "utils/validate_data_dir.sh")
    def _(ctx):
        return refused(ctx.sh("validate_data_dir.sh", ctx.dir / "nosuch"), ctx.dir / "nosuch")

    @case("datadir", "data_dir_missing", "utils/fix_data_dir.sh")
    def _(ctx):
        return refused(ctx.sh("fix_data_dir.sh", ctx.dir / "nosuch"), ctx.dir / "nosuch")

    @case("datadir", "duplicate_key_utt2spk", "utils/validate_data_dir.sh", quick=True)
    def _(ctx):
        data = ctx.data_copy()
        subjects, key = corrupt_datadir("duplicate_key_utt2spk", data)
        return refused(ctx.sh("validate_data_dir.sh", data), *subjects, key=key)

    @case("datadir", "utt_missing_from_wav_scp", "utils/fix_data_dir.sh (repairs)")
    def _(ctx):
        data = ctx.data_copy()
        corrupt_datadir("utt_missing_from_wav_scp", data)
        before = {n.name: n.read_bytes() for n in data.iterdir() if n.is_file()}
        p = ctx.sh("fix_data_dir.sh", data)
        return succeeded(p, _check_fixed(data, before, p), "repaired; drop reported; originals in .backup/")

    @case("datadir", "unsupported_option", "utils/validate_data_dir.sh")
    def _(ctx):
        return refused(ctx.sh("validate_data_dir.sh", "--no-wav", ctx.data_copy()), "--no-wav")

    @case("datadir", "unsupported_option", "utils/fix_data_dir.sh")
    def _(ctx):
        return refused(ctx.sh("fix_data_dir.sh", "--utt-extra-files", "text", ctx.data_copy()), "--utt-extra-files")

    @case("datadir", "conflicting_sources", "utils/combine_data.sh")
    def _(ctx):
        a, b = ctx.data_copy("a"), ctx.data_copy("b")
        utt = DataDir.load(b).utts[2]
        lines = lines_of(b / "utt2spk")
        lines[2] = f"{utt} other-speaker"
        (b / "utt2spk").write_text("\n".join(lines) + "\n")
        p = ctx.sh("combine_data.sh", ctx.dir / "combined", a, b)
        return refused(p, b / "utt2spk", b, key=utt)

    @case("datadir", "missing_source", "utils/combine_data.sh")
    def _(ctx):
        a = ctx.data_copy("a")
        return refused(ctx.sh("combine_data.sh", ctx.dir / "combined", a, ctx.dir / "nosuch"), ctx.dir / "nosuch")

    @case("datadir", "more_parts_than_utterances", "utils/split_data.sh")
    def _(ctx):
        data = ctx.data_copy()
        return refused(ctx.sh("split_data.sh", data, "9"), data / "utt2spk", data, "9")


# ---------------------------------------------------------------------------------------------------
# family: embeddings — broken ark/scp tables fed to score, enhance, train_seed, train_plda

def write_emb(path, items):
    path = Path(path)
    write_embeddings(path.with_suffix(".ark"), path, items)
    return path


def corrupt_embeddings(kind, ctx):
    """A broken copy of the test scp (or a second, other-dimension one); returns (scp, subjects, key)."""
    table = load_embedding_dict(ctx.base.emb / "test.scp")
    keys = list(table)
    key = keys[3]
    scp = ctx.dir / "bad" / "test.scp"
    if kind in ("nan", "inf", "all_zero"):
        v = table[key].copy()
        if kind == "all_zero":
            v[:] = 0.0
        else:
            v[[0, 5]] = np.nan if kind == "nan" else np.inf
        rows = [(k, v if k == key else table[k]) for k in keys]
        _write_raw(scp, rows)
        return scp, [scp], key
    if kind == "mixed_dimension":
        write_emb(scp, [(k, table[k][:8] if k == key else table[k]) for k in keys])
        return scp, [scp], key
    write_emb(scp, table.items())
    ark = scp.with_suffix(".ark")
    if kind == "truncated_last_entry":     # a writer killed while writing the last row
        b = ark.read_bytes()
        ark.write_bytes(b[:-20])
        return scp, [scp], keys[-1]
    if kind == "truncated_ark":
        b = ark.read_bytes()
        cut = len(b) * 6 // 10
        ark.write_bytes(b[:cut])
        offsets = [int(ln.rsplit(":", 1)[1]) for ln in lines_of(scp)]
        ends = [o - len(k.encode()) - 1 for k, o in zip(keys[1:], offsets[1:])] + [len(b)]
        key = next(k for k, end in zip(keys, ends) if end > cut)    # the entry the cut runs through
        return scp, [scp], key
    if kind == "wrong_offset":
        lines = lines_of(scp)
        k, loc = lines[3].split()
        f, off = loc.rsplit(":", 1)
        lines[3] = f"{k} {f}:{int(off) + 3}"
        scp.write_text("\n".join(lines) + "\n")
        return scp, [scp], key
    if kind == "missing_ark":
        ark.unlink()
        return scp, [scp, ark], keys[0]
    if kind == "garbage_ark":
        ark.write_bytes(np.random.default_rng(0).integers(0, 256, ark.stat().st_size, dtype=np.uint8).tobytes())
        return scp, [scp, ark], keys[0]
    if kind == "no_offset":
        lines = lines_of(scp)
        k, loc = lines[3].split()
        lines[3] = f"{k} {loc.rsplit(':', 1)[0]}"
        scp.write_text("\n".join(lines) + "\n")
        return scp, [scp], key
    if kind == "empty_scp":
        scp.write_text("")
        return scp, [scp], None
    if kind == "non_utf8_scp":
        raw = scp.read_bytes().split(b"\n")
        raw[3] = raw[3].replace(b" ", b"\xff ", 1)
        scp.write_bytes(b"\n".join(raw))
        return scp, [scp], None
    if kind == "duplicate_key":
        lines = lines_of(scp)
        scp.write_text("\n".join(lines[:4] + [lines[3]] + lines[4:]) + "\n")
        return scp, [scp], key
    if kind == "blank_line":
        lines = lines_of(scp)
        scp.write_text("\n".join(lines[:4] + [""] + lines[4:]) + "\n")
        return scp, [scp], None
    raise ValueError(kind)


def _write_raw(scp, rows):
    """An ark/scp holding exactly `rows` (NaN, inf or zeros included: EmbeddingWriter refuses non-finite
    rows, as it should, so broken files are written with kaldiio directly)."""
    import kaldiio
    scp.parent.mkdir(parents=True, exist_ok=True)
    kaldiio.save_ark(str(scp.with_suffix(".ark")), {k: np.asarray(v, np.float32) for k, v in rows}, scp=str(scp))


EMB_KINDS = {    # every step reads through seed.data.load_embedding_dict; enhance and train_plda add their own checks
    "truncated_ark": ("score",),
    "truncated_last_entry": ("score",),
    "wrong_offset": ("score", "enhance"),
    "missing_ark": ("score",),
    "garbage_ark": ("score",),
    "nan": ("score", "train_plda"),
    "inf": ("score",),
    "all_zero": ("score", "enhance"),
    "mixed_dimension": ("score", "enhance", "train_plda"),
    "no_offset": ("score",),
    "empty_scp": ("score", "enhance", "train_plda"),
    "non_utf8_scp": ("score",),
    "duplicate_key": ("score", "train_plda"),
    "blank_line": ("score",),
}
QUICK_EMB = {("truncated_ark", "score"), ("all_zero", "score"), ("nan", "train_plda")}


def _emb_step(ctx, st, scp):
    e = ctx.base.emb
    if st == "score":
        return ctx.step("score", "--trials", e / "trials", "--enroll-scp", scp, "--test-scp", scp, "--backend",
                        "cosine", "--out", ctx.dir / "scores")
    if st == "enhance":
        return ctx.step("enhance", "--model", ctx.base.model, "--in-scp", scp, "--out-dir", ctx.dir / "enh",
                        "--device", "cpu", "--num-threads", "1")
    if st == "train_plda":
        u2s = ctx.dir / "utt2spk"
        write_kv(u2s, {k: k[:2] for k in load_embedding_dict(e / "test.scp")})
        return ctx.step("train_plda", "--scp", scp, "--utt2spk", u2s, "--out-dir", ctx.dir / "plda")
    raise ValueError(st)


def _train_with(ctx, table=None, pairs=None):
    """train_seed on a modified copy of the base training set."""
    e = ctx.base.emb
    scp, pf = ctx.dir / "train.scp", ctx.dir / "pairs"
    if table is None:
        scp = e / "train.scp"
    else:
        _write_raw(scp, table)
    if pairs is None:
        pf = e / "pairs"
    else:
        pf.write_text(pairs)
    return ctx.step("train_seed", "--config", "seed_debug", "--embeddings", scp, "--pairs", pf, "--out-dir",
                    ctx.dir / "model", "--device", "cpu", "--num-threads", "1", "--set", "train.batch_size=16"), scp, pf


def _register_embeddings():
    for kind, steps in EMB_KINDS.items():
        for st in steps:
            def fn(ctx, kind=kind, st=st):
                scp, subjects, key = corrupt_embeddings(kind, ctx)
                return refused(_emb_step(ctx, st, scp), *subjects, key=key)
            case("embeddings", kind, st, quick=(kind, st) in QUICK_EMB)(fn)

    def score_with(ctx, enroll, test, *extra):
        return ctx.step("score", "--trials", ctx.base.emb / "trials", "--enroll-scp", enroll, "--test-scp", test,
                        "--backend", "cosine", "--out", ctx.dir / "scores", *extra)

    def other_dim(ctx, name, n=None):
        table = load_embedding_dict(ctx.base.emb / "test.scp")
        return write_emb(ctx.dir / "bad" / name, [(k, v[:8]) for k, v in list(table.items())[:n]])

    @case("embeddings", "enroll_test_dimensions_differ", "score")
    def _(ctx):
        bad = other_dim(ctx, "test.scp")
        return refused(score_with(ctx, ctx.base.emb / "test.scp", bad), bad)

    @case("embeddings", "mean_dimension_differs", "score --mean-scp", quick=True)
    def _(ctx):
        bad = other_dim(ctx, "mean.scp")
        e = ctx.base.emb / "test.scp"
        return refused(score_with(ctx, e, e, "--mean-scp", bad), bad)

    @case("embeddings", "cohort_dimension_differs", "score --norm snorm")
    def _(ctx):
        bad = other_dim(ctx, "cohort.scp")
        e = ctx.base.emb / "test.scp"
        return refused(score_with(ctx, e, e, "--norm", "snorm", "--cohort-scp", bad), bad)

    @case("embeddings", "cohort_nan", "score --norm asnorm")
    def _(ctx):
        table = load_embedding_dict(ctx.base.emb / "cohort.scp")
        bad = ctx.dir / "bad" / "cohort.scp"
        rows = list(table.items())
        rows[2] = (rows[2][0], np.full(DIM, np.nan, np.float32))
        _write_raw(bad, rows)
        e = ctx.base.emb / "test.scp"
        return refused(score_with(ctx, e, e, "--norm", "asnorm", "--cohort-scp", bad, "--top-k", "3"), bad,
                       key=rows[2][0])

    @case("embeddings", "plda_dimension_differs", "score --backend plda")
    def _(ctx):
        bad = other_dim(ctx, "test.scp")
        p = ctx.step("score", "--trials", ctx.base.emb / "trials", "--enroll-scp", bad, "--test-scp", bad,
                     "--backend", "plda", "--plda-dir", ctx.base.plda, "--out", ctx.dir / "scores")
        return refused(p, bad, ctx.base.plda)

    @case("embeddings", "enroll_key_missing", "score")
    def _(ctx):
        table = load_embedding_dict(ctx.base.emb / "test.scp")
        gone = list(table)[0]
        bad = write_emb(ctx.dir / "bad" / "enroll.scp", [(k, v) for k, v in table.items() if k != gone])
        return refused(score_with(ctx, bad, ctx.base.emb / "test.scp"), bad, key=gone)

    @case("embeddings", "test_key_missing", "score")
    def _(ctx):
        table = load_embedding_dict(ctx.base.emb / "test.scp")
        gone = list(table)[-1]
        bad = write_emb(ctx.dir / "bad" / "test.scp", [(k, v) for k, v in table.items() if k != gone])
        return refused(score_with(ctx, ctx.base.emb / "test.scp", bad), bad, key=gone)

    @case("embeddings", "model_dimension_differs", "enhance")
    def _(ctx):
        bad = other_dim(ctx, "test.scp")
        return refused(_emb_step(ctx, "enhance", bad), bad, key=next(iter(load_embedding_dict(bad))))

    @case("embeddings", "per_crop_matrices", "train_seed")
    def _(ctx):
        table = load_embedding_dict(ctx.base.emb / "train.scp")
        p, scp, _ = _train_with(ctx, [(k, np.stack([v, v])) for k, v in table.items()])
        return refused(p, scp, key=next(iter(table)))

    for kind in ("all_zero", "mixed_dimension"):
        def fn(ctx, kind=kind):
            table = load_embedding_dict(ctx.base.emb / "train.scp")
            key = list(table)[5]
            rows = []
            for k, v in table.items():
                if k == key:
                    v = {"nan": np.full(DIM, np.nan, np.float32), "all_zero": np.zeros(DIM, np.float32),
                         "mixed_dimension": v[:8]}[kind]
                rows.append((k, v))
            p, scp, _ = _train_with(ctx, rows)
            return refused(p, scp, key=key)
        case("embeddings", kind, "train_seed")(fn)

    @case("embeddings", "empty_scp", "train_seed")
    def _(ctx):
        scp = ctx.dir / "train.scp"
        scp.write_text("")
        p = ctx.step("train_seed", "--config", "seed_debug", "--embeddings", scp, "--pairs", ctx.base.emb / "pairs",
                     "--out-dir", ctx.dir / "model", "--device", "cpu", "--num-threads", "1")
        return refused(p, scp)

    def base_pairs(ctx):
        return (ctx.base.emb / "pairs").read_text().splitlines()

    @case("embeddings", "pairs_key_missing", "train_seed", quick=True)
    def _(ctx):
        lines = base_pairs(ctx)
        lines[3] = lines[3].split()[0] + " no-such-key"
        p, _, pf = _train_with(ctx, pairs="\n".join(lines) + "\n")
        return refused(p, pf, key="no-such-key")

    @case("embeddings", "pairs_one_column", "train_seed")
    def _(ctx):
        lines = base_pairs(ctx)
        key = lines[3].split()[0]
        lines[3] = key
        p, _, pf = _train_with(ctx, pairs="\n".join(lines) + "\n")
        return refused(p, pf, key=key)

    @case("embeddings", "pairs_three_columns", "train_seed")
    def _(ctx):
        lines = base_pairs(ctx)
        key = lines[3].split()[0]
        lines[3] += " extra"
        p, _, pf = _train_with(ctx, pairs="\n".join(lines) + "\n")
        return refused(p, pf, key=key)

    @case("embeddings", "pairs_empty", "train_seed")
    def _(ctx):
        p, _, pf = _train_with(ctx, pairs="")
        return refused(p, pf)

    @case("embeddings", "utt2spk_lacks_a_key", "train_plda")
    def _(ctx):
        e = ctx.base.emb
        u2s = ctx.dir / "utt2spk"
        lines = lines_of(e / "utt2spk")
        gone = lines.pop(4).split()[0]
        u2s.write_text("\n".join(lines) + "\n")
        p = ctx.step("train_plda", "--scp", e / "train.scp", "--utt2spk", u2s, "--out-dir", ctx.dir / "plda")
        return refused(p, u2s, e / "train.scp", key=gone)


# ---------------------------------------------------------------------------------------------------
# family: trials — broken trial lists and score files (score, compute_metrics)

def corrupt_trials(kind, ctx):
    """A broken copy of the base trial list; returns (trials, subjects, key)."""
    src = lines_of(ctx.base.emb / "trials")
    t = ctx.dir / "bad" / "trials"
    t.parent.mkdir(parents=True, exist_ok=True)
    key = src[4].split()[0]
    lines = list(src)
    if kind == "unknown_enroll_key":
        lines[4] = "no-such-utt " + " ".join(src[4].split()[1:])
        key = "no-such-utt"
    elif kind == "unknown_test_key":
        f = src[4].split()
        lines[4] = f"{f[0]} no-such-utt {f[2]}"
        key = "no-such-utt"
    elif kind == "bad_label":
        lines[4] = " ".join(src[4].split()[:2] + ["tgt"])
    elif kind == "numeric_label":
        lines[4] = " ".join(src[4].split()[:2] + ["1"])
    elif kind == "two_columns":
        lines[4] = " ".join(src[4].split()[:2])
    elif kind == "four_columns":
        lines[4] = src[4] + " 0.5"
    elif kind == "empty":
        lines = []
        key = None
    elif kind == "blank_lines_only":
        lines = ["", "   ", ""]
        key = None
    elif kind == "duplicate_trial":
        lines.insert(5, src[4])
    elif kind == "voxceleb_format":
        lines = [f"{1 if f[2] == 'target' else 0} {f[0]}.wav {f[1]}.wav" for f in (ln.split() for ln in src)]
        key = None
    elif kind == "non_utf8":
        t.write_bytes(("\n".join(src[:4]) + "\n").encode() + src[4].encode().replace(b" ", b"\xff ", 1) + b"\n")
        return t, [t], None
    elif kind == "missing_file":
        return t, [t], None
    elif kind == "only_targets":
        lines = [ln for ln in src if ln.endswith(" target")]
        key = None
    elif kind == "only_nontargets":
        lines = [ln for ln in src if ln.endswith("nontarget")]
        key = None
    else:
        raise ValueError(kind)
    t.write_text("\n".join(lines) + ("\n" if lines else ""))
    return t, [t], key


TRIAL_KINDS = {   # score and compute_metrics read the list through the same seed.data.read_trials
    "unknown_enroll_key": ("score",),
    "unknown_test_key": ("score", "compute_metrics"),
    "bad_label": ("score",),
    "numeric_label": ("score",),
    "two_columns": ("score",),
    "four_columns": ("score",),
    "empty": ("score", "compute_metrics"),
    "blank_lines_only": ("score",),
    "duplicate_trial": ("score", "compute_metrics"),
    "voxceleb_format": ("score",),
    "non_utf8": ("score",),
    "missing_file": ("score", "compute_metrics"),
    "only_targets": ("compute_metrics",),
    "only_nontargets": ("compute_metrics",),
}
QUICK_TRIALS = {("unknown_enroll_key", "score"), ("duplicate_trial", "compute_metrics"), ("empty", "score")}


def corrupt_scores(kind, ctx):
    src = lines_of(ctx.base.scores)
    s = ctx.dir / "bad" / "scores"
    s.parent.mkdir(parents=True, exist_ok=True)
    key = src[4].split()[0]
    lines = list(src)
    if kind == "missing_trial":
        del lines[4]
    elif kind == "extra_pair":
        lines.append("zz-a zz-b 0.1")
        key = "zz-a"
    elif kind == "nan_score":
        lines[4] = " ".join(src[4].split()[:2] + ["nan"])
    elif kind == "not_a_number":
        lines[4] = " ".join(src[4].split()[:2] + ["0.5x"])
    elif kind == "duplicate_pair":
        lines.insert(5, src[4])
    elif kind == "four_columns":
        lines[4] = src[4] + " target"
    elif kind == "empty":
        lines, key = [], None
    elif kind == "missing_file":
        return s, [s], None
    elif kind == "non_utf8":
        s.write_bytes(("\n".join(src[:4]) + "\n").encode() + src[4].encode().replace(b" ", b"\xff ", 1) + b"\n")
        return s, [s], None
    else:
        raise ValueError(kind)
    s.write_text("\n".join(lines) + ("\n" if lines else ""))
    return s, [s], key


SCORE_KINDS = ("missing_trial", "extra_pair", "nan_score", "not_a_number", "duplicate_pair", "four_columns", "empty",
               "missing_file", "non_utf8")


def _register_trials():
    for kind, steps in TRIAL_KINDS.items():
        for st in steps:
            def fn(ctx, kind=kind, st=st):
                t, subjects, key = corrupt_trials(kind, ctx)
                e = ctx.base.emb
                if st == "score":
                    p = ctx.step("score", "--trials", t, "--enroll-scp", e / "test.scp", "--test-scp", e / "test.scp",
                                 "--backend", "cosine", "--out", ctx.dir / "scores")
                    if kind.startswith("unknown_"):
                        subjects = subjects + [e / "test.scp"]
                else:
                    extra = ["--allow-extra-scores"] if kind.startswith("only_") else []   # the subset is the point
                    p = ctx.step("compute_metrics", "--trials", t, "--scores", ctx.base.scores, *extra)
                    if kind.startswith("unknown_"):
                        subjects = subjects + [ctx.base.scores]
                return refused(p, *subjects, key=key)
            case("trials", kind, st, quick=(kind, st) in QUICK_TRIALS)(fn)
    for kind in SCORE_KINDS:
        def fn(ctx, kind=kind):
            s, subjects, key = corrupt_scores(kind, ctx)
            return refused(ctx.step("compute_metrics", "--trials", ctx.base.emb / "trials", "--scores", s),
                           *subjects, key=key)
        case("trials", f"scores_{kind}", "compute_metrics", quick=kind == "non_utf8")(fn)


# ---------------------------------------------------------------------------------------------------
# family: options — nonexistent paths and bad numbers on the command line

def _register_options():
    def ex(name, opts, subject, quick=False):
        def fn(ctx):
            return refused(ctx.step("extract", "--data-dir", ctx.base.data, "--out-dir", ctx.dir / "emb",
                                    "--no-progress", *(["--extractor", "resemblyzer"] if "--extractor" not in opts
                                                       else []), *opts), subject)
        case("options", name, "extract", quick=quick)(fn)

    ex("nj_zero", ["--nj", "0"], "--nj", quick=True)
    ex("nj_not_a_number", ["--nj", "two"], "--nj")
    ex("nj_exceeds_utterances", ["--nj", "9"], "--nj")
    ex("batch_size_zero", ["--batch-size", "0"], "--batch-size")
    ex("num_threads_negative", ["--num-threads", "-1"], "--num-threads")
    ex("crop_policy_malformed", ["--crops", "crops:x"], "crops:x")
    ex("unknown_extractor", ["--extractor", "nosuch"], "nosuch")
    ex("cuda_absent", ["--device", "cuda"], "cuda")
    ex("job_id_outside_nj", ["--nj", "2", "--job-id", "3"], "--job-id")

    @case("options", "data_dir_missing", "extract")
    def _(ctx):
        return refused(ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", ctx.dir / "nosuch",
                                "--out-dir", ctx.dir / "emb"), ctx.dir / "nosuch")

    @case("options", "out_dirs_fewer_than_data_dirs", "extract")
    def _(ctx):
        return refused(ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", ctx.base.data, ctx.base.data,
                                "--out-dir", ctx.dir / "emb"), "--out-dir")

    def enh(name, opts, subject, quick=False):
        def fn(ctx):
            return refused(ctx.step("enhance", "--model", ctx.base.model, "--in-scp", ctx.base.emb / "test.scp",
                                    "--out-dir", ctx.dir / "enh", "--device", "cpu", *opts), subject)
        case("options", name, "enhance", quick=quick)(fn)

    enh("t_negative", ["--t", "-1"], "--t")
    enh("t_beyond_schedule", ["--t", "100000"], "--t")
    enh("strength_negative", ["--strength", "-0.5"], "--strength")
    enh("strength_nan", ["--strength", "nan"], "--strength")
    enh("ddim_steps_zero", ["--ddim-steps", "0"], "--ddim-steps")
    enh("batch_size_zero", ["--batch-size", "0"], "--batch-size")
    enh("checkpoint_unknown", ["--checkpoint", "newest"], "--checkpoint")
    enh("device_unknown", ["--device", "tpu"], "tpu")

    @case("options", "model_missing", "enhance")
    def _(ctx):
        return refused(ctx.step("enhance", "--model", ctx.dir / "nosuch", "--in-scp", ctx.base.emb / "test.scp",
                                "--out-dir", ctx.dir / "enh", "--device", "cpu"), ctx.dir / "nosuch")

    @case("options", "in_scp_missing", "enhance")
    def _(ctx):
        return refused(ctx.step("enhance", "--model", ctx.base.model, "--in-scp", ctx.dir / "nosuch.scp",
                                "--out-dir", ctx.dir / "enh", "--device", "cpu"), ctx.dir / "nosuch.scp")

    def train(name, opts, subject):
        def fn(ctx):
            return refused(ctx.step("train_seed", *ctx.base.model_args(ctx.dir / "model", *opts)), subject)
        case("options", name, "train_seed")(fn)

    train("config_unknown", ["--config", "nosuch"], "nosuch")
    train("set_not_a_number", ["--set", "train.batch_size=abc"], "train.batch_size")
    train("set_unknown_key", ["--set", "nosuch.key=1"], "nosuch.key")
    train("set_without_value", ["--set", "train.batch_size"], "train.batch_size")
    train("batch_size_zero", ["--set", "train.batch_size=0"], "train.batch_size")
    train("valid_trials_without_scp", ["--valid-trials", "x"], "--valid-scp")

    @case("options", "embeddings_missing", "train_seed")
    def _(ctx):
        args = ctx.base.model_args(ctx.dir / "model")
        i = args.index("--embeddings")
        args[i + 1] = ctx.dir / "nosuch.scp"
        return refused(ctx.step("train_seed", *args), ctx.dir / "nosuch.scp")

    def score(name, opts, subject, quick=False):
        def fn(ctx):
            e = ctx.base.emb
            return refused(ctx.step("score", "--trials", e / "trials", "--enroll-scp", e / "test.scp", "--test-scp",
                                    e / "test.scp", "--out", ctx.dir / "scores", *opts), subject)
        case("options", name, "score", quick=quick)(fn)

    score("plda_without_dir", ["--backend", "plda"], "--plda-dir", quick=True)
    score("top_k_zero", ["--backend", "cosine", "--norm", "asnorm", "--cohort-scp", "x", "--top-k", "0"], "--top-k")
    score("norm_without_cohort", ["--backend", "cosine", "--norm", "snorm"], "--cohort-scp")
    score("precision_negative", ["--backend", "cosine", "--precision", "-1"], "--precision")

    @case("options", "plda_dir_missing", "score")
    def _(ctx):
        e = ctx.base.emb
        return refused(ctx.step("score", "--trials", e / "trials", "--enroll-scp", e / "test.scp", "--test-scp",
                                e / "test.scp", "--backend", "plda", "--plda-dir", ctx.dir / "nosuch", "--out",
                                ctx.dir / "scores"), ctx.dir / "nosuch")

    @case("options", "out_is_a_directory", "score")
    def _(ctx):
        e = ctx.base.emb
        (ctx.dir / "out").mkdir()
        return refused(ctx.step("score", "--trials", e / "trials", "--enroll-scp", e / "test.scp", "--test-scp",
                                e / "test.scp", "--backend", "cosine", "--out", ctx.dir / "out"), ctx.dir / "out")

    def metrics(name, opts, subject):
        def fn(ctx):
            return refused(ctx.step("compute_metrics", "--trials", ctx.base.emb / "trials", "--scores",
                                    ctx.base.scores, *opts), subject)
        case("options", name, "compute_metrics")(fn)

    metrics("p_target_above_one", ["--p-target", "2"], "--p-target")
    metrics("p_target_zero", ["--p-target", "0"], "--p-target")
    metrics("c_miss_negative", ["--c-miss", "-1"], "--c-miss")
    metrics("json_is_a_directory", ["--json", "/"], "--json")

    def sim(name, opts, subject, quick=False):
        def fn(ctx):
            return refused(ctx.step("simulate", "--data-dir", ctx.base.data, "--out-dir", ctx.dir / "sim", *opts),
                           subject)
        case("options", name, "simulate", quick=quick)(fn)

    sim("condition_unknown", ["--condition", "noise_snrX"], "noise_snrX")
    sim("noise_list_absent", ["--condition", "noise_snr5"], "--noise-list")
    sim("sample_rate_zero", ["--condition", "clean", "--sample-rate", "0"], "--sample-rate")
    sim("nj_zero", ["--condition", "clean", "--nj", "0"], "--nj")

    @case("options", "noise_list_missing", "simulate")
    def _(ctx):
        return refused(ctx.step("simulate", "--data-dir", ctx.base.data, "--out-dir", ctx.dir / "sim", "--condition",
                                "noise_snr5", "--noise-list", ctx.dir / "nosuch.list"), ctx.dir / "nosuch.list")

    @case("options", "noise_file_missing", "simulate")
    def _(ctx):
        lst = ctx.dir / "noise.list"
        lst.write_text(f"noise {ctx.dir / 'gone.wav'}\n")
        return refused(ctx.step("simulate", "--data-dir", ctx.base.data, "--out-dir", ctx.dir / "sim", "--condition",
                                "noise_snr5", "--noise-list", lst), ctx.dir / "gone.wav")

    @case("options", "noise_category_unknown", "simulate")
    def _(ctx):
        lst = ctx.dir / "noise.list"
        lst.write_text(f"hum {ctx.base.noise_list.parent / 'noise' / 'white.wav'}\n")
        return refused(ctx.step("simulate", "--data-dir", ctx.base.data, "--out-dir", ctx.dir / "sim", "--condition",
                                "noise_snr5", "--noise-list", lst), lst, key="hum")

    def plda(name, opts, subject):
        def fn(ctx):
            e = ctx.base.emb
            return refused(ctx.step("train_plda", "--scp", e / "train.scp", "--utt2spk", e / "utt2spk", "--out-dir",
                                    ctx.dir / "plda", *opts), subject)
        case("options", name, "train_plda")(fn)

    plda("lda_dim_above_dim", ["--lda-dim", "100"], "--lda-dim")
    plda("em_iters_zero", ["--em-iters", "0"], "--em-iters")


# ---------------------------------------------------------------------------------------------------
# family: kill — a signal mid-run, then the same command again

def processes_mentioning(marker):
    """PIDs (other than ours) whose command line contains `marker` (a case folder)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            out.append(int(d.name))
    return out


def wait_gone(marker, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not processes_mentioning(marker):
            return []
        time.sleep(0.2)
    left = processes_mentioning(marker)
    for pid in left:                          # processes this script started: end them, by pid
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def tmp_leftovers(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*.tmp"))


def interrupt(argv, cwd, ready, sig, to_group, timeout=120):
    """Start `argv`, wait until `ready()` (the step is mid-run), send `sig` to it (or, like Ctrl-C in a
    terminal, to its whole process group), wait for the end. Returns (Proc, hit: the signal landed
    while it was still running)."""
    out, err = cwd / "killed.out", cwd / "killed.err"
    with open(out, "w") as fo, open(err, "w") as fe:
        t0 = time.monotonic()
        p = subprocess.Popen([str(a) for a in argv], cwd=cwd, stdout=fo, stderr=fe, env=ENV,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while p.poll() is None and not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        hit = p.poll() is None
        if hit:
            if to_group:
                os.killpg(p.pid, sig)
            else:
                p.send_signal(sig)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    return Proc([str(a) for a in argv], p.returncode, out.read_text(errors="replace"),
                err.read_text(errors="replace"), time.monotonic() - t0), hit


def _extract_argv(data, out, nj):
    return [sys.executable, "-m", "seed.bin.extract", "--extractor", "resemblyzer", "--data-dir", data,
            "--out-dir", out, "--nj", str(nj), "--no-progress"]


def _ark_and_offsets(out):
    scp = [(ln.split()[0], ln.rsplit(":", 1)[1]) for ln in lines_of(out / "embedding.scp")]
    return (out / "embedding.ark").read_bytes(), scp


class References:
    """Uninterrupted runs that interrupted ones are compared with (one per setting, computed once)."""

    def __init__(self, base):
        self.base, self._lock, self._done = base, threading.Lock(), {}

    def extract(self, nj):
        with self._lock:
            if ("extract", nj) not in self._done:
                out = self.base.root / f"ref_extract_nj{nj}"
                p = run(_extract_argv(self.base.long_data, out, nj), cwd=self.base.root, timeout=300)
                if p.rc != 0:
                    raise RuntimeError(f"reference extraction failed: {p.err[-2000:]}")
                self._done[("extract", nj)] = _ark_and_offsets(out)
            return self._done[("extract", nj)]

    def train(self):
        with self._lock:
            if "train" not in self._done:
                out = self.base.root / "ref_train"
                p = run([sys.executable, "-m", "seed.bin.train_seed", *self.base.model_args(out, *KILL_TRAIN)],
                        cwd=self.base.root, timeout=300)
                if p.rc != 0:
                    raise RuntimeError(f"reference training failed: {p.err[-2000:]}")
                self._done["train"] = _weights(out)
            return self._done["train"]


KILL_TRAIN = ["--set", "train.max_steps=800", "--set", "train.epochs=100000", "--set", "train.save_interval=50",
              "--set", "train.log_interval=50"]


def _weights(out):
    import torch
    res = {}
    for name in ("last.pt", "best.pt"):
        ck = torch.load(out / name, map_location="cpu", weights_only=True)
        res[name] = ({k: v.clone() for k, v in ck["model"].items()}, ck["step"], ck["best"])
    return res


def _same_weights(a, b):
    import torch
    for name in a:
        (wa, sa, ba), (wb, sb, bb) = a[name], b[name]
        if sa != sb or ba != bb or wa.keys() != wb.keys() or not all(torch.equal(wa[k], wb[k]) for k in wa):
            return name
    return None


def _after_kill(killed, hit, sig):
    """What the interrupted run itself must satisfy: it was hit mid-run, and it printed no traceback."""
    if not hit:
        return Outcome("unclear", "the step ended before the signal was sent (case did not test a kill)")
    if has_traceback(killed):
        tb = [ln for ln in killed.text.splitlines() if ln.strip()]
        return Outcome("traceback", "interrupted run: " + tb[-1])
    return None


SIGNAL_WAYS = (("SIGINT_to_group", signal.SIGINT, True), ("SIGTERM", signal.SIGTERM, False),
               ("SIGKILL", signal.SIGKILL, False))


def _kill_then_rerun(ctx, argv, out, ready, sig, group, differs, note):
    """Interrupt `argv` once `ready()`, require that nothing of it (processes naming `out`) keeps running,
    rerun it and judge the rerun: no `*.tmp` left, and `differs()` (how its result differs from an
    uninterrupted run; None when identical) must be None."""
    killed, hit = interrupt(argv, ctx.dir, ready, sig, group)
    bad = _after_kill(killed, hit, sig)
    orphans = wait_gone(str(out))
    if bad:
        return bad
    if orphans:
        return Outcome("silent", f"{len(orphans)} process(es) still running after the kill: {orphans}")
    again = run(argv, cwd=ctx.dir, timeout=300)

    def check():
        left = tmp_leftovers(ctx.dir)
        if left:
            return "silent", f"rerun completed but left {len(left)} temporary file(s): {', '.join(left)}"
        diff = differs()
        return None if diff is None else ("silent", diff)
    return succeeded(again, check, note)


def _register_kill():
    refs = {}

    def references(ctx):
        return refs.setdefault("r", References(ctx.base))

    for nj in (2, 1):
        for label, sig, group in SIGNAL_WAYS:
            if nj == 1 and sig == signal.SIGTERM:
                continue

            def fn(ctx, nj=nj, sig=sig, group=group):
                ref = references(ctx).extract(nj)
                out = ctx.dir / "emb"
                argv = _extract_argv(ctx.base.long_data, out, nj)
                if nj > 1:
                    logs = [out / "log" / f"extract.{j}.log" for j in range(1, nj + 1)]

                    def ready():
                        return any(f.exists() and "utterances with resemblyzer" in f.read_text(errors="replace")
                                   for f in logs)
                else:
                    def ready():
                        return "utterances with resemblyzer" in (ctx.dir / "killed.err").read_text(errors="replace")
                return _kill_then_rerun(
                    ctx, argv, out, ready, sig, group,
                    lambda: None if _ark_and_offsets(out) == ref else "rerun output differs from the uninterrupted run",
                    "killed mid-run, rerun completed: ark identical to an uninterrupted run, no *.tmp, no process left")
            case("kill", f"extract_nj{nj}_{label}", "extract")(fn)

    for label, sig, group in SIGNAL_WAYS:
        def fn(ctx, sig=sig, group=group):
            ref = references(ctx).train()
            out = ctx.dir / "model"
            argv = [sys.executable, "-m", "seed.bin.train_seed", *ctx.base.model_args(out, *KILL_TRAIN)]

            def ready():
                log = out / "train.log"
                return log.exists() and re.search(r" step [1-9]\d\d epoch", log.read_text(errors="replace"))
            def differs():
                diff = _same_weights(_weights(out), ref)
                return diff and f"resumed run's {diff} differs from the uninterrupted run's"
            return _kill_then_rerun(ctx, argv, out, ready, sig, group, differs,
                                    "killed mid-run, rerun resumed: last.pt and best.pt weights identical to an "
                                    "uninterrupted run, no *.tmp")
        case("kill", f"train_seed_{label}", "train_seed", quick=sig == signal.SIGTERM)(fn)


# ---------------------------------------------------------------------------------------------------
# family: rerun — running a step again (fixes, resumes, failures after a success)

def _register_rerun():
    @case("rerun", "fix_twice_after_a_change_keeps_both_originals", "fix_data_dir", quick=True)
    def _(ctx):
        data = ctx.data_copy()
        corrupt_datadir("unsorted_utt2spk", data)
        first = (data / "utt2spk").read_bytes()
        p1 = ctx.step("fix_data_dir", data)
        corrupt_datadir("utt_missing_from_wav_scp", data)
        second = (data / "wav.scp").read_bytes()
        p2 = ctx.step("fix_data_dir", data)

        def check():
            if p1.rc != 0:
                return "unclear", "first fix failed: " + " ⏎ ".join(message_lines(p1.text))
            backups = [data / ".backup"] + sorted(data.glob(".backup.*"))
            held = {b.name: (b / "utt2spk").read_bytes() if (b / "utt2spk").exists() else b"" for b in backups}
            if first not in held.values():
                return "lost", "the first fix's original utt2spk is in no backup"
            if not any((b / "wav.scp").exists() and (b / "wav.scp").read_bytes() == second for b in backups):
                return "lost", "the second fix's original wav.scp is in no backup"
            return None
        return succeeded(p2, check, "both fixes' originals kept (.backup/ and .backup.1/)")

    @case("rerun", "fix_twice_unchanged_adds_no_copies", "fix_data_dir")
    def _(ctx):
        data = ctx.data_copy()
        p1 = ctx.step("fix_data_dir", data)
        p2 = ctx.step("fix_data_dir", data)

        def check():
            extra = sorted(p.name for p in data.glob(".backup.*"))
            return ("silent", f"extra backup copies {extra}") if extra or p1.rc else None
        return succeeded(p2, check, "second fix of an unchanged dir: one .backup/, no copies")

    @case("rerun", "fix_twice_after_a_change_keeps_both_originals", "utils/fix_data_dir.sh")
    def _(ctx):
        data = ctx.data_copy()
        corrupt_datadir("unsorted_utt2spk", data)
        first = (data / "utt2spk").read_bytes()
        ctx.sh("fix_data_dir.sh", data)
        corrupt_datadir("spk2utt_mismatch", data)
        p2 = ctx.sh("fix_data_dir.sh", data)

        def check():
            backups = [data / ".backup"] + sorted(data.glob(".backup.*"))
            if not any((b / "utt2spk").exists() and (b / "utt2spk").read_bytes() == first for b in backups):
                return "lost", "the first fix's original utt2spk is in no backup"
            return None
        return succeeded(p2, check, "both originals kept")

    @case("rerun", "extract_again_reuses_finished_jobs", "extract")
    def _(ctx):
        out = ctx.dir / "emb"
        p1 = ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", ctx.base.data, "--out-dir", out,
                      "--no-progress")
        before = _ark_and_offsets(out) if p1.rc == 0 else None
        p2 = ctx.step("extract", "--extractor", "resemblyzer", "--data-dir", ctx.base.data, "--out-dir", out,
                      "--no-progress")

        def check():
            if "already done" not in p2.err:
                return "silent", "second run recomputed a finished job"
            return None if _ark_and_offsets(out) == before else ("silent", "second run's output differs")
        return succeeded(p2, check, "second run: 'already done', identical output")

    @case("rerun", "extract_after_audio_rewritten_recomputes", "extract")
    def _(ctx):
        import soundfile
        data = ctx.data_copy()
        dd = DataDir.load(data)
        utt = dd.utts[0]
        own = ctx.dir / "own.wav"
        shutil.copy2(dd.wav_scp[utt], own)
        dd.wav_scp[utt] = str(own)
        dd.write(data)
        out = ctx.dir / "emb"
        args = ("extract", "--extractor", "resemblyzer", "--data-dir", data, "--out-dir", out, "--no-progress")
        p1 = ctx.step(*args)
        first = load_embedding_dict(out / "embedding.scp") if p1.rc == 0 else {}
        x, rate = soundfile.read(str(own), dtype="float32")
        save_audio(own, x[::-1].copy(), rate)          # other content, same length
        p2 = ctx.step(*args)

        def check():
            if "already done" in p2.err:
                return "silent", "rewritten audio, but the finished job was reused (stale embedding)"
            second = load_embedding_dict(out / "embedding.scp")
            if np.allclose(second[utt], first[utt]):
                return "silent", "the rewritten utterance's embedding did not change"
            return None
        return succeeded(p2, check, "rewritten audio recomputed (job not reused; embedding changed)")

    @case("rerun", "extract_after_a_failure_completes", "extract")
    def _(ctx):
        data = ctx.data_copy()
        dd = DataDir.load(data)
        utt = dd.utts[2]
        good = dd.wav_scp[utt]
        dd.wav_scp[utt] = make_bad_audio("garbage", ctx.dir / "bad")[0]
        dd.write(data)
        out = ctx.dir / "emb"
        args = ("extract", "--extractor", "resemblyzer", "--data-dir", data, "--out-dir", out, "--no-progress")
        p1 = ctx.step(*args)
        dd.wav_scp[utt] = good
        dd.write(data)
        p2 = ctx.step(*args)

        def check():
            if p1.rc == 0:
                return "silent", "first run accepted garbage audio"
            left = tmp_leftovers(ctx.dir)
            if left:
                return "silent", f"leftover temporary files {left}"
            return None if len(load_embedding_dict(out / "embedding.scp")) == 6 else ("lost", "rows missing")
        return succeeded(p2, check, "failed run, input repaired, rerun complete; no *.tmp")

    def failure_after_success(name, step, good, bad, outputs, quick=False):
        @case("rerun", name, step, quick=quick)
        def _(ctx):
            p1 = good(ctx)
            if p1.rc != 0:
                return Outcome("unclear", "[the successful first run failed] " + " ⏎ ".join(message_lines(p1.text)))
            p2 = bad(ctx)
            verdict = refused(p2, *outputs(ctx)[1])
            if verdict.verdict not in ("clear", "unclear"):
                return verdict
            stale = [str(f.relative_to(ctx.dir)) for f in outputs(ctx)[0] if f.exists()]
            if stale:
                return Outcome("silent", f"failed rerun left the earlier result in place: {', '.join(stale)} "
                                         f"(message: {verdict.message})")
            return Outcome(verdict.verdict, verdict.message + " — earlier result removed")

    def score_args(ctx, enroll):
        e = ctx.base.emb
        return ("score", "--trials", e / "trials", "--enroll-scp", enroll, "--test-scp", e / "test.scp",
                "--backend", "cosine", "--out", ctx.dir / "out" / "scores")

    def missing_key_scp(ctx):
        table = load_embedding_dict(ctx.base.emb / "test.scp")
        return write_emb(ctx.dir / "bad" / "enroll.scp", list(table.items())[1:])

    failure_after_success(
        "score_failure_after_success", "score",
        lambda ctx: ctx.step(*score_args(ctx, ctx.base.emb / "test.scp")),
        lambda ctx: ctx.step(*score_args(ctx, missing_key_scp(ctx))),
        lambda ctx: ([ctx.dir / "out" / "scores"], [ctx.dir / "bad" / "enroll.scp"]), quick=True)

    def metrics_args(ctx, scores):
        return ("compute_metrics", "--trials", ctx.base.emb / "trials", "--scores", scores, "--json",
                ctx.dir / "out" / "metrics.json")

    def bad_scores(ctx):
        s = ctx.dir / "bad" / "scores"
        s.parent.mkdir(parents=True, exist_ok=True)
        s.write_text("\n".join(lines_of(ctx.base.scores)[1:]) + "\n")
        return s

    failure_after_success(
        "compute_metrics_failure_after_success", "compute_metrics --json",
        lambda ctx: ctx.step(*metrics_args(ctx, ctx.base.scores)),
        lambda ctx: ctx.step(*metrics_args(ctx, bad_scores(ctx))),
        lambda ctx: ([ctx.dir / "out" / "metrics.json"], [ctx.dir / "bad" / "scores"]))

    def enhance_args(ctx, scp):
        return ("enhance", "--model", ctx.base.model, "--in-scp", scp, "--out-dir", ctx.dir / "enh", "--device", "cpu",
                "--num-threads", "1")

    def zero_scp(ctx):
        return corrupt_embeddings("all_zero", ctx)[0]

    failure_after_success(
        "enhance_failure_after_success", "enhance",
        lambda ctx: ctx.step(*enhance_args(ctx, ctx.base.emb / "test.scp")),
        lambda ctx: ctx.step(*enhance_args(ctx, zero_scp(ctx))),
        lambda ctx: ([ctx.dir / "enh" / n for n in ("embedding.scp", "meta.yaml")], [ctx.dir / "bad" / "test.scp"]))

    def plda_args(ctx, u2s):
        return ("train_plda", "--scp", ctx.base.emb / "train.scp", "--utt2spk", u2s, "--out-dir", ctx.dir / "plda")

    def short_u2s(ctx):
        f = ctx.dir / "bad" / "utt2spk"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("\n".join(lines_of(ctx.base.emb / "utt2spk")[1:]) + "\n")
        return f

    failure_after_success(
        "train_plda_failure_after_success", "train_plda",
        lambda ctx: ctx.step(*plda_args(ctx, ctx.base.emb / "utt2spk")),
        lambda ctx: ctx.step(*plda_args(ctx, short_u2s(ctx))),
        lambda ctx: ([ctx.dir / "plda" / "config.yaml"], [ctx.dir / "bad" / "utt2spk"]))

    def extract_args(ctx, data):
        return ("extract", "--extractor", "resemblyzer", "--data-dir", data, "--out-dir", ctx.dir / "emb",
                "--no-progress")

    def broken_data(ctx):
        data = ctx.data_copy("data_bad")
        dd = DataDir.load(data)
        dd.wav_scp[dd.utts[2]] = make_bad_audio("silent", ctx.dir / "bad")[0]
        dd.write(data)
        return data

    failure_after_success(
        "extract_failure_after_success", "extract",
        lambda ctx: ctx.step(*extract_args(ctx, ctx.base.data)),
        lambda ctx: ctx.step(*extract_args(ctx, broken_data(ctx))),
        lambda ctx: ([ctx.dir / "emb" / n for n in ("embedding.scp", "meta.yaml")], [ctx.dir / "bad" / "silent.wav"]))

    def sim_args(ctx, data):
        return ("simulate", "--data-dir", data, "--out-dir", ctx.dir / "sim", "--condition", "noise_snr5",
                "--noise-list", ctx.base.noise_list)

    failure_after_success(
        "simulate_failure_after_success", "simulate",
        lambda ctx: ctx.step(*sim_args(ctx, ctx.base.data)),
        lambda ctx: ctx.step(*sim_args(ctx, broken_data(ctx))),
        lambda ctx: ([ctx.dir / "sim" / n for n in ("wav.scp", "simulate.json")], [ctx.dir / "bad" / "silent.wav"]))

    @case("rerun", "train_again_after_finishing_changes_nothing", "train_seed")
    def _(ctx):
        out = ctx.dir / "model"
        p1 = ctx.step("train_seed", *ctx.base.model_args(out))
        before = (out / "best.pt").read_bytes() if p1.rc == 0 else b""
        w1 = _weights(out) if p1.rc == 0 else None
        p2 = ctx.step("train_seed", *ctx.base.model_args(out))

        def check():
            if "nothing to do" not in p2.err:
                return "silent", "a finished run trained again"
            d = _same_weights(_weights(out), w1)
            return ("silent", f"{d} changed") if d or not before else None
        return succeeded(p2, check, "'nothing to do'; weights unchanged")

    @case("rerun", "train_resume_on_other_embedding_values_refused", "train_seed")
    def _(ctx):
        out = ctx.dir / "model"
        p1 = ctx.step("train_seed", *ctx.base.model_args(out))
        table = load_embedding_dict(ctx.base.emb / "train.scp")
        other = write_emb(ctx.dir / "other" / "train.scp", [(k, v + 0.01) for k, v in table.items()])
        args = ctx.base.model_args(out, "--set", "train.max_steps=80")
        args[args.index("--embeddings") + 1] = other
        p2 = ctx.step("train_seed", *args)
        if p1.rc != 0:
            return Outcome("unclear", "first training failed")
        return refused(p2, out / "last.pt", other)

    @case("rerun", "simulate_again_with_another_condition_replaces_everything", "simulate")
    def _(ctx):
        import json
        out = ctx.dir / "sim"
        ctx.step("simulate", "--data-dir", ctx.base.data, "--out-dir", out, "--condition", "noise_snr5",
                 "--noise-list", ctx.base.noise_list)
        p2 = ctx.step("simulate", "--data-dir", ctx.base.data, "--out-dir", out, "--condition", "clean")

        def check():
            conds = {json.loads(ln).get("condition") for ln in (out / "aug.jsonl").read_text().splitlines() if ln}
            setting = json.loads((out / "simulate.json").read_text().splitlines()[0]).get("condition")
            if conds - {"clean"} or setting != "clean":
                return "silent", f"stale records of another condition: {sorted(map(str, conds))}, {setting}"
            return None
        return succeeded(p2, check, "second condition replaced aug.jsonl and simulate.json")


# ---------------------------------------------------------------------------------------------------
# running the cases and writing the table

def build_cases():
    if not CASES:
        for register in (_register_audio, _register_datadir, _register_embeddings, _register_trials,
                         _register_options, _register_kill, _register_rerun):
            register()
        seen = set()
        for c in CASES:
            ident = (c.family, c.name, c.step)
            assert ident not in seen, ident
            seen.add(ident)
    return CASES


def run_case(c, base, root, index):
    ctx = Ctx(base, Path(root) / c.family / f"{index:03d}_{re.sub(r'[^A-Za-z0-9_]+', '_', c.name)}")
    t0 = time.monotonic()
    try:
        outcome = c.fn(ctx)
    except Exception as e:   # a defect of this script, not of the step: reported as such, never as clear
        outcome = Outcome("traceback", f"fault_table itself failed: {type(e).__name__}: {e} "
                                       f"({traceback.format_exc().splitlines()[-3].strip()})")
    outcome.message = outcome.message.replace(str(root), "$T").replace(str(REPO), "$REPO")
    return outcome, time.monotonic() - t0


def md_cell(text, limit=None):
    text = " ".join(str(text).split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def render(results, command, started, wall, selection):
    fams = [f for f in FAMILIES if any(c.family == f for c, _, _ in results)]
    counts = {f: {v: 0 for v in VERDICT_NAMES} for f in fams}
    for c, o, _ in results:
        counts[c.family][o.verdict] += 1
    total = {v: sum(counts[f][v] for f in fams) for v in VERDICT_NAMES}
    out = ["# Fault table", "",
           "Written by `tools/fault_table.py` (do not edit by hand: rerun it). Each row is one broken input "
           "given to a real command-line step in a subprocess; the verdicts are defined below.", "",
           f"- command: `{command}`",
           f"- date: {started:%Y-%m-%d %H:%M:%S} UTC; wall time {wall:.0f} s",
           f"- git commit: {git_revision()}",
           f"- cases: {len(results)}{selection}", "",
           "| family | cases | clear | unclear | traceback | silent | lost |", "|---|---|---|---|---|---|---|"]
    for f in fams:
        out.append(f"| {f} | {sum(counts[f].values())} | " + " | ".join(str(counts[f][v]) for v in VERDICT_NAMES)
                   + " |")
    out.append(f"| **all** | **{len(results)}** | " + " | ".join(f"**{total[v]}**" for v in VERDICT_NAMES) + " |")
    out += ["", "## Verdicts", "", VERDICTS, "", "## Cases", "",
            "| family | case | step | verdict | message (`$T`: the case's temporary root) |", "|---|---|---|---|---|"]
    for c, o, _ in results:
        v = o.verdict if o.verdict in ("clear", "unclear") else f"**{o.verdict}**"
        out.append(f"| {c.family} | {md_cell(c.name)} | {md_cell(c.step)} | {v} | {md_cell(o.message, 120)} |")
    return "\n".join(out) + "\n", total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=VERDICTS)
    p.add_argument("--only", action="append", choices=FAMILIES, metavar="FAMILY",
                   help=f"run only this family (repeatable): {', '.join(FAMILIES)}")
    p.add_argument("--case", help="run only cases whose 'family/name/step' contains this text")
    p.add_argument("--quick", action="store_true", help="the quick subset (one to a few cases per family, ~30 s)")
    p.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2: the project machine's cores)")
    p.add_argument("--out", help=f"markdown table to write (default {DEFAULT_OUT.relative_to(REPO)} for a full run; "
                                 "a subset prints to stdout unless --out is given)")
    p.add_argument("--keep", action="store_true", help="keep the temporary root (its path is printed)")
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be >= 1")
    cases = [c for c in build_cases() if (not args.only or c.family in args.only) and (not args.quick or c.quick)
             and (not args.case or args.case in f"{c.family}/{c.name}/{c.step}")]
    if args.list:
        for c in cases:
            print(f"{c.family:10s} {c.name:50s} {c.step}{'  [quick]' if c.quick else ''}")
        print(f"{len(cases)} cases")
        return 0
    subset = bool(args.only or args.quick or args.case)
    out_path = Path(args.out) if args.out else (None if subset else DEFAULT_OUT)
    command = " ".join([".venv/bin/python", "tools/fault_table.py", *map(shlex.quote, sys.argv[1:] if argv is None
                                                                          else argv)])
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="seed-fault-table-"))
    base = Base(root)
    results = [None] * len(cases)
    try:
        # kill cases time their signals by the step's progress (a log line), not by the clock, so they share
        # the pool; the longest first, so that the pool does not end on one of them
        order = sorted(range(len(cases)), key=lambda i: cases[i].family != "kill")
        done = 0

        def report(i):
            nonlocal done
            done += 1
            c, (o, secs) = cases[i], results[i]
            print(f"[{done}/{len(cases)}] {c.family}/{c.name} ({c.step}): {o.verdict} ({secs:.1f} s)",
                  file=sys.stderr, flush=True)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(run_case, cases[i], base, root, i): i for i in order}
            for f in concurrent.futures.as_completed(futures):
                results[futures[f]] = f.result()
                report(futures[f])
    finally:
        if args.keep:
            print(f"fault_table: temporary root kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - t0
    rows = [(c, o, s) for c, (o, s) in zip(cases, results)]
    selection = "" if not subset else " (a subset: " + ", ".join(
        filter(None, ["--quick" if args.quick else "", *(f"--only {f}" for f in args.only or []),
                      f"--case {args.case}" if args.case else ""])) + ")"
    text, total = render(rows, command, started, wall, selection)
    if out_path is None:
        print(text)
    else:
        with atomic_write(out_path) as f:
            f.write(text)
        print(f"fault_table: {out_path}: {len(rows)} cases, " + ", ".join(f"{total[v]} {v}" for v in VERDICT_NAMES)
              + f" ({wall:.0f} s)")
    bad = sum(total[v] for v in BAD_VERDICTS)
    if bad:
        print(f"fault_table: {bad} case(s) are traceback/silent/lost", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

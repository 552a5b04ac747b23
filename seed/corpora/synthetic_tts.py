"""The two speech synthesisers behind the synthetic corpus: espeak-ng and flite, run as programs.

Why programs and not bindings: both ship as Debian packages (`apt-get install espeak-ng flite`)
with no Python wheel, and a call costs 10-50 ms, so a subprocess per utterance is cheap.

espeak-ng voices are `<language>+<variant>`. Besides its ~100 built-in variants, the corpus uses
generated variants (random vocal-tract parameters, see synthetic_voices.variant_file_text); espeak-ng
reads variants only from its data folder, so `EspeakData` builds a private copy of that folder made
of symbolic links plus the generated variant files, and every call passes `--path` to it.
"""
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

INSTALL_HINT = ("install them with `apt-get install espeak-ng flite` (Debian/Ubuntu, as root) "
                "or run tools/install.sh as root")
REQUIRED_TOOLS = ("espeak-ng", "flite")


class SynthesisError(RuntimeError):
    """A synthesiser is missing or failed; the message says which and what to do."""


def check_tools(which=shutil.which):
    """Raise naming every missing synthesiser and how to install it."""
    missing = [t for t in REQUIRED_TOOLS if which(t) is None]
    if missing:
        raise SynthesisError(f"{' and '.join(missing)} not found on PATH; the synthetic corpus needs both: "
                             + INSTALL_HINT)


def tool_versions():
    """Version lines of the synthesisers (they decide the bytes, so they key the done marker)."""
    espeak = _run(["espeak-ng", "--version"]).decode("utf-8", "replace").splitlines()[0]
    espeak = espeak.split("Data at:")[0].strip()
    # `flite --version` exits 1 after printing a copyright line and a `version:` line.
    flite = subprocess.run(["flite", "--version"], capture_output=True)
    lines = (flite.stdout + flite.stderr).decode("utf-8", "replace").splitlines()
    version = [l.strip() for l in lines if "version" in l] or ["flite (version unknown)"]
    return {"espeak-ng": espeak, "flite": version[0]}


def espeak_system_data():
    """The espeak-ng-data folder the installed espeak-ng uses (from `espeak-ng --version`)."""
    text = _run(["espeak-ng", "--version"]).decode("utf-8", "replace")
    if "Data at:" not in text:
        raise SynthesisError(f"cannot find espeak-ng's data folder in `espeak-ng --version` output: {text.strip()!r}")
    folder = Path(text.split("Data at:", 1)[1].strip().splitlines()[0].strip())
    if not (folder / "voices" / "!v").is_dir():
        raise SynthesisError(f"{folder}/voices/!v not found: espeak-ng's data folder is incomplete; "
                             "reinstall espeak-ng (`apt-get install --reinstall espeak-ng-data`)")
    return folder


class EspeakData:
    """Private espeak-ng data folders: links to the system one plus the variants a corpus uses.

    espeak-ng lists every voice file it can see and stops at 349 (N_VOICES_LIST); the 131
    languages already take 131 of those, so each folder holds at most `VARIANTS_PER_FOLDER`
    variants (and no MBROLA voices, which are never used). `path_for(variant)` is what
    `espeak-ng --path=` expects for that variant (the folder that contains `espeak-ng-data/`).
    """

    VARIANTS_PER_FOLDER = 150

    def __init__(self, root, variants, system_data=None):
        """`variants`: name → generated variant file text, or None for a built-in variant."""
        self.root = Path(root)
        system = Path(system_data) if system_data else espeak_system_data()
        builtin = {p.name: p for p in (system / "voices" / "!v").iterdir()}
        self._folder = {}
        names = sorted(variants)
        for start in range(0, max(1, len(names)), self.VARIANTS_PER_FOLDER):
            folder = self.root / str(start // self.VARIANTS_PER_FOLDER)
            data = folder / "espeak-ng-data"
            (data / "voices" / "!v").mkdir(parents=True, exist_ok=True)
            for entry in sorted(system.iterdir()):
                if entry.name != "voices":
                    _link(entry, data / entry.name)
            for entry in sorted((system / "voices").iterdir()):
                if entry.name not in ("!v", "mb"):
                    _link(entry, data / "voices" / entry.name)
            for name in names[start:start + self.VARIANTS_PER_FOLDER]:
                target = data / "voices" / "!v" / name
                if variants[name] is None:
                    if name not in builtin:
                        raise SynthesisError(f"espeak-ng has no built-in variant {name!r} in {system}/voices/!v")
                    _link(builtin[name], target)
                else:
                    if name in builtin:
                        raise SynthesisError(f"generated variant name {name!r} would shadow a built-in variant")
                    target.write_text(variants[name], encoding="utf-8")
                self._folder[name] = str(folder)

    def path_for(self, variant):
        return self._folder[variant]


def _link(target, link):
    if link.is_symlink() or link.exists():
        return
    link.symlink_to(target)


def espeak(text, voice, speed, pitch, data_root=None):
    """Synthesise `text` with espeak-ng; returns (float32 waveform, sample rate)."""
    # Text goes through stdin so a sentence starting with '-' is never taken for an option.
    cmd = ["espeak-ng"] + ([f"--path={data_root}"] if data_root else []) + [
        "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)), "--stdout", "--stdin"]
    return parse_wav(_run(cmd, text), f"espeak-ng -v {voice}")


def flite(text, voice, duration_stretch, f0_mean=None):
    """Synthesise `text` with flite; `f0_mean` (Hz) sets `int_f0_target_mean` (None: the voice's own)."""
    cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={duration_stretch:.4f}"]
    if f0_mean is not None:
        cmd += ["--setf", f"int_f0_target_mean={f0_mean:.2f}"]
    cmd += ["-t", text, "-o", "/dev/stdout"]
    return parse_wav(_run(cmd), f"flite -voice {voice}")


def _run(cmd, stdin_text=None):
    try:
        proc = subprocess.run(cmd, input=None if stdin_text is None else stdin_text.encode("utf-8"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    except FileNotFoundError:
        raise SynthesisError(f"{cmd[0]} not found on PATH; {INSTALL_HINT}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().replace("\n", " ")
        raise SynthesisError(f"{' '.join(cmd[:6])} ... failed (exit {proc.returncode}): {err}")
    return proc.stdout


def parse_wav(data, what):
    """16-bit PCM mono WAV bytes → (float32 waveform, rate).

    Parsed by hand because espeak-ng's `--stdout` header carries placeholder sizes (0x7ffff000):
    the data chunk is whatever follows its header, up to the declared size.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SynthesisError(f"{what}: output is not a WAV stream ({len(data)} bytes)")
    pos, rate, fmt = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[body:body + 16])
            rate = fmt[2]
        elif cid == b"data":
            if fmt is None or fmt[0] != 1 or fmt[1] != 1 or fmt[5] != 16:
                raise SynthesisError(f"{what}: expected 16-bit PCM mono, got format {fmt}")
            end = min(len(data), body + size)
            end -= (end - body) % 2
            samples = np.frombuffer(data[body:end], dtype="<i2").astype(np.float32) / 32768.0
            if samples.size == 0:
                raise SynthesisError(f"{what}: produced no audio")
            return samples, int(rate)
        pos = body + size + (size & 1)
    raise SynthesisError(f"{what}: WAV stream has no data chunk")

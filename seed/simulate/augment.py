"""Apply a Recipe to one waveform, drawing everything from one seeded RNG and recording every draw.

The record holds what is needed to regenerate the output with `seed.simulate.mixing` alone:
RIR file and direct-path index; per additive component the file, offset in the file, start and
length in the output, whether it was tiled and the exact scale applied; the mixture gain.
Noise files are decoded at the working sample rate (resampled if needed, multi-channel noise
down-mixed by averaging); a multi-channel RIR contributes its first channel.
"""
import collections
import dataclasses
import os

import numpy as np

from seed.data import DataDir, SeedDataError, read_audio
from seed.simulate import mixing
from seed.simulate.pools import by_category, read_noise_list, read_rir_list

# A segment quieter than one 16-bit step RMS carries no noise to scale.
SILENT_ENERGY = (1.0 / 32768.0) ** 2
SEGMENT_DRAWS = 10


@dataclasses.dataclass(frozen=True)
class Talker:
    """One babble source: a file (or a segment of one) and its speaker when known."""
    key: str
    speaker: str
    path: str
    start: float = 0.0
    end: float = None


class AudioCache:
    """Decoded noise/RIR/talker audio at the working rate, least-recently-used, bounded in bytes."""

    def __init__(self, sample_rate, max_bytes=512 * 2 ** 20):
        self.sample_rate = sample_rate
        self.max_bytes = max_bytes
        self._items = collections.OrderedDict()
        self._bytes = 0

    def _get(self, key, loader):
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        wav = loader()
        self._items[key] = wav
        self._bytes += wav.nbytes
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes
        return wav

    def noise(self, path, start=0.0, end=None, key=None):
        return self._get(("noise", path, start, end), lambda: read_audio(
            path, self.sample_rate, key=key, mono="mean", start=start, end=end)[0])

    def rir(self, path):
        return self._get(("rir", path), lambda: read_audio(path, self.sample_rate, mono="first")[0])


@dataclasses.dataclass
class Pools:
    """What a recipe may draw from: noise files by category, RIRs by class, babble talkers."""
    noise: dict
    rirs: dict
    talkers: list = None
    noise_source: str = "<noise list>"
    rir_source: str = "<rir list>"
    talker_source: str = None

    @classmethod
    def load(cls, noise_list=None, rir_list=None, babble_dir=None):
        """Read the lists; babble talkers come from `babble_dir` (a data dir with speakers) when
        given, otherwise from the `speech` files of the noise list (one talker per file)."""
        noise = by_category(read_noise_list(noise_list)) if noise_list else {}
        rirs = by_category(read_rir_list(rir_list)) if rir_list else {}
        talkers, talker_source = None, None
        if babble_dir:
            data = DataDir.load(babble_dir)
            talkers = []
            for utt in data.utts:
                rec, start, end = data.segment_of(utt)
                talkers.append(Talker(utt, data.utt2spk[utt], data.wav_scp[rec], start, end))
            talker_source = str(babble_dir)
        elif "speech" in noise:
            talkers = [Talker(p, None, p) for p in noise["speech"]]
            talker_source = f"{noise_list} (speech)"
        return cls(noise, rirs, talkers, str(noise_list), str(rir_list), talker_source)

    def check_recipes(self, recipes):
        """Fail before any audio is written if a recipe needs a category the pools lack."""
        for r in recipes:
            if r.reverb is not None:
                self.rir_classes(r.reverb)
            if r.additive is not None:
                if r.additive.category == "speech":
                    if not self.talkers:
                        raise SeedDataError(self.noise_source, f"{r.name} needs babble speech: give a babble "
                                            "data dir or `speech` lines in the noise list", key="speech")
                elif not self.noise.get(r.additive.category):
                    raise SeedDataError(self.noise_source, f"{r.name} needs '{r.additive.category}' files "
                                        "and the noise list has none", key=r.additive.category)

    def rir_classes(self, reverb):
        allowed = sorted(self.rirs) if reverb.room_classes is None else list(reverb.room_classes)
        present = [c for c in allowed if self.rirs.get(c)]
        if not present:
            raise SeedDataError(self.rir_source, f"no RIRs of class {' or '.join(allowed) or '(any)'} in the RIR list",
                                key="/".join(allowed) or "-")
        return present

    def check_babble_disjoint(self, speakers, paths):
        """Babble must come from speakers (and files) outside the evaluated set."""
        if not self.talkers:
            return
        speakers = set(speakers)
        real = {os.path.realpath(p) for p in paths}
        for t in self.talkers:
            if t.speaker is not None and t.speaker in speakers:
                raise SeedDataError(self.talker_source, "babble talker's speaker is also a speaker of the "
                                    "input set (babble must come from other speakers)", key=t.speaker)
            if os.path.realpath(t.path) in real:
                raise SeedDataError(self.talker_source, "babble file is also audio of the input set", key=t.path)


def _draw_segment(rng, audio, length, source, what):
    """A non-silent `length`-sample segment (random offset / tiled); redraws the offset if silent."""
    for _ in range(SEGMENT_DRAWS):
        offset = mixing.draw_offset(rng, len(audio), length)
        seg = mixing.noise_segment(audio, length, offset)
        if mixing.mean_energy(seg) > SILENT_ENERGY:
            return np.asarray(seg, dtype=np.float64), offset
    raise SeedDataError(source, f"{what}: no non-silent {length}-sample segment in {SEGMENT_DRAWS} random draws",
                        key=source)


def _choose(rng, items, k, what, source):
    if k > len(items):
        raise SeedDataError(source, f"needs {k} distinct {what} but the pool has {len(items)}", key=what)
    idx = rng.choice(len(items), size=k, replace=False)
    return [items[int(i)] for i in idx]


def _background(rng, add, level, n, pools, cache):
    """Every source spans the whole output. Returns (noise, component records)."""
    k = add.count[0] if add.count[0] == add.count[1] else int(rng.integers(add.count[0], add.count[1] + 1))
    if add.category == "speech":
        if add.distinct_speakers and all(t.speaker is not None for t in pools.talkers):
            spk2t = {}
            for t in pools.talkers:
                spk2t.setdefault(t.speaker, []).append(t)
            speakers = _choose(rng, sorted(spk2t, key=str.encode), k, "speakers", pools.talker_source)
            sources = [spk2t[s][int(rng.integers(0, len(spk2t[s])))] for s in speakers]
        else:
            sources = _choose(rng, pools.talkers, k, "talkers", pools.talker_source)
    else:
        sources = [Talker(p, None, p) for p in _choose(rng, pools.noise[add.category], k,
                                                           f"{add.category} files", pools.noise_source)]
    total_snr = add.snr.draw(rng) if add.snr_reference == "total" else None
    segs, comps = [], []
    for src in sources:
        audio = cache.noise(src.path, src.start, src.end, key=src.key)
        seg, offset = _draw_segment(rng, audio, n, src.path, add.category)
        comp = {"file": src.path, "offset": offset, "start": 0, "length": n, "tiled": len(audio) < n}
        if src.speaker is not None:
            comp.update(speaker=src.speaker, key=src.key)
        if src.start or src.end is not None:
            comp.update(segment=[src.start, src.end])
        if add.snr_reference == "each":
            comp["snr_db"] = add.snr.draw(rng)
            comp["scale"] = mixing.snr_scale(level, mixing.mean_energy(seg), comp["snr_db"])
        else:
            comp["scale"] = 1.0 / np.sqrt(mixing.mean_energy(seg))  # equal energy before the sum
        segs.append(seg)
        comps.append(comp)
    noise = np.zeros(n)
    for c, s in zip(comps, segs):
        noise += c["scale"] * s
    if total_snr is not None:
        factor = mixing.snr_scale(level, mixing.mean_energy(noise), total_snr)
        noise = noise * factor
        for c in comps:
            c["scale"] *= factor
    return noise, comps, total_snr


def _foreground(rng, add, level, n, sample_rate, pools, cache):
    """Files one after another from t=0, `fg_interval` s apart, each at its own SNR (Kaldi)."""
    files = pools.noise[add.category]
    gap = int(round(add.fg_interval * sample_rate))
    noise = np.zeros(n)
    comps, t = [], 0
    while t < n:
        path = files[int(rng.integers(0, len(files)))]
        audio = cache.noise(path)
        length = min(len(audio), n - t)
        seg, offset = _draw_segment(rng, audio, length, path, add.category)
        snr = add.snr.draw(rng)
        scale = mixing.snr_scale(level, mixing.mean_energy(seg), snr)
        noise[t: t + length] += scale * seg
        comps.append({"file": path, "offset": offset, "start": t, "length": length, "tiled": False,
                      "snr_db": snr, "scale": scale})
        t += length + gap
    return noise, comps


def apply_recipe(x, recipe, rng, pools, cache, sample_rate):
    """(output float64 of len(x), record). `x` must not be silent (see seed.simulate.inputs)."""
    s = np.asarray(x, dtype=np.float64)
    record = {}
    if recipe.reverb is not None:
        classes = pools.rir_classes(recipe.reverb)
        room_class = classes[int(rng.integers(0, len(classes)))]
        files = pools.rirs[room_class]
        path = files[int(rng.integers(0, len(files)))]
        try:
            h, direct = mixing.prepare_rir(cache.rir(path))
        except ValueError as e:
            raise SeedDataError(pools.rir_source, f"RIR file {path}: {e}", key=room_class) from None
        s = mixing.reverberate(s, h, direct)
        record["reverb"] = {"room_class": room_class, "rir": path, "direct_index": direct}
    if recipe.additive is not None:
        add = recipe.additive
        level = mixing.active_energy(s, sample_rate)
        if level <= 0.0:
            raise ValueError("speech has no active energy; cannot mix at an SNR")
        if add.placement == "foreground":
            noise, comps = _foreground(rng, add, level, len(s), sample_rate, pools, cache)
            total = None
        else:
            noise, comps, total = _background(rng, add, level, len(s), pools, cache)
        s = s + noise
        record["additive"] = {"category": add.category, "placement": add.placement,
                              "snr_reference": add.snr_reference, "speech_active_energy": level,
                              "components": comps}
        if total is not None:
            record["additive"]["snr_db"] = total
    y, gain = mixing.avoid_clipping(s)
    record["gain"] = gain
    return y, record


def regenerate(x, record, sample_rate, cache):
    """Rebuild an output from its input and its record alone (the audit path)."""
    s = np.asarray(x, dtype=np.float64)
    if record.get("reverb"):
        h, direct = mixing.prepare_rir(cache.rir(record["reverb"]["rir"]))
        s = mixing.reverberate(s, h, direct)
    if record.get("additive"):
        noise = np.zeros(len(s))
        for c in record["additive"]["components"]:
            start, end = (c.get("segment") or [0.0, None])
            audio = cache.noise(c["file"], start, end)
            seg = mixing.noise_segment(audio, c["length"], c["offset"])
            noise[c["start"]: c["start"] + c["length"]] += c["scale"] * np.asarray(seg, dtype=np.float64)
        s = s + noise
    return s * record["gain"]

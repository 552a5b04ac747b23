"""Conditions and training presets: a name fully determines what is done to the audio.

Test conditions (one data dir each, same utterance ids as the clean set):
  clean                    the input, decoded and written as 16-bit WAV
  noise_snr{N}             one `noise` file over the whole utterance at N dB
  music_snr{N}             one `music` file at N dB
  babble_snr{N}            3-7 talkers (uniform), distinct speakers, summed, the sum at N dB
  reverb_{small,medium,large,real}   one RIR of that room class
  reverb_noise_snr{N}      one RIR of any class in the list (class uniform, then file), then one
                           `noise` file at N dB relative to the reverberant speech
N may be negative or fractional (noise_snr-5, music_snr7.5).

Training presets (multi-pair copies; every version is made for every crop):
  seed       paper (seed-method.md §4): clean, music U[5,15] dB (1 file), noise U[0,15] dB (1 file),
             reverb (one RIR, any class); babble off ("speech-overlap scenario is not considered")
  kaldi      voxceleb/v2 (recipe-conventions.md §3): reverb small/medium 50/50; noise foreground,
             one file after another with 1 s gaps, each at {15,10,5,0} dB; music background,
             1 file at {15,10,8,5} dB; babble background, {3..7} talkers each at {20,17,15,13} dB
  espnet     SpkPreprocessor (§2.3): reverb small/medium; noise 1 file U[0,15]; music 1 file U[5,15];
             speech 4-7 files each U[13,20]
  wespeaker  add_reverb_noise (§4): reverb any simulated class; noise U[0,15]; music U[5,15];
             speech 1 file U[10,30]
The toolkits apply these on the fly with probabilities (ESPnet 0.5/0.5, WeSpeaker 0.6, one of
reverb or noise); multi-pair training needs every version of every crop, so each augmentation
type is its own version here. SNRs of multi-file versions are per file, as in those toolkits.
"""
import dataclasses
import re

ROOM_CLASS_NAMES = ("small", "medium", "large", "real")


@dataclasses.dataclass(frozen=True)
class SnrSpec:
    """How the SNR (dB) is chosen: `fixed` (no draw), `uniform` [lo, hi] or `choice` of values."""
    kind: str
    values: tuple

    def draw(self, rng):
        if self.kind == "fixed":
            return float(self.values[0])
        if self.kind == "uniform":
            return float(rng.uniform(self.values[0], self.values[1]))
        if self.kind == "choice":
            return float(self.values[int(rng.integers(0, len(self.values)))])
        raise ValueError(f"unknown SNR kind {self.kind!r}")

    def describe(self):
        return {"kind": self.kind, "values": list(self.values)}


@dataclasses.dataclass(frozen=True)
class Additive:
    """Additive sources of one category.

    - `count`: number of files (talkers for speech), uniform integer in [lo, hi].
    - `placement`: `background` (every file covers the whole signal: random offset if long,
      tiled if short) or `foreground` (files one after another from t=0 with `fg_interval`
      seconds between them, each used whole or cut at a random offset to the remaining length).
    - `snr_reference`: `total` (files normalised to equal energy, summed, the sum scaled to the
      SNR) or `each` (every file scaled to its own SNR draw against the speech, Kaldi/ESPnet).
    - `distinct_speakers`: talkers from different speakers when speakers are known.
    """
    category: str
    snr: SnrSpec
    count: tuple = (1, 1)
    placement: str = "background"
    snr_reference: str = "total"
    fg_interval: float = 1.0
    distinct_speakers: bool = False

    def describe(self):
        d = dataclasses.asdict(self)
        d["snr"] = self.snr.describe()
        d["count"] = list(self.count)
        return d


@dataclasses.dataclass(frozen=True)
class Reverb:
    """One RIR: the class is drawn uniformly among `room_classes` present in the RIR list (None:
    every class present), then a file uniformly within the class."""
    room_classes: tuple = None

    def describe(self):
        return {"room_classes": None if self.room_classes is None else list(self.room_classes)}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What is done to one signal: optional reverberation first, then optional additive sources."""
    name: str
    reverb: Reverb = None
    additive: Additive = None

    def describe(self):
        return {"name": self.name,
                "reverb": None if self.reverb is None else self.reverb.describe(),
                "additive": None if self.additive is None else self.additive.describe()}

    @property
    def needs_rir(self):
        return self.reverb is not None

    @property
    def noise_category(self):
        return None if self.additive is None else self.additive.category


_SNR = r"(-?\d+(?:\.\d+)?)"
_PATTERNS = [
    (re.compile(rf"noise_snr{_SNR}"), lambda m: Recipe(m.group(0), additive=Additive(
        "noise", SnrSpec("fixed", (float(m.group(1)),))))),
    (re.compile(rf"music_snr{_SNR}"), lambda m: Recipe(m.group(0), additive=Additive(
        "music", SnrSpec("fixed", (float(m.group(1)),))))),
    (re.compile(rf"babble_snr{_SNR}"), lambda m: Recipe(m.group(0), additive=Additive(
        "speech", SnrSpec("fixed", (float(m.group(1)),)), count=(3, 7), distinct_speakers=True))),
    (re.compile(r"reverb_(small|medium|large|real)"), lambda m: Recipe(m.group(0), reverb=Reverb((m.group(1),)))),
    (re.compile(rf"reverb_noise_snr{_SNR}"), lambda m: Recipe(m.group(0), reverb=Reverb(None), additive=Additive(
        "noise", SnrSpec("fixed", (float(m.group(1)),))))),
]

CONDITION_HELP = ("clean, noise_snr{N}, music_snr{N}, babble_snr{N}, reverb_{small,medium,large,real}, "
                  "reverb_noise_snr{N} (N in dB, e.g. noise_snr5, music_snr-2.5)")


def parse_condition(name):
    """The Recipe of a test condition; ValueError naming the accepted forms otherwise."""
    if name == "clean":
        return Recipe("clean")
    for pattern, make in _PATTERNS:
        m = pattern.fullmatch(name)
        if m:
            return make(m)
    raise ValueError(f"unknown condition {name!r}; expected one of: {CONDITION_HELP}")


def _u(lo, hi):
    return SnrSpec("uniform", (float(lo), float(hi)))


def _c(*values):
    return SnrSpec("choice", tuple(float(v) for v in values))


PRESETS = {
    "seed": (
        Recipe("clean"),
        Recipe("music", additive=Additive("music", _u(5, 15))),
        Recipe("noise", additive=Additive("noise", _u(0, 15))),
        Recipe("reverb", reverb=Reverb(None)),
    ),
    "kaldi": (
        Recipe("clean"),
        Recipe("reverb", reverb=Reverb(("small", "medium"))),
        Recipe("noise", additive=Additive("noise", _c(15, 10, 5, 0), placement="foreground",
                                          snr_reference="each", fg_interval=1.0)),
        Recipe("music", additive=Additive("music", _c(15, 10, 8, 5), snr_reference="each")),
        Recipe("babble", additive=Additive("speech", _c(20, 17, 15, 13), count=(3, 7), snr_reference="each")),
    ),
    "espnet": (
        Recipe("clean"),
        Recipe("reverb", reverb=Reverb(("small", "medium"))),
        Recipe("noise", additive=Additive("noise", _u(0, 15), snr_reference="each")),
        Recipe("music", additive=Additive("music", _u(5, 15), snr_reference="each")),
        Recipe("speech", additive=Additive("speech", _u(13, 20), count=(4, 7), snr_reference="each")),
    ),
    "wespeaker": (
        Recipe("clean"),
        Recipe("reverb", reverb=Reverb(("small", "medium", "large"))),
        Recipe("noise", additive=Additive("noise", _u(0, 15), snr_reference="each")),
        Recipe("music", additive=Additive("music", _u(5, 15), snr_reference="each")),
        Recipe("speech", additive=Additive("speech", _u(10, 30), snr_reference="each")),
    ),
}


def preset(name):
    """The versions (Recipes, `clean` first) of a training preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def condition_set(test_set: str, condition: str) -> str:
    """The data dir (and embedding folder) name of `condition`'s copy of `test_set`: the set itself for
    'clean', `<test_set>_<condition>` otherwise (stage 1 writes it, stages 2-6 read it)."""
    return test_set if condition == "clean" else f"{test_set}_{condition}"

"""Who speaks in the synthetic corpus: a measured catalogue of voices and the speaker plan.

What makes a different speaker to a speaker encoder (measured with Resemblyzer, 5 utterances per
voice, centroid cosines; `egs/mini/seed1/local/study_voices.py` reproduces it):
- espeak-ng's built-in variants (`<language>+<variant>`) are mostly distinct: 101 variants + 4 flite
  voices, all pairs, EER 0.86 %. A few are near-copies of each other (centroid cosine ≥ 0.92 against
  a same-voice cosine of ~0.96); complete-linkage clustering at 0.92 leaves 81 groups
  (`ESPEAK_VARIANT_GROUPS`), and only one variant per group is ever used.
- The language/accent alone is a weak cue: one variant (m3) in 24 languages and accents gave
  EER 15 % (same-voice 0.96, different-language 0.92). So a speaker is keyed by its variant; the
  accent adds variety, never identity.
- The same variant with only its pitch changed is not a different speaker (EER 42 %,
  environment.md): pitch and speed only vary *within* a speaker (session variability).
- Generated variants (random formant scales, pitch range, flutter, roughness, voicing, tone, voice
  source; `variant_file_text`) separate like the built-in ones: 40 of them, all pairs, EER 0.57 %.
  They give the corpus as many distinct training speakers as asked for.
- The 4 flite voices (kal16, awb, rms, slt) are distinct from each other and from espeak-ng.

Subsets never share a variant group: trial speakers come first from `TRIAL_POOL` (curated, balanced
in gender and accent; the first K are used), babble talkers from `BABBLE_POOL`, training speakers
from `TRAIN_POOL` and then generated voices; a subset that asks for more than its pool gets
generated voices for the rest.
"""
from dataclasses import dataclass

import numpy as np

from seed.data import derive_seed

SUBSETS = ("train", "test", "babble")
# Numeric LibriSpeech-like speaker ids: each subset owns a range (prepare_librispeech needs
# `<spk>-<chapter>-` file names), so ids alone show the subset.
SPEAKER_ID_START = {"train": 1001, "babble": 8001, "test": 9001}
MAX_SPEAKERS = {"train": 7000, "babble": 999, "test": 999}

ENGLISH_ACCENTS = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan",
                   "en-gb-x-gbcwmd", "en-us-nyc")
# Latin-script languages whose own letter-to-sound rules give English text a foreign accent.
FOREIGN_ACCENTS = ("it", "de", "fr-fr", "es", "es-419", "pt", "pt-br", "nl", "pl", "fi", "sw", "vi", "cs",
                   "hu", "tr", "id", "ro", "sv")
ACCENTS = ENGLISH_ACCENTS + FOREIGN_ACCENTS

# Complete-linkage groups (centroid cosine ≥ 0.92) of built-in variants; the first name is the one used.
ESPEAK_VARIANT_GROUPS = (
    ("klatt", "adam", "caleb", "klatt6"), ("m4", "croak", "fast", "grandpa"), ("steph", "steph2", "steph3"),
    ("iven", "iven2", "iven3"), ("Diogo", "Henrique"), ("Gene", "Gene2"), ("RicishayMax2", "RicishayMax3"),
    ("anika", "anikaRobot"), ("f4", "aunty"), ("f2", "f5"), ("klatt4", "klatt5"), ("m8", "robosoft4"),
    ("michel", "miguel"), ("robert", "rob"),
)
# Built-in variants never used: a file name with a space cannot be passed reliably.
EXCLUDED_VARIANTS = ("Mr serious",)

FLITE_VOICES = ("awb", "kal16", "rms", "slt")
FLITE_GENDER = {"awb": "M", "kal16": "M", "rms": "M", "slt": "F"}
# flite's `int_f0_target_mean` that reproduces each voice's own pitch (Hz; measured by pitch
# tracking against the default output). rms ignores the setting, so it has no pitch variation.
FLITE_F0_MEAN = {"awb": 131.0, "kal16": 95.0, "rms": None, "slt": 171.0}

# (engine, voice): espeak-ng entries are `<accent>+<variant>`.
TRIAL_POOL = (
    ("espeak", "en-us+f1"), ("espeak", "en-gb+m1"), ("flite", "slt"), ("espeak", "en-us+m3"),
    ("espeak", "en-gb-x-rp+f2"), ("espeak", "en-gb-scotland+Alex"), ("espeak", "en-029+f3"),
    ("espeak", "en-us-nyc+Andy"), ("flite", "awb"), ("espeak", "en-us+Annie"), ("espeak", "en-gb-x-gbclan+m5"),
    ("espeak", "it+Andrea"), ("espeak", "en-gb-x-gbcwmd+m6"), ("espeak", "en-029+Jacky"), ("espeak", "fr-fr+Denis"),
    ("espeak", "es+Alicia"), ("espeak", "en-us+m7"), ("espeak", "en-gb-x-rp+belinda"), ("espeak", "de+Hugo"),
    ("espeak", "en-us+linda"), ("espeak", "en-gb-scotland+Lee"), ("espeak", "en-029+steph"),
    ("espeak", "en-us+Michael"), ("espeak", "pt+m2"), ("espeak", "es+antonio"), ("espeak", "en-us+pedro"),
    ("espeak", "pl+boris"), ("espeak", "en-us-nyc+david"), ("espeak", "en-gb-x-gbclan+ed"),
    ("espeak", "nl+gustave"), ("espeak", "pt-br+marcelo"), ("espeak", "de+norbert"), ("espeak", "en-us+paul"),
    ("espeak", "en-us+john"), ("espeak", "it+sandro"), ("espeak", "en-us+travis"), ("espeak", "fi+victor"),
    ("espeak", "vi+Nguyen"), ("espeak", "es-419+pablo"), ("espeak", "en-gb-x-rp+edward"),
)
BABBLE_POOL = (
    ("espeak", "en-us+Mike"), ("espeak", "en-gb+anika"), ("flite", "kal16"), ("espeak", "pt+Diogo"),
    ("espeak", "en-us-nyc+max"), ("espeak", "en-gb-scotland+zac"),
)
# Everything else: more robotic or unusual variants too (training speech benefits from variety).
TRAIN_POOL = (
    ("flite", "rms"), ("espeak", "en-us+m4"), ("espeak", "en-gb+AnxiousAndy"), ("espeak", "it+Marco"),
    ("espeak", "es+Mario"), ("espeak", "en-gb-x-rp+edward2"), ("espeak", "en-us+iven"), ("espeak", "en-gb+iven4"),
    ("espeak", "en-gb+quincy"), ("espeak", "fr-fr+michel"), ("espeak", "en-gb+benjamin"), ("espeak", "en-gb+robert"),
    ("espeak", "en-us+Gene"), ("espeak", "en-gb+f4"), ("espeak", "en-us+Storm"), ("espeak", "en-gb+Tweaky"),
    ("espeak", "fi+kaukovalta"), ("espeak", "en-us+shelby"), ("espeak", "en-gb+grandma"),
    ("espeak", "en-us+whisperf"), ("espeak", "es+Demonic"), ("espeak", "en-us+RicishayMax"),
    ("espeak", "en-gb+RicishayMax2"), ("espeak", "en-us+UniRobot"), ("espeak", "en-us+announcer"),
    ("espeak", "en-gb+klatt"), ("espeak", "en-us+klatt2"), ("espeak", "en-gb-x-rp+klatt3"),
    ("espeak", "en-us+klatt4"), ("espeak", "en-gb+robosoft"), ("espeak", "en-us+robosoft2"),
    ("espeak", "en-gb-scotland+robosoft3"), ("espeak", "en-us+robosoft5"), ("espeak", "en-gb+robosoft6"),
    ("espeak", "en-us-nyc+robosoft7"), ("espeak", "en-gb+robosoft8"), ("espeak", "en-us+m8"),
    ("espeak", "en-us+whisper"),
)
POOLS = {"test": TRIAL_POOL, "babble": BABBLE_POOL, "train": TRAIN_POOL}

# Built-in variants whose file says `gender female` (espeak-ng 1.51); the rest are male.
FEMALE_VARIANTS = frozenset(("Alicia", "Andrea", "Annie", "anika", "anikaRobot", "aunty", "belinda", "f1", "f2",
                             "f3", "f4", "f5", "grandma", "linda", "steph", "steph2", "steph3", "whisperf"))

# Per-speaker base draws (session variability is drawn per utterance around them).
ESPEAK_SPEED_RANGE = (150.0, 180.0)   # words per minute (espeak-ng default 175)
ESPEAK_PITCH_RANGE = (40.0, 60.0)     # espeak-ng -p (0-99, default 50; 1 unit ≈ 1 % of F0 near 50)
FLITE_STRETCH_RANGE = (0.92, 1.08)    # flite duration_stretch
FLITE_F0_SCALE_RANGE = (0.95, 1.05)   # times the voice's own f0 mean


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: an engine, a voice and its base speaking rate and pitch.

    `voice` is `<accent>+<variant>` for espeak-ng (a generated variant is named `g<spk_id>` and its
    parameter file is `variant_text`), a flite voice name otherwise. `base_speed` is words per
    minute (espeak-ng) or duration_stretch (flite); `base_pitch` is espeak-ng's -p, or flite's f0
    mean in Hz (None: the voice's own, not adjustable).
    """
    spk_id: str
    subset: str
    engine: str
    voice: str
    kind: str          # builtin | generated | flite
    gender: str        # M | F
    base_speed: float
    base_pitch: float | None
    variant_text: str | None = None

    @property
    def family(self):
        """The voice family: babble noise files are grouped by it (held out by family later)."""
        return {"builtin": "espeak", "generated": "espeak_generated", "flite": "flite"}[self.kind]

    @property
    def variant(self):
        return self.voice.split("+", 1)[1] if self.engine == "espeak" else None


def used_builtin_variants():
    """Every built-in variant any pool uses (tests check they are unique and one per group)."""
    return [v.split("+", 1)[1] for pool in POOLS.values() for e, v in pool if e == "espeak"]


def plan_speakers(seed, n_test, n_train, n_babble):
    """The corpus's speakers, in subset order test, babble, train; deterministic in `seed`.

    Built-in voices and their subsets are fixed (the curated pools); `seed` draws the base rates,
    pitches and the generated voices.
    """
    wanted = {"test": n_test, "babble": n_babble, "train": n_train}
    speakers = []
    for subset in ("test", "babble", "train"):
        n = wanted[subset]
        if not 0 <= n <= MAX_SPEAKERS[subset]:
            raise ValueError(f"{subset}: {n} speakers asked for; allowed 0..{MAX_SPEAKERS[subset]}")
        pool = POOLS[subset]
        for i in range(n):
            spk_id = str(SPEAKER_ID_START[subset] + i)
            rng = np.random.default_rng(derive_seed(seed, "speaker", spk_id))
            if i < len(pool):
                engine, voice = pool[i]
                speakers.append(_catalogue_speaker(spk_id, subset, engine, voice, rng))
            else:
                speakers.append(_generated_speaker(spk_id, subset, rng))
    return speakers


def _catalogue_speaker(spk_id, subset, engine, voice, rng):
    if engine == "flite":
        stretch = float(rng.uniform(*FLITE_STRETCH_RANGE))
        f0 = FLITE_F0_MEAN[voice]
        f0 = None if f0 is None else round(f0 * float(rng.uniform(*FLITE_F0_SCALE_RANGE)), 1)
        return Speaker(spk_id, subset, "flite", voice, "flite", FLITE_GENDER[voice], round(stretch, 3), f0)
    variant = voice.split("+", 1)[1]
    return Speaker(spk_id, subset, "espeak", voice, "builtin", "F" if variant in FEMALE_VARIANTS else "M",
                   *_espeak_base(rng))


def _generated_speaker(spk_id, subset, rng):
    accent = ACCENTS[int(rng.integers(len(ACCENTS)))]
    name = f"g{spk_id}"
    text, gender = variant_file_text(name, rng)
    return Speaker(spk_id, subset, "espeak", f"{accent}+{name}", "generated", gender, *_espeak_base(rng),
                   variant_text=text)


def _espeak_base(rng):
    return round(float(rng.uniform(*ESPEAK_SPEED_RANGE)), 1), float(int(rng.uniform(*ESPEAK_PITCH_RANGE)))


def variant_file_text(name, rng):
    """A random espeak-ng variant file: a new vocal tract and voice source; returns (text, gender).

    Formants 1-5 share one vocal-tract scale (±6 % each around it; women ~12 % higher) because a
    coherent shift is what makes a new voice rather than a distorted one; 0 and 6-8 vary freely.
    """
    female = bool(rng.random() < 0.4)
    scale = float(rng.uniform(0.86, 1.06)) * (1.12 if female else 1.0)
    base = float(rng.uniform(150, 210) if female else rng.uniform(70, 120))
    span = base * float(rng.uniform(1.2, 1.8))
    lines = ["language variant", f"name {name}", f"gender {'female' if female else 'male'}",
             f"pitch {int(base)} {int(span)}"]
    for k in range(9):
        freq = scale * (1 + float(rng.uniform(-0.06, 0.06))) if 1 <= k <= 5 else float(rng.uniform(0.85, 1.15))
        lines.append(f"formant {k} {int(round(100 * freq))} {int(rng.uniform(65, 125))} {int(rng.uniform(70, 160))}")
    lines.append(f"flutter {int(rng.uniform(0, 16))}")
    lines.append(f"roughness {int(rng.integers(0, 5))}")
    lines.append(f"voicing {int(rng.uniform(75, 140))}")
    lines.append(f"consonants {int(rng.uniform(85, 125))} {int(rng.uniform(85, 125))}")
    lines.append("tone 600 {} 1200 {} 2000 {}".format(*(int(x) for x in rng.uniform(80, 255, 3))))
    if rng.random() < 0.3:
        lines.append(f"klatt {int(rng.integers(1, 5))}")
    if rng.random() < 0.25:
        lines.append("breath " + " ".join(str(int(x)) for x in rng.uniform(0, 12, 8)))
    return "\n".join(lines) + "\n", "F" if female else "M"

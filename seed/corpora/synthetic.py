"""A multi-speaker corpus synthesised on the spot (espeak-ng + flite) with MUSAN-like noise.

Why: the embedded demo (egs/mini) must run on a fresh machine with no corpus and no internet.
The output is laid out like the real corpora, so the ordinary preparers read it unchanged:

    DB/{train,test,babble}/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac   (+ <spk>-<chapter>.trans.txt)
    DB/enrol/<spk>/11/...                          optional: other utterances of the trial speakers
    DB/musan/noise/<family>/<family>-NNN.wav      white, pink, brown, blue, hum, clicks, engine, wind, tones
    DB/musan/music/<family>/<family>-NNN.wav      chords, arpeggio, rhythm, band
    DB/musan/speech/<family>/<spk>.wav            babble talkers (the babble subset's speakers)
    DB/speakers.tsv, DB/SPEAKERS.TXT, DB/espeak_variants/<generated variant files>
    DB/.synthetic_corpus.json                     done marker: the options that made it

Speakers (see synthetic_voices): `test` = trial speakers, `train` = SEED training speakers,
`babble` = babble talkers; the three never share a voice. With `enrol_utts_per_test_speaker` > 0,
`enrol` holds more utterances of every trial speaker, a second session (chapter 11) reading sentences
that speaker does not read in `test`: unlabelled audio of the trial speakers that is not the trial
audio, for enrolment-adapted SEED (issue 15; the recipes flag training audio that shares speakers
with the trials). The other subsets do not depend on it (own draws).

Within a speaker every utterance has its own small speed and pitch change and (optionally) a mild
channel colouring: session variability.

Every draw comes from `derive_seed(seed, <what>, <name>)`, so the bytes depend on the options only,
never on --nj or on the order jobs finish. Output is built in a staging folder and moved into place
only when complete; the done marker is written last.
"""
import hashlib
import json
import multiprocessing
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.signal import sosfilt

from seed.corpora import synthetic_tts as tts
from seed.corpora.staging import build_staged, claim
from seed.corpora.synthetic_noise import MUSIC_FAMILIES, NOISE_FAMILIES, normalise_level
from seed.corpora.synthetic_voices import SUBSETS, plan_speakers
from seed.data import SeedDataError, atomic_write, derive_seed, load_audio, resample, save_audio
from seed.provenance import REPO_ROOT

SAMPLE_RATE = 16000
CHAPTER = "10"                      # one chapter (session folder) per speaker
ENROL_CHAPTER = "11"                # the enrol subset: a second session of each trial speaker
GENERATOR_VERSION = 1               # bump when the same options would give different audio
MARKER = ".synthetic_corpus.json"   # done marker, written last
OWNER = ".synthetic_corpus_owner"   # this folder is ours: outputs in it may be replaced
OUTPUT_NAMES = ("train", "test", "babble", "enrol", "musan", "speakers.tsv", "SPEAKERS.TXT", "espeak_variants")
DEFAULT_SENTENCES = REPO_ROOT / "egs" / "mini" / "seed1" / "conf" / "sentences.txt"
NOISE_SECONDS = (5.0, 20.0)
BABBLE_SECONDS = (8.0, 20.0)


class CorpusError(RuntimeError):
    """The corpus cannot be generated (missing tool, bad option, foreign output folder)."""


@dataclass(frozen=True)
class CorpusOptions:
    """Everything that decides the corpus's bytes (and so keys the done marker)."""
    seed: int = 0
    n_test: int = 40
    n_train: int = 200
    n_babble: int = 8
    utts_per_speaker: int = 8
    enrol_utts_per_test_speaker: int = 0   # utterances of each trial speaker in `enrol` (module docstring)
    noise_files_per_family: int = 4
    music_files_per_family: int = 4
    speed_jitter: float = 0.08       # ± fraction of the speaker's base speed, per utterance
    pitch_jitter: float = 0.04       # ± fraction of the speaker's base pitch, per utterance
    channel: str = "mild"            # mild | none: per-utterance channel colouring
    sentences: tuple = field(default=(), repr=False)

    def check(self):
        for name in ("n_test", "n_train", "n_babble", "enrol_utts_per_test_speaker", "noise_files_per_family",
                     "music_files_per_family"):
            if getattr(self, name) < 0:
                raise CorpusError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.utts_per_speaker < 1:
            raise CorpusError(f"utts_per_speaker must be >= 1, got {self.utts_per_speaker}")
        if self.n_test + self.n_train == 0:
            raise CorpusError("no speakers asked for (n_test and n_train are both 0)")
        if not 0 <= self.speed_jitter < 0.5 or not 0 <= self.pitch_jitter < 0.5:
            raise CorpusError("speed_jitter and pitch_jitter must be in [0, 0.5)")
        if self.channel not in ("mild", "none"):
            raise CorpusError(f"channel must be 'mild' or 'none', got {self.channel!r}")
        wanted = self.utts_per_speaker + (self.enrol_utts_per_test_speaker if self.n_test else 0)
        if len(self.sentences) < wanted:
            raise CorpusError(f"{len(self.sentences)} sentences for {wanted} utterances per speaker: "
                              "every utterance of a speaker reads a different sentence; add sentences or lower "
                              "--utts-per-speaker / --enrol-utts-per-trial-speaker")

    def key(self, tool_versions):
        """The done marker's content: options, a hash of the sentences, versions of the synthesisers."""
        d = asdict(self)
        d["sentences"] = hashlib.sha256("\n".join(self.sentences).encode("utf-8")).hexdigest()
        return {"generator_version": GENERATOR_VERSION, "options": d, "tools": tool_versions}


def load_sentences(path):
    """Non-empty, non-comment lines; a duplicate is an error (utterances must differ in text)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise SeedDataError(path, f"cannot read sentence list: {e.strerror or e}") from None
    out, seen = [], {}
    for number, line in enumerate(lines, start=1):
        text = " ".join(line.split())
        if not text or text.startswith("#"):
            continue
        if text in seen:
            raise SeedDataError(path, f"duplicate sentence (first on line {seen[text]})", line=number, key=text[:40])
        seen[text] = number
        out.append(text)
    if not out:
        raise SeedDataError(path, "no sentences (only blank or '#' lines)")
    return tuple(out)


# ----------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Utterance:
    utt_id: str
    speaker: object        # synthetic_voices.Speaker
    text: str
    subset: str = ""       # empty: the speaker's subset (`enrol` utterances belong to test speakers)
    chapter: str = CHAPTER

    @property
    def relpath(self):
        spk = self.speaker.spk_id
        return f"{self.subset or self.speaker.subset}/{spk}/{self.chapter}/{self.utt_id}.flac"


def plan_utterances(options, speakers):
    """Each speaker reads `utts_per_speaker` different sentences, drawn per speaker; each trial speaker
    then `enrol_utts_per_test_speaker` more in the enrol session, drawn apart from the rest."""
    utts = []
    for spk in speakers:
        rng = np.random.default_rng(derive_seed(options.seed, "sentences", spk.spk_id))
        chosen = rng.choice(len(options.sentences), size=options.utts_per_speaker, replace=False)
        for i, s in enumerate(chosen):
            utts.append(Utterance(f"{spk.spk_id}-{CHAPTER}-{i:04d}", spk, options.sentences[int(s)]))
        if spk.subset == "test" and options.enrol_utts_per_test_speaker:
            unread = np.setdiff1d(np.arange(len(options.sentences)), chosen)
            rng = np.random.default_rng(derive_seed(options.seed, "enrol sentences", spk.spk_id))
            for i, s in enumerate(rng.choice(unread, size=options.enrol_utts_per_test_speaker, replace=False)):
                utts.append(Utterance(f"{spk.spk_id}-{ENROL_CHAPTER}-{i:04d}", spk, options.sentences[int(s)],
                                      subset="enrol", chapter=ENROL_CHAPTER))
    return utts


# ----------------------------------------------------------------------------- synthesis (worker side)


def channel_colouring(rng, sr):
    """A mild random channel: peaking EQ (±4 dB), high shelf (−4…+3 dB), low cut (50-150 Hz); SOS."""
    sections = [_peaking(rng.uniform(np.log(250), np.log(4000)), rng.uniform(-4, 4), rng.uniform(0.7, 2.0), sr),
                _high_shelf(rng.uniform(2500, 5000), rng.uniform(-4, 3), sr),
                _high_pass_1st(rng.uniform(50, 150), sr)]
    return np.array(sections, dtype=np.float64)


def _peaking(log_f, gain_db, q, sr):
    a, w = 10 ** (gain_db / 40), 2 * np.pi * np.exp(log_f) / sr
    alpha = np.sin(w) / (2 * q)
    b = [1 + alpha * a, -2 * np.cos(w), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w), 1 - alpha / a]
    return [x / den[0] for x in b] + [1.0, den[1] / den[0], den[2] / den[0]]


def _high_shelf(f, gain_db, sr):
    a, w = 10 ** (gain_db / 40), 2 * np.pi * f / sr
    alpha = np.sin(w) / 2 * np.sqrt(2)
    c, sa = np.cos(w), 2 * np.sqrt(a) * alpha
    b = [a * ((a + 1) + (a - 1) * c + sa), -2 * a * ((a - 1) + (a + 1) * c), a * ((a + 1) + (a - 1) * c - sa)]
    den = [(a + 1) - (a - 1) * c + sa, 2 * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - sa]
    return [x / den[0] for x in b] + [1.0, den[1] / den[0], den[2] / den[0]]


def _high_pass_1st(f, sr):
    k = np.tan(np.pi * f / sr)
    return [1 / (1 + k), -1 / (1 + k), 0.0, 1.0, (k - 1) / (k + 1), 0.0]


def synthesise_utterance(utt, options, data_root, sample_rate=SAMPLE_RATE):
    """Waveform of one utterance at `sample_rate` (16 kHz here; the VoxCeleb stand-in's LibriTTS-R part
    asks for 24 kHz): synthesis with this utterance's rate and pitch, then resampling, channel
    colouring and level, all drawn from the utterance's own seed."""
    spk = utt.speaker
    rng = np.random.default_rng(derive_seed(options.seed, "utterance", utt.utt_id))
    speed_factor = 1 + rng.uniform(-options.speed_jitter, options.speed_jitter)
    pitch_factor = 1 + rng.uniform(-options.pitch_jitter, options.pitch_jitter)
    if spk.engine == "espeak":
        speed = int(round(spk.base_speed * speed_factor))
        # espeak-ng's -p: one unit is about 1 % of F0 near the default 50.
        pitch = int(np.clip(round(spk.base_pitch + 100 * (pitch_factor - 1)), 0, 99))
        wav, rate = tts.espeak(utt.text, spk.voice, speed, pitch, data_root)
    else:
        f0 = None if spk.base_pitch is None else spk.base_pitch * pitch_factor
        wav, rate = tts.flite(utt.text, spk.voice, spk.base_speed / speed_factor, f0)
    if rate != sample_rate:
        wav = resample(wav, rate, sample_rate)
    if options.channel == "mild":
        wav = sosfilt(channel_colouring(rng, sample_rate), wav.astype(np.float64))
    return normalise_level(wav, rng.uniform(-28.0, -20.0))


# What every job needs but should not be pickled with each one (set once per worker process).
_WORKER = {}


def _init_worker(options, staging):
    _WORKER.update(options=options, staging=Path(staging))


def _utterance_job(utt, data_root):
    options, staging = _WORKER["options"], _WORKER["staging"]
    wav = synthesise_utterance(utt, options, data_root)
    save_audio(staging / utt.relpath, wav, SAMPLE_RATE)
    return "speech", len(wav), utt.speaker.spk_id


def _noise_job(category, family, index):
    options, staging = _WORKER["options"], _WORKER["staging"]
    generators = NOISE_FAMILIES if category == "noise" else MUSIC_FAMILIES
    rng = np.random.default_rng(derive_seed(options.seed, category, family, index))
    n = int(rng.uniform(*NOISE_SECONDS) * SAMPLE_RATE)
    wav = normalise_level(generators[family](rng, n, SAMPLE_RATE), rng.uniform(-28.0, -22.0))
    save_audio(staging / "musan" / category / family / f"{family}-{index:03d}.wav", wav, SAMPLE_RATE)
    return category, len(wav), None


def _run_job(job):
    kind, args = job
    return {"utterance": _utterance_job, "noise": _noise_job}[kind](*args)


# ----------------------------------------------------------------------------- writers (main process)


def write_babble_talkers(staging, options, speakers, utts):
    """musan/speech/<family>/<spk>.wav: each babble talker's utterances joined by short pauses
    (8-20 s, seeded per talker), so babble mixes several talkers as MUSAN's speech/ is used."""
    by_spk = {}
    for u in utts:
        by_spk.setdefault(u.speaker.spk_id, []).append(u)
    written = 0
    for spk in speakers:
        if spk.subset != "babble":
            continue
        rng = np.random.default_rng(derive_seed(options.seed, "babble", spk.spk_id))
        target = int(rng.uniform(*BABBLE_SECONDS) * SAMPLE_RATE)
        parts, total = [], 0
        for u in by_spk[spk.spk_id]:
            wav = load_audio(staging / u.relpath, key=u.utt_id)
            gap = np.zeros(int(rng.uniform(0.1, 0.5) * SAMPLE_RATE), dtype=np.float32)
            parts += [wav, gap]
            total += len(wav) + len(gap)
            if total >= target:
                break
        wav = np.concatenate(parts)[:target]
        save_audio(staging / "musan" / "speech" / spk.family / f"{spk.spk_id}.wav",
                   normalise_level(wav, -25.0), SAMPLE_RATE)
        written += 1
    return written


def write_transcripts(staging, utts):
    """LibriSpeech's `<spk>-<chapter>.trans.txt`: `UTT-ID TEXT IN CAPITALS` without punctuation."""
    by_chapter = {}
    for u in utts:
        by_chapter.setdefault(Path(u.relpath).parent, []).append(u)
    for folder, chapter_utts in by_chapter.items():
        spk = chapter_utts[0].speaker.spk_id
        with atomic_write(staging / folder / f"{spk}-{folder.name}.trans.txt") as f:
            for u in sorted(chapter_utts, key=lambda u: u.utt_id):
                words = re.sub(r"[^A-Za-z' ]+", " ", u.text).upper().split()
                f.write(f"{u.utt_id} {' '.join(words)}\n")


def write_speaker_tables(staging, speakers, seconds_per_speaker):
    """speakers.tsv (what each speaker is) and LibriSpeech's SPEAKERS.TXT (id, sex, subset, minutes)."""
    with atomic_write(staging / "speakers.tsv") as f:
        f.write("spk_id\tsubset\tengine\tvoice\tkind\tfamily\tgender\tbase_speed\tbase_pitch\tseconds\n")
        for s in speakers:
            pitch = "voice default" if s.base_pitch is None else f"{s.base_pitch:g}"
            f.write(f"{s.spk_id}\t{s.subset}\t{s.engine}\t{s.voice}\t{s.kind}\t{s.family}\t{s.gender}\t"
                    f"{s.base_speed:g}\t{pitch}\t{seconds_per_speaker.get(s.spk_id, 0.0):.2f}\n")
    with atomic_write(staging / "SPEAKERS.TXT") as f:
        f.write("; Synthetic speakers (seed.corpora.synthetic); voices in speakers.tsv\n")
        f.write(";ID  |SEX| SUBSET | MINUTES | NAME\n")
        for s in speakers:
            minutes = seconds_per_speaker.get(s.spk_id, 0.0) / 60
            f.write(f"{s.spk_id:<5}| {s.gender} | {s.subset:<6} | {minutes:6.2f} | {s.engine}:{s.voice}\n")
    generated = [s for s in speakers if s.variant_text]
    for s in generated:
        with atomic_write(staging / "espeak_variants" / s.variant) as f:
            f.write(s.variant_text)


# ----------------------------------------------------------------------------- driver


def is_complete(out_dir, key):
    """True when `out_dir` holds a finished corpus made with exactly `key`."""
    marker = Path(out_dir) / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")) == key
    except (OSError, ValueError):
        return False


def generate_corpus(out_dir, options, nj=1, force=False, log=print):
    """Write the corpus under `out_dir` (see the module docstring); returns a summary dict.

    Skips the work when the done marker says the same options already made it (unless `force`).
    """
    tts.check_tools()
    options.check()
    out = Path(out_dir)
    key = options.key(tts.tool_versions())
    if not force and is_complete(out, key):
        log(f"make_synthetic_corpus: {out} is complete for these options ({MARKER}); nothing to do")
        return {"skipped": True}
    claim(out, OWNER, MARKER, OUTPUT_NAMES, "make_synthetic_corpus", CorpusError)
    start = time.time()
    summary = build_staged(out, OUTPUT_NAMES, lambda staging: _generate_into(staging, options, nj, log))
    with atomic_write(out / MARKER) as f:
        json.dump(key, f, indent=1, sort_keys=True)
        f.write("\n")
    summary["seconds"] = round(time.time() - start, 2)
    return summary


def _generate_into(staging, options, nj, log):
    speakers = plan_speakers(options.seed, options.n_test, options.n_train, options.n_babble)
    utts = plan_utterances(options, speakers)
    data = tts.EspeakData(staging / "espeak-data",
                          {s.variant: s.variant_text for s in speakers if s.engine == "espeak"})
    jobs = [("utterance", (u, data.path_for(u.speaker.variant) if u.speaker.engine == "espeak" else None))
            for u in utts]
    for category, families, count in (("noise", NOISE_FAMILIES, options.noise_files_per_family),
                                      ("music", MUSIC_FAMILIES, options.music_files_per_family)):
        jobs += [("noise", (category, fam, i)) for fam in families for i in range(count)]
    counts = {s: sum(1 for x in speakers if x.subset == s) for s in SUBSETS}
    n_enrol = sum(1 for u in utts if u.subset == "enrol")
    log(f"make_synthetic_corpus: {len(utts)} utterances of {len(speakers)} speakers "
        f"(train {counts['train']}, test {counts['test']}, babble {counts['babble']}"
        f"{f'; {n_enrol} enrol utterances of the test speakers' if n_enrol else ''}), "
        f"{len(jobs) - len(utts)} noise/music files, {nj} jobs")
    seconds, per_speaker = {"speech": 0.0, "noise": 0.0, "music": 0.0}, {}
    if nj > 1:
        # fork: workers inherit the loaded modules (no torch here), start in milliseconds.
        with multiprocessing.get_context("fork").Pool(nj, _init_worker, (options, staging)) as pool:
            results = list(pool.imap_unordered(_run_job, jobs, chunksize=4))
    else:
        _init_worker(options, staging)
        results = [_run_job(j) for j in jobs]
    for category, n, spk_id in results:
        seconds[category] += n / SAMPLE_RATE
        if spk_id is not None:
            per_speaker[spk_id] = per_speaker.get(spk_id, 0.0) + n / SAMPLE_RATE
    n_babble_files = write_babble_talkers(staging, options, speakers, utts)
    write_transcripts(staging, utts)
    write_speaker_tables(staging, speakers, per_speaker)
    shutil.rmtree(staging / "espeak-data")
    return {"skipped": False, "speakers": counts, "utterances": len(utts), "enrol_utterances": n_enrol,
            "speech_hours": round(seconds["speech"] / 3600, 3),
            "noise_files": options.noise_files_per_family * len(NOISE_FAMILIES),
            "music_files": options.music_files_per_family * len(MUSIC_FAMILIES),
            "babble_files": n_babble_files}

"""What the VoxCeleb stand-in holds: who speaks where, every file to synthesise, no audio yet.

Why a plan first: the text outputs (trial lists, meta, transcripts, rir_list) come from the plan
alone and the audio jobs are independent of each other, so the bytes depend on the options only,
never on --nj. Every random draw comes from `derive_seed(seed, <what>, <name>)`.

Voices come from `synthetic_voices.plan_speakers`, so no two corpora ever share a voice: the curated
trial voices go, in this order, to VoxCeleb1 test, VoxCeleb1 dev, VoxCeleb2 dev, VoxConverse and
VoxSRC-23 (generated voices once the 40 curated ones are used), the training pool to LibriTTS-R,
the babble pool to MUSAN speech.
"""
from dataclasses import dataclass, field

import numpy as np

from seed.corpora.synthetic_noise import MUSIC_FAMILIES, NOISE_FAMILIES
from seed.corpora.synthetic_voices import plan_speakers
from seed.data import derive_seed

VOX_RATE = 16000                     # VoxCeleb, VoxConverse, MUSAN, RIRS_NOISES: 16 kHz
LIBRITTS_RATE = 24000                # LibriTTS(-R) is distributed at 24 kHz
VOX1_TEST_FIRST, VOX1_TEST_COUNT = 10270, 40   # the real Vox1 test speakers: id10270 … id10309
VOX1_DEV_FIRST = 10001               # real Vox1 dev ids start at id10001 (below the test range)
VOX2_FIRST = 12                      # real Vox2 ids start at id00012
LIBRITTS_SUBSETS = ("train-clean-100", "train-clean-360")   # voxceleb run.sh's train_subsets
MUSAN_SOURCES = {"noise": ("free-sound", "sound-bible"),
                 "music": ("fma", "fma-western-art", "hd-classical", "jamendo", "rfm"),
                 "speech": ("librivox", "us-gov")}
# MUSAN's file stems: noise-free-sound-0000, music-fma-wa-0000, music-hd-0000, speech-us-gov-0000 …
MUSAN_STEMS = {"fma-western-art": "fma-wa", "hd-classical": "hd"}
MUSIC_GENRES = {"fma": "electronic", "fma-western-art": "classical", "hd-classical": "classical",
                "jamendo": "pop", "rfm": "rock"}
VIDEO_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"   # YouTube ids
# espeak-ng accent (or flite voice) -> the speaker's "nationality" in vox1_meta.csv (Vox1-H pairs).
NATIONALITY = {"en-us": "USA", "en-us-nyc": "USA", "en-gb": "UK", "en-gb-x-rp": "UK", "en-gb-scotland": "UK",
               "en-gb-x-gbclan": "UK", "en-gb-x-gbcwmd": "UK", "en-029": "Jamaica", "it": "Italy",
               "de": "Germany", "fr-fr": "France", "es": "Spain", "es-419": "Mexico", "pt": "Portugal",
               "pt-br": "Brazil", "nl": "Netherlands", "pl": "Poland", "fi": "Finland", "sw": "Kenya",
               "vi": "Vietnam", "cs": "Czech_Republic", "hu": "Hungary", "tr": "Turkey", "id": "Indonesia",
               "ro": "Romania", "sv": "Sweden"}
FLITE_NATIONALITY = {"awb": "UK", "kal16": "USA", "rms": "USA", "slt": "USA"}


class PlanError(ValueError):
    """The options cannot give a valid stand-in (the message says which option to change)."""


@dataclass(frozen=True)
class StandinOptions:
    """Everything that decides the stand-in's bytes (and so keys the done marker)."""
    seed: int = 0
    vox1_test_speakers: int = 8      # real Vox1 test ids, id10270 …
    vox1_dev_speakers: int = 4       # id10001 … (in Vox1-E/H only)
    vox1_videos: int = 3             # videos (sessions) per Vox1 speaker
    vox1_segments: int = 4           # segments per Vox1 video
    vox2_speakers: int = 12
    vox2_videos: int = 2
    vox2_segments: int = 2
    vc_sessions: int = 3             # VoxConverse sessions
    vc_speakers: int = 3             # speakers per session
    vc_segments: int = 3             # segments per speaker
    voxsrc_speakers: int = 6
    voxsrc_utts: int = 4             # utterances per VoxSRC-23 speaker (each its own recording)
    libritts_speakers: int = 4       # per subset
    libritts_chapters: int = 1       # per speaker
    libritts_utts: int = 4           # per chapter
    musan_noise: int = 2             # files per MUSAN noise source
    musan_music: int = 1             # files per MUSAN music source
    musan_speech: int = 2            # talkers per MUSAN speech source
    rir_rooms: int = 3               # simulated rooms per RIRS_NOISES room class
    rirs_per_room: int = 2
    sentences: tuple = field(default=(), repr=False)

    def check(self):
        counts = {k: v for k, v in self.__dict__.items() if k not in ("seed", "sentences")}
        for name, value in counts.items():
            if value < 1:
                raise PlanError(f"{name} must be >= 1, got {value}")
        if self.vox1_test_speakers > VOX1_TEST_COUNT:
            raise PlanError(f"vox1_test_speakers: the real Vox1 test set has {VOX1_TEST_COUNT} ids, got "
                            f"{self.vox1_test_speakers}")
        if self.vox1_videos < 2 or self.vox2_videos < 1 or self.rir_rooms < 2:
            raise PlanError("vox1_videos and rir_rooms must be >= 2 (cross-video targets; rooms split by folder)")
        need = max(self.vox1_videos * self.vox1_segments, self.vox2_videos * self.vox2_segments,
                   self.vc_segments, self.voxsrc_utts, self.libritts_chapters * self.libritts_utts, 3)
        if len(self.sentences) < need:
            raise PlanError(f"{len(self.sentences)} sentences, but a speaker reads {need} different ones")


@dataclass(frozen=True)
class Person:
    """A speaker of one stand-in corpus: its id there and its voice (synthetic_voices.Speaker)."""
    corpus: str
    spk_id: str
    voice: object
    nationality: str
    vox_set: str = ""                # Vox1: dev | test


@dataclass(frozen=True)
class Segment:
    """One speech file. `session`: channel colouring + background shared by every file of it
    (a video, a VoxConverse recording); `hard`: VoxSRC-23 noise and reverb on top."""
    relpath: str
    person: Person
    texts: tuple
    rate: int = VOX_RATE
    session: str | None = None
    hard: bool = False


@dataclass(frozen=True)
class NoiseFile:
    relpath: str
    category: str                    # noise | music (the generator table)
    family: str
    seconds: tuple = (5.0, 10.0)
    channels: int = 1


@dataclass(frozen=True)
class Room:
    """Simulated RIRs of one room (seed.simulate.rooms): `files` in the order they are drawn."""
    room_class: str                  # small | medium | large (sizes of RIRS_NOISES)
    room_id: str
    files: tuple
    channels: int = 1


def nationality_of(voice):
    if voice.engine == "flite":
        return FLITE_NATIONALITY[voice.voice]
    return NATIONALITY[voice.voice.split("+", 1)[0]]


def video_id(seed, *name):
    """An 11-character YouTube-like id (first character alphanumeric, so no path part starts with '-')."""
    rng = np.random.default_rng(derive_seed(seed, "video-id", *name))
    chars = [VIDEO_ALPHABET[int(i)] for i in rng.integers(0, 64, 11)]
    chars[0] = VIDEO_ALPHABET[int(rng.integers(0, 62))]
    return "".join(chars)


def session_id(seed, index):
    """A 5-letter VoxConverse-like recording id (e.g. 'aepyx')."""
    rng = np.random.default_rng(derive_seed(seed, "session-id", index))
    return "".join(chr(97 + int(i)) for i in rng.integers(0, 26, 5))


def plan_people(o):
    """Every speaker, corpus by corpus (see the module docstring for which voices go where)."""
    curated = [("voxceleb1", o.vox1_test_speakers), ("voxceleb1", o.vox1_dev_speakers), ("voxceleb2", o.vox2_speakers),
               ("voxconverse", o.vc_sessions * o.vc_speakers), ("voxsrc23", o.voxsrc_speakers)]
    n_libri = o.libritts_speakers * len(LIBRITTS_SUBSETS)
    n_musan = o.musan_speech * len(MUSAN_SOURCES["speech"])
    voices = plan_speakers(o.seed, sum(n for _, n in curated), n_libri, n_musan)
    by_subset = {s: [v for v in voices if v.subset == s] for s in ("test", "train", "babble")}
    trial, people = iter(by_subset["test"]), []

    def add(corpus, spk_id, voice, vox_set=""):
        people.append(Person(corpus, spk_id, voice, nationality_of(voice), vox_set))
    for i in range(o.vox1_test_speakers):
        add("voxceleb1", f"id{VOX1_TEST_FIRST + i}", next(trial), "test")
    for i in range(o.vox1_dev_speakers):
        add("voxceleb1", f"id{VOX1_DEV_FIRST + i}", next(trial), "dev")
    for i in range(o.vox2_speakers):
        add("voxceleb2", f"id{VOX2_FIRST + i:05d}", next(trial))
    for s in range(o.vc_sessions):
        for k in range(o.vc_speakers):
            # VoxConverse labels speakers per recording (spk00 …): the recording id makes them global.
            add("voxconverse", f"{session_id(o.seed, s)}_spk{k:02d}", next(trial))
    for i in range(o.voxsrc_speakers):
        add("voxsrc23", f"S{i + 1:03d}", next(trial))
    libri = iter(by_subset["train"])
    for j, subset in enumerate(LIBRITTS_SUBSETS):
        for i in range(o.libritts_speakers):
            add(f"libritts:{subset}", str(1000 * (j + 1) + i + 19), next(libri))
    musan = iter(by_subset["babble"])
    for source in MUSAN_SOURCES["speech"]:
        for i in range(o.musan_speech):
            add(f"musan:{source}", f"speech-{source}-{i:04d}", next(musan))
    if len({p.spk_id for p in people}) != len(people):
        raise PlanError("two speakers got the same id (VoxConverse session ids collided); change --seed")
    return people


def sentences_for(o, person, n):
    rng = np.random.default_rng(derive_seed(o.seed, "sentences", person.corpus, person.spk_id))
    return [o.sentences[int(i)] for i in rng.choice(len(o.sentences), size=n, replace=False)]


def plan_segments(o, people):
    """Every speech file of every corpus, in a fixed order."""
    segs = []
    for p in people:
        if p.corpus in ("voxceleb1", "voxceleb2"):
            n_vid, n_seg = (o.vox1_videos, o.vox1_segments) if p.corpus == "voxceleb1" else (o.vox2_videos,
                                                                                             o.vox2_segments)
            texts = iter(sentences_for(o, p, n_vid * n_seg))
            videos = [video_id(o.seed, p.corpus, p.spk_id, v) for v in range(n_vid)]
            if len(set(videos)) != n_vid:
                raise PlanError(f"{p.spk_id}: two videos got the same id; change --seed")
            for vid in videos:
                for k in range(1, n_seg + 1):
                    segs.append(Segment(f"{p.corpus}/wav/{p.spk_id}/{vid}/{k:05d}.wav", p, (next(texts),),
                                        session=f"{p.corpus}/{p.spk_id}/{vid}"))
        elif p.corpus == "voxconverse":
            session = p.spk_id.split("_spk")[0]
            for k, text in enumerate(sentences_for(o, p, o.vc_segments), start=1):
                segs.append(Segment(f"voxconverse_test_SV/wav/{p.spk_id}/{session}/{k:05d}.wav", p, (text,),
                                    session=f"voxconverse/{session}"))
        elif p.corpus.startswith("libritts:"):
            subset = p.corpus.split(":", 1)[1]
            texts = iter(sentences_for(o, p, o.libritts_chapters * o.libritts_utts))
            for chapter in libritts_chapters(o, p):
                for j in range(o.libritts_utts):
                    stem = f"{p.spk_id}_{chapter}_{j // 2:06d}_{j % 2:06d}"   # paragraph, sentence in it
                    segs.append(Segment(f"LibriTTS_R/{subset}/{p.spk_id}/{chapter}/{stem}.wav", p, (next(texts),),
                                        rate=LIBRITTS_RATE))
        elif p.corpus.startswith("musan:"):
            source = p.corpus.split(":", 1)[1]
            # a MUSAN speech file is one long reading: three sentences with pauses
            segs.append(Segment(f"musan/speech/{source}/{p.spk_id}.wav", p, tuple(sentences_for(o, p, 3))))
    segs += plan_voxsrc(o, [p for p in people if p.corpus == "voxsrc23"])
    return segs


def plan_voxsrc(o, people):
    """VoxSRC-23-like files: flat names `wav/NNNNN.wav` in a seeded shuffled order (the speaker cannot be
    read from the name), each its own recording (channel) with noise and reverberation."""
    utts = [(p, t) for p in people for t in sentences_for(o, p, o.voxsrc_utts)]
    order = np.random.default_rng(derive_seed(o.seed, "voxsrc-order")).permutation(len(utts))
    segs = []
    for n, i in enumerate(order, start=1):
        p, text = utts[int(i)]
        segs.append(Segment(f"voxsrc23/wav/{n:05d}.wav", p, (text,), session=f"voxsrc23/{n:05d}", hard=True))
    return sorted(segs, key=lambda s: s.relpath)


def libritts_chapters(o, person):
    rng = np.random.default_rng(derive_seed(o.seed, "chapters", person.spk_id))
    chapters = sorted({int(c) for c in rng.choice(np.arange(100, 300000), size=o.libritts_chapters, replace=False)})
    return [str(c) for c in chapters]


def musan_stem(source):
    return MUSAN_STEMS.get(source, source)


def plan_noise_files(o):
    """MUSAN noise/music files and RIRS_NOISES' isotropic and point-source noises. Families are dealt
    round-robin from a seeded permutation, so every source folder mixes several kinds of sound."""
    rng = np.random.default_rng(derive_seed(o.seed, "families"))
    noise_fams = [list(NOISE_FAMILIES)[int(i)] for i in rng.permutation(len(NOISE_FAMILIES))]
    music_fams = [list(MUSIC_FAMILIES)[int(i)] for i in rng.permutation(len(MUSIC_FAMILIES))]
    files, g = [], 0
    for category, count, fams in (("noise", o.musan_noise, noise_fams), ("music", o.musan_music, music_fams)):
        for source in MUSAN_SOURCES[category]:
            for i in range(count):
                files.append(NoiseFile(f"musan/{category}/{source}/{category}-{musan_stem(source)}-{i:04d}.wav",
                                       category, fams[g % len(fams)]))
                g += 1
    for i, (name, _) in enumerate(REAL_NOISES):   # diffuse room noise: pink and brown, one channel each mic
        files.append(NoiseFile(f"RIRS_NOISES/real_rirs_isotropic_noises/{name}", "noise", ("pink", "brown")[i % 2],
                               channels=REAL_CHANNELS))
    for i, (fam, _) in enumerate(POINTSOURCE_NOISES):
        files.append(NoiseFile(f"RIRS_NOISES/pointsource_noises/noise-free-sound-{i:04d}.wav", "noise", fam,
                               seconds=(2.0, 5.0)))
    return files


# "Real" RIRs of RIRS_NOISES' real_rirs_isotropic_noises/, named as the real ones (REVERB 2014 and AIR
# databases; the room id is what Kaldi's aspire script derives from the name). They are simulated
# here too, in the room class their name says. RVB2014 files are array recordings: 2 channels here.
REAL_ROOMS = (
    ("RVB2014_smallroom1", "small", ("RVB2014_type1_rir_smallroom1_far_angla.wav",
                                     "RVB2014_type1_rir_smallroom1_near_angla.wav")),
    ("RVB2014_mediumroom1", "medium", ("RVB2014_type1_rir_mediumroom1_far_angla.wav",
                                       "RVB2014_type1_rir_mediumroom1_near_angla.wav")),
    ("RVB2014_largeroom1", "large", ("RVB2014_type1_rir_largeroom1_far_angla.wav",
                                     "RVB2014_type1_rir_largeroom1_near_angla.wav")),
    ("air_binaural_meeting_0", "small", ("air_type1_air_binaural_meeting_0_1.wav",
                                         "air_type1_air_binaural_meeting_0_2.wav")),
)
REAL_NOISES = (("RVB2014_type1_noise_smallroom1_1.wav", "RVB2014_smallroom1"),
               ("RVB2014_type1_noise_largeroom1_1.wav", "RVB2014_largeroom1"))
REAL_CHANNELS = 2
POINTSOURCE_NOISES = (("clicks", "foreground"), ("engine", "background"), ("tones", "foreground"))
SIM_CLASS_FOLDERS = {"small": "smallroom", "medium": "mediumroom", "large": "largeroom"}


def plan_rooms(o):
    rooms = []
    for room_class, folder in SIM_CLASS_FOLDERS.items():
        for r in range(1, o.rir_rooms + 1):
            room = f"Room{r:03d}"
            rooms.append(Room(room_class, room, tuple(f"RIRS_NOISES/simulated_rirs/{folder}/{room}/{room}-{k:05d}.wav"
                                                      for k in range(1, o.rirs_per_room + 1))))
    for room_id, room_class, names in REAL_ROOMS:
        rooms.append(Room(room_class, room_id, tuple(f"RIRS_NOISES/real_rirs_isotropic_noises/{n}" for n in names),
                          channels=REAL_CHANNELS if room_id.startswith("RVB2014") else 1))
    return rooms

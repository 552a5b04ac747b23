"""Trial lists. Kaldi `enroll test target|nontarget` is canonical; VoxCeleb and ESPnet forms convert.

Labels are 1 (target) / 0 (nontarget) in memory; score files never carry them.
"""
import dataclasses
import io
from pathlib import Path

import numpy as np

from seed.data.atomic import atomic_write
from seed.data.errors import SeedDataError
from seed.data.kvfile import decode_utf8, read_kv

KALDI_LABELS = {"target": 1, "nontarget": 0}
ESPNET_SEP = "*"


@dataclasses.dataclass
class Trials:
    enroll: list
    test: list
    labels: np.ndarray  # int8, 1 = target

    def __post_init__(self):
        self.labels = np.asarray(self.labels, dtype=np.int8)
        if not (len(self.enroll) == len(self.test) == len(self.labels)):
            raise ValueError("enroll, test and labels must have the same length")

    def __len__(self):
        return len(self.labels)

    @property
    def keys(self):
        """Every utterance a trial list refers to, sorted."""
        return sorted(set(self.enroll) | set(self.test))

    @property
    def n_target(self):
        return int(self.labels.sum())

    @property
    def n_nontarget(self):
        return int(len(self.labels) - self.labels.sum())


def read_trials(path):
    """Kaldi trials: `<enroll> <test> target|nontarget`; a bad line is an error naming it."""
    path = Path(path)
    if not path.is_file():
        raise SeedDataError(path, "trial list not found")
    enroll, test, labels = [], [], []
    seen = set()
    with io.StringIO(decode_utf8(path), newline=None) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3 or fields[2] not in KALDI_LABELS:
                if len(fields) == 3 and fields[0] in ("0", "1"):
                    raise SeedDataError(path, "looks like a VoxCeleb trial list ('1 a.wav b.wav'); "
                                        "convert it with python -m seed.bin.convert_trials", line=lineno)
                raise SeedDataError(path, "expected '<enroll> <test> target|nontarget'", line=lineno,
                                    key=fields[0])
            pair = (fields[0], fields[1])
            if pair in seen:
                raise SeedDataError(path, f"duplicate trial '{fields[0]} {fields[1]}'", line=lineno, key=fields[0])
            seen.add(pair)
            enroll.append(fields[0])
            test.append(fields[1])
            labels.append(KALDI_LABELS[fields[2]])
    if not labels:
        raise SeedDataError(path, "trial list is empty")
    return Trials(enroll, test, labels)


def write_trials(path, trials):
    with atomic_write(path) as f:
        for e, t, lab in zip(trials.enroll, trials.test, trials.labels):
            f.write(f"{e} {t} {'target' if lab else 'nontarget'}\n")


def voxceleb_path_to_key(path):
    """`id10270/x6uYqmx31kE/00001.wav` → `id10270-x6uYqmx31kE-00001` (speaker-prefixed, Kaldi style)."""
    p = path[:-4] if path.endswith(".wav") else path
    return p.replace("/", "-")


def read_voxceleb_trials(path, key_style="kaldi"):
    """VoxCeleb `1 id/video/seg.wav id/video/seg.wav`. `key_style`: `kaldi` (id-video-seg) or `path`."""
    path = Path(path)
    to_key = voxceleb_path_to_key if key_style == "kaldi" else (lambda p: p)
    enroll, test, labels = [], [], []
    with io.StringIO(decode_utf8(path), newline=None) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3 or fields[0] not in ("0", "1"):
                raise SeedDataError(path, "expected '<1|0> <enroll.wav> <test.wav>'", line=lineno, key=fields[0])
            labels.append(int(fields[0]))
            enroll.append(to_key(fields[1]))
            test.append(to_key(fields[2]))
    if not labels:
        raise SeedDataError(path, "trial list is empty")
    return Trials(enroll, test, labels)


def write_voxceleb_trials(path, trials, key_to_path=None):
    """Inverse of read_voxceleb_trials; `key_to_path` maps keys back (default: id-video-seg → id/video/seg.wav)."""
    if key_to_path is None:
        def key_to_path(k):
            parts = k.split("-", 2)
            return "/".join(parts) + ".wav" if len(parts) == 3 else k
    with atomic_write(path) as f:
        for e, t, lab in zip(trials.enroll, trials.test, trials.labels):
            f.write(f"{int(lab)} {key_to_path(e)} {key_to_path(t)}\n")


def read_espnet_trials(folder):
    """ESPnet-SPK: `trial_label` (`e*t 0|1`); keys split on the reserved `*`."""
    folder = Path(folder)
    label_file = folder / "trial_label"
    enroll, test, labels = [], [], []
    for lineno, (key, lab) in enumerate(read_kv(label_file).items(), 1):
        if key.count(ESPNET_SEP) != 1 or lab not in ("0", "1"):
            raise SeedDataError(label_file, "expected '<enroll>*<test> 0|1'", line=lineno, key=key)
        e, t = key.split(ESPNET_SEP)
        enroll.append(e)
        test.append(t)
        labels.append(int(lab))
    return Trials(enroll, test, labels)


def write_espnet_trials(folder, trials, wav_scp):
    """Write `trial.scp`, `trial2.scp` and `trial_label` (ESPnet-SPK layout); needs each key's audio path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for k in trials.keys:
        if ESPNET_SEP in k:
            raise SeedDataError(folder, f"utterance id contains ESPnet's reserved '{ESPNET_SEP}'", key=k)
        if k not in wav_scp:
            raise SeedDataError(folder, "trial utterance has no wav.scp entry", key=k)
    with atomic_write(folder / "trial.scp") as f1, atomic_write(folder / "trial2.scp") as f2, \
            atomic_write(folder / "trial_label") as f3:
        for e, t, lab in zip(trials.enroll, trials.test, trials.labels):
            key = f"{e}{ESPNET_SEP}{t}"
            f1.write(f"{key} {wav_scp[e]}\n")
            f2.write(f"{key} {wav_scp[t]}\n")
            f3.write(f"{key} {int(lab)}\n")


def check_trials_keys(trials, keys, source):
    """Every trial utterance must exist in `keys` (a data dir, an scp): name the first one missing."""
    keys = keys if isinstance(keys, (set, frozenset, dict)) else set(keys)
    for k in trials.keys:
        if k not in keys:
            raise SeedDataError(source, "utterance of the trial list is missing here", key=k)

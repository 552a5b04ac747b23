"""Noise and RIR pools: `<category> <path>` lists, corpus-folder scanning, disjoint splits.

The category (noise/music/speech for noise pools, small/medium/large/real for RIR pools) is an
explicit field of every line and never inferred from a key or file name later on: WeSpeaker
issue #263 silently changed SNR ranges when re-split MUSAN keys lost their prefix.
"""
import dataclasses
import functools
import math
import os
from pathlib import Path

from seed.data import SeedDataError, atomic_write, derive_seed

NOISE_CATEGORIES = ("noise", "music", "speech")
ROOM_CLASSES = ("small", "medium", "large", "real")
AUDIO_SUFFIXES = (".wav", ".flac")
# RIRS_NOISES folder name -> our room class.
RIRS_NOISES_CLASSES = {"smallroom": "small", "mediumroom": "medium", "largeroom": "large"}


@dataclasses.dataclass(frozen=True)
class PoolEntry:
    """One file of a pool; `category` is a noise category or a room class."""
    category: str
    path: str

    @property
    def group(self):
        """The split unit of `group_by="folder"` (one recording session, one room): the source folder, or
        for a file that a Kaldi `rir_list` beside it lists, that folder plus the list's `--room-id`
        (RIRS_NOISES keeps every measured RIR of every room in ONE folder, real_rirs_isotropic_noises/)."""
        folder = str(Path(self.path).parent)
        room = kaldi_rir_rooms(folder).get(Path(self.path).name)
        return folder if room is None else f"{folder}/{room}"


def read_pool_list(path, allowed):
    """Read `<category> <path>` lines; unknown category, missing path or a repeated file is an error."""
    path = Path(path)
    if not path.is_file():
        raise SeedDataError(path, "pool list not found")
    entries, seen = [], {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                raise SeedDataError(path, "empty line", line=lineno)
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                raise SeedDataError(path, "expected '<category> <path>'", line=lineno, key=parts[0])
            category, file = parts
            if category not in allowed:
                raise SeedDataError(path, f"unknown category (expected one of {', '.join(allowed)})",
                                    line=lineno, key=category)
            if file in seen:
                raise SeedDataError(path, f"file listed twice (first on line {seen[file]})", line=lineno, key=file)
            seen[file] = lineno
            entries.append(PoolEntry(category, file))
    if not entries:
        raise SeedDataError(path, "pool list is empty")
    return entries


def read_noise_list(path):
    return read_pool_list(path, NOISE_CATEGORIES)


def read_rir_list(path):
    return read_pool_list(path, ROOM_CLASSES)


def category_roots(entries):
    """category -> the deepest folder holding all of that category's files (their corpus root, as far
    as the pool shows it). Order and split are taken relative to it, so that the same corpus at another
    path (another checkout, another mount point) gives the same lists, draws and numbers."""
    folders = {}
    for e in entries:
        folders.setdefault(e.category, set()).add(os.path.dirname(os.path.abspath(e.path)))
    return {c: os.path.commonpath(sorted(f)) for c, f in folders.items()}


def relative_to_root(path, root):
    """`path` below its category root, '/'-separated (the location-independent name of a pool file)."""
    return Path(os.path.relpath(os.path.abspath(path), root)).as_posix()


def sort_entries(entries):
    """Canonical order: category, then the path below the category's root (category_roots) in C byte
    order, then the full path (only to break ties between files listed twice under two roots).
    Lists, draws by index and the split therefore never depend on where the corpus lives."""
    entries = list(entries)
    roots = category_roots(entries)
    return sorted(entries, key=lambda e: (e.category.encode(), relative_to_root(e.path, roots[e.category]).encode(),
                                          e.path.encode()))


def write_pool_list(path, entries):
    """Write a list atomically in canonical order; a path with a newline cannot be listed."""
    entries = sort_entries(entries)
    with atomic_write(path) as f:
        for e in entries:
            if "\n" in e.path or not e.path.strip():
                raise SeedDataError(path, "path cannot be written to a list", key=e.path)
            f.write(f"{e.category} {e.path}\n")
    return path


def by_category(entries):
    """category -> list of paths, each list in canonical order."""
    out = {}
    for e in sort_entries(entries):
        out.setdefault(e.category, []).append(e.path)
    return out


def _audio_files(root):
    """Every .wav/.flac under `root`, absolute, in C order (os.walk order is filesystem-dependent)."""
    files = []
    for dirpath, _, names in os.walk(root, followlinks=True):
        for name in names:
            if name.lower().endswith(AUDIO_SUFFIXES):
                files.append(str(Path(dirpath, name).resolve()))
    return sorted(files, key=str.encode)


def scan_musan(root):
    """MUSAN layout: `noise/`, `music/`, `speech/` (any depth below); the folder gives the category."""
    root = Path(root)
    if not root.is_dir():
        raise SeedDataError(root, "MUSAN folder not found")
    entries = []
    for category in NOISE_CATEGORIES:
        if (root / category).is_dir():
            entries += [PoolEntry(category, p) for p in _audio_files(root / category)]
    if not entries:
        raise SeedDataError(root, "no audio under noise/, music/ or speech/ (not a MUSAN layout)")
    return entries


def scan_folder(root, category, allowed):
    """Every audio file of a plain folder, all in one explicit category (e.g. measured RIRs: `real`)."""
    root = Path(root)
    if category not in allowed:
        raise SeedDataError(root, f"unknown category (expected one of {', '.join(allowed)})", key=category)
    if not root.is_dir():
        raise SeedDataError(root, "folder not found")
    files = _audio_files(root)
    if not files:
        raise SeedDataError(root, "no .wav or .flac files in folder")
    return [PoolEntry(category, p) for p in files]


def kaldi_rir_rooms(folder):
    """{file name: room id} from `<folder>/rir_list` (Kaldi's `--rir-id X --room-id R <path>` lines);
    {} when there is no such list. Files are matched by name: the list's paths are relative to the
    folder that holds RIRS_NOISES/, not to the list. Read once per list version (cached on mtime, size)."""
    path = Path(folder) / "rir_list"
    try:
        st = path.stat()
    except OSError:
        return {}
    return _read_rir_rooms(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _read_rir_rooms(path, _mtime_ns, _size):
    rooms = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if "--room-id" not in fields[:-1] or fields[-1].startswith("--"):
                raise SeedDataError(path, "expected '--rir-id <id> --room-id <room> <path>'", line=lineno)
            rooms[Path(fields[-1]).name] = fields[fields.index("--room-id") + 1]
    return rooms


def is_measured_rir_name(name):
    """Fallback when real_rirs_isotropic_noises/ has no rir_list: RVB2014/RWCP RIRs say `rir` in their
    names, the AIR ones start with `air_`; the isotropic noises beside them say `noise`."""
    name = name.lower()
    return ("rir" in name or name.startswith("air_")) and "noise" not in name


def measured_rirs(folder):
    """The RIRs of real_rirs_isotropic_noises/: exactly the files of its rir_list when it has one (a
    listed file that is missing is an error), else the files named like RIRs (is_measured_rir_name)."""
    rooms = kaldi_rir_rooms(str(folder))
    if not rooms:
        return [p for p in _audio_files(folder) if is_measured_rir_name(Path(p).name)]
    missing = sorted(n for n in rooms if not (Path(folder) / n).is_file())
    if missing:
        raise SeedDataError(Path(folder) / "rir_list", "listed RIR file not found in the folder", key=missing[0])
    return sorted((str((Path(folder) / n).resolve()) for n in rooms), key=str.encode)


def scan_rirs_noises(root):
    """RIRS_NOISES layout: `simulated_rirs/{small,medium,large}room/**` and measured RIRs.

    Measured RIRs are those of `real_rirs_isotropic_noises/` (its `rir_list`; see measured_rirs: the
    isotropic noises next to them are not impulse responses, and `pointsource_noises/` is never
    read), or any file under a `real_rirs/` folder (the layout of ../shared/data/rirs_mini).
    `root` may also be `simulated_rirs` itself.
    """
    root = Path(root)
    if not root.is_dir():
        raise SeedDataError(root, "RIR folder not found")
    entries = []
    sim = root / "simulated_rirs" if (root / "simulated_rirs").is_dir() else root
    for folder, room_class in RIRS_NOISES_CLASSES.items():
        if (sim / folder).is_dir():
            entries += [PoolEntry(room_class, p) for p in _audio_files(sim / folder)]
    real = root / "real_rirs_isotropic_noises"
    if real.is_dir():
        entries += [PoolEntry("real", p) for p in measured_rirs(real)]
    if (root / "real_rirs").is_dir():
        entries += [PoolEntry("real", p) for p in _audio_files(root / "real_rirs")]
    if not entries:
        raise SeedDataError(root, "no RIRs found (expected simulated_rirs/{smallroom,mediumroom,largeroom}/, "
                                  "real_rirs_isotropic_noises/ or real_rirs/)")
    return entries


def check_audio_headers(entries, source):
    """Open every file's header so a broken corpus fails when the list is made, not mid-simulation."""
    import soundfile
    for e in entries:
        try:
            info = soundfile.info(e.path)
        except Exception as err:  # soundfile raises several types for unreadable files
            raise SeedDataError(source, f"cannot read audio: {err}".replace("\n", " "), key=e.path) from None
        if info.frames == 0:
            raise SeedDataError(source, "audio file is empty", key=e.path)


def split_pool(entries, test_fraction, seed, group_by="file"):
    """Deterministic disjoint (train, test) split, done separately inside every category.

    Groups (files, or source folders with `group_by="folder"`, so that one room's RIRs or one
    recording session's noises stay together) are ranked by a hash of (seed, category, the group's
    path below the category root) and the first round(test_fraction * n) go to test, at least one
    group to each side. The assignment depends only on the seed and the pool, never on the order of
    the list or on where the corpus lives (a hash of absolute paths gave other splits, and other
    numbers, in a checkout at another path).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test fraction {test_fraction} must be strictly between 0 and 1")
    if group_by not in ("file", "folder"):
        raise ValueError(f"group_by must be 'file' or 'folder', not {group_by!r}")
    train, test = [], []
    cats = {}
    entries = sort_entries(entries)
    roots = category_roots(entries)
    for e in entries:
        key = e.path if group_by == "file" else e.group
        cats.setdefault(e.category, {}).setdefault(key, []).append(e)
    for category, groups in cats.items():
        if len(groups) < 2:
            raise SeedDataError(next(iter(groups)), f"category '{category}' has a single {group_by}; "
                                "it cannot be split into disjoint train and test parts"
                                + (" (use --group-by file)" if group_by == "folder" else ""), key=category)
        rel = {g: relative_to_root(g, roots[category]) for g in groups}
        ranked = sorted(groups, key=lambda g: (derive_seed(seed, "pool-split", category, rel[g]), rel[g].encode(),
                                               g.encode()))
        n_test = min(max(1, int(math.floor(test_fraction * len(ranked) + 0.5))), len(ranked) - 1)
        for i, g in enumerate(ranked):
            (test if i < n_test else train).extend(groups[g])
    assert_disjoint(train, test)
    return sort_entries(train), sort_entries(test)


def assert_disjoint(a, b, names=("train", "test")):
    """Raise if the two pools share a file (compared by resolved path, so links count as the same)."""
    resolved = {os.path.realpath(e.path): e.path for e in a}
    for e in b:
        if os.path.realpath(e.path) in resolved:
            raise SeedDataError(e.path, f"file is in both the {names[0]} and the {names[1]} pool", key=e.category)


def check_excluded(pool_lists, exclude_lists):
    """Every file of the pools (lists; None entries are ignored) must be absent from the excluded lists
    (e.g. SEED's training pools when simulating test conditions)."""
    allowed = NOISE_CATEGORIES + ROOM_CLASSES
    for ex in exclude_lists:
        excluded = read_pool_list(ex, allowed)
        for lst in pool_lists:
            if lst:
                assert_disjoint(excluded, read_pool_list(lst, allowed), names=(f"excluded {ex}", str(lst)))

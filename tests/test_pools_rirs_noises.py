"""RIRS_NOISES as distributed (seed.simulate.pools): measured RIRs of real_rirs_isotropic_noises/ come
from its rir_list (the AIR files do not say `rir` in their names), isotropic and point-source noises
are never RIRs, and the folder split keeps each measured room (its `--room-id`) on one side, although
RIRS_NOISES keeps all of them in ONE folder."""
import numpy as np
import pytest
import soundfile

from seed.data import SeedDataError
from seed.simulate.pools import PoolEntry, is_measured_rir_name, scan_rirs_noises, split_pool

REAL = "real_rirs_isotropic_noises"
RIRS = {"RVB2014_type1_rir_largeroom1_far_angla.wav": "RVB2014_largeroom1",
        "RVB2014_type1_rir_largeroom1_near_angla.wav": "RVB2014_largeroom1",
        "RVB2014_type1_rir_smallroom1_far_angla.wav": "RVB2014_smallroom1",
        "air_type1_air_binaural_meeting_0_1.wav": "air_binaural_meeting_0",
        "air_type1_air_binaural_lecture_0_1.wav": "air_binaural_lecture_0"}
NOISES = ("RVB2014_type1_noise_largeroom1_1.wav", "RVB2014_type1_noise_smallroom1_1.wav")


def _wav(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, 0.1 * np.ones(400, dtype=np.float32), 16000)


@pytest.fixture
def rirs_noises(tmp_path):
    root = tmp_path / "RIRS_NOISES"
    for name in list(RIRS) + list(NOISES):
        _wav(root / REAL / name)
    _wav(root / "pointsource_noises" / "noise-free-sound-0000.wav")
    (root / REAL / "rir_list").write_text("".join(f"--rir-id {i:05d} --room-id {room} RIRS_NOISES/{REAL}/{name}\n"
                                                  for i, (name, room) in enumerate(RIRS.items(), 1)))
    for c in ("smallroom", "mediumroom"):
        for r in (1, 2):
            _wav(root / "simulated_rirs" / c / f"Room00{r}" / f"Room00{r}-00001.wav")
    return root


def test_measured_rirs_come_from_the_rir_list(rirs_noises):
    entries = scan_rirs_noises(rirs_noises)
    real = sorted(e.path.rsplit("/", 1)[1] for e in entries if e.category == "real")
    assert real == sorted(RIRS)                                     # AIR included, noises excluded
    assert not any("pointsource" in e.path for e in entries)
    groups = {e.path.rsplit("/", 1)[1]: e.group.rsplit("/", 1)[1] for e in entries if e.category == "real"}
    assert groups == RIRS
    assert {e.group.rsplit("/", 1)[1] for e in entries if e.category == "small"} == {"Room001", "Room002"}


def test_folder_split_holds_out_whole_measured_rooms(rirs_noises):
    entries = scan_rirs_noises(rirs_noises)
    for seed in range(5):
        train, test = split_pool(entries, 0.4, seed, group_by="folder")
        rooms = lambda side: {RIRS[e.path.rsplit("/", 1)[1]] for e in side if e.category == "real"}
        assert rooms(train) and rooms(test) and rooms(train).isdisjoint(rooms(test))
        assert len(rooms(test)) == 2                                 # round(0.4 * 4 rooms)


def test_without_rir_list_names_decide(rirs_noises):
    (rirs_noises / REAL / "rir_list").unlink()
    real = sorted(e.path.rsplit("/", 1)[1] for e in scan_rirs_noises(rirs_noises) if e.category == "real")
    assert real == sorted(RIRS)
    assert is_measured_rir_name("RWCP_type1_rir_circle_e1a_imp000.wav")
    assert not is_measured_rir_name("RVB2014_type2_noise_simroom1_2.wav")
    with pytest.raises(SeedDataError, match="single folder"):   # one folder, no room ids: cannot split by room
        split_pool([e for e in scan_rirs_noises(rirs_noises) if e.category == "real"], 0.4, 0, group_by="folder")


def test_listed_rir_missing_and_bad_list_are_errors(rirs_noises):
    (rirs_noises / REAL / "air_type1_air_binaural_lecture_0_1.wav").unlink()
    with pytest.raises(SeedDataError, match=r"key 'air_type1_air_binaural_lecture_0_1.wav': listed RIR file not found"):
        scan_rirs_noises(rirs_noises)
    (rirs_noises / REAL / "rir_list").write_text("--rir-id 00001 a.wav\n")
    with pytest.raises(SeedDataError, match=r"rir_list:1: expected '--rir-id <id> --room-id <room> <path>'"):
        scan_rirs_noises(rirs_noises)


def test_group_of_plain_files_is_their_folder(tmp_path):
    folder = tmp_path / "musan/noise/free-sound"
    assert PoolEntry("noise", str(folder / "a.wav")).group == str(folder)

"""Trial lists: Kaldi canonical, VoxCeleb and ESPnet conversions round-trip; bad lines named."""
import subprocess
import sys

import numpy as np
import pytest

from seed.data import (SeedDataError, Trials, check_trials_keys, read_espnet_trials, read_trials,
                       read_voxceleb_trials, write_espnet_trials, write_trials, write_voxceleb_trials)


@pytest.fixture
def trials():
    return Trials(["id10270-x6uY-00001", "id10270-x6uY-00001", "id10300-ab_c-00002"],
                  ["id10270-8jEA-00008", "id10300-ab_c-00002", "id10270-8jEA-00008"], [1, 0, 0])


def test_kaldi_round_trip(tmp_path, trials):
    write_trials(tmp_path / "trials", trials)
    assert (tmp_path / "trials").read_text().splitlines()[0] == "id10270-x6uY-00001 id10270-8jEA-00008 target"
    back = read_trials(tmp_path / "trials")
    assert back.enroll == trials.enroll and back.test == trials.test
    np.testing.assert_array_equal(back.labels, trials.labels)
    assert back.n_target == 1 and back.n_nontarget == 2


def test_voxceleb_round_trip(tmp_path, trials):
    write_voxceleb_trials(tmp_path / "veri.txt", trials)
    assert (tmp_path / "veri.txt").read_text().splitlines()[0] == \
        "1 id10270/x6uY/00001.wav id10270/8jEA/00008.wav"
    back = read_voxceleb_trials(tmp_path / "veri.txt")
    assert back.enroll == trials.enroll and back.test == trials.test
    path_keys = read_voxceleb_trials(tmp_path / "veri.txt", key_style="path")
    assert path_keys.enroll[0] == "id10270/x6uY/00001.wav"


def test_espnet_round_trip(tmp_path, trials):
    wav = {k: f"/audio/{k}.wav" for k in trials.keys}
    write_espnet_trials(tmp_path / "esp", trials, wav)
    first = (tmp_path / "esp" / "trial2.scp").read_text().splitlines()[0]
    assert first == "id10270-x6uY-00001*id10270-8jEA-00008 /audio/id10270-8jEA-00008.wav"
    back = read_espnet_trials(tmp_path / "esp")
    assert back.enroll == trials.enroll and back.test == trials.test
    np.testing.assert_array_equal(back.labels, trials.labels)


def test_cli_chain_voxceleb_kaldi_espnet(tmp_path, trials):
    write_voxceleb_trials(tmp_path / "veri.txt", trials)
    wav = tmp_path / "wav.scp"
    wav.write_text("".join(f"{k} /a/{k}.wav\n" for k in trials.keys))
    run = lambda *a: subprocess.run([sys.executable, "-m", "seed.bin.convert_trials", *map(str, a)],
                                    capture_output=True, text=True, check=True)
    run("--from", "voxceleb", "--to", "kaldi", tmp_path / "veri.txt", tmp_path / "trials")
    run("--from", "kaldi", "--to", "espnet", tmp_path / "trials", tmp_path / "esp", "--wav-scp", wav)
    run("--from", "espnet", "--to", "voxceleb", tmp_path / "esp", tmp_path / "veri2.txt")
    assert (tmp_path / "veri2.txt").read_text() == (tmp_path / "veri.txt").read_text()


def test_bad_lines_are_named(tmp_path):
    (tmp_path / "t").write_text("a b target\nc d maybe\n")
    with pytest.raises(SeedDataError, match=r"t:2: key 'c'"):
        read_trials(tmp_path / "t")
    (tmp_path / "v").write_text("1 a.wav b.wav\n")
    with pytest.raises(SeedDataError, match="VoxCeleb"):
        read_trials(tmp_path / "v")
    (tmp_path / "e").write_text("")
    with pytest.raises(SeedDataError, match="empty"):
        read_trials(tmp_path / "e")


def test_missing_trial_key_is_named(trials):
    with pytest.raises(SeedDataError, match=r"key 'id10300-ab_c-00002'"):
        check_trials_keys(trials, {"id10270-x6uY-00001", "id10270-8jEA-00008"}, "data/test/utt2spk")

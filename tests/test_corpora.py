"""Corpus preparation: LibriSpeech layout on the shared excerpts, VoxCeleb on a fake tree built here."""
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from seed.data import SeedDataError, read_trials, validate_data_dir


def run(*args):
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True)


def test_librispeech_excerpts(shared_data, tmp_path):
    r = run("seed.bin.prepare_librispeech", "--root", shared_data / "librispeech_excerpts", "--subset",
            "test-other", "--out-dir", tmp_path / "test", "--trials", "all-pairs")
    assert r.returncode == 0, r.stderr
    data = validate_data_dir(tmp_path / "test", check_audio=True)
    assert len(data.utts) == 100 and len(data.spk2utt) == 10
    assert all(u.startswith(s + "-") for u, s in data.utt2spk.items())
    trials = read_trials(tmp_path / "test" / "trials")
    assert (trials.n_target, trials.n_nontarget) == (450, 4500)
    assert all(data.utt2spk[e] == data.utt2spk[t] for e, t, lab in zip(trials.enroll, trials.test, trials.labels) if lab)


def test_librispeech_bad_name_is_an_error(tmp_path):
    d = tmp_path / "corpus" / "sub" / "11" / "22"
    d.mkdir(parents=True)
    soundfile.write(d / "12-22-0001.flac", np.zeros(160), 16000)
    r = run("seed.bin.prepare_librispeech", "--root", tmp_path / "corpus", "--subset", "sub", "--out-dir", tmp_path / "o")
    assert r.returncode == 1 and "12-22-0001" in r.stderr and "11-22-" in r.stderr


def make_vox_tree(root, speakers, prefix="id1"):
    rng = np.random.default_rng(0)
    for s in range(speakers):
        for v in range(2):
            for seg in range(2):
                p = root / "wav" / f"{prefix}{s:04d}" / f"vid{v}" / f"{seg:05d}.wav"
                p.parent.mkdir(parents=True, exist_ok=True)
                soundfile.write(p, (0.01 * rng.standard_normal(800)).astype(np.float32), 16000)


def test_voxceleb_fake_tree_with_vcmix_and_vox2(tmp_path):
    vox1, vc, vox2 = tmp_path / "vox1", tmp_path / "voxconverse", tmp_path / "vox2"
    make_vox_tree(vox1, 3)
    make_vox_tree(vc, 2, prefix="spk")
    make_vox_tree(vox2, 2, prefix="id2")
    (vox1 / "veri_test2.txt").write_text(
        "1 id10000/vid0/00000.wav id10000/vid1/00001.wav\n0 id10000/vid0/00000.wav id10001/vid0/00000.wav\n"
        "1 id10002/vid0/00001.wav id10002/vid1/00000.wav\n")
    (vc / "trials_wo_overlap.txt").write_text(
        "0 spk0000/vid0/00000.wav spk0001/vid0/00000.wav\n1 spk0000/vid0/00000.wav spk0000/vid0/00001.wav\n")
    r = run("seed.bin.prepare_voxceleb", "--vox1", vox1, "--out-dir", tmp_path / "data", "--voxconverse", vc,
            "--vox2", vox2)
    assert r.returncode == 0, r.stderr
    test = validate_data_dir(tmp_path / "data" / "voxceleb1_test", check_audio=True)
    assert test.utts == ["id10000-vid0-00000", "id10000-vid1-00001", "id10001-vid0-00000",
                         "id10002-vid0-00001", "id10002-vid1-00000"]
    o = read_trials(tmp_path / "data" / "voxceleb1_test" / "trials_vox1_o")
    assert o.n_target == 2 and o.n_nontarget == 1
    vcmix = read_trials(tmp_path / "data" / "vcmix_test" / "trials")
    assert vcmix.n_target == 2 and vcmix.n_nontarget == 1  # Vox1-O targets + VoxConverse non-targets only
    assert vcmix.enroll[-1] == "vc-spk0000-vid0-00000"
    validate_data_dir(tmp_path / "data" / "vcmix_test", check_audio=True)
    assert len(validate_data_dir(tmp_path / "data" / "voxceleb2_dev").utts) == 8


def test_voxceleb_missing_trial_list_and_audio(tmp_path):
    vox1 = tmp_path / "vox1"
    make_vox_tree(vox1, 1)
    r = run("seed.bin.prepare_voxceleb", "--vox1", vox1, "--out-dir", tmp_path / "data")
    assert r.returncode == 1 and "veri_test2.txt" in r.stderr
    (vox1 / "veri_test2.txt").write_text("1 id10000/vid0/00000.wav id19999/vid0/00000.wav\n")
    r = run("seed.bin.prepare_voxceleb", "--vox1", vox1, "--out-dir", tmp_path / "data")
    assert r.returncode == 1 and "id19999-vid0-00000" in r.stderr


@pytest.mark.parametrize("nontarget", [5, 100])
def test_all_pairs_subsampling_keeps_targets(nontarget):
    from seed.corpora.common import all_pairs_trials
    u2s = {f"s{s}-u{u}": f"s{s}" for s in range(4) for u in range(3)}
    t = all_pairs_trials(u2s, max_nontarget=nontarget, seed=1)
    assert t.n_target == 12 and t.n_nontarget == min(nontarget, 66 - 12)


def test_speaker_slices_split_a_subset_into_speaker_disjoint_sets(shared_data):
    """How egs/librispeech holds babble talkers out of SEED's training speech (local/data.sh)."""
    from seed.corpora.librispeech import parse_speaker_slice, prepare_subset
    root = shared_data / "librispeech_excerpts"
    full = prepare_subset(root, "train-clean-100")
    train = prepare_subset(root, "train-clean-100", speaker_slice=parse_speaker_slice(":-30"))
    babble = prepare_subset(root, "train-clean-100", speaker_slice=parse_speaker_slice("-30:"))
    assert len(babble.spk2utt) == 30 and len(train.spk2utt) == len(full.spk2utt) - 30
    assert not set(train.spk2utt) & set(babble.spk2utt)
    assert sorted(train.spk2utt)[-1] < sorted(babble.spk2utt)[0]
    assert {**train.utt2spk, **babble.utt2spk} == full.utt2spk
    with pytest.raises(ValueError, match="START:END"):
        parse_speaker_slice("30")


def test_prepare_librispeech_speaker_slice_from_the_command_line(shared_data, tmp_path):
    """A negative slice start ('-30:') must be passed as --speaker-slice=-30: (argparse reads '-30:' as a flag)."""
    from seed.bin import prepare_librispeech
    root = str(shared_data / "librispeech_excerpts")
    assert prepare_librispeech.main(["--root", root, "--subset", "train-clean-100", "--out-dir", str(tmp_path / "b"),
                                     "--speaker-slice=-30:"]) == 0
    assert len(set((tmp_path / "b" / "spk2utt").read_text().split("\n")) - {""}) == 30


def test_utt_slices_split_every_speaker_into_enrolment_and_trial_audio(shared_data, tmp_path):
    """How egs/librispeech makes enrolment-adapted SEED's training audio (local/data.sh
    --enrol-utts-per-speaker): the same speakers, disjoint utterances, nothing lost."""
    from seed.bin import prepare_librispeech
    from seed.corpora.librispeech import parse_utt_slice, prepare_subset
    root = shared_data / "librispeech_excerpts"
    full = prepare_subset(root, "test-other")
    enrol = prepare_subset(root, "test-other", utt_slice=parse_utt_slice(":4"))
    trial = prepare_subset(root, "test-other", utt_slice=parse_utt_slice("4:"))
    assert set(enrol.spk2utt) == set(trial.spk2utt) == set(full.spk2utt)
    assert all(len(u) == 4 for u in enrol.spk2utt.values())
    assert all(len(trial.spk2utt[s]) == len(full.spk2utt[s]) - 4 for s in full.spk2utt)
    assert not set(enrol.utt2spk) & set(trial.utt2spk)
    assert {**enrol.utt2spk, **trial.utt2spk} == full.utt2spk
    for spk, utts in full.spk2utt.items():   # the first utterances of each speaker, in C order
        assert enrol.spk2utt[spk] == sorted(utts)[:4]
    with pytest.raises(SeedDataError, match="keeps no utterance of speaker"):
        prepare_subset(root, "test-other", utt_slice=parse_utt_slice("50:"))
    with pytest.raises(ValueError, match="utterance slice '4'"):
        parse_utt_slice("4")
    assert prepare_librispeech.main(["--root", str(root), "--subset", "test-other", "--out-dir", str(tmp_path / "t"),
                                     "--utt-slice", "4:", "--trials", "all-pairs"]) == 0
    trials = (tmp_path / "t" / "trials").read_text().split("\n")
    assert sum(line.endswith(" target") for line in trials) == sum(
        len(u) * (len(u) - 1) // 2 for u in trial.spk2utt.values())


def test_voxceleb_e_h_lists_live_apart_from_vox1_o_and_extra_lists_have_their_own_root(tmp_path):
    """Vox1-O (simulated on) gets data/voxceleb1_test; Vox1-E/H the whole of VoxCeleb1 in data/voxceleb1;
    a VoxSRC-style list with its own audio root becomes data/<name> with prefixed keys."""
    vox1 = tmp_path / "vox1"
    make_vox_tree(vox1, 3)
    (vox1 / "veri_test2.txt").write_text("1 id10000/vid0/00000.wav id10000/vid1/00001.wav\n"
                                         "0 id10000/vid0/00000.wav id10001/vid0/00000.wav\n")
    (vox1 / "list_test_all2.txt").write_text("1 id10002/vid0/00000.wav id10002/vid1/00001.wav\n"
                                             "0 id10002/vid0/00000.wav id10001/vid1/00000.wav\n")
    (vox1 / "list_test_hard2.txt").write_text("0 id10002/vid0/00001.wav id10001/vid1/00001.wav\n"
                                              "1 id10001/vid1/00001.wav id10001/vid0/00000.wav\n")
    src = tmp_path / "voxsrc23"
    (src / "wav").mkdir(parents=True)
    for i in range(3):
        soundfile.write(src / "wav" / f"{i:05d}.wav", np.zeros(800, np.float32), 16000)
    (src / "VoxSRC2023_val.txt").write_text("1 wav/00000.wav wav/00001.wav\n0 wav/00000.wav wav/00002.wav\n")
    r = run("seed.bin.prepare_voxceleb", "--vox1", vox1, "--out-dir", tmp_path / "data", "--trial-sets",
            "vox1_o,vox1_e,vox1_h", "--extra-list", f"voxsrc23={src / 'VoxSRC2023_val.txt'}")
    assert r.returncode == 0, r.stderr
    o = validate_data_dir(tmp_path / "data" / "voxceleb1_test")
    assert o.utts == ["id10000-vid0-00000", "id10000-vid1-00001", "id10001-vid0-00000"]
    assert read_trials(tmp_path / "data" / "voxceleb1_test" / "trials").n_target == 1
    eh = validate_data_dir(tmp_path / "data" / "voxceleb1")
    assert len(eh.utts) == 6 and "id10000-vid0-00000" not in eh.utts
    assert read_trials(tmp_path / "data" / "voxceleb1" / "trials_vox1_h").n_nontarget == 1
    extra = validate_data_dir(tmp_path / "data" / "voxsrc23", check_audio=True)
    assert extra.utts == ["voxsrc23-wav-00000", "voxsrc23-wav-00001", "voxsrc23-wav-00002"]
    assert extra.utt2spk["voxsrc23-wav-00001"] == "voxsrc23-wav-00001"   # anonymous files: own speaker
    t = read_trials(tmp_path / "data" / "voxsrc23" / "trials")
    assert t.test == ["voxsrc23-wav-00001", "voxsrc23-wav-00002"] and list(t.labels) == [1, 0]
    (src / "VoxSRC2023_val.txt").write_text("1 wav/00000.wav wav/00009.wav\n")
    r = run("seed.bin.prepare_voxceleb", "--vox1", vox1, "--out-dir", tmp_path / "data",
            "--extra-list", f"voxsrc23={src / 'VoxSRC2023_val.txt'}")
    assert r.returncode == 1 and "VoxSRC2023_val.txt" in r.stderr and "wav/00009.wav" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

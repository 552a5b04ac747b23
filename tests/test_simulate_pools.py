"""Pool lists, corpus scanning and the disjoint train/test split."""
import numpy as np
import pytest
import soundfile

from seed.bin import make_noise_list, split_pools
from seed.data import SeedDataError
from seed.simulate.pools import (PoolEntry, read_noise_list, read_rir_list, scan_musan, scan_rirs_noises,
                                 sort_entries, split_pool, write_pool_list)


def _wav(path, n=800):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, 0.1 * np.ones(n, dtype=np.float32), 16000)
    return path


def test_scan_musan_mini_has_explicit_categories(shared_data):
    entries = scan_musan(shared_data / "musan_mini")
    cats = [e.category for e in entries]
    assert cats.count("noise") == 19 and cats.count("music") == 9
    assert all(e.path.startswith("/") for e in entries)
    assert all(f"/{e.category}/" in e.path for e in entries)


def test_scan_rirs_mini_and_rirs_noises_layout(shared_data, tmp_path):
    real = scan_rirs_noises(shared_data / "rirs_mini")
    assert len(real) == 9 and {e.category for e in real} == {"real"}
    root = tmp_path / "RIRS_NOISES"
    _wav(root / "simulated_rirs/smallroom/Room001/Room001-00001.wav")
    _wav(root / "simulated_rirs/mediumroom/Room001/Room001-00001.wav")
    _wav(root / "simulated_rirs/largeroom/Room002/Room002-00001.wav")
    _wav(root / "real_rirs_isotropic_noises/RVB2014_type1_rir_largeroom1_far_anglea.wav")
    _wav(root / "real_rirs_isotropic_noises/RVB2014_type1_noise_largeroom1_1.wav")  # a noise, not an RIR
    entries = scan_rirs_noises(root)
    assert sorted(e.category for e in entries) == ["large", "medium", "real", "small"]
    assert [e for e in entries if e.category == "real"][0].path.endswith("rir_largeroom1_far_anglea.wav")
    assert len(scan_rirs_noises(root / "simulated_rirs")) == 3


def test_read_pool_list_errors_name_file_and_line(tmp_path):
    lst = tmp_path / "l.list"
    lst.write_text("noise /a.wav\nbird /b.wav\n")
    with pytest.raises(SeedDataError, match=r"l.list:2: key 'bird': unknown category"):
        read_noise_list(lst)
    lst.write_text("noise /a.wav\nmusic /a.wav\n")
    with pytest.raises(SeedDataError, match=r":2: key '/a.wav': file listed twice"):
        read_noise_list(lst)
    lst.write_text("noise\n")
    with pytest.raises(SeedDataError, match="expected '<category> <path>'"):
        read_noise_list(lst)
    lst.write_text("small /a b/c.wav\n")
    assert read_rir_list(lst) == [PoolEntry("small", "/a b/c.wav")]   # paths may contain spaces
    with pytest.raises(SeedDataError, match="unknown category"):
        read_noise_list(lst)


def _pool(n_per_cat=10, folders=5):
    return [PoolEntry(c, f"/corpus/{c}/src{i % folders}/f{i:02d}.wav")
            for c in ("noise", "music") for i in range(n_per_cat)]


def test_split_is_disjoint_deterministic_and_order_independent():
    pool = _pool()
    train, test = split_pool(pool, 0.3, seed=5)
    assert not {e.path for e in train} & {e.path for e in test}
    assert sorted(train + test, key=lambda e: e.path) == sorted(pool, key=lambda e: e.path)
    for c in ("noise", "music"):
        assert sum(e.category == c for e in test) == 3
    assert split_pool(list(reversed(pool)), 0.3, seed=5) == (train, test)
    assert split_pool(pool, 0.3, seed=6) != (train, test)


def test_split_and_order_do_not_depend_on_where_the_corpus_lives():
    """Issue 16: the split hashed absolute paths, so a checkout at another path drew other pools."""
    def relocated(prefix):
        return [PoolEntry(e.category, prefix + e.path) for e in _pool(n_per_cat=20)]

    def names(entries, prefix):
        return [(e.category, e.path[len(prefix):]) for e in entries]

    for group_by in ("file", "folder"):
        here = split_pool(relocated("/work/main"), 0.3, seed=1, group_by=group_by)
        there = split_pool(relocated("/tmp/tmp.Xy12/clone/egs"), 0.3, seed=1, group_by=group_by)
        assert [names(p, "/work/main") for p in here] == [names(p, "/tmp/tmp.Xy12/clone/egs") for p in there]
    a, b = relocated("/a"), relocated("/zz/deeper")
    assert names(sort_entries(a), "/a") == names(sort_entries(b), "/zz/deeper")


def test_split_by_folder_keeps_families_together():
    train, test = split_pool(_pool(), 0.4, seed=0, group_by="folder")
    tr = {(e.category, e.group) for e in train}
    te = {(e.category, e.group) for e in test}
    assert not tr & te and te
    with pytest.raises(SeedDataError, match="single folder"):
        split_pool(_pool(folders=1), 0.5, seed=0, group_by="folder")


def test_split_keeps_at_least_one_file_each_side():
    pool = [PoolEntry("real", f"/r/{i}.wav") for i in range(2)]
    for frac in (0.01, 0.99):
        train, test = split_pool(pool, frac, seed=0)
        assert len(train) == 1 and len(test) == 1


def test_cli_lists_and_split_on_shared_data(shared_data, tmp_path, capsys):
    noise = tmp_path / "noise.list"
    assert make_noise_list.main(["--musan", str(shared_data / "musan_mini"), "--out", str(noise)]) == 0
    rir = tmp_path / "rir.list"
    assert make_noise_list.main(["--rir-folder", str(shared_data / "rirs_mini" / "real_rirs"), "--out", str(rir)]) == 0
    assert {e.category for e in read_rir_list(rir)} == {"real"}
    for lst in (noise, rir):
        tr, te = tmp_path / f"{lst.stem}_train.list", tmp_path / f"{lst.stem}_test.list"
        assert split_pools.main(["--list", str(lst), "--train-out", str(tr), "--test-out", str(te),
                                 "--test-fraction", "0.4", "--seed", "3"]) == 0
        a, b = tr.read_text().splitlines(), te.read_text().splitlines()
        assert a and b and not set(a) & set(b)
        assert sorted(a + b) == sorted(lst.read_text().splitlines())
    # Mixing noise and RIR sources in one list is refused.
    with pytest.raises(SystemExit):
        make_noise_list.main(["--musan", str(shared_data / "musan_mini"), "--rir-folder", "x", "--out", str(noise)])


def test_cli_list_rejects_empty_audio(tmp_path, capsys):
    folder = tmp_path / "noises"
    _wav(folder / "ok.wav")
    soundfile.write(folder / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    assert make_noise_list.main(["--folder", f"{folder}:noise", "--out", str(tmp_path / "n.list")]) == 1
    assert "empty.wav" in capsys.readouterr().err
    assert not (tmp_path / "n.list").exists()


def test_write_pool_list_is_canonical(tmp_path):
    out = write_pool_list(tmp_path / "x.list", [PoolEntry("noise", "/b.wav"), PoolEntry("music", "/z.wav"),
                                                PoolEntry("noise", "/a.wav")])
    assert out.read_text() == "music /z.wav\nnoise /a.wav\nnoise /b.wav\n"

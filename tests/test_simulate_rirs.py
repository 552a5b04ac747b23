"""Simulated RIRs: measured RT60 inside the requested range, complete tail, determinism, layout."""
import json

import numpy as np
import pytest
import soundfile

from seed.bin import simulate_rirs
from seed.simulate.pools import read_rir_list
from seed.simulate.rooms import RirSimConfig, simulate_room
from seed.simulate.rt60 import rt60_t30

SR = 16000


@pytest.mark.parametrize("room_class,rt60_range", [("small", (0.25, 0.45)), ("medium", (0.4, 0.7)),
                                                   ("large", (0.6, 1.0))])
def test_measured_rt60_inside_requested_range(room_class, rt60_range):
    out = simulate_room(room_class, "Room001", 2, 11, rt60_range)
    assert len(out) == 2
    sides = {"small": (1, 10), "medium": (10, 30), "large": (30, 50)}[room_class]
    for h, rec in out:
        assert rt60_range[0] <= rec["rt60_t30"] <= rt60_range[1]
        assert rt60_t30(h, SR) == pytest.approx(rec["rt60_t30"])            # measured on what is written
        assert all(sides[0] <= d <= sides[1] for d in rec["dims_m"][:2]) and 2 <= rec["dims_m"][2] <= 5
        assert rec["tail_end_db"] < -60                                       # decays to silence, not cut
        assert len(h) / SR > 0.5 * rec["rt60_t30"]
        assert np.max(np.abs(h)) == pytest.approx(0.9, abs=1e-4)


def test_hybrid_tail_matches_a_full_order_image_method_while_order_17_truncates():
    """The reason for the hybrid: a complete image method is slow, order 17 cuts the tail short."""
    import pyroomacoustics as pra
    dims, src, mic = [6.0, 5.0, 3.0], [1.5, 2.0, 1.6], [4.2, 3.1, 1.2]
    absorption, full_order = pra.inverse_sabine(0.6, dims)

    def ism(order):
        room = pra.ShoeBox(dims, fs=SR, materials=pra.Material(absorption), max_order=order)
        room.add_source(src)
        room.add_microphone(mic)
        room.compute_rir()
        return room.rir[0][0]

    from seed.simulate.rooms import ism_order_for, simulate_rir
    cfg = RirSimConfig()
    hybrid = rt60_t30(simulate_rir(dims, absorption, src, mic, ism_order_for(dims, cfg.early_ms, 40), 1, cfg), SR)
    reference = rt60_t30(ism(full_order), SR)
    assert hybrid == pytest.approx(reference, rel=0.15)
    with pytest.raises(ValueError, match="truncated tail"):   # order 17 stops before a 45 dB decay
        rt60_t30(ism(17), SR)


def test_same_seed_same_rirs_other_seed_other_rooms():
    a = simulate_room("small", "Room003", 1, 5, (0.2, 0.5))
    b = simulate_room("small", "Room003", 1, 5, (0.2, 0.5))
    c = simulate_room("small", "Room003", 1, 6, (0.2, 0.5))
    assert np.array_equal(a[0][0], b[0][0]) and a[0][1] == b[0][1]
    assert a[0][1]["dims_m"] != c[0][1]["dims_m"]


def test_cli_writes_rirs_noises_layout_and_is_job_independent(tmp_path):
    args = ["--room-classes", "small", "medium", "--num-rooms", "2", "--rirs-per-room", "2", "--seed", "3",
            "--rt60-small", "0.2", "0.5", "--rt60-medium", "0.3", "0.8"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert simulate_rirs.main(["--out-dir", str(one)] + args) == 0
    assert simulate_rirs.main(["--out-dir", str(two), "--nj", "2"] + args) == 0
    wavs = sorted(p.relative_to(one) for p in one.rglob("*.wav"))
    assert [str(p) for p in wavs] == [f"simulated_rirs/{c}room/Room00{r}/Room00{r}-0000{k}.wav"
                                      for c in ("medium", "small") for r in (1, 2) for k in (1, 2)]
    for p in wavs:
        assert (one / p).read_bytes() == (two / p).read_bytes()
        info = soundfile.info(one / p)
        assert info.samplerate == SR and info.channels == 1 and info.subtype == "PCM_16"
    entries = read_rir_list(one / "rir.list")
    assert sorted(e.category for e in entries) == ["medium"] * 4 + ["small"] * 4
    for c, (lo, hi) in (("small", (0.2, 0.5)), ("medium", (0.3, 0.8))):
        recs = [json.loads(line) for line in (one / f"simulated_rirs/{c}room/rirs.jsonl").read_text().splitlines()]
        assert len(recs) == 4
        for r in recs:
            h, _ = soundfile.read(one / r["path"])
            assert lo <= r["rt60_t30"] <= hi
            assert rt60_t30(h, SR) == pytest.approx(r["rt60_t30"], rel=1e-3)
        kaldi = (one / f"simulated_rirs/{c}room/rir_list").read_text().splitlines()
        assert kaldi[0].startswith(f"--rir-id {c}-Room001-00001 --room-id {c}-Room001 /")
    assert not (one / ".shards").exists()
    assert (two / "log" / "simulate_rirs.2.log").is_file()

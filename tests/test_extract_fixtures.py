"""Shared helpers for the extraction tests (no tests here): real LibriSpeech data dirs, a tiny ESPnet model.

The ESPnet-SPK model is built once per test session by ESPnet's own trainer
(`python -m espnet2.bin.spk_train`, 1 epoch: ~10-15 s on 2 cores, ~30 s under load) into a
temporary folder; no binary model is kept in the repository.
"""
from pathlib import Path

import pytest

from seed.data import DataDir, make_spk2utt, write_kv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_OTHER = SHARED / "librispeech_excerpts" / "test-other"


def librispeech_files(per_speaker=10, speakers=None):
    """utt → flac path for test-other, C-sorted, `per_speaker` first utterances of each speaker."""
    if not TEST_OTHER.is_dir():
        pytest.fail(f"{TEST_OTHER} is missing: the tests need ../shared/data beside the checkout")
    out = {}
    for spk_dir in sorted(TEST_OTHER.iterdir()):
        if not spk_dir.is_dir() or (speakers is not None and spk_dir.name not in speakers):
            continue
        for f in sorted(spk_dir.glob("*/*.flac"))[:per_speaker]:
            out[f.stem] = f
    return out


def make_data_dir(path, files, start=None, end=None, utt2dur=False):
    """Kaldi data dir over `files` (utt → path); with start/end, utterances are segments of the files."""
    path = Path(path)
    utt2spk = {u: u.split("-")[0] for u in files}
    if start is None:
        data = DataDir(wav_scp={u: str(p) for u, p in files.items()}, utt2spk=utt2spk)
    else:
        seg = {f"{u}-seg": f"{u} {start:.2f} {end:.2f}" for u in files}
        data = DataDir(wav_scp={u: str(p) for u, p in files.items()},
                       utt2spk={f"{u}-seg": s for u, s in utt2spk.items()}, segments=seg,
                       utt2dur={f"{u}-seg": float(end - start) for u in files} if utt2dur else None)
    data.write(path)
    write_kv(path / "spk2utt", {s: " ".join(v) for s, v in make_spk2utt(data.utt2spk).items()})
    return path


@pytest.fixture(scope="module", autouse=False)
def one_thread():
    """torch on 1 thread for a test module (restored after): LSTMs and small convolutions on a shared
    2-core machine run several times slower with 2 contending threads."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def espnet_exp(tmp_path_factory):
    """A tiny ESPnet-SPK experiment folder trained by espnet2.bin.spk_train on 3 speakers x 2 utterances."""
    pytest.importorskip("espnet2")
    from seed.extract.espnet_tiny import build_espnet_model
    files = librispeech_files(per_speaker=2, speakers={"1688", "1998", "2033"})
    utt2spk = {u: u.split("-")[0] for u in files}
    return build_espnet_model(tmp_path_factory.mktemp("espnet_tiny"), files, utt2spk, size="tiny", epochs=1)

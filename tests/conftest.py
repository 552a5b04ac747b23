"""Shared test fixtures: where the shared real audio lives, small generated data dirs."""
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the tests need ../shared/data beside the checkout")
    return SHARED_DATA


@pytest.fixture
def tiny_data_dir(tmp_path):
    """A valid data dir of 6 utterances from 3 speakers with real (synthetic tone) WAV files."""
    import soundfile
    d = tmp_path / "data"
    d.mkdir()
    rng = np.random.default_rng(0)
    wav, u2s = [], []
    for spk in ("spkA", "spkB", "spkC"):
        for i in range(2):
            utt = f"{spk}-utt{i}"
            path = tmp_path / "wav" / f"{utt}.wav"
            path.parent.mkdir(exist_ok=True)
            soundfile.write(path, (0.1 * rng.standard_normal(1600)).astype(np.float32), 16000)
            wav.append(f"{utt} {path}\n")
            u2s.append(f"{utt} {spk}\n")
    (d / "wav.scp").write_text("".join(wav))
    (d / "utt2spk").write_text("".join(u2s))
    (d / "spk2utt").write_text("spkA spkA-utt0 spkA-utt1\nspkB spkB-utt0 spkB-utt1\nspkC spkC-utt0 spkC-utt1\n")
    return d

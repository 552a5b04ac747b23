"""Shared test fixtures: where the shared real audio lives, small generated data dirs."""
from pathlib import Path

import numpy as np
import pytest

# One tiny ESPnet-SPK model per session for every module that asks for `espnet_exp` (a fixture imported
# into two test modules is two fixtures, and each trained its own: ~25 s more).
from test_extract_fixtures import espnet_exp  # noqa: E402,F401

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


def write_recipe_embeddings(embed, data, crops_per_speaker=3, dim=16, seed=0):
    """Stage-2-like embeddings of a tiny recipe: speakers as clusters; under `embed`, the test set `test`
    (6 speakers x 4), `test_noise_snr5` (a shared offset + noise) and the training copies `train_pairs`
    (5 speakers x crops x {clean, noise}); under `data`, test/{trials,wav.scp,utt2spk} and
    train_pairs/{pairs,wav.scp,utt2spk}. Returns (test keys, clean test matrix, noisy test matrix, pair
    keys, pair matrix) for tests that derive more."""
    from seed.data import DataDir, Trials, write_embeddings, write_trials
    embed, data = Path(embed), Path(data)
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((6, dim))
    test_keys = [f"s{s}-u{u}" for s in range(6) for u in range(4)]
    clean = np.stack([centres[int(k[1])] + 0.4 * rng.standard_normal(dim) for k in test_keys])
    offset = rng.standard_normal(dim)
    noisy = clean + offset + 0.8 * rng.standard_normal(clean.shape)
    write_embeddings(embed / "test/embedding.ark", embed / "test/embedding.scp", zip(test_keys, clean))
    write_embeddings(embed / "test_noise_snr5/embedding.ark", embed / "test_noise_snr5/embedding.scp",
                     zip(test_keys, noisy))
    write_trials(data / "test" / "trials", Trials(*zip(*[(a, b, int(a[:2] == b[:2])) for i, a in enumerate(test_keys)
                                                          for b in test_keys[i + 1:]])))
    DataDir(wav_scp={k: "/dev/null" for k in test_keys}, utt2spk={k: k[:2] for k in test_keys}).write(data / "test")
    keys, x, pairs, u2s = [], [], [], {}
    for s in range(5):
        c = rng.standard_normal(dim)
        for crop in range(crops_per_speaker):
            x0 = c + 0.3 * rng.standard_normal(dim)
            for kind, v in (("clean", x0), ("noise", x0 + offset + 0.5 * rng.standard_normal(dim))):
                key = f"t{s}-crop{crop}-{kind}"
                keys.append(key)
                x.append(v)
                u2s[key] = f"t{s}"
                pairs.append(f"{key} t{s}-crop{crop}-clean\n")
    x = np.stack(x)
    write_embeddings(embed / "train_pairs/embedding.ark", embed / "train_pairs/embedding.scp", zip(keys, x))
    DataDir(wav_scp={k: "/dev/null" for k in u2s}, utt2spk=u2s).write(data / "train_pairs")
    (data / "train_pairs" / "pairs").write_text("".join(sorted(pairs)))
    return test_keys, clean, noisy, keys, x

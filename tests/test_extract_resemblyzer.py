"""Resemblyzer adapter: faithful to embed_utterance, batch-invariant, and it separates real speakers."""
import numpy as np
import pytest

from seed.data import load_audio
from seed.extract import ExtractorError, load_extractor
from seed.extract.resemblyzer_ge2e import preprocess_wav, rms_normalise
from test_extract_fixtures import librispeech_files, one_thread  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("one_thread")

pytest.importorskip("resemblyzer")


@pytest.fixture(scope="module")
def extractor():
    return load_extractor("resemblyzer", "cpu")


@pytest.fixture(scope="module")
def test_other_6s():
    """test-other: 10 speakers x 5 utterances, each cut to its first 6 s (255 s of audio)."""
    files = librispeech_files(per_speaker=5)
    return list(files), [load_audio(p)[:96000] for p in files.values()]


@pytest.mark.parametrize("spec", ["resemblyzer", "resemblyzer:rms", "resemblyzer:raw"])
def test_matches_embed_utterance_on_the_same_audio(spec):
    """Batched partials == resemblyzer's own embed_utterance (cosine >= 0.9999999) on the audio it is given."""
    import resemblyzer
    from resemblyzer import VoiceEncoder
    ref = VoiceEncoder("cpu", verbose=False)
    prepare = {"resemblyzer": resemblyzer.preprocess_wav, "resemblyzer:rms": rms_normalise,
               "resemblyzer:raw": lambda w: w}[spec]
    files = librispeech_files(per_speaker=1, speakers={"367", "533", "1688"}).values()
    waves = [load_audio(p)[:n] for p, n in zip(files, (16000, 70000, 200000))]
    ours = load_extractor(spec, "cpu").embed(waves)
    theirs = np.stack([ref.embed_utterance(prepare(w)) for w in waves])
    cos = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cos.min() >= 0.9999999, cos


def test_preprocess_is_resemblyzers(test_other_6s):
    """Our vectorised preprocess_wav returns exactly resemblyzer.preprocess_wav's samples."""
    import resemblyzer
    _, waves = test_other_6s
    for w in waves[:10] + [waves[0] * 0.01, waves[1] * 3.0]:
        theirs = resemblyzer.preprocess_wav(w)
        ours = preprocess_wav(w)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    silent = np.zeros(16000, dtype=np.float32)
    assert preprocess_wav(silent) is silent   # no NaN from log(0)
    assert np.isfinite(load_extractor("resemblyzer").embed([silent])).all()


def test_batching_does_not_change_embeddings(extractor, test_other_6s):
    """Bit-identical (issue 16: rows changed by up to 2.5e-7 with --nj / --batch-size)."""
    _, waves = test_other_6s
    crops = [w[i:i + 32000] for w in waves[:8] for i in (0, 16000)] + list(waves[:8])
    together = extractor.embed(crops)
    alone = np.concatenate([extractor.embed([w]) for w in crops])
    reordered = extractor.embed(crops[::-1])[::-1]
    assert np.array_equal(together, alone) and np.array_equal(together, reordered)


def test_unit_norm_non_negative_float32(extractor, test_other_6s):
    _, waves = test_other_6s
    e = extractor.embed(waves[:4])
    assert e.dtype == np.float32 and e.shape == (4, 256)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-6)
    assert (e >= 0).all()


def test_separates_test_other_speakers(extractor, test_other_6s):
    """Same-speaker cosine clearly above different-speaker cosine."""
    utts, waves = test_other_6s
    e = extractor.embed(waves)
    spk = np.array([u.split("-")[0] for u in utts])
    scores = e @ e.T
    iu = np.triu_indices(len(utts), 1)
    same = (spk[:, None] == spk[None, :])[iu]
    target, nontarget = scores[iu][same], scores[iu][~same]
    assert target.mean() - nontarget.mean() > 0.2, (target.mean(), nontarget.mean())
    # EER: the threshold where misses equal false alarms
    thr = np.sort(scores[iu])
    miss = np.searchsorted(np.sort(target), thr, side="left") / len(target)
    fa = 1 - np.searchsorted(np.sort(nontarget), thr, side="left") / len(nontarget)
    i = np.argmin(np.abs(miss - fa))
    assert (miss[i] + fa[i]) / 2 < 0.05
    # every utterance is closer, on average, to its own speaker's other utterances than to any other speaker's
    for i, s in enumerate(spk):
        own = scores[i, (spk == s) & (np.arange(len(spk)) != i)].mean()
        others = max(scores[i, spk == o].mean() for o in set(spk) - {s})
        assert own > others, utts[i]


def test_normalisations(test_other_6s):
    _, waves = test_other_6s
    quiet = waves[0] * 0.01
    rms = load_extractor("resemblyzer:rms", "cpu")
    raw = load_extractor("resemblyzer:raw", "cpu")
    default = load_extractor("resemblyzer", "cpu")
    # two-way RMS normalisation makes the embedding level-independent; raw input does not
    np.testing.assert_allclose(rms.embed([quiet]), rms.embed([waves[0]]), atol=1e-5)
    assert np.abs(raw.embed([quiet]) - raw.embed([waves[0]])).max() > 1e-3
    assert default.describe()["normalisation"] == "preprocess"
    with pytest.raises(ExtractorError, match="normalisation"):
        load_extractor("resemblyzer:loud")


def test_rms_normalise_level():
    x = np.sin(np.linspace(0, 200, 16000)).astype(np.float32)
    y = rms_normalise(x)
    assert abs(20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2))) + 30.0) < 1e-4
    silent = np.zeros(100, dtype=np.float32)
    assert rms_normalise(silent) is silent

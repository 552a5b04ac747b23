"""Resemblyzer's GE2E encoder (weights ship in the `resemblyzer` wheel), batched across utterances.

`VoiceEncoder.embed_utterance` cuts an utterance into 1.6 s partial windows (rate 1.3 per second,
last window kept when at least 75 % covered, zero-padded), embeds each and L2-normalises their
mean. Here the partial windows of *all* waveforms in a call go through the LSTM together, which is
the same computation in bigger batches: cosine to `embed_utterance` on the same audio ≥ 0.9999999
(tests/test_extract_resemblyzer.py).

Every forward has exactly `partials_per_forward` rows (the last chunk zero-padded): the CPU LSTM's
GEMMs round differently for another number of rows (up to 3.4e-7 between 10 and 256 rows), never
for another position or other rows at the same size (measured), so a fixed size makes every
embedding a function of its own waveform only — identical bytes whatever `--nj`, `--batch-size` or
the order of the data dir. 64 rows was also the fastest CPU size measured (4.8 ms per partial at 1
thread, against 5.7-6.1 at 32/128/256 and 13.5 one by one); the padding costs at most one chunk
per call (≈ 10 % at the stage's default 64 waveforms per call).

Level normalisation and VAD (spec argument):
- `resemblyzer` / `resemblyzer:preprocess` (default): resemblyzer's own `preprocess_wav` —
  increase-only volume normalisation to -30 dBFS, then webrtcvad trimming of long silences (if the
  VAD keeps nothing, the normalised untrimmed waveform is used);
- `resemblyzer:rms`: every waveform scaled to -30 dBFS RMS in both directions, no VAD (what the
  calibration study did);
- `resemblyzer:raw`: the waveform as read.

The default was decided by measurement, `python benchmarks/bench_extract.py --study
resemblyzer-preprocess` (test-other, 10 speakers x 10 whole utterances, all 4,950 pairs, 450
target, cosine scoring, EER % by seed.metrics; "cl-noisyN" = clean enrolment vs the test utterance
plus a musan_mini noise file at N dB SNR, file and offset seeded per utterance; 1 torch thread,
shared 2-core CPU, so the last column is noisy):

    normalisation  clean-clean  cl-noisy0dB  cl-noisy5dB  cl-noisy10dB  noisy5-noisy5  ms/audio s
    rms                0.78        15.33        10.64         7.76          14.67          4.78
    preprocess         0.44        12.11         8.71         6.00          13.11          4.80
    raw                0.22        14.44        10.76         7.02          13.44          5.98

`preprocess_wav` is best in every noisy column — and noisy speech is what SEED is fed: clean
enrolment vs noisy test by 1.9-3.2 EER points (about 10-15 target trials) at 0, 5 and 10 dB,
noisy-noisy by 0.3-1.6, because its VAD drops noise-only stretches; clean-clean differences are 1-2
target trials (one EER point is 4-5 target trials here), i.e. within noise. Two-way RMS
normalisation is no better than leaving loud audio loud (`raw`). To reproduce calibration.md (which
used two-way RMS) use `resemblyzer:rms`. A scratch run with more variants
(-20/-25 dBFS targets, increase-only without VAD, VAD + two-way RMS) agreed: the VAD brings the
noisy gain and increase-only levelling keeps clean trials best. Cost: none to speak of — the VAD
adds well under 1 ms per second of audio (its PCM packing is vectorised here, output identical to
resemblyzer's) and the trimmed audio (83 % of test-other is kept) needs fewer partials; the time
column moves by +-1 ms between runs with other load on the shared CPU.
"""
import numpy as np

from seed.extract.registry import Extractor, ExtractorError, as_batch, file_sha256, register_extractor

TARGET_DBFS = -30.0
PARTIAL_RATE = 1.3
MIN_COVERAGE = 0.75
NORMALISATIONS = ("preprocess", "rms", "raw")


def preprocess_wav(wav):
    """resemblyzer.audio.preprocess_wav for audio already at 16 kHz: increase-only volume normalisation
    to -30 dBFS, then webrtcvad trimming of long silences. Same output as resemblyzer's (tested), with
    its per-sample `struct.pack` replaced by one numpy conversion (~15 ms saved per 15 s of audio).
    When the VAD keeps nothing (or the input is shorter than one 30 ms window) the normalised,
    untrimmed waveform is returned, so every utterance still gets an embedding.
    """
    from resemblyzer import audio, hparams as hp
    from scipy.ndimage import binary_dilation
    import webrtcvad
    if not np.any(wav):
        return wav  # digital silence: resemblyzer's level maths would turn it into NaN
    wav = audio.normalize_volume(wav, hp.audio_norm_target_dBFS, increase_only=True).astype(np.float32)
    window = (hp.vad_window_length * hp.sampling_rate) // 1000
    cut = wav[:len(wav) - (len(wav) % window)]
    if not len(cut):
        return wav
    pcm = np.round(cut * audio.int16_max).astype(np.int16).astype("<i2").tobytes()
    vad = webrtcvad.Vad(mode=3)
    flags = np.array([vad.is_speech(pcm[i * 2:(i + window) * 2], sample_rate=hp.sampling_rate)
                      for i in range(0, len(cut), window)])
    width = hp.vad_moving_average_width
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    ret = np.cumsum(padded, dtype=float)
    ret[width:] = ret[width:] - ret[:-width]
    mask = np.round(ret[width - 1:] / width).astype(bool)
    mask = binary_dilation(mask, np.ones(hp.vad_max_silence_length + 1))
    kept = cut[np.repeat(mask, window)]
    return kept if kept.size else wav


def rms_normalise(wav, target_dbfs=TARGET_DBFS):
    """Scale to `target_dbfs` RMS (both directions); digital silence is returned unchanged."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    if rms == 0.0:
        return wav
    return (wav * (10.0 ** (target_dbfs / 20.0) / rms)).astype(np.float32)


class ResemblyzerExtractor(Extractor):
    """256-d, unit-norm, non-negative GE2E embeddings at 16 kHz."""

    def __init__(self, device, normalisation="preprocess", partials_per_forward=None):
        if normalisation not in NORMALISATIONS:
            raise ExtractorError(f"resemblyzer normalisation {normalisation!r} unknown; use one of "
                                 f"{', '.join(NORMALISATIONS)} (e.g. resemblyzer:preprocess)")
        try:
            from resemblyzer import VoiceEncoder, audio, hparams
        except ImportError as e:
            raise ExtractorError(f"resemblyzer is not importable ({e}); install resemblyzer==0.1.4") from None
        self._audio, self._hp = audio, hparams
        self.encoder = VoiceEncoder(device=device, verbose=False).eval()
        self.device = device
        self.normalisation = normalisation
        # rows of every LSTM forward (module docstring); a GPU wants bigger batches
        self.partials_per_forward = int(partials_per_forward or (1024 if str(device).startswith("cuda") else 64))
        self.sample_rate = int(hparams.sampling_rate)
        self.dim = int(hparams.model_embedding_size)

    def prepare(self, wav):
        """The waveform the encoder sees (level normalisation / VAD)."""
        if self.normalisation == "preprocess":
            return preprocess_wav(wav)
        if self.normalisation == "rms":
            return rms_normalise(wav)
        return wav

    def partial_mels(self, wav):
        """Mel windows [n_partials, 160, 40] exactly as embed_utterance cuts them."""
        from resemblyzer import VoiceEncoder
        wav_slices, mel_slices = VoiceEncoder.compute_partial_slices(len(wav), PARTIAL_RATE, MIN_COVERAGE)
        need = wav_slices[-1].stop
        if need >= len(wav):
            wav = np.pad(wav, (0, need - len(wav)), "constant")
        mel = self._audio.wav_to_mel_spectrogram(wav)
        return np.stack([mel[s] for s in mel_slices])

    def embed(self, waveforms):
        import torch
        waveforms = as_batch(waveforms, self.sample_rate)
        mels = [self.partial_mels(self.prepare(w)) for w in waveforms]
        owners = np.repeat(np.arange(len(mels)), [len(m) for m in mels])
        allm = np.concatenate(mels)
        rows = self.partials_per_forward
        padded = np.zeros((-(-len(allm) // rows) * rows,) + allm.shape[1:], dtype=np.float32)
        padded[:len(allm)] = allm
        partial = np.empty((len(padded), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, len(padded), rows):
                x = torch.from_numpy(padded[s:s + rows]).to(self.device)
                partial[s:s + rows] = self.encoder(x).float().cpu().numpy()
        partial = partial[:len(allm)]
        sums = np.zeros((len(waveforms), self.dim), dtype=np.float64)
        np.add.at(sums, owners, partial)
        means = (sums / np.bincount(owners, minlength=len(waveforms))[:, None]).astype(np.float32)
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (means / norms).astype(np.float32)

    def describe(self):
        from importlib import metadata
        from pathlib import Path
        import resemblyzer
        weights = Path(resemblyzer.__file__).resolve().parent / "pretrained.pt"
        return {"spec": self.spec, "name": "resemblyzer", "version": "resemblyzer " + metadata.version("resemblyzer"),
                "weights_sha256": file_sha256(weights), "normalisation": self.normalisation,
                "target_dbfs": {"preprocess": "-30 (increase only) + webrtcvad trimming", "rms": "-30 (RMS, both ways)",
                                "raw": None}[self.normalisation],
                "partials": {"seconds": self._hp.partials_n_frames * self._hp.mel_window_step / 1000,
                             "rate": PARTIAL_RATE, "min_coverage": MIN_COVERAGE},
                "embedding_norm": "unit L2 norm, non-negative"}


@register_extractor("resemblyzer")
def _resemblyzer(arg, device, **options):
    return ResemblyzerExtractor(device, normalisation=arg or "preprocess", **options)

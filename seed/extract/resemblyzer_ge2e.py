"""Resemblyzer's GE2E encoder (weights ship in the `resemblyzer` wheel), batched across utterances.

`VoiceEncoder.embed_utterance` cuts an utterance into 1.6 s partial windows (rate 1.3 per second,
last window kept when at least 75 % covered, zero-padded), embeds each and L2-normalises their
mean. Here the partial windows of *all* waveforms in a call go through the LSTM together
(`max_partials` per forward), which is the same computation in bigger batches: cosine to
`embed_utterance` on the same audio ≥ 0.9999999 (tests/test_extract_resemblyzer.py).

Level normalisation (spec argument):
- `resemblyzer` / `resemblyzer:rms` (default): scale every waveform to −30 dBFS RMS (resemblyzer's
  target level; its mel input is linear, so level matters), no VAD;
- `resemblyzer:preprocess`: resemblyzer's own `preprocess_wav` (increase-only volume normalisation
  to −30 dBFS, then webrtcvad trimming of long silences); if the VAD keeps nothing the untrimmed,
  normalised waveform is used;
- `resemblyzer:raw`: the waveform as read.

Why RMS and not `preprocess_wav` by default — measured with
`python benchmarks/bench_extract.py --study resemblyzer-preprocess` (test-other, 10 speakers x 10
utterances, all 4,950 pairs, cosine scoring of whole-utterance embeddings; "noisy" = each
utterance mixed with a musan_mini noise file at 5 dB SNR, seeded per utterance; EER %):

    normalisation   clean-clean   clean-noisy   noisy-noisy   time per audio second
    rms (default)      0.89          7.56          10.00         3.1 ms
    preprocess         0.89          8.67          10.22         6.2 ms
    raw                0.89          9.33          10.70         3.1 ms

`preprocess_wav`'s VAD removes little from read speech and misfires on noise (it keeps noise-only
stretches and cuts speech at low SNR), it only ever raises the level (loud noisy input stays too
loud), and it doubles the time per utterance; RMS normalisation is as good on clean speech and better
on noisy speech, which is what SEED is fed.
"""
import numpy as np

from seed.extract.registry import Extractor, ExtractorError, as_batch, file_sha256, register_extractor

TARGET_DBFS = -30.0
PARTIAL_RATE = 1.3
MIN_COVERAGE = 0.75
NORMALISATIONS = ("rms", "preprocess", "raw")


def rms_normalise(wav, target_dbfs=TARGET_DBFS):
    """Scale to `target_dbfs` RMS (both directions); digital silence is returned unchanged."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    if rms == 0.0:
        return wav
    return (wav * (10.0 ** (target_dbfs / 20.0) / rms)).astype(np.float32)


class ResemblyzerExtractor(Extractor):
    """256-d, unit-norm, non-negative GE2E embeddings at 16 kHz."""

    def __init__(self, device, normalisation="rms", max_partials=256):
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
        self.max_partials = int(max_partials)
        self.sample_rate = int(hparams.sampling_rate)
        self.dim = int(hparams.model_embedding_size)

    def prepare(self, wav):
        """The waveform the encoder sees (level normalisation / VAD)."""
        if self.normalisation == "rms":
            return rms_normalise(wav)
        if self.normalisation == "preprocess":
            out = self._audio.preprocess_wav(wav)
            return out.astype(np.float32) if out.size else self._audio.normalize_volume(
                wav, TARGET_DBFS, increase_only=True).astype(np.float32)
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
        partial = np.empty((len(allm), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for s in range(0, len(allm), self.max_partials):
                x = torch.from_numpy(allm[s:s + self.max_partials]).to(self.device)
                partial[s:s + self.max_partials] = self.encoder(x).float().cpu().numpy()
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
                "target_dbfs": TARGET_DBFS if self.normalisation != "raw" else None,
                "partials": {"seconds": self._hp.partials_n_frames * self._hp.mel_window_step / 1000,
                             "rate": PARTIAL_RATE, "min_coverage": MIN_COVERAGE},
                "embedding_norm": "unit L2 norm, non-negative"}


@register_extractor("resemblyzer")
def _resemblyzer(arg, device, **options):
    return ResemblyzerExtractor(device, normalisation=arg or "rms", **options)

"""Crop policies: which pieces of an utterance get an embedding.

- `whole`: one embedding per utterance (ESPnet's Python API, Resemblyzer's embed_utterance);
  the ark holds a vector per utterance, `rows_per_utt: 1`.
- `crops:NxT` (also `N×T`, `NxTs`): N evenly spaced T-second crops, the ark holds an N×D matrix
  per utterance, `rows_per_utt: N` (the SEED paper scores 10×4 s, ESPnet-SPK's recipe 4×8 s).
  Crops are cut exactly as ESPnet-SPK's evaluation (`SpkPreprocessor`, train=False) cuts them:
  audio shorter than T is wrap-padded to T+1 samples, starts are `linspace(0, len-T, N)` truncated
  to integers, so `crops:4x8` reproduces the recipe's embeddings.
- Explicit offsets: give the data dir a Kaldi `segments` file (`utt recording start end`); each
  segment is then an utterance and `whole` embeds exactly that span. The simulation stage's
  multi-pair training crops are already cut into their own utterances, so `whole` applies there.
"""
import dataclasses
import re

import numpy as np

_CROPS = re.compile(r"^(?:crops:)?\s*(\d+)\s*[x×X*]\s*(\d+(?:\.\d*)?|\.\d+)\s*s?$")


@dataclasses.dataclass(frozen=True)
class CropPolicy:
    n: int = 0            # 0 means whole utterance
    seconds: float = 0.0

    @classmethod
    def parse(cls, text):
        text = (text or "whole").strip()
        if text == "whole":
            return cls()
        m = _CROPS.match(text)
        if not m:
            raise ValueError(f"crop policy {text!r} not understood; use 'whole' or 'crops:NxT' "
                             "(N crops of T seconds, e.g. crops:10x4)")
        n, seconds = int(m.group(1)), float(m.group(2))
        if n < 1 or seconds <= 0:
            raise ValueError(f"crop policy {text!r}: need N >= 1 crops of T > 0 seconds")
        return cls(n=n, seconds=seconds)

    @property
    def is_whole(self):
        return self.n == 0

    @property
    def rows_per_utt(self):
        return 1 if self.is_whole else self.n

    def __str__(self):
        return "whole" if self.is_whole else f"crops:{self.n}x{self.seconds:g}"

    def wrap_pads(self, wav, sample_rate):
        """True when `apply` tiles this waveform (shorter than one crop): counted by the runner."""
        return not self.is_whole and len(wav) < int(self.seconds * sample_rate)

    def apply(self, wav, sample_rate):
        """List of waveforms to embed for one utterance (1 for whole, N equal-length crops otherwise)."""
        if self.is_whole:
            return [wav]
        size = int(self.seconds * sample_rate)  # int(), as ESPnet's target_duration
        if len(wav) < size:
            wav = np.pad(wav, (0, size - len(wav) + 1), "wrap")
        starts = np.linspace(0, len(wav) - size, num=self.n)
        return [wav[int(s):int(s) + size] for s in starts]

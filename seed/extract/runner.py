"""The batched extraction loop: utterances → crops → extractor → ark rows, with a progress bar.

Utterances are processed longest first (errors from memory show up at once, and equal lengths
sit side by side, which is what lets ESPnet models stack them), batches hold at most
`batch_size` waveforms (crops count individually), and the next batch's audio is read in a
background thread while the extractor works on the current one.
"""
import concurrent.futures
import dataclasses
import sys
import time

import numpy as np
from tqdm import tqdm

from seed.data import SeedDataError
from seed.extract.audio_source import read_utterance, utterance_seconds


@dataclasses.dataclass
class ExtractionStats:
    n_utts: int = 0
    n_waveforms: int = 0
    audio_seconds: float = 0.0
    embed_seconds: float = 0.0   # time inside extractor.embed
    wall_seconds: float = 0.0    # whole loop, reading included
    wrap_padded: list = dataclasses.field(default_factory=list)   # utterances shorter than one crop (tiled)

    @property
    def rtf(self):
        """Real-time factor: wall seconds per second of audio (lower is faster)."""
        return self.wall_seconds / self.audio_seconds if self.audio_seconds else float("nan")

    def summary(self):
        rate = self.n_utts / self.wall_seconds if self.wall_seconds else float("nan")
        return (f"{self.n_utts} utterances ({self.n_waveforms} waveforms), {self.audio_seconds:.1f} s of audio in "
                f"{self.wall_seconds:.1f} s: {rate:.1f} utt/s, RTF {self.rtf:.4f} "
                f"({self.embed_seconds:.1f} s in the extractor)"
                + (f"; {len(self.wrap_padded)} utterances shorter than one crop, wrap-padded (first: "
                   f"{self.wrap_padded[0]})" if self.wrap_padded else ""))


def processing_order(data, utts):
    """Longest first; unknown durations (pipes without utt2dur) last; ties by key, so it is deterministic."""
    secs = {u: utterance_seconds(data, u) for u in utts}
    return sorted(utts, key=lambda u: (secs[u] is None, -(secs[u] or 0.0), u.encode("utf-8")))


def make_batches(order, rows_per_utt, batch_size):
    """Consecutive groups of utterances holding at most `batch_size` waveforms (at least one utterance)."""
    per = max(1, int(batch_size) // rows_per_utt)
    return [order[i:i + per] for i in range(0, len(order), per)]


def extract_utterances(extractor, data, utts, policy, writer, batch_size=64, progress=True, desc="extract"):
    """Embed `utts` of `data` under crop `policy` and write one entry per utterance to `writer`.

    Whole policy writes a vector per utterance; crops write an N×D matrix. Any unreadable, empty,
    wrong-rate audio or non-finite embedding raises SeedDataError naming the utterance and file.
    """
    stats = ExtractionStats()
    order = processing_order(data, utts)
    batches = make_batches(order, policy.rows_per_utt, batch_size)
    rate = extractor.sample_rate
    start = time.perf_counter()
    bar = tqdm(total=len(order), desc=desc, unit="utt", file=sys.stderr, disable=not progress,
               mininterval=0.5 if sys.stderr.isatty() else 30.0, dynamic_ncols=True)

    def read(batch):
        return [read_utterance(data, u, rate) for u in batch]

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool, bar:
        future = pool.submit(read, batches[0]) if batches else None
        for bi, batch in enumerate(batches):
            wavs = future.result()
            if bi + 1 < len(batches):
                future = pool.submit(read, batches[bi + 1])
            pieces = [policy.apply(w, rate) for w in wavs]
            flat = [p for ps in pieces for p in ps]
            t0 = time.perf_counter()
            emb = np.asarray(extractor.embed(flat), dtype=np.float32)
            stats.embed_seconds += time.perf_counter() - t0
            if emb.shape != (len(flat), extractor.dim):
                raise RuntimeError(f"extractor {extractor.spec!r} returned shape {emb.shape} for "
                                   f"{len(flat)} waveforms; expected ({len(flat)}, {extractor.dim})")
            row = 0
            for utt, wav, ps in zip(batch, wavs, pieces):
                block = emb[row:row + len(ps)]
                row += len(ps)
                if not np.isfinite(block).all():
                    raise SeedDataError(data.wav_path(utt), "embedding is not finite (silent or degenerate audio?)",
                                        key=utt)
                writer.write(utt, block[0] if policy.is_whole else block)
                if policy.wrap_pads(wav, rate):
                    stats.wrap_padded.append(utt)
                stats.audio_seconds += len(wav) / rate
            stats.n_utts += len(batch)
            stats.n_waveforms += len(flat)
            stats.wall_seconds = time.perf_counter() - start
            bar.update(len(batch))
            bar.set_postfix_str(f"RTF {stats.rtf:.4f}", refresh=False)
    stats.wall_seconds = time.perf_counter() - start
    return stats

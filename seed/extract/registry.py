"""Extractor interface and registry: every speaker encoder looks the same to the stages.

An extractor is anything with `sample_rate`, `dim` and a batched `embed(waveforms)`; the stage
code (`seed.extract.runner`, `seed.bin.extract`) never names a concrete model. A spec string
`NAME[:ARG]` picks one: `resemblyzer`, `espnet:/path/to/exp`, `espnet-tag:espnet/voxcelebs12_rawnet3`.
A new extractor plugs in with `register_extractor("name", factory)`; from the command line its
module is imported with `--plugin MODULE` so the registration runs.
"""
import abc
import hashlib
from pathlib import Path

import numpy as np


class ExtractorError(RuntimeError):
    """An extractor cannot be built or run (bad spec, missing model file, unavailable device)."""


class Extractor(abc.ABC):
    """A frozen speaker encoder. Subclasses set `spec`, `sample_rate`, `dim` and implement `embed`.

    `embed` takes a list of mono float32 waveforms at `sample_rate` (any lengths) and returns
    float32 [B, dim], row i for waveform i. It must not depend on how the caller groups
    waveforms beyond float rounding, so sharding and batch size never change results materially
    (resemblyzer: bit-identical; campplus: stacked equal-length crops differ from one-by-one by float
    rounding, ≈ 3e-6, so its files are identical for the same --nj and --batch-size only).
    """

    spec: str = ""
    sample_rate: int
    dim: int
    device: str = "cpu"

    @abc.abstractmethod
    def embed(self, waveforms):
        """float32 [len(waveforms), dim]."""

    def describe(self):
        """What produced the embeddings, for meta.yaml (spec, versions, model checksums, options)."""
        return {"spec": self.spec}


_REGISTRY = {}


def register_extractor(name, factory=None):
    """Register `factory(arg, device, **options) -> Extractor` under `name` (also usable as a decorator).

    `arg` is the text after the first ':' of the spec (None when absent). Registering a name twice
    with a different factory is an error, so two plugins cannot silently shadow each other.
    """
    if ":" in name or not name:
        raise ValueError(f"extractor name {name!r} must be non-empty and contain no ':'")

    def _register(f):
        old = _REGISTRY.get(name)
        if old is not None and old is not f:
            raise ValueError(f"extractor {name!r} is already registered by {old.__module__}.{old.__qualname__}")
        _REGISTRY[name] = f
        return f

    return _register(factory) if factory is not None else _register


def available_extractors():
    """Registered names, sorted."""
    _register_builtins()
    return sorted(_REGISTRY)


def parse_spec(spec):
    """`NAME[:ARG]` → (name, arg or None)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ExtractorError(f"empty extractor spec {spec!r}")
    name, sep, arg = spec.strip().partition(":")
    return name, (arg if sep else None)


def load_extractor(spec, device="cpu", **options):
    """Build the extractor named by `spec` on `device` ('cpu', 'cuda', 'cuda:N')."""
    _register_builtins()
    device = check_device(device)
    name, arg = parse_spec(spec)
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ExtractorError(f"unknown extractor {name!r} in spec {spec!r}; known: {', '.join(sorted(_REGISTRY))} "
                             "(a plugin registers more with seed.extract.register_extractor)")
    extractor = factory(arg, device, **options)
    if not isinstance(extractor, Extractor):
        raise ExtractorError(f"factory for {name!r} returned {type(extractor).__name__}, not an Extractor")
    extractor.spec = spec.strip()
    return extractor


def check_device(device):
    """Normalise and validate a torch device string; CUDA requested but absent is an error, not a fallback."""
    import torch
    device = str(device or "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ExtractorError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ExtractorError(f"device {device!r} requested but CUDA is not available on this machine")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ExtractorError(f"device {device!r} requested but only {torch.cuda.device_count()} GPU(s) exist")
    elif dev.type != "cpu":
        raise ExtractorError(f"unsupported device {device!r}; use cpu, cuda or cuda:N")
    return str(dev)


def file_sha256(path, chunk=1 << 20):
    """Checksum of a model file, so meta.yaml says exactly which weights were used."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def as_batch(waveforms, sample_rate):
    """Validate a list of waveforms: 1-D, non-empty, finite; returns float32 contiguous arrays."""
    out = []
    for i, w in enumerate(waveforms):
        w = np.asarray(w, dtype=np.float32)
        if w.ndim != 1:
            raise ValueError(f"waveform {i} has shape {w.shape}; expected mono 1-D samples at {sample_rate} Hz")
        if w.size == 0:
            raise ValueError(f"waveform {i} is empty")
        out.append(np.ascontiguousarray(w))
    return out


def equal_length_batches(waveforms, max_per_batch):
    """Index lists of waveforms of exactly equal length, at most `max_per_batch(length)` each, in first-seen
    order: TDNN/ECAPA-style networks change with zero padding, so only equal lengths may share a forward."""
    by_length = {}
    for i, w in enumerate(waveforms):
        by_length.setdefault(len(w), []).append(i)
    for length, idx in by_length.items():
        per = max(1, int(max_per_batch(length)))
        for s in range(0, len(idx), per):
            yield idx[s:s + per]


def _register_builtins():
    """Import the built-in adapters lazily (their heavy imports happen only when loaded)."""
    if "resemblyzer" in _REGISTRY and "espnet" in _REGISTRY and "campplus" in _REGISTRY:
        return
    from seed.extract import campplus, espnet_spk, resemblyzer_ge2e  # noqa: F401  (registration side effect)


def model_path(path, what):
    """An existing file path or an ExtractorError naming it."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ExtractorError(f"{what} not found: {p}")
    return p

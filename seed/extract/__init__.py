"""Frozen speaker extractors behind one interface, crop policies and batched extraction to ark/scp.

    from seed.extract import load_extractor
    ext = load_extractor("resemblyzer", device="cpu")      # or "espnet:/path/to/exp", "espnet-tag:TAG"
    emb = ext.embed([wav1, wav2])                           # float32 [2, ext.dim], wavs at ext.sample_rate

`register_extractor(name, factory)` adds an extractor without touching the stages; the stage
itself is `python -m seed.bin.extract` (seed.extract.stage does its bookkeeping).
"""
from seed.extract.crops import CropPolicy
from seed.extract.registry import (Extractor, ExtractorError, available_extractors, check_device, load_extractor,
                                   parse_spec, register_extractor)
from seed.extract.runner import ExtractionStats, extract_utterances

__all__ = ["CropPolicy", "Extractor", "ExtractorError", "available_extractors", "check_device", "load_extractor",
           "parse_spec", "register_extractor", "ExtractionStats", "extract_utterances"]

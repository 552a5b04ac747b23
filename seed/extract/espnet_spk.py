"""ESPnet-SPK extractors through ESPnet's own loading code (`Speech2Embedding`).

Specs:
- `espnet:EXP_DIR` — a training/packed experiment folder with `config.yaml` and a model file
  (the first present of valid.eer.best.pth, valid.eer.ave.pth, valid.eer.ave_1best.pth,
  latest.pth, model.pth, or the only *.pth in the folder);
- `espnet:CONFIG.yaml,MODEL.pth` — explicit files;
- `espnet-tag:TAG` — a model-zoo tag such as `espnet/voxcelebs12_rawnet3` (or `ORG/NAME@REVISION`)
  through `Speech2Embedding.from_pretrained(model_tag=TAG)` → espnet_model_zoo → huggingface_hub, unmodified:
  from the hub when it can be reached, else from the hub's local cache (HF_HUB_CACHE / HF_HOME; with
  HF_HUB_OFFLINE=1 only from there). Offline machines get a model into that cache with
  `python -m seed.bin.make_espnet_hub_model` (ESPnet's packer + the hub's cache layout,
  seed/extract/espnet_hub.py); tests/test_espnet_hub.py loads one by tag and checks the embeddings
  equal `espnet:EXP_DIR`'s. `describe()` records the tag, the snapshot revision and the checksums.

Batching and exactness. ESPnet-SPK encoders take no frame lengths (`encode_frame(feats)`), so zero
padding would leak into the convolution context of the last frames and change the embedding; and
`Speech2Embedding` passes no `speech_lengths`, so the pooling takes the unmasked path. To give the
same numbers as `Speech2Embedding` called one utterance at a time, `embed` stacks only waveforms
of exactly equal length (the runner sorts by length, so equal lengths are adjacent; crops and the
simulation stage's fixed-length training crops are all equal) and calls the model exactly as
`Speech2Embedding.__call__` does (`speech=`, `extract_embd=True`, no lengths). Outputs are ESPnet's
raw embeddings (not L2-normalised), as `Speech2Embedding` returns them.

Batch size on CPU: measured on 2 cores with an ECAPA-TDNN (C=512, 6.2 M parameters), stacking
helps short inputs (2 s: 11.5 → 7.8 ms per waveform at 8 per batch) and hurts long ones
(8 s: 28 → 50 ms at 8 per batch, cache-bound), so a batch is capped by total samples as well as
count: 16 s of audio per forward on CPU, 10 min on CUDA.
"""
import hashlib
import logging
from pathlib import Path

import numpy as np

from seed.extract.registry import (Extractor, ExtractorError, as_batch, equal_length_batches, file_sha256,
                                  register_extractor)

MODEL_FILE_PREFERENCE = ("valid.eer.best.pth", "valid.eer.ave.pth", "valid.eer.ave_1best.pth", "latest.pth",
                         "model.pth")
MAX_BATCH_SECONDS = {"cpu": 16.0, "cuda": 600.0}

log = logging.getLogger(__name__)


def resolve_local_model(arg):
    """`EXP_DIR` or `CONFIG,MODEL` → (config path, model path), both existing."""
    if not arg:
        raise ExtractorError("spec 'espnet:' needs a path: espnet:EXP_DIR or espnet:CONFIG.yaml,MODEL.pth")
    if "," in arg:
        config, model = (Path(p.strip()).expanduser() for p in arg.split(",", 1))
    else:
        exp = Path(arg).expanduser()
        if not exp.is_dir():
            raise ExtractorError(f"ESPnet experiment folder not found: {exp} (or pass espnet:CONFIG.yaml,MODEL.pth)")
        config = exp / "config.yaml"
        model = next((exp / n for n in MODEL_FILE_PREFERENCE if (exp / n).is_file()), None)
        if model is None:
            pths = sorted(exp.glob("*.pth"))
            if len(pths) != 1:
                raise ExtractorError(f"{exp}: no model file among {', '.join(MODEL_FILE_PREFERENCE)} and "
                                     f"{len(pths)} other *.pth files; name it with espnet:CONFIG.yaml,MODEL.pth")
            model = pths[0]
    for p, what in ((config, "ESPnet train config"), (model, "ESPnet model file")):
        if not p.is_file():
            raise ExtractorError(f"{what} not found: {p}")
    return config.absolute(), model.absolute()  # not resolve(): keep the name (symlinks like valid.eer.best.pth)


class ESPnetSpeakerExtractor(Extractor):
    """Wraps a `Speech2Embedding`; batches equal-length waveforms through its `spk_model`."""

    def __init__(self, speech2embedding, device, source, max_batch=64, max_batch_seconds=None):
        import torch
        self.s2e = speech2embedding
        self.model = speech2embedding.spk_model.eval()
        self.device = device
        self.source = dict(source)
        self.dtype = getattr(torch, speech2embedding.dtype)
        self.sample_rate = int(self._train_arg_sample_rate(speech2embedding.spk_train_args))
        self.max_batch = int(max_batch)
        secs = MAX_BATCH_SECONDS["cuda" if device.startswith("cuda") else "cpu"] \
            if max_batch_seconds is None else float(max_batch_seconds)
        self.max_batch_samples = max(1, int(secs * self.sample_rate))
        self.dim = int(self._forward([np.zeros(self.sample_rate, dtype=np.float32)]).shape[1])

    @staticmethod
    def _train_arg_sample_rate(args):
        for value in (getattr(args, "sample_rate", None),
                      (getattr(args, "preprocessor_conf", None) or {}).get("sample_rate"),
                      (getattr(args, "frontend_conf", None) or {}).get("fs")):
            if value:
                if isinstance(value, str):  # ESPnet accepts "16k"
                    value = float(value[:-1]) * 1000 if value.lower().endswith("k") else float(value)
                return int(value)
        return 16000

    def embed(self, waveforms):
        waveforms = as_batch(waveforms, self.sample_rate)
        out = np.empty((len(waveforms), self.dim), dtype=np.float32)
        per_batch = lambda length: min(self.max_batch, self.max_batch_samples // length)  # noqa: E731
        for part in equal_length_batches(waveforms, per_batch):
            out[part] = self._forward([waveforms[i] for i in part])
        return out

    def _forward(self, same_length):
        """One forward of equal-length waveforms, called exactly like Speech2Embedding.__call__."""
        import torch
        with torch.inference_mode():
            speech = torch.from_numpy(np.stack(same_length)).to(device=self.device, dtype=self.dtype)
            emb = self.model(speech=speech, extract_embd=True)
            return emb.float().cpu().numpy()

    def describe(self):
        from importlib import metadata
        d = {"spec": self.spec, "name": "espnet", "version": "espnet " + metadata.version("espnet"),
             "embedding_norm": "raw (ESPnet Speech2Embedding output, not L2-normalised)",
             "batching": "equal-length waveforms only; no padding",
             "frontend": getattr(self.s2e.spk_train_args, "frontend", None),
             "encoder": getattr(self.s2e.spk_train_args, "encoder", None),
             "weights_sha256": state_dict_sha256(self.model)}
        d.update(self.source)
        return d


def state_dict_sha256(model):
    """Checksum of the loaded weights (works for local files and hub downloads alike)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _import_speech2embedding():
    try:
        from espnet2.bin.spk_inference import Speech2Embedding
    except ImportError as e:
        raise ExtractorError(f"ESPnet-SPK is not importable ({e}); install with tools/install.sh "
                             "or `pip install -e .[espnet]`") from None
    return Speech2Embedding


@register_extractor("espnet")
def _espnet_local(arg, device, **options):
    config, model = resolve_local_model(arg)
    Speech2Embedding = _import_speech2embedding()
    s2e = Speech2Embedding(train_config=str(config), model_file=str(model), device=device)
    source = {"train_config": str(config), "model_file": str(model), "model_file_sha256": file_sha256(model)}
    return ESPnetSpeakerExtractor(s2e, device, source, **options)


TAG_PACKAGES = (("espnet_model_zoo", "espnet_model_zoo==0.1.11"), ("huggingface_hub", "huggingface-hub==2.4.0"))


@register_extractor("espnet-tag")
def _espnet_tag(arg, device, **options):
    if not arg:
        raise ExtractorError("spec 'espnet-tag:' needs a model tag, e.g. espnet-tag:espnet/voxcelebs12_rawnet3")
    Speech2Embedding = _import_speech2embedding()
    for module, pin in TAG_PACKAGES:  # from_pretrained imports them; fail first with the command that fixes it
        try:
            __import__(module)
        except ImportError:
            raise ExtractorError(
                f"espnet-tag:{arg} needs the `{module}` package: run tools/install.sh, or `pip install {pin}`"
                + (" --no-deps --ignore-requires-python (its wheel declares Python >= 3.12; see "
                   "tools/requirements-ignore-requires-python.txt)" if module == "espnet_model_zoo" else "")) from None
    from seed.extract.espnet_hub import explain_load_error, loaded_snapshot
    try:
        s2e = Speech2Embedding.from_pretrained(model_tag=arg, device=device)
    except Exception as e:  # hub/network/cache errors come in many types
        raise ExtractorError(explain_load_error(arg, e)) from None
    from importlib import metadata
    revision, snapshot, model = loaded_snapshot(arg)
    source = {"model_tag": arg, "hub_revision": revision, "hub_snapshot": None if snapshot is None else str(snapshot),
              "model_file": None if model is None else str(model),
              "model_file_sha256": file_sha256(model) if model is not None and model.is_file() else None,
              "espnet_model_zoo_version": metadata.version("espnet_model_zoo"),
              "huggingface_hub_version": metadata.version("huggingface_hub")}
    return ESPnetSpeakerExtractor(s2e, device, source, **options)

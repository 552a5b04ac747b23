"""CAM++ on ONNX Runtime: the CPU runtime of the `campplus` extractor (the fastest exact one measured here).

Why: on this project's CPUs ONNX Runtime runs the CAM++ network faster than PyTorch's own CPU paths
(eager, or the frozen oneDNN trace): figures in seed/extract/campplus.py, measured by
benchmarks/bench_extract.py. It is also the CPU runtime the field deploys speaker models with
(WeSpeaker's runtime; 3D-Speaker exports its models to ONNX).

How: a private copy of the wheel's network is exported once per process by torch.onnx (the
TorchScript-based exporter of the pinned torch 2.9, opset 17, batch and frame axes dynamic) into
memory, and run by an `onnxruntime.InferenceSession` on the CPU with the process's torch thread count
(so `seed.bin.extract --num-threads` governs it as it does torch).

Exactness: CAM++'s context pooling averages segments of 100 frames with `avg_pool1d(ceil_mode=True)`,
whose last, partial segment PyTorch divides by the frames it holds. Exported as it is, ONNX Runtime's
embeddings came out 1.6 % (max relative) away from PyTorch's on 2-s crops. The exported copy therefore
computes the same segment means as sums over zero-padded segments divided by their frame counts
(`exact_segment_pooling`, equal to PyTorch's to float rounding); the embeddings then equal the wheel's
network's to ≈ 5e-6 relative (tests/test_extract_campplus.py).

Limit: statistics pooling over a single frame takes another branch, which the export fixes at trace
time; the caller runs inputs that short on the eager network (campplus.MIN_OPTIMISED_FRAMES).
"""
import copy
import io
import types
import warnings

from seed.extract.registry import ExtractorError

OPSET = 17
EXPORT_FRAMES = 250          # example input: 125 frames after the stride-2 TDNN = 2 context segments
SEGMENT_FRAMES = 100         # CAMLayer.seg_pooling's default seg_len
INSTALL_HINT = "pip install onnx==1.23.2 onnxruntime==1.31.1 (tools/install.sh does)"


def require_packages():
    """onnxruntime (runs the network) and onnx (torch.onnx's exporter writes through it), or one line saying so."""
    import importlib.util
    for name in ("onnxruntime", "onnx"):
        if importlib.util.find_spec(name) is None:
            raise ExtractorError(f"campplus on CPU runs on ONNX Runtime and needs the `{name}` package: {INSTALL_HINT}")


def exact_segment_pooling(self, x, seg_len=SEGMENT_FRAMES, stype="avg"):
    """CAMLayer.seg_pooling (average of each 100-frame segment, repeated over its frames) as sums / counts.

    Same values as PyTorch's `avg_pool1d(ceil_mode=True)`, including the partial last segment, in
    operations that ONNX Runtime evaluates the same way."""
    import torch
    import torch.nn.functional as F
    if stype != "avg":
        raise ExtractorError(f"campplus ONNX export: context pooling {stype!r} is not supported (only 'avg')")
    frames = x.shape[-1]
    n_seg = (frames + seg_len - 1) // seg_len
    padded = F.pad(x, (0, n_seg * seg_len - frames))
    sums = padded.reshape(x.shape[0], x.shape[1], n_seg, seg_len).sum(-1)
    counts = (frames - torch.arange(n_seg, device=x.device) * seg_len).clamp(max=seg_len).to(x.dtype)
    seg = sums / counts
    return seg.unsqueeze(-1).expand(*seg.shape, seg_len).reshape(*seg.shape[:-1], -1)[..., :frames]


def export_onnx(model, feat_dim):
    """The network as ONNX bytes, inputs `feats` [B, frames, feat_dim] → `embedding` [B, dim]."""
    import torch
    net = copy.deepcopy(model).eval().cpu()
    for m in net.modules():
        if hasattr(m, "seg_pooling"):
            m.seg_pooling = types.MethodType(exact_segment_pooling, m)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # the deprecation notice of the TorchScript exporter, and the StatsPool branch (see the module docstring)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # constant folding off: ONNX Runtime folds them itself, and the export takes ~25 % less time
        torch.onnx.export(net, (torch.zeros(2, EXPORT_FRAMES, feat_dim),), buf, input_names=["feats"],
                          output_names=["embedding"], opset_version=OPSET, dynamo=False, do_constant_folding=False,
                          dynamic_axes={"feats": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}})
    return buf.getvalue()


class OnnxNetwork:
    """Callable float32 numpy [B, frames, feat_dim] → float32 numpy [B, dim] on ONNX Runtime's CPU provider."""

    def __init__(self, onnx_bytes, threads):
        import onnxruntime as ort     # presence checked by require_packages() when the extractor loads
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3     # errors only: its graph-optimiser notes are not the user's business
        self.threads = int(threads)
        self.session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])

    def __call__(self, feats):
        return self.session.run(None, {"feats": feats})[0]


def describe_runtime(threads):
    """What runs the network, for meta.yaml; needs no session, so describing never triggers an export."""
    from importlib import metadata
    return f"onnxruntime {metadata.version('onnxruntime')} (torch.onnx export, opset {OPSET}, {int(threads)} thread(s))"

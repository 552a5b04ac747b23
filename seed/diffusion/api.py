"""The Python API: load a trained SEED model, enhance embeddings.

    from seed import SEED
    m = SEED.load("exp/seed/resemblyzer_seed_matched")      # best.pt; device="auto"
    clean = m.enhance(embeddings, seed=0)                      # NumPy or torch, [D], [N, D], [N, C, D]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from seed.diffusion.checkpoint import load_checkpoint
from seed.diffusion.config import merge_config
from seed.diffusion.distributed import resolve_device
from seed.diffusion.enhance import EnhanceOptions, Enhancer
from seed.diffusion.model import RDMMLP
from seed.diffusion.schedule import DDPMSchedule


class SEED:
    """A trained SEED diffusion model with its enhancement settings (from the training config)."""

    def __init__(self, model: RDMMLP, config: dict, checkpoint_path: Path, checkpoint: dict):
        self.model = model.eval()
        self.config = config
        self.checkpoint_path = Path(checkpoint_path)
        self.step = checkpoint.get("step")
        self.finished = checkpoint.get("finished", False)
        self.best = checkpoint.get("best")
        self.schedule = DDPMSchedule(**config["diffusion"], device=self.device)

    @classmethod
    def load(cls, path, checkpoint: str = "best", device: str = "auto") -> "SEED":
        """Load from an experiment folder (`best.pt` or `last.pt` inside) or a checkpoint file.

        device: "auto" (the GPU when there is one), "cpu", "cuda" or "cuda:N".
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such experiment folder or checkpoint file")
        if path.is_dir():
            if checkpoint not in ("best", "last"):
                raise ValueError(f"checkpoint must be 'best' or 'last', got {checkpoint!r}")
            path = path / f"{checkpoint}.pt"
        dev = resolve_device(device) if device in ("auto", "cuda") else torch.device(device)
        ckpt = load_checkpoint(path, map_location="cpu")
        config = merge_config({k: v for k, v in ckpt["config"].items()}, source=str(path))
        model = RDMMLP(ckpt["dim"], **config["model"])
        model.load_state_dict(ckpt["model"])
        return cls(model.to(dev), config, path, ckpt)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dim(self) -> int:
        return self.model.dim

    def with_enhance_options(self, section: dict) -> "SEED":
        """The same network with another complete `enhance:` section (validated): what a recipe's
        conf says at enhancement time, instead of what was saved with the checkpoint."""
        import copy
        config = merge_config({**{k: v for k, v in self.config.items() if k != "name"}, "enhance": dict(section)},
                              source=str(self.checkpoint_path))
        config["name"] = self.config.get("name")
        other = copy.copy(self)
        other.config = config
        return other

    def options(self, **overrides) -> EnhanceOptions:
        """The config's enhancement options with any non-None overrides applied."""
        return EnhanceOptions.from_config(self.config["enhance"], **overrides)

    def enhancer(self, **overrides) -> Enhancer:
        return Enhancer(self.model, self.schedule, self.options(**overrides))

    def enhance(self, embeddings, seed: int = 0, t: int | None = None,
                zero_noise: bool | None = None, ddim_steps: int | None = None,
                batch_size: int | None = None, strength: float | None = None):
        """Enhanced copy of `embeddings` (last axis D; any leading shape, e.g. [N, crops, D]).

        Every row (crop) is enhanced independently. Returns the input's kind: a NumPy float32
        array, or a float32 tensor on the input tensor's device. Same input + seed → same output
        on a given device type; `zero_noise=True` (z = 0) makes it seed-free.
        """
        is_tensor = torch.is_tensor(embeddings)
        x = embeddings if is_tensor else np.asarray(embeddings)
        if x.shape[-1] != self.dim:
            raise ValueError(f"embeddings have dimension {x.shape[-1]}, the model expects {self.dim}")
        shape = tuple(x.shape)
        rows = x.reshape(-1, self.dim)
        out = self.enhancer(t=t, zero_noise=zero_noise, ddim_steps=ddim_steps,
                            batch_size=batch_size, strength=strength).enhance_rows(rows, seed=seed)
        return out.reshape(shape)

    def __repr__(self) -> str:
        return (f"SEED(dim={self.dim}, config={self.config.get('name')!r}, step={self.step}, "
                f"checkpoint='{self.checkpoint_path}', device={self.device})")

"""SEED enhancement: e → s·e/‖e‖ → noise to t* → one (or DDIM several) x0 pass(es) → clamp.

`Enhancer` works on row matrices (one embedding per row; per-crop matrices are flattened by the
caller, so every crop is enhanced independently). Noise is drawn per block of NOISE_BLOCK rows from
a generator seeded by (seed, block index), so row r gets the same z whatever the batch size: the
same input, seed and device type give identical output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch

from seed.diffusion.model import RDMMLP
from seed.diffusion.schedule import DDPMSchedule

NOISE_BLOCK = 1024


def derive_noise_seed(seed: int, block: int) -> int:
    """Generator seed of one noise block (seed.data.derive_seed: a stable hash, never `hash`)."""
    from seed.data import derive_seed
    return derive_seed(seed, "enhance-noise", block) % (2 ** 63)


def scale_to_sqrt_dim(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """√D·x/‖x‖ row-wise: the official `norm_clamp_embed` (normalize_type 'l2')."""
    return x * (math.sqrt(x.shape[-1]) / x.norm(dim=-1, keepdim=True).clamp_min(eps))


def _default(key):
    """The default of enhance.<key> from the one settings table (seed.diffusion.config.DEFAULTS)."""
    from seed.diffusion.config import DEFAULTS
    return DEFAULTS["enhance"][key]


@dataclass
class EnhanceOptions:
    """How embeddings are enhanced. Defaults come from DEFAULTS["enhance"] (never repeated here):
    the official single-step sampler, with `strength` the project's 0.3 — output = s·f(y) + (1−s)·x_in,
    which limits the contraction toward the training speakers' mean on clean or out-of-domain
    speech (docs/safe-default.md); strength 1 is the official output."""
    t: int = _default("t")
    input_scale: str = _default("input_scale")
    ddim_steps: int = _default("ddim_steps")
    clamp: float | None = _default("clamp")
    zero_noise: bool = _default("zero_noise")
    batch_size: int = _default("batch_size")
    strength: float = _default("strength")

    @classmethod
    def from_config(cls, section: dict, **overrides) -> "EnhanceOptions":
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in section.items() if k in names}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class Enhancer:
    """Runs a trained RDMMLP over embedding rows with the configured sampler."""

    def __init__(self, model: RDMMLP, schedule: DDPMSchedule, options: EnhanceOptions):
        if options.input_scale not in ("raw", "sqrt_dim"):
            raise ValueError(f"input_scale must be raw or sqrt_dim, got {options.input_scale!r}")
        if not 0.0 <= options.strength <= 1.0:
            raise ValueError(f"strength must be in [0, 1], got {options.strength!r}")
        self.model = model
        self.device = next(model.parameters()).device
        self.schedule = schedule.to(self.device)
        self.options = options
        self.timesteps = self.schedule.ddim_timesteps(options.t, options.ddim_steps)
        self.clamp_value = None if options.clamp is None else options.clamp * math.sqrt(model.dim)
        self._cached_block = None

    def noise(self, start: int, stop: int, seed: int) -> torch.Tensor:
        """z for rows [start, stop): whole seeded blocks of NOISE_BLOCK rows, sliced."""
        first, last = start // NOISE_BLOCK, (stop - 1) // NOISE_BLOCK
        blocks = [self._noise_block(seed, b) for b in range(first, last + 1)]
        z = blocks[0] if len(blocks) == 1 else torch.cat(blocks)
        offset = first * NOISE_BLOCK
        return z[start - offset: stop - offset]

    def _noise_block(self, seed: int, block: int) -> torch.Tensor:
        """One block of z, remembered so batches smaller than a block draw it only once."""
        if self._cached_block is not None and self._cached_block[0] == (seed, block):
            return self._cached_block[1]
        gen = torch.Generator(device=self.device)
        gen.manual_seed(derive_noise_seed(seed, block))
        z = torch.randn(NOISE_BLOCK, self.model.dim, generator=gen, device=self.device)
        self._cached_block = ((seed, block), z)
        return z

    @torch.no_grad()
    def enhance_batch(self, x: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
        """Enhance one batch [B, D] on the model's device; z None means z = 0."""
        a, s = self.schedule.coefficients(self.timesteps[0])
        if self.options.input_scale == "sqrt_dim":   # √ᾱ·√D·x/‖x‖ in one multiply
            y = x * ((a * math.sqrt(x.shape[-1])) / x.norm(dim=-1, keepdim=True).clamp_min(1e-12))
        else:
            y = x * a
        strength = self.options.strength
        x_in = y / a if strength < 1.0 else None     # the input at the scale the model works in
        if z is not None:
            y.add_(z, alpha=s)
        for i, t in enumerate(self.timesteps):
            x0 = self.model(y, t)
            if self.clamp_value is not None:
                x0 = x0.clamp_(-self.clamp_value, self.clamp_value)
            if i + 1 == len(self.timesteps):
                return x0 if x_in is None else x0.mul_(strength).add_(x_in, alpha=1.0 - strength)
            # DDIM (eta 0) step for an x0-predicting model, as diffusers DDIMScheduler.step.
            a_t, s_t = self.schedule.coefficients(t)
            a_prev, s_prev = self.schedule.coefficients(self.timesteps[i + 1])
            eps = (y - a_t * x0) / s_t
            y = a_prev * x0 + s_prev * eps
        raise AssertionError("unreachable")

    @torch.no_grad()
    def enhance_rows(self, rows, seed: int = 0, row_offset: int = 0):
        """Enhance a [N, D] NumPy array or tensor; returns the same kind, dtype float32.

        A tensor comes back on its own device; NumPy input is computed on the model's device.
        `row_offset` places these rows inside a larger stream for noise-block alignment.
        """
        is_numpy = isinstance(rows, np.ndarray)
        x = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)) if is_numpy else rows
        if x.dim() != 2 or x.shape[1] != self.model.dim:
            raise ValueError(f"expected embeddings of shape [N, {self.model.dim}], got {tuple(x.shape)}")
        in_device = x.device
        n = x.shape[0]
        out = torch.empty((n, self.model.dim), dtype=torch.float32, device=in_device)
        # Batches of at least a block are whole blocks (rounded up), so each block is drawn once.
        bs = self.options.batch_size
        if bs >= NOISE_BLOCK:
            bs = -(-bs // NOISE_BLOCK) * NOISE_BLOCK
        start = 0
        while start < n:
            global_start = row_offset + start
            stop = min(n, start + bs - (global_start % NOISE_BLOCK if bs >= NOISE_BLOCK else 0))
            xb = x[start:stop].to(self.device, dtype=torch.float32, non_blocking=True)
            zb = None if self.options.zero_noise else self.noise(global_start, row_offset + stop, seed)
            out[start:stop] = self.enhance_batch(xb, zb).to(in_device)
            start = stop
        return out.numpy() if is_numpy else out

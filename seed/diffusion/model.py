"""RDM-MLP backbone of SEED, layer for layer as the official `rdm_mlp.py` (seed-method.md §2).

Module names follow the official/RCG `SimpleMLP` (`time_embed`, `input_proj`, `res_blocks.N.
{in_layers,emb_layers,out_layers}`, `out`) so official state dicts map onto it one to one.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def timestep_embedding(timesteps: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding [cos | sin] of integer timesteps, shape [B, dim] (guided-diffusion)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period)
                      * torch.arange(half, dtype=torch.float32, device=timesteps.device) / half)
    args = timesteps.reshape(-1, 1).float() * freqs.unsqueeze(0)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


def zero_module(module: nn.Module) -> nn.Module:
    """Zero every parameter: residual branches and the head start as exact no-ops / zero output."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class ResBlock(nn.Module):
    """LN→SiLU→Linear, + SiLU→Linear(time emb) added, LN→SiLU→Linear(zero-init), residual add."""

    def __init__(self, channels: int, mid_channels: int, emb_channels: int, dropout: float = 0.0):
        super().__init__()
        self.in_layers = nn.Sequential(nn.LayerNorm(channels), nn.SiLU(),
                                       nn.Linear(channels, mid_channels))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, mid_channels))
        self.out_layers = nn.Sequential(nn.LayerNorm(mid_channels), nn.SiLU(), nn.Dropout(dropout),
                                        zero_module(nn.Linear(mid_channels, channels)))

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.in_layers(x) + self.emb_layers(emb)
        return x + self.out_layers(h)


PREDICTIONS = ("x0", "residual")


class RDMMLP(nn.Module):
    """x0-predicting MLP: D→2D projection, 3 time-conditioned residual blocks of width 2D, 2D→D head.

    `forward(x, t)` takes t as a [B] integer tensor (training: one timestep per row) or as a
    Python int / 0-d tensor (enhancement: one timestep for the batch, whose time embedding is then
    computed once and broadcast instead of once per row).

    `prediction`: "x0" (official) returns the head's output as x̂0; "residual" returns x_t + head, so
    the network learns the correction toward the clean embedding and, its head zero-initialised,
    starts as the identity (issue 15's prediction-target variant; same parameters and state dict).
    """

    def __init__(self, dim: int, num_blocks: int = 3, dropout: float = 0.0, prediction: str = "x0"):
        super().__init__()
        if dim < 2:
            raise ValueError(f"embedding dim must be >= 2, got {dim}")
        if prediction not in PREDICTIONS:
            raise ValueError(f"prediction must be one of {PREDICTIONS}, got {prediction!r}")
        self.dim = dim
        self.num_blocks = num_blocks
        self.prediction = prediction
        self.model_channels = 2 * dim
        # Creation order as in the official code, so a seeded init draws the same numbers.
        self.time_embed = nn.Sequential(nn.Linear(self.model_channels, dim), nn.SiLU(),
                                        nn.Linear(dim, dim))
        self.input_proj = nn.Linear(dim, self.model_channels)
        self.res_blocks = nn.ModuleList(
            ResBlock(self.model_channels, self.model_channels, dim, dropout) for _ in range(num_blocks))
        self.out = nn.Sequential(nn.LayerNorm(self.model_channels, eps=1e-6), nn.SiLU(),
                                 zero_module(nn.Linear(self.model_channels, dim)))

    def forward(self, x: torch.Tensor, t) -> torch.Tensor:
        if not torch.is_tensor(t) or t.dim() == 0:
            t = torch.as_tensor(t, device=x.device).reshape(1)  # one row, broadcast over the batch
        emb = self.time_embed(timestep_embedding(t, self.model_channels))
        h = self.input_proj(x)
        for block in self.res_blocks:
            h = block(h, emb)
        out = self.out(h)
        return out + x if self.prediction == "residual" else out


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

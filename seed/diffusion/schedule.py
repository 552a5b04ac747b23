"""DDPM noise schedule of the official SEED code (diffusers DDIMScheduler, `scaled_linear`).

Kept as plain tensors rather than a diffusers dependency: training needs only ᾱ_t to diffuse the
input, and enhancement needs ᾱ_t plus the DDIM update for `prediction_type='sample'`.
"""
from __future__ import annotations

import numpy as np
import torch

SCHEDULES = ("scaled_linear", "linear")


class DDPMSchedule:
    """Betas and cumulative alphas for T training steps (seed-method.md §3).

    `scaled_linear`: β_i = (√β_start + (√β_end − √β_start)·i/(T−1))², ᾱ_t = Π_{i≤t}(1 − β_i).
    Computed in float64 and stored as float32 tensors on `device`.
    """

    def __init__(self, num_train_timesteps: int = 1000, beta_start: float = 1e-4,
                 beta_end: float = 0.02, beta_schedule: str = "scaled_linear", device="cpu"):
        if num_train_timesteps < 1:
            raise ValueError(f"num_train_timesteps must be >= 1, got {num_train_timesteps}")
        if beta_schedule == "scaled_linear":
            betas = np.linspace(beta_start ** 0.5, beta_end ** 0.5, num_train_timesteps) ** 2
        elif beta_schedule == "linear":
            betas = np.linspace(beta_start, beta_end, num_train_timesteps)
        else:
            raise ValueError(f"unknown beta_schedule {beta_schedule!r}; choose from {SCHEDULES}")
        self.num_train_timesteps = num_train_timesteps
        self.beta_schedule = beta_schedule
        self.beta_start, self.beta_end = beta_start, beta_end
        alphas_cumprod = np.cumprod(1.0 - betas)
        self.alphas_cumprod_np = alphas_cumprod
        self.device = torch.device(device)
        self.betas = torch.tensor(betas, dtype=torch.float32, device=self.device)
        self.alphas_cumprod = torch.tensor(alphas_cumprod, dtype=torch.float32, device=self.device)
        self.sqrt_alphas_cumprod = torch.tensor(np.sqrt(alphas_cumprod), dtype=torch.float32,
                                                device=self.device)
        self.sqrt_one_minus_alphas_cumprod = torch.tensor(np.sqrt(1.0 - alphas_cumprod),
                                                          dtype=torch.float32, device=self.device)

    def to(self, device) -> "DDPMSchedule":
        """The same schedule with its tensors on `device`."""
        return DDPMSchedule(self.num_train_timesteps, self.beta_start, self.beta_end,
                            self.beta_schedule, device=device)

    def check_timestep(self, t: int) -> int:
        t = int(t)
        if not 0 <= t < self.num_train_timesteps:
            raise ValueError(f"timestep {t} outside [0, {self.num_train_timesteps - 1}]")
        return t

    def coefficients(self, t: int) -> tuple[float, float]:
        """(√ᾱ_t, √(1−ᾱ_t)) for one integer timestep, as Python floats (float64 precision)."""
        t = self.check_timestep(t)
        a = float(self.alphas_cumprod_np[t])
        return a ** 0.5, (1.0 - a) ** 0.5

    def add_noise(self, x: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Forward diffusion q(x_t | x_0) for a batch: √ᾱ_t·x + √(1−ᾱ_t)·noise, t of shape [B]."""
        return (self.sqrt_alphas_cumprod[t].unsqueeze(-1) * x
                + self.sqrt_one_minus_alphas_cumprod[t].unsqueeze(-1) * noise)

    def ddim_timesteps(self, t_start: int, num_steps: int) -> list[int]:
        """Descending DDIM timesteps from `t_start` to 0 in `num_steps` evaluations.

        One step is the official single-step sampler ([t_start]); t_start=980 with 50 steps gives
        980, 960, …, 0, the official `use_ddim=True` loop (diffusers 'leading' spacing).
        """
        t_start = self.check_timestep(t_start)
        if num_steps < 1:
            raise ValueError(f"ddim steps must be >= 1, got {num_steps}")
        if num_steps == 1:
            return [t_start]
        if num_steps > t_start + 1:
            raise ValueError(f"{num_steps} DDIM steps do not fit between timestep {t_start} and 0")
        steps = np.rint(np.linspace(t_start, 0, num_steps)).astype(int).tolist()
        if len(set(steps)) != len(steps):
            raise ValueError(f"{num_steps} DDIM steps from timestep {t_start} repeat a timestep")
        return steps

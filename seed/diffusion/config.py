"""SEED training/enhancement configuration: defaults, YAML loading, validation.

DEFAULTS is the ONE table of SEED's training and enhancement settings: every CLI, the Python API and
`EnhanceOptions` read their defaults from it, and a config file lists only what it changes.
`base: NAME_OR_PATH` in a config names another config (a shipped one, or a path relative to the
file) whose values it starts from, so recipe configs are a few overrides of a shared base instead of
copies. `load_config` merges file(s) onto DEFAULTS and rejects unknown keys and bad values with one
line naming the file and the key, so a typo never silently trains the default model. The resolved
(complete) config is what an experiment folder records.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

CONFIG_DIR = Path(__file__).resolve().parent / "configs"

DEFAULTS: dict = {
    "model": {
        "num_blocks": 3,          # residual blocks of width 2D (official: 3)
        "dropout": 0.0,           # official: 0
        "prediction": "x0",       # x0: the network outputs x̂0 (official); residual: x̂0 = y_t + output
    },
    "diffusion": {
        "num_train_timesteps": 1000,
        "beta_schedule": "scaled_linear",
        "beta_start": 1.0e-4,
        "beta_end": 0.02,
    },
    "train": {
        "train_scale": "sqrt_dim",  # sqrt_dim: x0 and y_k as √D·e/‖e‖ (matched); raw: as extracted (official)
        "loss": "l1",               # l1 (official) | l2 | huber
        "batch_size": 512,          # global pairs per optimiser step, split over DDP ranks
        "epochs": 50,               # passes over the pairs file (the last incomplete batch is dropped)
        "max_steps": None,          # optional cap on optimiser steps; training stops at whichever comes first
        "lr": 5.0e-4,               # AdamW, constant (official)
        "weight_decay": 5.0e-5,
        "adam_betas": [0.9, 0.999],
        "grad_clip": None,          # max L2 norm, None = off (official 9999, effectively off)
        "seed": 0,                  # model init, shuffling, timesteps and noise
        "speaker_fraction": 1.0,    # share of the pairs' speakers SEED trains on (data-scale studies; nested:
                                    # a smaller share is a subset of a larger one); < 1 reads utt2spk beside pairs
        "clean_pair_share": None,   # share of clean→clean pairs to train on, in [0, 1): clean pairs thinned or
                                    # repeated evenly (seed.diffusion.pairs); None = as in the pairs file
        "log_interval": 100,        # steps between train.log lines
        "save_interval": 1000,      # steps between last.pt refreshes (and at the end); 0 = every epoch end
    },
    "enhance": {
        "input_scale": "sqrt_dim",  # sqrt_dim: e → √D·e/‖e‖ before noising (official); raw: as given
        "t": 50,                    # t*: noise level of the single step (official 50; a timestep, not a count)
        "ddim_steps": 1,            # 1 = official single step; N > 1: DDIM (eta 0) from t down to 0
        "clamp": 3.0,               # clamp output to ±clamp·√D (official 3); None = no clamp
        "zero_noise": False,        # z = 0: deterministic enhancement
        "strength": 0.3,            # output = s·f(y) + (1−s)·input (input at the model's scale); 1 = official
                                    # (seed_paper); 0.3 is the project default (docs/safe-default.md)
        "batch_size": 4096,         # rows per forward pass
    },
    "valid": {
        "seed": 0,                  # enhancement noise seed used for the per-epoch dev EER
    },
}

CHOICES = {
    ("model", "prediction"): ("x0", "residual"),
    ("train", "train_scale"): ("raw", "sqrt_dim"),
    ("train", "loss"): ("l1", "l2", "huber"),
    ("enhance", "input_scale"): ("raw", "sqrt_dim"),
    ("diffusion", "beta_schedule"): ("scaled_linear", "linear"),
}
OPTIONAL = {("train", "max_steps"), ("train", "grad_clip"), ("enhance", "clamp"), ("train", "epochs"),
            ("train", "clean_pair_share")}
POSITIVE_INT = {("train", "batch_size"), ("train", "log_interval"), ("model", "num_blocks"),
                ("diffusion", "num_train_timesteps"), ("enhance", "ddim_steps"),
                ("enhance", "batch_size")}


class ConfigError(ValueError):
    """A config value that cannot be used; the message names the file and the key."""


def builtin_config_path(name: str) -> Path:
    """Path of a shipped config (`seed_matched`, `seed_paper`, `seed_debug`)."""
    return CONFIG_DIR / f"{name}.yaml"


def load_config(path) -> dict:
    """Read a YAML config (a path, or the name of a shipped one) merged onto DEFAULTS, validated.

    The result carries `name` (the file's `name:` or its stem) so experiment folders and meta files
    can say what made them; `base:` chains are followed (a cycle is an error).
    """
    user, p = _read_chain(path, seen=())
    cfg = merge_config(user, source=str(p))
    cfg["name"] = str(user.get("name", p.stem))
    return cfg


def resolve_config_path(path, relative_to=None) -> Path:
    """A config path as given, relative to another config's folder, or a shipped config's name."""
    p = Path(path)
    if relative_to is not None and not p.is_absolute() and (Path(relative_to).parent / p).is_file():
        return Path(relative_to).parent / p
    if not p.exists() and builtin_config_path(str(path)).exists():
        return builtin_config_path(str(path))
    return p


def _read_chain(path, seen, relative_to=None):
    """(merged user mapping, path of the outermost file): `base:` first, then this file on top."""
    p = resolve_config_path(path, relative_to)
    if not p.is_file():
        raise ConfigError(f"{path}: config file not found" + (f" (base of {relative_to})" if relative_to else ""))
    if p.resolve() in seen:
        raise ConfigError(f"{p}: key 'base': cycle of base configs ({' -> '.join(map(str, seen))})")
    with open(p, encoding="utf-8") as f:
        try:
            user = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{p}: not valid YAML: {e}".replace("\n", " ")) from None
    if not isinstance(user, dict):
        raise ConfigError(f"{p}: top level must be a mapping of sections")
    base = user.pop("base", None)
    if base is None:
        return user, p
    merged, _ = _read_chain(base, seen + (p.resolve(),), relative_to=p)
    merged.pop("name", None)              # the name is the outermost file's
    for section, values in user.items():
        if section != "name" and isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **values}
        else:
            merged[section] = values
    return merged, p


def merge_config(user: dict, source: str = "<config>") -> dict:
    """DEFAULTS updated by `user` (two-level dict), then validated."""
    if not isinstance(user, dict):
        raise ConfigError(f"{source}: top level must be a mapping of sections")
    cfg = copy.deepcopy(DEFAULTS)
    for section, values in user.items():
        if section == "name":
            continue
        if section not in cfg:
            raise ConfigError(f"{source}: key '{section}': unknown section (known: {', '.join(cfg)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: key '{section}': must be a mapping")
        for key, value in values.items():
            if key not in cfg[section]:
                raise ConfigError(f"{source}: key '{section}.{key}': unknown option "
                                  f"(known: {', '.join(cfg[section])})")
            cfg[section][key] = value
    validate_config(cfg, source)
    if "name" in user:
        cfg["name"] = str(user["name"])
    return cfg


def validate_config(cfg: dict, source: str = "<config>") -> None:
    """Type and range checks; raises ConfigError naming the first bad key."""
    for section, values in DEFAULTS.items():
        for key, default in values.items():
            value = cfg[section][key]
            where = f"{source}: key '{section}.{key}'"
            if value is None:
                if (section, key) in OPTIONAL:
                    continue
                raise ConfigError(f"{where}: must not be empty")
            if (section, key) in CHOICES and value not in CHOICES[(section, key)]:
                raise ConfigError(f"{where}: {value!r} is not one of {CHOICES[(section, key)]}")
            expected = type(default) if default is not None else (int, float)
            if isinstance(default, float) or default is None:
                expected = (int, float)
            if isinstance(value, bool) and expected is not bool:
                raise ConfigError(f"{where}: expected a number, got {value!r}")
            if not isinstance(value, expected):
                raise ConfigError(f"{where}: expected {getattr(expected, '__name__', 'a number')}, "
                                  f"got {value!r}")
            if (section, key) in POSITIVE_INT and value < 1:
                raise ConfigError(f"{where}: must be >= 1, got {value}")
    t = cfg["train"]
    if t["epochs"] is None and t["max_steps"] is None:
        raise ConfigError(f"{source}: key 'train.epochs': set epochs or max_steps")
    for key in ("epochs", "max_steps"):
        if t[key] is not None and (not isinstance(t[key], int) or t[key] < 1):
            raise ConfigError(f"{source}: key 'train.{key}': must be an integer >= 1, got {t[key]!r}")
    if not 0.0 < t["speaker_fraction"] <= 1.0:
        raise ConfigError(f"{source}: key 'train.speaker_fraction': must be in (0, 1], got {t['speaker_fraction']}")
    if t["clean_pair_share"] is not None and not 0.0 <= t["clean_pair_share"] < 1.0:
        raise ConfigError(f"{source}: key 'train.clean_pair_share': must be in [0, 1) or null, got {t['clean_pair_share']}")
    if t["save_interval"] < 0:
        raise ConfigError(f"{source}: key 'train.save_interval': must be >= 0, got {t['save_interval']}")
    if len(t["adam_betas"]) != 2:
        raise ConfigError(f"{source}: key 'train.adam_betas': must be two numbers")
    T = cfg["diffusion"]["num_train_timesteps"]
    strength = cfg["enhance"]["strength"]
    if not isinstance(strength, (int, float)) or not 0.0 <= strength <= 1.0:
        raise ConfigError(f"{source}: key 'enhance.strength': must be a number in [0, 1], got {strength!r}")
    if not 0 <= cfg["enhance"]["t"] < T:
        raise ConfigError(f"{source}: key 'enhance.t': must be in [0, {T - 1}], got {cfg['enhance']['t']}")


def save_config(cfg: dict, path) -> None:
    """Write the resolved config atomically (YAML, sections in DEFAULTS order)."""
    from seed.data import atomic_write
    with atomic_write(path) as f:
        yaml.safe_dump(cfg, f, sort_keys=False, default_flow_style=None)


def apply_overrides(cfg: dict, assignments, source: str = "--set") -> dict:
    """Apply `section.key=value` strings (value parsed as YAML) to a resolved config, re-validated."""
    cfg = copy.deepcopy(cfg)
    for item in assignments or ():
        name, sep, text = item.partition("=")
        section, dot, key = name.strip().partition(".")
        if not sep or not dot:
            raise ConfigError(f"{source}: key '{item}': expected section.key=value")
        if section not in DEFAULTS or key not in DEFAULTS[section]:
            raise ConfigError(f"{source}: key '{name}': unknown option")
        cfg[section][key] = yaml.safe_load(text) if text.strip() else None
    validate_config(cfg, source)
    return cfg

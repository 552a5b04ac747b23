"""SEED systems of recipe stages 4-6, resolved ONCE into a systems file that stages 4, 5 and 6 read.

A system is a trained SEED model plus complete enhancement options:
- `seed`: the recipe's model with the recipe conf's `enhance:` section (merged onto the defaults
  table), so editing `enhance.strength` in conf/seed.yaml and rerunning stage 4 takes effect
  without retraining;
- `--enhance-variants "NAME:opt=val,opt=val ..."`: the same model, other enhancement options (any key
  of the `enhance:` section; values parsed as YAML, underscores untouched; a bare `opt` means true);
- `--ood-models "NAME=EXP_DIR ..."`: models trained by other recipes, enhanced with THIS recipe's
  enhancement options (the out-of-domain protocol).
Trial lists: the main list (`test_list`: the test set's trials, scored on every simulated
condition) and `--eval-lists "NAME=SET[:TRIALS_FILE] ..."`: more clean lists on other data dirs
(Vox1-E/H, VC-Mix, VoxSRC-23), scored as they are, each its own report section.
Domain centering: `adapt_set` names unlabelled target-domain audio (default: the clean test set,
transductive); every system's embeddings of it (enhanced with the first eval seed for SEED systems)
give the mean the `domain_centering` / `<name>_domain_centered` rows subtract.
The file also records where everything lives (embeddings, enhanced folders, backends, sets), so no
later stage re-derives a path or a "first eval seed".
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import yaml

from seed.data import SeedDataError, atomic_write
from seed.diffusion.config import DEFAULTS, ConfigError, load_config, validate_config
from seed.simulate.conditions import condition_set

CLEAN = "clean"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RESERVED = {"baseline", "centering", "domain_centering", "seed"}
# Settings that do not change what a trained model computes (compared when stage 4 checks that the
# checkpoint was trained with the recipe conf's model/train/diffusion sections).
NOT_MODEL_DEFINING = {("train", "log_interval"), ("train", "save_interval")}


@dataclasses.dataclass
class SeedSystem:
    name: str
    kind: str            # main | variant | ood | adapted (an OOD model fine-tuned here at stage 3)
    model: str           # experiment folder (best.pt inside) or checkpoint file
    enhance: dict        # complete enhancement options
    enhanced_dir: str    # enhanced embeddings: <enhanced_dir>/seed<S>/<set>/embedding.scp
    backend_dir: str     # stage-5 backend from THIS corpus's sets enhanced by this system

    def seed_dir(self, seed: int) -> Path:
        return Path(self.enhanced_dir) / f"seed{seed}"


@dataclasses.dataclass
class RecipeSystems:
    """Everything stages 4-6 need to know; written by stage 4 (`seed.bin.enhance_systems`)."""
    systems: list
    eval_seeds: list
    embed_dir: str            # extractor embeddings: <embed_dir>/<set>/embedding.scp
    baseline_backend_dir: str
    test_set: str
    conditions: list          # 'clean' first
    pairs_set: str            # SEED's training copies (their clean targets: the centering set)
    pairs_file: str
    labelled_set: str         # PLDA / cohort set (the pairs set when the recipe has no --plda-set)
    utt2spk: str
    config: str               # the recipe conf the systems were resolved from
    test_list: str = ""       # name of the main list in the report (default: the test set's name)
    eval_lists: list = dataclasses.field(default_factory=list)  # [{"name", "set", "trials"}]: clean lists
    adapt_set: str = ""       # unlabelled target-domain data dir of the domain-centering controls
                              # (empty: the clean test set itself, i.e. transductive)

    @property
    def main_list(self) -> str:
        return self.test_list or self.test_set

    @property
    def eval_sets(self) -> list:
        """Data dirs of the extra lists (each once), enhanced like the test sets."""
        return list(dict.fromkeys(x["set"] for x in self.eval_lists if x["set"] not in self.test_sets))

    @property
    def domain_set(self) -> str:
        """The set whose mean the domain-centering controls subtract (`adapt_set`, else the clean test set)."""
        return self.adapt_set or self.test_set

    @property
    def transductive(self) -> bool:
        """True when the domain mean comes from the evaluation audio itself (the default)."""
        return self.domain_set == self.test_set

    @property
    def first_seed(self) -> int:
        """The eval seed whose enhanced training sets train the SEED backends (stage 5)."""
        return self.eval_seeds[0]

    @property
    def test_sets(self) -> list:
        return [condition_set(self.test_set, c) for c in self.conditions]

    @property
    def backend_sets(self) -> list:
        """Sets enhanced only with the first eval seed: they train the backends (and give the domain mean
        when the adaptation set is not a test set)."""
        extra = [] if self.domain_set in self.test_sets else [self.domain_set]
        return list(dict.fromkeys([self.pairs_set, self.labelled_set] + extra))

    def system(self, name: str) -> SeedSystem:
        for s in self.systems:
            if s.name == name:
                return s
        raise KeyError(name)

    def write(self, path) -> None:
        data = dataclasses.asdict(self)
        with atomic_write(path) as f:
            json.dump(data, f, indent=1)

    @classmethod
    def read(cls, path) -> "RecipeSystems":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["systems"] = [SeedSystem(**s) for s in data["systems"]]
            return cls(**data)
        except FileNotFoundError:
            raise SeedDataError(path, "systems file not found (stage 4 writes it: run it first)") from None
        except (ValueError, TypeError, KeyError) as e:
            raise SeedDataError(path, f"not a systems file of this version ({e}); rerun stage 4") from None


def parse_variant(text: str):
    """`NAME:opt=val,opt2=val2` (or `NAME` alone) → (name, {opt: value}); values parsed as YAML."""
    name, sep, rest = text.partition(":")
    if not NAME_RE.match(name) or name in RESERVED:
        raise ValueError(f"--enhance-variants entry '{text}': name '{name}' must match {NAME_RE.pattern} and not be "
                         f"one of {sorted(RESERVED)}")
    options = {}
    for item in (rest.split(",") if sep and rest else []):
        key, eq, value = item.partition("=")
        key = key.strip()
        if key not in DEFAULTS["enhance"]:
            raise ValueError(f"--enhance-variants entry '{text}': key '{key}': unknown enhancement option "
                             f"(known: {', '.join(DEFAULTS['enhance'])})")
        options[key] = yaml.safe_load(value) if eq else True
    return name, options


def parse_ood(text: str, option: str = "--ood-models"):
    """`NAME=EXP_DIR` → (name, exp_dir)."""
    name, sep, model = text.partition("=")
    if not sep or not model or not NAME_RE.match(name) or name in RESERVED:
        raise ValueError(f"{option} entry '{text}': expected NAME=EXP_DIR with NAME matching {NAME_RE.pattern}")
    return name, model


def parse_eval_list(text: str, data_dir) -> dict:
    """`NAME=SET[:TRIALS_FILE]` → {"name", "set", "trials": data_dir/SET/TRIALS_FILE (default `trials`)}."""
    name, sep, rest = text.partition("=")
    data_set, _, trials_file = rest.partition(":")
    if not sep or not data_set or not NAME_RE.match(name) or not NAME_RE.match(data_set):
        raise ValueError(f"--eval-lists entry '{text}': expected NAME=SET[:TRIALS_FILE] with NAME and SET "
                         f"matching {NAME_RE.pattern}")
    return {"name": name, "set": data_set, "trials": str(Path(data_dir) / data_set / (trials_file or "trials"))}


def parse_eval_lists(texts, data_dir, main_list) -> list:
    """Every `--eval-lists` entry, names unique and different from the main list's."""
    out, seen = [], {main_list}
    for text in texts:
        entry = parse_eval_list(text, data_dir)
        if entry["name"] in seen:
            raise ValueError(f"--eval-lists entry '{text}': list name '{entry['name']}' is used twice "
                             f"(the main list is '{main_list}')")
        if not Path(entry["trials"]).is_file():
            raise ValueError(f"--eval-lists entry '{text}': trial list not found: {entry['trials']}")
        seen.add(entry["name"])
        out.append(entry)
    return out


def enhance_options(cfg: dict, overrides: dict, source: str) -> dict:
    """The `enhance:` section of a resolved config with `overrides` applied, validated."""
    merged = {**cfg, "enhance": {**cfg["enhance"], **overrides}}
    try:
        validate_config(merged, source)
    except ConfigError as e:
        raise ValueError(str(e)) from None
    return dict(merged["enhance"])


def check_model_matches_config(model_config: dict, cfg: dict, model: str, config_path: str) -> None:
    """Refuse a model trained with other model/train/diffusion settings than the recipe conf now has."""
    for section in ("model", "diffusion", "train"):
        for key, value in cfg[section].items():
            if (section, key) in NOT_MODEL_DEFINING:
                continue
            old = model_config.get(section, {}).get(key)
            if old != value:
                raise ValueError(f"{config_path}: key '{section}.{key}': {model} was trained with {old!r}, the "
                                 f"conf now says {value!r}; rerun stage 3 (training) first")


def resolve_systems(config_path, model, enhanced_dir, backend_dir, variants=(), ood_models=(),
                    ood_enhanced_root=None, ood_backend_root=None, adapted_models=()):
    """The ordered list of SeedSystem: main, variants, OOD models, adapted models (`NAME=EXP_DIR`: a
    model fine-tuned at stage 3 on this recipe's pairs from another corpus's model)."""
    cfg = load_config(config_path)
    main_opts = enhance_options(cfg, {}, str(config_path))
    systems = [SeedSystem("seed", "main", str(model), main_opts, str(enhanced_dir), str(backend_dir))]
    seen = {"seed"}
    for v in variants:
        name, opts = parse_variant(v)
        if name in seen:
            raise ValueError(f"--enhance-variants: system name '{name}' given twice")
        seen.add(name)
        systems.append(SeedSystem(name, "variant", str(model), enhance_options(cfg, opts, f"variant '{v}'"),
                                  f"{enhanced_dir}_{name}", f"{backend_dir}_{name}"))
    for v in ood_models:
        name, exp = parse_ood(v)
        if name in seen:
            raise ValueError(f"--ood-models: system name '{name}' given twice")
        seen.add(name)
        systems.append(SeedSystem(name, "ood", exp, main_opts, str(Path(ood_enhanced_root) / f"ood_{name}"),
                                  str(Path(ood_backend_root) / f"ood_{name}")))
    for v in adapted_models:
        name, exp = parse_ood(v, "--adapted-models")
        if name in seen:
            raise ValueError(f"--adapted-models: system name '{name}' given twice (or also a variant/OOD name)")
        seen.add(name)
        systems.append(SeedSystem(name, "adapted", exp, main_opts, f"{enhanced_dir}_adapted_{name}",
                                  f"{backend_dir}_adapted_{name}"))
    return cfg, systems

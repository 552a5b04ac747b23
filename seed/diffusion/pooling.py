"""Other corpora's SEED training pairs pooled with a recipe's own (issue 15 parts 3 and 5: a model
trained on several corpora, e.g. real read speech + generated voices): `train_seed --pool
NAME=EMBEDDING_SCP:PAIRS`, recipe option `--pool-pairs`.

The pool is built in memory when training starts: a pooled source's keys become `<NAME>-<key>` and
its speakers `<NAME>-<spk>` (utt2spk beside its pairs file, for `train.speaker_fraction`), so two
corpora's keys and speakers never collide; the recipe's own pairs keep their keys. The checkpoint
records each source (paths, pair count, the pairs file's sha256) under `data.pool`, so a report can
say what a model heard and a resume on another pool is refused. Sources made by another extractor
than the recipe's own embeddings (meta.yaml beside each scp) are refused: their embeddings live in
another space.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import yaml

from seed.data import SeedDataError

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


@dataclasses.dataclass(frozen=True)
class PairSource:
    name: str
    embeddings: Path   # embedding.scp of the pair copies (one vector per key)
    pairs: Path        # '<input_key> <target_key>' per line; utt2spk beside it (optional)

    @classmethod
    def parse(cls, text: str) -> "PairSource":
        """'NAME=EMBEDDING_SCP:PAIRS' (the command-line form)."""
        name, sep, rest = str(text).partition("=")
        scp, sep2, pairs = rest.rpartition(":")
        if not sep or not sep2 or not name or not scp or not pairs:
            raise ValueError(f"pool source '{text}': expected NAME=EMBEDDING_SCP:PAIRS")
        if not set(name) <= NAME_CHARS:
            raise ValueError(f"pool source '{text}': the name may hold letters, digits, '_' and '.' only")
        return cls(name, Path(scp), Path(pairs))

    @property
    def prefix(self) -> str:
        return f"{self.name}-"

    def describe(self) -> dict:
        return {"name": self.name, "embeddings": str(self.embeddings), "pairs": str(self.pairs)}


def check_pool(sources: list) -> None:
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"pool source names must differ: {' '.join(names)}")


def extractor_identity(scp) -> str | None:
    """Which network made an embedding set, from its meta.yaml: the extractor's name and the sha256 of
    its weights (its spec when it records none), not where or how it ran (model file path, execution
    provider, batch limits differ between checkouts and machines); None without a meta.yaml."""
    meta = Path(scp).parent / "meta.yaml"
    if not meta.is_file():
        return None
    with open(meta, encoding="utf-8") as f:
        extractor = (yaml.safe_load(f) or {}).get("extractor")
    if isinstance(extractor, dict):
        extractor = {"name": extractor.get("name"),
                     "weights": extractor.get("weights_sha256") or extractor.get("spec")}
    return json.dumps(extractor, sort_keys=True)


def check_same_extractor(own_scp, source: PairSource) -> None:
    """Refuse a pooled source whose meta.yaml names another extractor than the own embeddings' meta.yaml."""
    own, theirs = extractor_identity(own_scp), extractor_identity(source.embeddings)
    if own is not None and theirs is not None and own != theirs:
        raise SeedDataError(Path(source.embeddings).parent / "meta.yaml",
                            f"pool source '{source.name}' was made by another extractor than {own_scp} "
                            f"({theirs} vs {own})")


def pooled_sources(model) -> list | None:
    """The pooled sources a model was trained on besides its recipe's own pairs ([] for one corpus):
    the checkpoint's `data.pool` record; None when there is no checkpoint to ask (a report over
    embeddings enhanced elsewhere), so that the caller says so instead of guessing."""
    from seed.diffusion.checkpoint import load_checkpoint
    path = Path(model)
    path = path / "best.pt" if path.is_dir() else path
    if not path.is_file():
        return None
    return list((load_checkpoint(path).get("data") or {}).get("pool") or [])

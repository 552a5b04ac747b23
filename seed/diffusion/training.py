"""Cross-embedding training of SEED (seed-method.md §3): diffuse the INPUT y_k to a random t, L1 to x0.

Design for speed and exact reproducibility:
- all embeddings live in one device tensor; a batch is two `index_select`s through the pair index
  arrays (no per-item Python dataset loop);
- the epoch order comes from a generator seeded by (seed, epoch), and each step's timesteps and
  noise from a generator seeded by (seed, step), drawn for the whole global batch; a DDP rank uses
  its contiguous slice. So N ranks reproduce the single-process run on the same global batch, and a
  run resumed from `last.pt` (at any step) continues exactly as if never stopped.
A checkpoint records what it was trained on by content: the pairs file's hash and a sha256 of the
embedding values (keys and float32 rows in key order), so resuming on other values under the same
keys is refused instead of silently continuing (or reporting "nothing to do") on data it never saw.

Fine-tuning (`init`): the network starts from another experiment's `best.pt` (a source model, e.g.
trained on another corpus) instead of the seeded random init; everything else — optimiser (fresh),
steps, data order, noise — is as for a run from scratch, so a fine-tuned model and one trained
from scratch on the same pairs cost the same steps and differ only in where they start. The source
must define the same function: same embedding dimension, `model.num_blocks`, `diffusion` section
and `train.train_scale`. The checkpoint records the source (path, sha256, step) and a resume
refuses another source (or none): the source is known by its sha256, the path is as given.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from seed.diffusion.checkpoint import (capture_rng_state, load_checkpoint, restore_rng_state,
                                       save_checkpoint)
from seed.diffusion.config import DEFAULTS, save_config
from seed.diffusion.distributed import DistInfo, all_reduce_mean, barrier
from seed.diffusion.enhance import EnhanceOptions, Enhancer, scale_to_sqrt_dim
from seed.diffusion.model import RDMMLP, count_parameters
from seed.diffusion.pairs import read_pairs, speaker_share, with_clean_share
from seed.diffusion.schedule import DDPMSchedule

log = logging.getLogger("seed.diffusion.train")

# What a fine-tuning source must share with the run's config (seed-method.md: the same function of y_t, t).
INIT_MUST_MATCH = [("model", "num_blocks"), ("model", "prediction"), ("train", "train_scale")] + [
    ("diffusion", k) for k in ("num_train_timesteps", "beta_schedule", "beta_start", "beta_end")]

# Options that may change between a run and its resumption (they do not alter the steps taken).
RESUMABLE_CHANGES = {("train", "epochs"), ("train", "max_steps"), ("train", "log_interval"),
                     ("train", "save_interval"), ("enhance", "batch_size")}

LOSSES = {"l1": F.l1_loss, "l2": F.mse_loss, "huber": F.smooth_l1_loss}


def recorded(config: dict, section: str, key: str):
    """A checkpoint's config value; a key added after the checkpoint was made reads as its default, which
    is the behaviour the code had before the key existed (e.g. model.prediction = x0)."""
    return config.get(section, {}).get(key, DEFAULTS.get(section, {}).get(key))


@dataclass
class TrainingData:
    """Embedding matrix (already in the training scale) and pair index arrays, on the device."""
    keys: list
    embeddings: torch.Tensor   # [K, D]
    inputs: torch.Tensor       # [N] rows of y_k
    targets: torch.Tensor      # [N] rows of x0
    pairs_sha256: str
    raw_norm_mean: float       # mean ‖e‖ of the extracted embeddings (seed-method.md §5 asks to log it)
    embeddings_sha256: str | None = None   # keys + raw float32 values in key order (embeddings_digest);
    #                                        None (built by hand) makes the checkpoint unresumable
    num_speakers: int | None = None        # speakers trained on, with train.speaker_fraction < 1
    pool: list = field(default_factory=list)   # other corpora pooled in (seed.diffusion.pooling), as recorded

    @property
    def dim(self) -> int:
        return self.embeddings.shape[1]

    @property
    def num_pairs(self) -> int:
        return self.inputs.shape[0]


def embeddings_digest(keys, matrix: np.ndarray) -> str:
    """sha256 of the keys and the float32 rows in key order: what a checkpoint was trained on."""
    h = hashlib.sha256()
    h.update("\n".join(keys).encode("utf-8") + b"\n")
    h.update(np.ascontiguousarray(matrix, dtype="<f4").tobytes())
    return h.hexdigest()


def load_training_data(embeddings_scp, pairs_path, train_scale: str, device,
                       speaker_fraction: float = 1.0, clean_pair_share: float | None = None,
                       pool: list | None = None) -> TrainingData:
    """Load every embedding once, map the pairs file to index arrays, apply the training scale.
    `speaker_fraction` < 1: only the pairs whose target's speaker is in that share (seed.diffusion.pairs;
    speakers from the utt2spk beside the pairs file). `clean_pair_share`: clean→clean pairs thinned or
    repeated to that share (seed.diffusion.pairs.with_clean_share). `pool`: other corpora's pairs
    (seed.diffusion.pooling.PairSource) trained on with these, their keys and speakers prefixed with
    their names; without a pool every hash is what it always was (older checkpoints resume)."""
    from seed.data import SeedDataError, load_embeddings, read_kv
    from seed.diffusion.pooling import check_pool, check_same_extractor
    pool = list(pool or [])
    check_pool(pool)
    sources = [("", Path(embeddings_scp), Path(pairs_path))] + [(s.prefix, s.embeddings, s.pairs) for s in pool]
    for s in pool:
        check_same_extractor(embeddings_scp, s)
    keys, matrices = [], []
    for prefix, scp, _ in sources:
        these, matrix = load_embeddings(scp)
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(these):
            raise ValueError(f"{scp}: expected one embedding vector per key, got shape {matrix.shape}")
        if matrices and matrix.shape[1] != matrices[0].shape[1]:
            raise SeedDataError(scp, f"{matrix.shape[1]}-dimensional embeddings, {embeddings_scp} has "
                                f"{matrices[0].shape[1]}: a pool needs one extractor", key=these[0])
        keys += [prefix + k for k in these]
        matrices.append(matrix)
    matrix = np.concatenate(matrices) if len(matrices) > 1 else matrices[0]
    keep, n_speakers = None, None
    if speaker_fraction < 1.0:
        utt2spk = {}
        for prefix, _, pairs in sources:
            utt2spk_path = Path(pairs).parent / "utt2spk"
            if not utt2spk_path.is_file():
                raise ValueError(f"{utt2spk_path}: train.speaker_fraction < 1 needs the speakers of the pairs "
                                 "(utt2spk beside the pairs file)")
            utt2spk.update({prefix + u: prefix + s for u, s in read_kv(utt2spk_path).items()})
        share = speaker_share(utt2spk, speaker_fraction)
        n_speakers = len(share)

        def keep(key):
            if key not in utt2spk:
                raise SeedDataError(utt2spk_path, "target key of the pairs has no speaker", key=key)
            return utt2spk[key] in share
    index = {k: i for i, k in enumerate(keys)}
    inputs, targets, digests = [], [], []
    for prefix, _, pairs in sources:
        own_index = index if not prefix else {k[len(prefix):]: i for k, i in index.items() if k.startswith(prefix)}
        own_keep = keep if keep is None or not prefix else (lambda key, p=prefix: keep(p + key))
        i, t, sha = read_pairs(pairs, own_index, own_keep)
        inputs.append(i)
        targets.append(t)
        digests.append(sha)
    pair_counts = [len(i) for i in inputs]
    inputs, targets = np.concatenate(inputs), np.concatenate(targets)
    sha = digests[0] if not pool else hashlib.sha256(" ".join(
        f"{prefix}{d}" for (prefix, _, _), d in zip(sources, digests)).encode("utf-8")).hexdigest()
    if clean_pair_share is not None:
        inputs, targets = with_clean_share(inputs, targets, clean_pair_share, pairs_path)
    emb = torch.from_numpy(matrix)
    norms = emb.norm(dim=1)
    if (norms == 0).any() and train_scale == "sqrt_dim":
        bad = int(torch.nonzero(norms == 0)[0, 0])
        raise ValueError(f"{embeddings_scp}: key '{keys[bad]}': zero embedding cannot be scaled to √D")
    if train_scale == "sqrt_dim":
        emb = scale_to_sqrt_dim(emb)
    return TrainingData(keys=list(keys), embeddings=emb.to(device),
                        inputs=torch.from_numpy(inputs).to(device),
                        targets=torch.from_numpy(targets).to(device), pairs_sha256=sha,
                        embeddings_sha256=embeddings_digest(keys, matrix), raw_norm_mean=float(norms.mean()),
                        num_speakers=n_speakers,
                        pool=[{**s.describe(), "num_pairs": n, "pairs_sha256": d}
                              for s, n, d in zip(pool, pair_counts[1:], digests[1:])])


def epoch_permutation(seed: int, epoch: int, n: int, device) -> torch.Tensor:
    from seed.data import derive_seed
    rng = np.random.default_rng(derive_seed(seed, "train-epoch", epoch))
    return torch.from_numpy(rng.permutation(n)).to(device)


class Trainer:
    """Owns model, optimiser, schedule and the step loop for one experiment folder."""

    def __init__(self, cfg: dict, data: TrainingData, out_dir, info: DistInfo,
                 validator: Callable | None = None, inputs_desc: dict | None = None):
        from seed.data import derive_seed
        self.cfg, self.data, self.info, self.validator = cfg, data, info, validator
        self.out_dir = Path(out_dir)
        self.inputs_desc = inputs_desc or {}
        tc = cfg["train"]
        self.seed = int(tc["seed"])
        self.global_batch = int(tc["batch_size"])
        if self.global_batch % info.world_size:
            raise ValueError(f"train.batch_size {self.global_batch} is not divisible by the "
                             f"{info.world_size} DDP ranks")
        self.local_batch = self.global_batch // info.world_size
        self.steps_per_epoch = data.num_pairs // self.global_batch
        if self.steps_per_epoch == 0:
            raise ValueError(f"train.batch_size {self.global_batch} exceeds the {data.num_pairs} pairs")
        limits = []
        if tc["epochs"] is not None:
            limits.append(tc["epochs"] * self.steps_per_epoch)
        if tc["max_steps"] is not None:
            limits.append(tc["max_steps"])
        self.total_steps = min(limits)
        self.loss_fn = LOSSES[tc["loss"]]
        self.schedule = DDPMSchedule(**cfg["diffusion"], device=info.device)
        with torch.random.fork_rng(devices=[]):   # seeded init without touching the caller's RNG
            torch.manual_seed(derive_seed(self.seed, "model-init"))
            self.model = RDMMLP(data.dim, **cfg["model"])
        self.model.to(info.device)
        self.net = self.model
        if info.distributed:
            from torch.nn.parallel import DistributedDataParallel
            self.net = DistributedDataParallel(
                self.model, device_ids=[info.device.index] if info.device.type == "cuda" else None)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=tc["lr"],
                                           weight_decay=tc["weight_decay"],
                                           betas=tuple(tc["adam_betas"]))
        self.step = 0
        self.init = None          # {"path", "sha256", "step"} of the fine-tuning source (None: from scratch)
        self.best = None          # {"metric", "value", "step", "epoch"}
        self.history = []         # one record per evaluation point
        self.acc = self._zero_acc()

    # ---- state --------------------------------------------------------------------------------
    def _zero_acc(self) -> dict:
        z = lambda: torch.zeros((), dtype=torch.float64, device=self.info.device)  # noqa: E731
        return {"log_sum": z(), "log_n": 0, "epoch_sum": z(), "epoch_n": 0}

    def _payload(self, finished: bool, full: bool) -> dict:
        payload = {"model": self.model.state_dict(), "dim": self.data.dim, "config": self.cfg,
                   "step": self.step, "epoch": self.step / self.steps_per_epoch,
                   "steps_per_epoch": self.steps_per_epoch, "finished": finished, "best": self.best,
                   "num_parameters": count_parameters(self.model), "init": self.init,
                   "data": {"num_pairs": self.data.num_pairs, "num_embeddings": len(self.data.keys),
                            "pairs_sha256": self.data.pairs_sha256,
                            "embeddings_sha256": self.data.embeddings_sha256,
                            "raw_norm_mean": self.data.raw_norm_mean, "num_speakers": self.data.num_speakers,
                            **({"pool": self.data.pool} if self.data.pool else {}), **self.inputs_desc}}
        if full:
            payload.update(
                optimizer=self.optimizer.state_dict(), history=self.history, rng=capture_rng_state(),
                acc={k: (float(v) if torch.is_tensor(v) else v) for k, v in self.acc.items()})
        return payload

    def init_from(self, source) -> None:
        """Start from the weights of `source` (an experiment folder's best.pt, or a checkpoint file)."""
        path = Path(source) / "best.pt" if Path(source).is_dir() else Path(source)
        ckpt = load_checkpoint(path, map_location="cpu")
        if ckpt.get("dim") != self.data.dim:
            raise ValueError(f"{path}: the source model takes {ckpt.get('dim')}-dimensional embeddings, "
                             f"{self.inputs_desc.get('embeddings', 'the embeddings')} has {self.data.dim}")
        for section, key in INIT_MUST_MATCH:
            theirs = recorded(ckpt["config"], section, key)
            if theirs != self.cfg[section][key]:
                raise ValueError(f"{path}: key '{section}.{key}': the source model has {theirs!r}, the config "
                                 f"{self.cfg[section][key]!r}: fine-tuning needs the same network and schedule")
        self.model.load_state_dict(ckpt["model"])
        self.init = {"path": str(source), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "step": ckpt.get("step")}

    def resume(self, path) -> None:
        """Continue from `last.pt`; refuses a checkpoint made with another config or other data."""
        # On CPU first: RNG states must stay CPU tensors; load_state_dict moves the rest.
        ckpt = load_checkpoint(path, map_location="cpu")
        embeddings = self.inputs_desc.get("embeddings", "the embeddings")
        if ckpt.get("dim") != self.data.dim:
            raise ValueError(f"{path}: checkpoint was trained on {ckpt.get('dim')}-dimensional embeddings, "
                             f"{embeddings} has {self.data.dim}; use --overwrite to start again")
        old, new = ckpt["config"], self.cfg
        for section, values in new.items():
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if (section, key) not in RESUMABLE_CHANGES and recorded(old, section, key) != value:
                    raise ValueError(f"{path}: key '{section}.{key}': checkpoint has "
                                     f"{recorded(old, section, key)!r}, config has {value!r}; "
                                     f"use --overwrite to start again")
        data = ckpt["data"]
        if (data["pairs_sha256"], data["num_embeddings"]) != (self.data.pairs_sha256,
                                                              len(self.data.keys)):
            raise ValueError(f"{path}: was trained on other pairs/embeddings than "
                             f"{self.inputs_desc.get('pairs', 'the pairs')} and {embeddings}; use --overwrite "
                             f"to start again")
        if data.get("embeddings_sha256") != self.data.embeddings_sha256:
            what = ("records no fingerprint of its embedding values (made by an older version)"
                    if data.get("embeddings_sha256") is None else
                    f"was trained on other embedding values than {embeddings} (same keys, sha256 differs)")
            raise ValueError(f"{path}: {what}; use --overwrite to start again")
        source = lambda x: "trained from scratch" if x is None else f"fine-tuned from {x['path']}"  # noqa: E731
        if (ckpt.get("init") or {}).get("sha256") != (self.init or {}).get("sha256"):
            raise ValueError(f"{path}: was {source(ckpt.get('init'))}, this run is {source(self.init)}; "
                             "use --overwrite to start again")
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.step, self.best, self.history = ckpt["step"], ckpt["best"], ckpt["history"]
        acc = ckpt["acc"]
        dev = self.info.device
        self.acc = {"log_sum": torch.tensor(acc["log_sum"], dtype=torch.float64, device=dev),
                    "log_n": acc["log_n"],
                    "epoch_sum": torch.tensor(acc["epoch_sum"], dtype=torch.float64, device=dev),
                    "epoch_n": acc["epoch_n"]}
        restore_rng_state(ckpt["rng"])

    def save(self, last: bool = True, best: bool = False, finished: bool = False) -> None:
        """Rank 0 writes last.pt (full state, for resuming) and/or best.pt (weights only)."""
        if not self.info.is_main:
            return
        if last:
            save_checkpoint(self.out_dir / "last.pt", self._payload(finished, full=True))
        if best:
            save_checkpoint(self.out_dir / "best.pt", self._payload(finished, full=False))

    # ---- one step -----------------------------------------------------------------------------
    def _batch(self, perm: torch.Tensor, pos: int):
        """Inputs, targets, timesteps and noise of this rank's slice of global step `self.step`."""
        from seed.data import derive_seed
        lo = pos * self.global_batch + self.info.rank * self.local_batch
        idx = perm[lo: lo + self.local_batch]
        emb = self.data.embeddings
        y0 = emb.index_select(0, self.data.inputs.index_select(0, idx))
        x0 = emb.index_select(0, self.data.targets.index_select(0, idx))
        gen = torch.Generator(device=self.info.device)
        gen.manual_seed(derive_seed(self.seed, "train-step", self.step))
        t = torch.randint(0, self.schedule.num_train_timesteps, (self.global_batch,),
                          generator=gen, device=self.info.device)
        eps = torch.randn(self.global_batch, self.data.dim, generator=gen, device=self.info.device)
        if self.info.distributed:
            sl = slice(self.info.rank * self.local_batch, (self.info.rank + 1) * self.local_batch)
            t, eps = t[sl], eps[sl]
        return y0, x0, t, eps

    def train_step(self, perm: torch.Tensor, pos: int) -> torch.Tensor:
        y0, x0, t, eps = self._batch(perm, pos)
        if self.cfg["model"]["dropout"] > 0:  # dropout masks from a (seed, step, rank) stream
            from seed.data import derive_seed
            torch.manual_seed(derive_seed(self.seed, "dropout", self.step, self.info.rank))
        y_t = self.schedule.add_noise(y0, eps, t)
        loss = self.loss_fn(self.net(y_t, t), x0)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg["train"]["grad_clip"] is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg["train"]["grad_clip"])
        self.optimizer.step()
        return loss.detach()

    # ---- evaluation ---------------------------------------------------------------------------
    def evaluate(self, label: str) -> None:
        """Epoch-end bookkeeping: mean train loss, dev EER (rank 0), best/last checkpoints."""
        epoch_loss = all_reduce_mean(
            (self.acc["epoch_sum"] / max(1, self.acc["epoch_n"])).reshape(1), self.info).item()
        self.acc["epoch_sum"].zero_()
        self.acc["epoch_n"] = 0
        record = {"label": label, "step": self.step, "epoch": self.step / self.steps_per_epoch,
                  "train_loss": epoch_loss}
        is_best = False
        if self.info.is_main:
            if self.validator is not None:
                t0 = time.perf_counter()
                self.model.eval()
                options = EnhanceOptions.from_config(self.cfg["enhance"])
                record["valid_eer"] = float(self.validator(Enhancer(self.model, self.schedule, options),
                                                           int(self.cfg["valid"]["seed"])))
                self.model.train()
                record["valid_seconds"] = time.perf_counter() - t0
                metric, value = "valid_eer", record["valid_eer"]
            else:
                metric, value = "train_loss", epoch_loss
            is_best = self.best is None or value < self.best["value"]
            if is_best:
                self.best = {"metric": metric, "value": value, "step": self.step,
                             "epoch": record["epoch"]}
            self.history.append(record)
            extra = (f" valid_eer {record['valid_eer']:.3f}% ({record['valid_seconds']:.1f}s)"
                     if "valid_eer" in record else "")
            log.info("%s (step %d, epoch %.2f): train_loss %.5f%s%s", label, self.step,
                     record["epoch"], epoch_loss, extra, " *best*" if is_best else "")
        return is_best

    # ---- the loop -----------------------------------------------------------------------------
    def fit(self) -> None:
        tc = self.cfg["train"]
        info = self.info
        if self.step >= self.total_steps:
            if info.is_main:
                log.info("nothing to do: checkpoint is at step %d of %d", self.step, self.total_steps)
                self.save(finished=True)
            return
        if info.is_main:
            if self.data.num_speakers is not None:
                log.info("train.speaker_fraction %g: the pairs of %d speakers", self.cfg["train"]["speaker_fraction"],
                         self.data.num_speakers)
            if self.cfg["train"]["clean_pair_share"] is not None:
                clean = int((self.data.inputs == self.data.targets).sum())
                log.info("train.clean_pair_share %g: %d of %d pairs clean→clean", self.cfg["train"]["clean_pair_share"],
                         clean, self.data.num_pairs)
            log.info("training %s: %d params, dim %d, %d pairs, %d embeddings (mean raw norm %.4f), "
                     "global batch %d over %d rank(s) on %s, %d steps/epoch, steps %d..%d",
                     self.cfg.get("name", "?"), count_parameters(self.model), self.data.dim,
                     self.data.num_pairs, len(self.data.keys), self.data.raw_norm_mean,
                     self.global_batch, info.world_size, info.device, self.steps_per_epoch,
                     self.step, self.total_steps)
        self.net.train()
        perm, perm_epoch = None, -1
        t_log, step_log = time.perf_counter(), self.step
        t_start = t_log
        while self.step < self.total_steps:
            epoch, pos = divmod(self.step, self.steps_per_epoch)
            if epoch != perm_epoch:
                perm, perm_epoch = epoch_permutation(self.seed, epoch, self.data.num_pairs,
                                                     info.device), epoch
            loss = self.train_step(perm, pos)
            self.step += 1
            for prefix in ("log", "epoch"):
                self.acc[f"{prefix}_sum"] += loss
                self.acc[f"{prefix}_n"] += 1
            if self.step % tc["log_interval"] == 0 or self.step == self.total_steps:
                mean = all_reduce_mean(self.acc["log_sum"] / self.acc["log_n"], info).item()
                now = time.perf_counter()
                rate = (self.step - step_log) * self.global_batch / max(now - t_log, 1e-9)
                if info.is_main:
                    log.info("step %d epoch %.2f loss %.5f | %.0f pairs/s, %.3f s/step, elapsed %.1f s",
                             self.step, self.step / self.steps_per_epoch, mean, rate,
                             (now - t_log) / max(1, self.step - step_log), now - t_start)
                self.acc["log_sum"].zero_()
                self.acc["log_n"] = 0
                t_log, step_log = now, self.step
            # last.pt every save_interval steps (every epoch end when 0) and at the end; best.pt
            # whenever an epoch-end evaluation improves. A resumed run replays any evaluations
            # after its last.pt identically, so sparse last.pt saves lose nothing.
            epoch_end = self.step % self.steps_per_epoch == 0
            finished = self.step == self.total_steps
            interval = tc["save_interval"]
            save_last = finished or (self.step % interval == 0 if interval else epoch_end)
            is_best = False
            if epoch_end or finished:
                label = f"end of epoch {self.step // self.steps_per_epoch}" if epoch_end else "final"
                is_best = self.evaluate(label)
            if save_last or is_best:
                self.save(last=save_last, best=is_best, finished=finished)
            if save_last or epoch_end or finished:
                barrier(info)
        if info.is_main:
            log.info("finished: %d steps in %.1f s; best %s", self.step,
                     time.perf_counter() - t_start, self.best)


def train(cfg: dict, embeddings_scp, pairs_path, out_dir, info: DistInfo,
          validator: Callable | None = None, overwrite: bool = False, init=None, pool=None) -> Trainer:
    """Train (or resume) into `out_dir`: config.yaml, last.pt, best.pt; logging goes to the caller's
    handlers (the command line adds out_dir/train.log). `init`: fine-tune from this source model
    (module docstring). `pool`: other corpora's pairs trained on too (seed.diffusion.pooling)."""
    out_dir = Path(out_dir)
    data = load_training_data(embeddings_scp, pairs_path, cfg["train"]["train_scale"], info.device,
                              cfg["train"]["speaker_fraction"], cfg["train"]["clean_pair_share"], pool)
    if pool and info.is_main:
        log.info("pooled training set: %d pairs; %s", data.num_pairs,
                 ", ".join(f"{p['name']}: {p['num_pairs']} pairs" for p in data.pool))
    trainer = Trainer(cfg, data, out_dir, info, validator,
                      inputs_desc={"embeddings": str(embeddings_scp), "pairs": str(pairs_path)})
    if init is not None:
        trainer.init_from(init)
        if info.is_main:
            log.info("fine-tuning from %s (sha256 %s, its step %s)", trainer.init["path"],
                     trainer.init["sha256"][:12], trainer.init["step"])
    last = out_dir / "last.pt"
    if last.exists() and not overwrite:
        trainer.resume(last)
        if info.is_main:
            log.info("resumed from %s at step %d", last, trainer.step)
    elif info.is_main:
        for stale in ("last.pt", "best.pt"):
            (out_dir / stale).unlink(missing_ok=True)
    barrier(info)
    if info.is_main:
        save_config(cfg, out_dir / "config.yaml")
        if validator is not None and trainer.step == 0 and hasattr(validator, "baseline"):
            log.info("dev EER without enhancement: %.3f%%", validator.baseline())
    trainer.fit()
    return trainer


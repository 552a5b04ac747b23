"""SEED training and the command lines: learns, resumes bit-identically, DDP == single process."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from seed.diffusion.checkpoint import load_checkpoint, save_checkpoint
from seed.diffusion.config import apply_overrides, load_config
from seed.diffusion.distributed import DistInfo
from seed.diffusion.synthetic import make_synthetic_pairs, write_synthetic_pairs
from seed.diffusion.training import Trainer, train

REPO = Path(__file__).resolve().parents[1]
CPU = DistInfo(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread avoids thread hand-off stalls on a shared 2-core CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """1,024 embeddings (256 clean crops × {clean, 3 corruptions}) of dim 16, and their pairs."""
    return write_synthetic_pairs(tmp_path_factory.mktemp("synth"), dim=16, seed=0)


def debug_config(*overrides):
    return apply_overrides(load_config("seed_debug"), list(overrides))


def run_cli(*args, launcher=()):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([*launcher, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def cosine(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def assert_same_checkpoint(a, b, exact=True):
    for k, v in a["model"].items():
        if exact:
            assert torch.equal(v, b["model"][k]), k
        else:
            torch.testing.assert_close(v, b["model"][k], rtol=0, atol=1e-5)


# ---- learning -------------------------------------------------------------------------------------
def test_training_lowers_loss_and_moves_noisy_embeddings_towards_clean(synth, tmp_path):
    from seed import SEED
    scp, pairs = synth
    cfg = debug_config("model.num_blocks=3", "train.batch_size=128", "train.epochs=100",
                       "train.max_steps=400", "train.log_interval=100")
    trainer = train(cfg, scp, pairs, tmp_path / "exp", CPU)
    losses = [h["train_loss"] for h in trainer.history]
    assert losses[-1] < 0.8 * losses[0]
    assert {p.name for p in (tmp_path / "exp").iterdir()} >= {"config.yaml", "last.pt", "best.pt"}
    assert yaml.safe_load((tmp_path / "exp" / "config.yaml").read_text())["train"]["max_steps"] == 400

    keys, rows, pair_list = make_synthetic_pairs(dim=16, seed=0)
    index = {k: i for i, k in enumerate(keys)}
    noisy = np.stack([rows[index[a]] for a, b in pair_list if a != b])
    clean = np.stack([rows[index[b]] for a, b in pair_list if a != b])
    model = SEED.load(tmp_path / "exp", checkpoint="last", device="cpu")
    before = cosine(noisy, clean).mean()
    after = cosine(model.enhance(noisy, seed=0), clean).mean()
    assert after > before + 0.1, (before, after)


def test_paper_config_trains_on_raw_scale(synth, tmp_path):
    scp, pairs = synth
    cfg = debug_config("train.train_scale=raw", "train.max_steps=3")
    trainer = train(cfg, scp, pairs, tmp_path / "exp", CPU)
    norms = trainer.data.embeddings.norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))   # raw synthetic data is unit-norm
    cfg = debug_config("train.max_steps=3")
    norms = train(cfg, scp, pairs, tmp_path / "exp2", CPU).data.embeddings.norm(dim=1)
    torch.testing.assert_close(norms, torch.full_like(norms, 4.0))  # √16


# ---- resume ---------------------------------------------------------------------------------------
def test_resume_after_a_crash_equals_an_uninterrupted_run(synth, tmp_path, monkeypatch):
    scp, pairs = synth
    cfg = debug_config("train.max_steps=30", "train.save_interval=10", "train.epochs=3")
    train(cfg, scp, pairs, tmp_path / "a", CPU)

    real_step = Trainer.train_step

    def crash_at_25(self, perm, pos):
        if self.step == 25:
            raise KeyboardInterrupt("simulated crash")
        return real_step(self, perm, pos)

    monkeypatch.setattr(Trainer, "train_step", crash_at_25)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, scp, pairs, tmp_path / "b", CPU)
    assert load_checkpoint(tmp_path / "b" / "last.pt")["step"] == 20   # last save, mid-epoch 2
    monkeypatch.setattr(Trainer, "train_step", real_step)
    resumed = train(cfg, scp, pairs, tmp_path / "b", CPU)
    assert resumed.step == 30

    for name in ("last.pt", "best.pt"):
        a, b = load_checkpoint(tmp_path / "a" / name), load_checkpoint(tmp_path / "b" / name)
        assert_same_checkpoint(a, b)
        assert (a["step"], a["best"]) == (b["step"], b["best"])
    a, b = load_checkpoint(tmp_path / "a" / "last.pt"), load_checkpoint(tmp_path / "b" / "last.pt")
    assert a["history"] == b["history"] and a["acc"] == b["acc"]
    for sa, sb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_finished_run_continues_when_epochs_are_raised_and_refuses_a_changed_config(synth, tmp_path):
    scp, pairs = synth
    train(debug_config("train.max_steps=null", "train.epochs=1"), scp, pairs, tmp_path / "x", CPU)
    first = load_checkpoint(tmp_path / "x" / "last.pt")
    assert first["finished"] and first["step"] == 16
    longer = train(debug_config("train.max_steps=null", "train.epochs=2"), scp, pairs, tmp_path / "x", CPU)
    assert longer.step == 32
    with pytest.raises(ValueError, match="train.lr"):
        train(debug_config("train.max_steps=null", "train.epochs=2", "train.lr=0.1"), scp, pairs,
              tmp_path / "x", CPU)


def test_fine_tuning_starts_from_the_source_and_records_it(synth, tmp_path, capsys):
    """--init (issue 15 part 2): the source's weights instead of the seeded init; same steps and data
    order as from scratch; a resume refuses another source; an incompatible source is refused."""
    from seed.bin import train_seed
    scp, pairs = synth
    source = train(debug_config("train.max_steps=40", "train.seed=7"), scp, pairs, tmp_path / "source", CPU)
    cfg = debug_config("train.max_steps=5")
    scratch = train(cfg, scp, pairs, tmp_path / "scratch", CPU)
    tuned = train(cfg, scp, pairs, tmp_path / "tuned", CPU, init=tmp_path / "source")
    ckpt = load_checkpoint(tmp_path / "tuned" / "last.pt")
    assert ckpt["init"]["path"] == str(tmp_path / "source")
    assert ckpt["init"]["step"] == load_checkpoint(tmp_path / "source" / "best.pt")["step"]
    assert load_checkpoint(tmp_path / "scratch" / "last.pt")["init"] is None
    # it moved on from the source's weights, not from the random init the scratch run used
    src = load_checkpoint(tmp_path / "source" / "best.pt")["model"]
    dist = lambda a, b: sum(float((a[k] - b[k]).abs().sum()) for k in a)   # noqa: E731
    assert dist(ckpt["model"], src) < dist(load_checkpoint(tmp_path / "scratch" / "last.pt")["model"], src)
    assert tuned.step == scratch.step == 5 and source.step > 5
    # a finished fine-tuning run resumes ("nothing to do"); another source, or none, is refused
    assert train(cfg, scp, pairs, tmp_path / "tuned", CPU, init=tmp_path / "source").step == 5
    with pytest.raises(ValueError, match="was fine-tuned from .*this run is trained from scratch"):
        train(cfg, scp, pairs, tmp_path / "tuned", CPU)
    with pytest.raises(ValueError, match="was trained from scratch, this run is fine-tuned from"):
        train(cfg, scp, pairs, tmp_path / "scratch", CPU, init=tmp_path / "source")
    # the command line: a source with another network is one line naming the key
    rc = train_seed.main(["--config", "seed_debug", "--set", "model.num_blocks=2", "--set", "train.max_steps=2",
                          "--embeddings", str(scp), "--pairs", str(pairs), "--out-dir", str(tmp_path / "bad"),
                          "--init", str(tmp_path / "source"), "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and "key 'model.num_blocks': the source model has" in err[-1]
    with pytest.raises(ValueError, match="key 'model.prediction': the source model has 'x0', the config 'residual'"):
        train(debug_config("train.max_steps=2", "model.prediction=residual"), scp, pairs, tmp_path / "bad2", CPU,
              init=tmp_path / "source")


def test_residual_prediction_trains_and_records_it(synth, tmp_path):
    """model.prediction = residual learns (loss falls, noisy moves toward clean) and loads back as residual;
    a checkpoint recorded before the key existed reads as x0 (resumes, and fine-tunes an x0 config)."""
    from seed import SEED
    scp, pairs = synth
    cfg = debug_config("model.prediction=residual", "train.batch_size=128", "train.epochs=100", "train.max_steps=200")
    trainer = train(cfg, scp, pairs, tmp_path / "res", CPU)
    losses = [h["train_loss"] for h in trainer.history]
    assert losses[-1] < 0.9 * losses[0]     # it starts as the identity, already nearer than x0's zero output
    model = SEED.load(tmp_path / "res", checkpoint="last", device="cpu")
    assert model.model.prediction == "residual"
    keys, rows, pair_list = make_synthetic_pairs(dim=16, seed=0)
    index = {k: i for i, k in enumerate(keys)}
    noisy = np.stack([rows[index[a]] for a, b in pair_list if a != b])
    clean = np.stack([rows[index[b]] for a, b in pair_list if a != b])
    assert cosine(model.enhance(noisy, seed=0), clean).mean() > cosine(noisy, clean).mean() + 0.05
    # an older checkpoint (no model.prediction in its config) is an x0 model to resume and --init
    old = debug_config("train.max_steps=3")
    train(old, scp, pairs, tmp_path / "old", CPU)
    ckpt = load_checkpoint(tmp_path / "old" / "last.pt")
    del ckpt["config"]["model"]["prediction"]
    save_checkpoint(tmp_path / "old" / "last.pt", ckpt)
    best = load_checkpoint(tmp_path / "old" / "best.pt")
    save_checkpoint(tmp_path / "old" / "best.pt", {**best, "config": ckpt["config"]})
    assert train(old, scp, pairs, tmp_path / "old", CPU).step == 3
    tuned = train(debug_config("train.max_steps=2"), scp, pairs, tmp_path / "tuned", CPU, init=tmp_path / "old")
    assert tuned.step == 2


def test_clean_pair_share_thins_or_repeats_only_the_clean_pairs(synth, tmp_path):
    """train.clean_pair_share (issue 15 part 3): every corrupted pair kept once, clean→clean pairs thinned
    or repeated evenly to the share; the file's own share gives the file's pairs; bad values name the key."""
    from seed.data import SeedDataError
    from seed.diffusion.config import ConfigError, merge_config
    from seed.diffusion.pairs import with_clean_share
    inputs = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    targets = np.array([0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8])      # 3 clean, 9 corrupted: share 1/4
    same = with_clean_share(inputs, targets, 0.25)
    np.testing.assert_array_equal(same[0], inputs)
    np.testing.assert_array_equal(same[1], targets)
    none = with_clean_share(inputs, targets, 0.0)
    assert (none[0] != none[1]).all() and len(none[0]) == 9
    half = with_clean_share(inputs, targets, 0.5)
    assert len(half[0]) == 18 and (half[0] == half[1]).sum() == 9
    assert sorted(np.unique(half[0][half[0] == half[1]], return_counts=True)[1]) == [3, 3, 3]   # evenly repeated
    with pytest.raises(SeedDataError, match="p.pairs: train.clean_pair_share 0.5: the pairs have no clean"):
        with_clean_share(inputs[1:4], targets[1:4], 0.5, "p.pairs")
    for bad in (1.0, -0.1):
        with pytest.raises(ConfigError, match="train.clean_pair_share"):
            merge_config({"train": {"clean_pair_share": bad}})
    scp, pairs = synth
    full = train(debug_config("train.max_steps=2"), scp, pairs, tmp_path / "full", CPU).data
    thin = train(debug_config("train.max_steps=2", "train.clean_pair_share=0"), scp, pairs, tmp_path / "thin", CPU).data
    n_clean = int((full.inputs == full.targets).sum())
    assert n_clean > 0 and thin.num_pairs == full.num_pairs - n_clean and not (thin.inputs == thin.targets).any()


def test_speaker_fraction_trains_on_a_nested_share_of_the_speakers(synth, tmp_path):
    """train.speaker_fraction (issue 15 part 5, data scale): only the pairs of round(f·S) speakers, in
    a fixed hash order of their names, so a quarter lies inside the half; without utt2spk: refused."""
    import shutil
    from seed.diffusion.pairs import speaker_share
    from seed.diffusion.training import load_training_data
    scp, pairs = synth
    folder = tmp_path / "pairs_dir"
    folder.mkdir()
    shutil.copy(pairs, folder / "pairs")
    keys = [line.split()[0] for line in scp.read_text().splitlines()]
    (folder / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    n_all = load_training_data(scp, folder / "pairs", "sqrt_dim", "cpu").num_pairs
    utt2spk = {k: k.split("-")[0] for k in keys}
    n_spk = len(set(utt2spk.values()))
    quarter, half = speaker_share(utt2spk, 0.25), speaker_share(utt2spk, 0.5)
    assert quarter < half and len(half) == round(n_spk / 2) and speaker_share(utt2spk, 1e-9) != set()
    data = load_training_data(scp, folder / "pairs", "sqrt_dim", "cpu", speaker_fraction=0.5)
    assert data.num_speakers == len(half) and 0 < data.num_pairs < n_all
    trainer = train(debug_config("train.max_steps=2", "train.speaker_fraction=0.5", "train.batch_size=16"),
                    scp, folder / "pairs", tmp_path / "half", CPU)
    assert load_checkpoint(tmp_path / "half" / "last.pt")["data"]["num_speakers"] == len(half)
    assert trainer.data.num_pairs == data.num_pairs
    with pytest.raises(ValueError, match="speaker_fraction < 1 needs the speakers"):
        train(debug_config("train.max_steps=2", "train.speaker_fraction=0.5"), scp, pairs, tmp_path / "x", CPU)
    from seed.diffusion.config import ConfigError
    with pytest.raises(ConfigError, match="train.speaker_fraction"):
        debug_config("train.speaker_fraction=0")


def test_pool_trains_on_several_corpora_with_their_keys_apart(synth, tmp_path, capsys):
    """--pool (issue 15 parts 3 and 5): another corpus's pairs trained on with the recipe's own; keys
    and speakers prefixed (the same keys in both corpora never collide); the checkpoint records the
    sources; a resume without the pool, another extractor or another dimension are refused."""
    import yaml as _yaml
    from seed.bin import train_seed
    from seed.data import SeedDataError
    from seed.diffusion.pooling import PairSource, pooled_sources
    from seed.diffusion.training import load_training_data
    scp, pairs = synth
    other = tmp_path / "other"
    other.mkdir()
    oscp, opairs = write_synthetic_pairs(other, dim=16, seed=1)   # same key names, other values
    keys = [line.split()[0] for line in scp.read_text().splitlines()]
    for folder, pfile in ((tmp_path / "own", pairs), (other, opairs)):
        folder.mkdir(exist_ok=True)
        (folder / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    import shutil
    shutil.copy(pairs, tmp_path / "own" / "pairs")
    shutil.copy(scp, tmp_path / "own" / "embedding.scp")   # points at the fixture's ark (absolute path)
    scp, own_pairs = tmp_path / "own" / "embedding.scp", tmp_path / "own" / "pairs"
    alone = load_training_data(scp, own_pairs, "sqrt_dim", "cpu")
    pooled = load_training_data(scp, own_pairs, "sqrt_dim", "cpu", pool=[PairSource("mini", oscp, opairs)])
    assert pooled.num_pairs == 2 * alone.num_pairs and len(pooled.keys) == 2 * len(alone.keys)
    assert pooled.keys[:len(alone.keys)] == alone.keys and pooled.keys[len(alone.keys)] == "mini-" + alone.keys[0]
    # every pooled pair points at rows of its own corpus
    n = len(alone.keys)
    assert int(pooled.inputs[:alone.num_pairs].max()) < n and int(pooled.inputs[alone.num_pairs:].min()) >= n
    assert torch.equal(pooled.inputs[:alone.num_pairs], alone.inputs)
    assert pooled.pool == [{"name": "mini", "embeddings": str(oscp), "pairs": str(opairs),
                            "num_pairs": alone.num_pairs, "pairs_sha256": pooled.pool[0]["pairs_sha256"]}]
    assert pooled.embeddings_sha256 != alone.embeddings_sha256 and pooled.pairs_sha256 != alone.pairs_sha256
    # speakers of the two corpora stay apart: half of 2S speakers, not half of S
    half = load_training_data(scp, own_pairs, "sqrt_dim", "cpu", speaker_fraction=0.5,
                              pool=[PairSource("mini", oscp, opairs)])
    assert half.num_speakers == 2 * load_training_data(scp, own_pairs, "sqrt_dim", "cpu",
                                                       speaker_fraction=0.5).num_speakers
    # the command line and the checkpoint record; a resume without the pool is refused
    args = ["--config", "seed_debug", "--set", "train.max_steps=3", "--embeddings", str(scp), "--pairs", str(own_pairs),
            "--out-dir", str(tmp_path / "m"), "--device", "cpu"]
    assert train_seed.main(args + ["--pool", f"mini={oscp}:{opairs}"]) == 0
    assert [p["name"] for p in pooled_sources(tmp_path / "m")] == ["mini"]
    assert load_checkpoint(tmp_path / "m" / "last.pt")["data"]["num_pairs"] == pooled.num_pairs
    assert train_seed.main(args) == 1
    assert "was trained on other pairs/embeddings" in capsys.readouterr().err
    assert train_seed.main(args[:-4] + ["--out-dir", str(tmp_path / "solo"), "--device", "cpu"]) == 0
    assert pooled_sources(tmp_path / "solo") == []
    # another extractor (meta.yaml), a bad spec, a repeated name: one line each
    for folder, name in ((scp.parent, "resemblyzer"), (other, "campplus")):
        (folder / "meta.yaml").write_text(_yaml.safe_dump({"extractor": {"name": name, "weights_sha256": "ab"}}))
    assert train_seed.main(args[:-4] + ["--out-dir", str(tmp_path / "x"), "--device", "cpu",
                                        "--pool", f"mini={oscp}:{opairs}"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("train_seed: ") and "meta.yaml" in err and "another extractor" in err
    # the same network run elsewhere (another model file path, batch limit) is the same extractor
    (other / "meta.yaml").write_text(_yaml.safe_dump({"extractor": {"name": "resemblyzer", "weights_sha256": "ab",
                                                                    "model_file": "/elsewhere", "max_batch": 4}}))
    assert load_training_data(scp, own_pairs, "sqrt_dim", "cpu", pool=[PairSource("mini", oscp, opairs)]).num_pairs
    with pytest.raises(ValueError, match="expected NAME=EMBEDDING_SCP:PAIRS"):
        PairSource.parse(f"{oscp}:{opairs}")
    with pytest.raises(ValueError, match="names must differ"):
        load_training_data(scp, own_pairs, "sqrt_dim", "cpu", pool=[PairSource("a", oscp, opairs)] * 2)
    (tmp_path / "narrow").mkdir()
    nscp, npairs = write_synthetic_pairs(tmp_path / "narrow", dim=8, seed=2)
    with pytest.raises(SeedDataError, match="8-dimensional embeddings, .* has 16: a pool needs one extractor"):
        load_training_data(scp, own_pairs, "sqrt_dim", "cpu", pool=[PairSource("n", nscp, npairs)])


def test_resume_refuses_other_embedding_values_or_dimension_with_one_line(synth, tmp_path, capsys):
    """Same keys and pairs but other values (e.g. re-extracted embeddings) must not resume, nor report
    "nothing to do" on a finished run; another dimension is one line too, not a state_dict dump."""
    from seed.bin import train_seed
    from seed.data import load_embeddings, write_embeddings
    scp, pairs = synth
    exp = tmp_path / "exp"
    cli = ["--config", "seed_debug", "--pairs", str(pairs), "--out-dir", str(exp), "--device", "cpu"]
    assert train_seed.main([*cli, "--embeddings", str(scp)]) == 0
    recorded = load_checkpoint(exp / "last.pt")["data"]
    keys, rows = load_embeddings(scp)
    assert recorded["embeddings"] == str(scp) and len(recorded["embeddings_sha256"]) == 64
    capsys.readouterr()
    assert train_seed.main([*cli, "--embeddings", str(scp)]) == 0          # same values: resumes
    assert "nothing to do" in capsys.readouterr().err
    before = (exp / "last.pt").read_bytes()

    other = tmp_path / "other"
    write_embeddings(other / "embedding.ark", other / "embedding.scp", zip(keys, rows * 1.5 + 0.1))
    assert train_seed.main([*cli, "--embeddings", str(other / "embedding.scp")]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("train_seed:")]
    assert len(err) == 1 and str(exp / "last.pt") in err[0] and str(other / "embedding.scp") in err[0], err
    assert "other embedding values" in err[0] and "--overwrite" in err[0]
    assert (exp / "last.pt").read_bytes() == before                         # the record still tells the truth

    small = tmp_path / "small"
    write_embeddings(small / "embedding.ark", small / "embedding.scp", zip(keys, rows[:, :8]))
    assert train_seed.main([*cli, "--embeddings", str(small / "embedding.scp")]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("train_seed:")]
    assert len(err) == 1 and err[0].startswith(f"train_seed: {exp / 'last.pt'}: ") and "16-dimensional" in err[0]
    assert "has 8" in err[0] and "size mismatch" not in err[0]
    assert (exp / "last.pt").read_bytes() == before


# ---- distributed ----------------------------------------------------------------------------------
def test_two_process_gloo_ddp_equals_single_process(synth, tmp_path):
    scp, pairs = synth
    common = ["-m", "seed.bin.train_seed", "--config", "seed_debug", "--embeddings", str(scp),
              "--pairs", str(pairs), "--device", "cpu", "--set", "train.max_steps=12",
              "--set", "train.batch_size=64"]
    single = run_cli(sys.executable, *common, "--out-dir", str(tmp_path / "single"))
    assert single.returncode == 0, single.stderr
    ddp = run_cli(*common, "--out-dir", str(tmp_path / "ddp"),
                  launcher=(sys.executable, "-m", "torch.distributed.run", "--standalone",
                            "--nproc_per_node", "2"))
    assert ddp.returncode == 0, ddp.stderr
    assert "over 2 rank(s)" in (tmp_path / "ddp" / "train.log").read_text()
    a = load_checkpoint(tmp_path / "single" / "last.pt")
    b = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert a["step"] == b["step"] == 12
    assert_same_checkpoint(a, b, exact=False)
    assert a["history"][-1]["train_loss"] == pytest.approx(b["history"][-1]["train_loss"], abs=1e-6)


# ---- command lines --------------------------------------------------------------------------------
def test_train_and_enhance_command_lines_with_per_crop_matrices(synth, tmp_path):
    from seed.data import load_embedding_dict, write_embeddings
    scp, pairs = synth
    exp = tmp_path / "exp"
    r = run_cli(sys.executable, "-m", "seed.bin.train_seed", "--config", "seed_debug", "--embeddings",
                str(scp), "--pairs", str(pairs), "--out-dir", str(exp), "--device", "cpu")
    assert r.returncode == 0, r.stderr
    log = (exp / "train.log").read_text()
    assert "pairs/s" in log and "end of epoch 1" in log and "finished" in log

    rng = np.random.default_rng(0)
    crops = {f"utt{i}": rng.normal(size=(3, 16)).astype(np.float32) for i in range(5)}
    crops["vec"] = rng.normal(size=16).astype(np.float32)
    write_embeddings(tmp_path / "in" / "embedding.ark", tmp_path / "in" / "embedding.scp", crops.items())
    from seed.bin import enhance
    args = ["--model", str(exp), "--in-scp", str(tmp_path / "in" / "embedding.scp"), "--seed", "3",
            "--t", "20", "--device", "cpu"]
    r = run_cli(sys.executable, "-m", "seed.bin.enhance", *args, "--out-dir", str(tmp_path / "o1"))
    assert r.returncode == 0, r.stderr
    assert enhance.main([*args, "--out-dir", str(tmp_path / "o2")]) == 0
    assert enhance.main([*args, "--out-dir", str(tmp_path / "o3"), "--batch-size", "2"]) == 0
    outs = [tmp_path / "o1", tmp_path / "o2"]
    assert (outs[0] / "embedding.ark").read_bytes() == (outs[1] / "embedding.ark").read_bytes()
    meta = yaml.safe_load((outs[0] / "meta.yaml").read_text())
    assert meta["enhance"]["t"] == 20 and meta["enhance"]["seed"] == 3 and meta["num_rows"] == 16
    assert meta["model"]["config"] == "seed_debug"
    out = load_embedding_dict(outs[0] / "embedding.scp")
    assert list(out) == list(crops)
    assert out["utt0"].shape == (3, 16) and out["vec"].shape == (16,)
    small_batches = load_embedding_dict(tmp_path / "o3" / "embedding.scp")   # same z per row
    for k in crops:
        np.testing.assert_allclose(small_batches[k], out[k], rtol=0, atol=1e-5)
    from seed import SEED
    m = SEED.load(exp, device="cpu")
    np.testing.assert_allclose(out["utt2"], m.enhance(crops["utt2"], t=20, zero_noise=True), atol=0.5)
    assert enhance.main(["--model", str(exp), "--in-scp", str(tmp_path / "in" / "embedding.scp"),
                         "--out-dir", str(tmp_path / "z"), "--zero-noise", "--ddim-steps", "2",
                         "--checkpoint", "last", "--device", "cpu"]) == 0
    zout = load_embedding_dict(tmp_path / "z" / "embedding.scp")
    np.testing.assert_allclose(zout["utt1"], m.enhance(crops["utt1"], zero_noise=True, ddim_steps=2),
                               atol=1e-5)


def test_bad_inputs_fail_with_one_line_naming_file_and_key(synth, tmp_path, capsys):
    from seed.bin import enhance, train_seed
    scp, pairs = synth
    bad = tmp_path / "pairs"
    bad.write_text(Path(pairs).read_text() + "spk0-crop0-aug0 no-such-key\n")
    assert train_seed.main(["--config", "seed_debug", "--embeddings", str(scp), "--pairs", str(bad),
                            "--out-dir", str(tmp_path / "e"), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert f"train_seed: {bad}:1025: key 'no-such-key': not in the embeddings scp\n" in err
    assert not (tmp_path / "e" / "last.pt").exists()
    assert enhance.main(["--model", str(tmp_path / "nothing"), "--in-scp", str(scp), "--out-dir",
                         str(tmp_path / "o"), "--device", "cpu"]) == 1
    assert "nothing: no such experiment folder" in capsys.readouterr().err
    assert not (tmp_path / "o" / "meta.yaml").exists()
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("train:\n  epoch: 3\n")
    assert train_seed.main(["--config", str(cfg), "--embeddings", str(scp), "--pairs", str(pairs),
                            "--out-dir", str(tmp_path / "e"), "--device", "cpu"]) == 1
    assert "typo.yaml: key 'train.epoch': unknown option" in capsys.readouterr().err


def test_dev_eer_is_validated_every_epoch(synth, tmp_path):
    metrics = pytest.importorskip("seed.metrics")
    if not hasattr(metrics, "compute_eer"):
        pytest.skip("seed.metrics.compute_eer not available yet")
    from seed.data import Trials, write_trials
    scp, pairs = synth
    enroll, test, labels = [], [], []
    for s in range(8):
        for s2 in range(8):
            enroll.append(f"spk{s}-crop0")
            test.append(f"spk{s2}-crop1-aug{s2 % 3}")
            labels.append(int(s == s2))
    write_trials(tmp_path / "trials", Trials(enroll, test, np.array(labels)))
    r = run_cli(sys.executable, "-m", "seed.bin.train_seed", "--config", "seed_debug", "--embeddings",
                str(scp), "--pairs", str(pairs), "--out-dir", str(tmp_path / "exp"), "--device", "cpu",
                "--valid-trials", str(tmp_path / "trials"), "--valid-scp", str(scp))
    assert r.returncode == 0, r.stderr
    log = (tmp_path / "exp" / "train.log").read_text()
    assert "dev EER without enhancement" in log and log.count("valid_eer ") == 2
    best = load_checkpoint(tmp_path / "exp" / "best.pt")["best"]
    assert best["metric"] == "valid_eer" and 0 <= best["value"] <= 100


# ---- strength (issue 9) and several sets per process ---------------------------------------------
def test_strength_interpolates_between_input_and_prediction(synth, tmp_path):
    from seed import SEED
    scp, pairs = synth
    cfg = debug_config()
    train(cfg, scp, pairs, tmp_path / "exp", info=CPU)
    m = SEED.load(tmp_path / "exp", device="cpu")
    x = np.random.default_rng(1).normal(size=(40, 16)).astype(np.float32)
    scaled = 4.0 * x / np.linalg.norm(x, axis=1, keepdims=True)          # √D·e/‖e‖ with D = 16
    full = m.enhance(x, seed=2)
    np.testing.assert_array_equal(m.enhance(x, seed=2, strength=1.0), full)
    np.testing.assert_allclose(m.enhance(x, seed=2, strength=0.0), scaled, rtol=0, atol=1e-5)
    np.testing.assert_allclose(m.enhance(x, seed=2, strength=0.25), 0.25 * full + 0.75 * scaled, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="strength"):
        m.enhance(x, strength=1.5)
    bad = tmp_path / "bad.yaml"
    bad.write_text("enhance:\n  strength: 2\n")
    from seed.diffusion.config import ConfigError
    with pytest.raises(ConfigError, match="enhance.strength"):
        load_config(bad)


def test_enhance_several_sets_in_one_process(synth, tmp_path, capsys):
    from seed.bin import enhance
    from seed.data import load_embedding_dict, write_embeddings
    scp, pairs = synth
    train(debug_config(), scp, pairs, tmp_path / "exp", info=CPU)
    rng = np.random.default_rng(0)
    sets = {}
    for name in ("a", "b"):
        sets[name] = {f"{name}{i}": rng.normal(size=16).astype(np.float32) for i in range(6)}
        write_embeddings(tmp_path / name / "embedding.ark", tmp_path / name / "embedding.scp", sets[name].items())
    common = ["--model", str(tmp_path / "exp"), "--seed", "1", "--device", "cpu", "--strength", "0.5"]
    assert enhance.main([*common, "--in-scp", str(tmp_path / "a/embedding.scp"), str(tmp_path / "b/embedding.scp"),
                         "--out-dir", str(tmp_path / "oa"), str(tmp_path / "ob")]) == 0
    for name in ("a", "b"):   # same files as one call per set
        assert enhance.main([*common, "--in-scp", str(tmp_path / name / "embedding.scp"),
                             "--out-dir", str(tmp_path / f"single_{name}")]) == 0
        assert (tmp_path / f"o{name}/embedding.ark").read_bytes() == \
            (tmp_path / f"single_{name}/embedding.ark").read_bytes()
        assert list(load_embedding_dict(tmp_path / f"o{name}/embedding.scp")) == list(sets[name])
        assert yaml.safe_load((tmp_path / f"o{name}/meta.yaml").read_text())["enhance"]["strength"] == 0.5
    with pytest.raises(SystemExit):
        enhance.main([*common, "--in-scp", str(tmp_path / "a/embedding.scp"), "--out-dir", "x", "y"])
    assert "give one output folder per input scp" in capsys.readouterr().err


def test_sweep_enhance_reports_every_setting(synth, tmp_path):
    """A held-out synthetic test set (new crops, same corruption directions): the sweep table has the
    baseline, the centering control and SEED / SEED + centering for every (strength, t*)."""
    import json
    from seed.bin import sweep_enhance
    from seed.data import Trials, write_embeddings, write_trials
    scp, pairs = synth
    train(debug_config(), scp, pairs, tmp_path / "exp", info=CPU)
    keys, x, _ = make_synthetic_pairs(num_speakers=8, crops_per_speaker=4, dim=16, seed=0)
    clean = [k for k in keys if "-aug" not in k]
    table = dict(zip(keys, x))
    embed = tmp_path / "embed"
    write_embeddings(embed / "test/embedding.ark", embed / "test/embedding.scp", ((k, table[k]) for k in clean))
    write_embeddings(embed / "test_aug0/embedding.ark", embed / "test_aug0/embedding.scp",
                     ((k, table[f"{k}-aug0"]) for k in clean))
    trials = Trials(*zip(*[(a, b, int(a.split("-")[0] == b.split("-")[0]))
                           for i, a in enumerate(clean) for b in clean[i + 1:]]))
    write_trials(tmp_path / "trials", trials)
    rc = sweep_enhance.main(["--model", str(tmp_path / "exp"), "--embed-dir", str(embed), "--test-set", "test",
                             "--trials", str(tmp_path / "trials"), "--conditions", "aug0", "--centering-scp", str(scp),
                             "--strengths", "0.5", "1.0", "--ts", "0", "50", "--seeds", "0", "1",
                             "--json", str(tmp_path / "s.json"), "--md", str(tmp_path / "s.md")])
    assert rc == 0
    out = json.loads((tmp_path / "s.json").read_text())
    settings = {(s["strength"], s["t"], s["centering"]) for s in out["summary"]}
    assert settings == {(st, t, c) for st in (0.5, 1.0) for t in (0, 50) for c in ("none", "training")}
    assert all(s["mean_rel_eer_change_mismatched"] is not None and s["n_mismatched"] == 1 for s in out["summary"])
    systems = {r["system"] for r in out["rows"]}
    assert {"baseline", "centering"} <= systems and len(systems) == 2 + 8
    assert all({r["condition"] for r in out["rows"] if r["system"] == name} == {"clean", "aug0"} for name in systems)
    assert all(len(r["eval_seeds"]) == 2 for r in out["rows"] if r["system"] not in ("baseline", "centering"))
    md = (tmp_path / "s.md").read_text()
    assert md.count("| training corpus |") == 4 and md.count("| none |") == 4 and "| baseline |" in md
    from seed.bin import summarise_sweeps
    assert summarise_sweeps.main([f"synthetic={tmp_path / 's.json'}", "--md", str(tmp_path / "sum.md")]) == 0
    table = (tmp_path / "sum.md").read_text().splitlines()
    assert len(table) == 2 + 2 + 8 and table[3].startswith("| synthetic | centering control |")
    # --domain-set: the target's own mean as a second control, and a '+ domain centering' twin per setting
    rc = sweep_enhance.main(["--model", str(tmp_path / "exp"), "--embed-dir", str(embed), "--test-set", "test",
                             "--trials", str(tmp_path / "trials"), "--conditions", "aug0", "--centering-scp", str(scp),
                             "--domain-set", "test", "--strengths", "0.5", "--ts", "50", "--seeds", "0",
                             "--json", str(tmp_path / "d.json")])
    assert rc == 0
    out = json.loads((tmp_path / "d.json").read_text())
    assert {s["centering"] for s in out["summary"]} == {"none", "training", "domain"}
    assert "domain_centering" in {r["system"] for r in out["rows"]}
    assert all(s["best_control"] in ("centering", "domain_centering") for s in out["summary"])
    assert summarise_sweeps.main([f"d={tmp_path / 'd.json'}"]) == 0
    assert summarise_sweeps.main([f"synthetic={tmp_path / 's.json'}@other"]) == 1
    assert summarise_sweeps.main(["no-equals-sign"]) == 1


def test_sweep_and_scoring_take_per_crop_embeddings(synth, tmp_path):
    """Per-crop matrices (e.g. the voxceleb recipe's crops:10x4) go through the sweep's enhancement and
    the one TrialScorer (ESPnet's crop distance), as through stage 4-6: no 'vectors only' path is left."""
    import json
    from seed.bin import sweep_enhance
    from seed.data import Trials, write_embeddings, write_trials
    scp, pairs = synth
    train(debug_config(), scp, pairs, tmp_path / "exp", info=CPU)
    rng = np.random.default_rng(3)
    keys = [f"s{s}-u{u}" for s in range(4) for u in range(3)]
    centres = rng.normal(size=(4, 16))
    clean = {k: (centres[int(k[1])] + 0.3 * rng.normal(size=(3, 16))).astype(np.float32) for k in keys}
    noisy = {k: (v + 0.8 * rng.normal(size=v.shape)).astype(np.float32) for k, v in clean.items()}
    embed = tmp_path / "embed"
    write_embeddings(embed / "test/embedding.ark", embed / "test/embedding.scp", clean.items())
    write_embeddings(embed / "test_noise/embedding.ark", embed / "test_noise/embedding.scp", noisy.items())
    write_trials(tmp_path / "trials", Trials(*zip(*[(a, b, int(a[:2] == b[:2])) for i, a in enumerate(keys)
                                                    for b in keys[i + 1:]])))
    assert sweep_enhance.main(["--model", str(tmp_path / "exp"), "--embed-dir", str(embed), "--test-set", "test",
                               "--trials", str(tmp_path / "trials"), "--conditions", "noise",
                               "--centering-scp", str(scp), "--strengths", "0.3", "--json",
                               str(tmp_path / "s.json")]) == 0
    out = json.loads((tmp_path / "s.json").read_text())
    assert {s["system"] for s in out["summary"]} == {"seed@s=0.3,t=50", "seed@s=0.3,t=50_centered"}
    assert all(np.isfinite(r["eer"]) for r in out["rows"])


def test_out_of_range_enhance_options_name_the_option(synth, tmp_path, capsys):
    """Issue 16 (fault table): --batch-size 0 was 'torch.cat(): expected a non-empty list of Tensors'; --t,
    --strength and --ddim-steps errors named no option ('timestep 100000 outside [0, 999]')."""
    from seed.bin import enhance
    scp, pairs = synth
    train(debug_config(), scp, pairs, tmp_path / "exp", info=CPU)
    common = ["--model", str(tmp_path / "exp"), "--in-scp", str(scp), "--out-dir", str(tmp_path / "o"),
              "--device", "cpu"]
    for option, value, need in (("--batch-size", "0", ">= 1"), ("--t", "-1", ">= 0"), ("--ddim-steps", "0", ">= 1"),
                                ("--strength", "nan", "in [0, 1]"), ("--strength", "-0.5", "in [0, 1]")):
        with pytest.raises(SystemExit) as e:
            enhance.main([*common, option, value])
        assert e.value.code == 2 and f"error: {option} must be {need}, got " in capsys.readouterr().err
    assert enhance.main([*common, "--t", "100000"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"enhance: --t 100000: the model {tmp_path / 'exp'} has diffusion timesteps 0..999"]
    assert not (tmp_path / "o" / "meta.yaml").exists()

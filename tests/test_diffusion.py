"""SEED diffusion model, schedule, enhancement and API: faithful to the official code, reproducible."""
import math

import numpy as np
import pytest
import torch

from seed.diffusion import RDMMLP, DDPMSchedule, count_parameters, timestep_embedding
from seed.diffusion.checkpoint import save_checkpoint
from seed.diffusion.config import ConfigError, apply_overrides, load_config, merge_config
from seed.diffusion.enhance import NOISE_BLOCK, EnhanceOptions, Enhancer, scale_to_sqrt_dim


def trained_like(dim, num_blocks=3, seed=0):
    """An RDMMLP whose zero-initialised layers hold small random values (as after training)."""
    torch.manual_seed(seed)
    model = RDMMLP(dim, num_blocks)
    with torch.no_grad():
        for p in model.parameters():
            if not p.abs().sum():
                p.normal_(0, 0.05)
    return model.eval()


# ---- model ----------------------------------------------------------------------------------------
def test_parameter_counts_match_the_official_model():
    assert count_parameters(RDMMLP(256)) == 2_437_888
    assert count_parameters(RDMMLP(512)) == 9_725_440


def test_initial_prediction_is_exactly_zero():
    model = RDMMLP(256)
    x = torch.randn(8, 256) * 16
    out = model(x, torch.randint(0, 1000, (8,)))
    assert out.shape == (8, 256) and torch.equal(out, torch.zeros_like(out))


def test_residual_prediction_starts_as_the_identity_with_the_same_parameters():
    """model.prediction = residual (issue 15 variant): x̂0 = x_t + head, so the untrained model returns its
    input exactly; same parameters and state-dict layout as the official x0 model; other names refused."""
    torch.manual_seed(0)
    x0_model = RDMMLP(32)
    torch.manual_seed(0)
    residual = RDMMLP(32, prediction="residual")
    x = torch.randn(8, 32) * 6
    t = torch.randint(0, 1000, (8,))
    assert torch.equal(residual(x, t), x)
    assert residual.state_dict().keys() == x0_model.state_dict().keys()
    trained = trained_like(32)
    residual.load_state_dict(trained.state_dict())
    torch.testing.assert_close(residual(x, t), trained(x, t) + x)
    with pytest.raises(ValueError, match="prediction must be one of"):
        RDMMLP(32, prediction="eps")
    with pytest.raises(ConfigError, match="model.prediction"):
        merge_config({"model": {"prediction": "eps"}})


def test_layout_and_names_follow_the_official_simple_mlp():
    sd = RDMMLP(32).state_dict()
    assert sd["input_proj.weight"].shape == (64, 32)
    assert sd["time_embed.0.weight"].shape == (32, 64) and sd["time_embed.2.weight"].shape == (32, 32)
    assert sd["res_blocks.2.in_layers.2.weight"].shape == (64, 64)
    assert sd["res_blocks.0.emb_layers.1.weight"].shape == (64, 32)
    assert sd["res_blocks.0.out_layers.3.weight"].shape == (64, 64)
    assert sd["out.2.weight"].shape == (32, 64)
    model = RDMMLP(32)
    assert model.out[0].eps == 1e-6 and model.res_blocks[0].in_layers[0].eps == 1e-5
    assert "res_blocks.3.in_layers.2.weight" not in sd


def test_timestep_embedding_is_cos_then_sin():
    emb = timestep_embedding(torch.tensor([0, 7]), 8)
    torch.testing.assert_close(emb[0], torch.tensor([1.0] * 4 + [0.0] * 4))
    freqs = torch.exp(-math.log(10000) * torch.arange(4) / 4)
    torch.testing.assert_close(emb[1], torch.cat([torch.cos(7 * freqs), torch.sin(7 * freqs)]))


def test_scalar_timestep_broadcasts_like_per_row_timesteps():
    model = trained_like(16)
    x = torch.randn(5, 16)
    torch.testing.assert_close(model(x, 50), model(x, torch.full((5,), 50)), rtol=0, atol=1e-6)
    assert model(x[:1], 3).shape == (1, 16)   # batch of one works (the official squeeze() did not)


# ---- schedule -------------------------------------------------------------------------------------
def test_scaled_linear_schedule_values():
    s = DDPMSchedule()
    assert s.num_train_timesteps == 1000
    assert s.alphas_cumprod_np[50] == pytest.approx(0.99084, abs=5e-6)
    assert s.alphas_cumprod_np[999] == pytest.approx(0.00073, abs=5e-6)
    assert s.alphas_cumprod_np[0] == pytest.approx(1 - 1e-4)
    assert float(s.betas[-1]) == pytest.approx(0.02)
    a, b = s.coefficients(50)
    assert a ** 2 + b ** 2 == pytest.approx(1.0)


def test_add_noise_diffuses_per_row():
    s = DDPMSchedule()
    x, eps = torch.randn(3, 4), torch.randn(3, 4)
    t = torch.tensor([0, 50, 999])
    y = s.add_noise(x, eps, t)
    for i in range(3):
        a, b = s.coefficients(int(t[i]))
        torch.testing.assert_close(y[i], a * x[i] + b * eps[i])


def test_ddim_timesteps():
    s = DDPMSchedule()
    assert s.ddim_timesteps(50, 1) == [50]
    assert s.ddim_timesteps(980, 50) == list(range(980, -1, -20))   # the official use_ddim loop
    assert s.ddim_timesteps(50, 3) == [50, 25, 0]
    with pytest.raises(ValueError):
        s.ddim_timesteps(1000, 1)
    with pytest.raises(ValueError):
        s.ddim_timesteps(3, 10)


# ---- enhancement ----------------------------------------------------------------------------------
OFFICIAL = 1.0   # strength of the official output; the formula tests below check the official sampler


def test_enhance_options_take_their_defaults_from_the_one_settings_table():
    from seed.diffusion.config import DEFAULTS
    opts = EnhanceOptions()
    assert {k: getattr(opts, k) for k in DEFAULTS['enhance']} == DEFAULTS['enhance']


def test_single_step_is_the_official_formula():
    model = trained_like(16)
    sched = DDPMSchedule()
    enh = Enhancer(model, sched, EnhanceOptions(t=50, strength=OFFICIAL))
    x = np.random.default_rng(0).normal(size=(10, 16)).astype(np.float32) * 3
    out = enh.enhance_rows(x, seed=4)
    z = enh.noise(0, 10, 4)
    xs = torch.from_numpy(x) * 4 / torch.from_numpy(x).norm(dim=1, keepdim=True)   # √16 = 4
    y = 0.99084 ** 0.5 * xs + (1 - 0.99084) ** 0.5 * z
    np.testing.assert_allclose(out, model(y, torch.full((10,), 50)).clamp(-12, 12).detach().numpy(),
                               atol=2e-4)


def test_output_is_clamped_to_three_sqrt_dim():
    model = trained_like(16)
    with torch.no_grad():
        model.out[2].bias.fill_(100.0)
    x = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32)
    out = Enhancer(model, DDPMSchedule(), EnhanceOptions(strength=OFFICIAL)).enhance_rows(x)
    assert np.allclose(out, 12.0)
    free = Enhancer(model, DDPMSchedule(), EnhanceOptions(clamp=None, strength=OFFICIAL)).enhance_rows(x)
    assert free.max() > 50


def test_enhancement_is_reproducible_for_a_fixed_seed():
    model = trained_like(16)
    enh = Enhancer(model, DDPMSchedule(), EnhanceOptions(batch_size=NOISE_BLOCK))
    x = np.random.default_rng(1).normal(size=(2500, 16)).astype(np.float32)
    a = enh.enhance_rows(x, seed=7)
    np.testing.assert_array_equal(a, enh.enhance_rows(x, seed=7))
    assert np.abs(a - enh.enhance_rows(x, seed=8)).max() > 1e-3
    for bs in (100, 2048, 5000):   # noise is tied to the row, not to the batching
        other = Enhancer(model, DDPMSchedule(), EnhanceOptions(batch_size=bs)).enhance_rows(x, seed=7)
        np.testing.assert_allclose(other, a, rtol=0, atol=1e-5)


def test_zero_noise_is_deterministic_and_seed_free():
    model = trained_like(16)
    enh = Enhancer(model, DDPMSchedule(), EnhanceOptions(zero_noise=True, strength=OFFICIAL))
    x = np.random.default_rng(2).normal(size=(20, 16)).astype(np.float32)
    np.testing.assert_array_equal(enh.enhance_rows(x, seed=1), enh.enhance_rows(x, seed=2))
    xs = scale_to_sqrt_dim(torch.from_numpy(x))
    expected = model(xs * DDPMSchedule().coefficients(50)[0], 50).clamp(-12, 12)
    np.testing.assert_allclose(enh.enhance_rows(x), expected.detach().numpy(), atol=1e-5)


def test_raw_input_scale_skips_normalisation():
    model = trained_like(16)
    x = np.random.default_rng(3).normal(size=(6, 16)).astype(np.float32)
    raw = Enhancer(model, DDPMSchedule(), EnhanceOptions(input_scale="raw", zero_noise=True, t=0, strength=OFFICIAL))
    a0 = DDPMSchedule().coefficients(0)[0]
    np.testing.assert_allclose(raw.enhance_rows(x), model(torch.from_numpy(x) * a0, 0).detach().numpy(),
                               atol=1e-5)


def test_ddim_one_step_equals_single_step_and_multi_step_follows_ddim():
    model = trained_like(16)
    sched = DDPMSchedule()
    x = np.random.default_rng(4).normal(size=(8, 16)).astype(np.float32)
    single = Enhancer(model, sched, EnhanceOptions(t=50, strength=OFFICIAL)).enhance_rows(x, seed=3)
    one = Enhancer(model, sched, EnhanceOptions(t=50, ddim_steps=1, strength=OFFICIAL)).enhance_rows(x, seed=3)
    np.testing.assert_array_equal(single, one)
    two = Enhancer(model, sched, EnhanceOptions(t=40, ddim_steps=2, strength=OFFICIAL))
    out = two.enhance_rows(x, seed=3)
    # by hand: y40 → x0 → eps → y0 (eta 0) → x0 at t=0
    xs = scale_to_sqrt_dim(torch.from_numpy(x))
    a40, s40 = sched.coefficients(40)
    a0, s0 = sched.coefficients(0)
    y = a40 * xs + s40 * two.noise(0, 8, 3)
    x0 = model(y, 40).clamp(-12, 12)
    y0 = a0 * x0 + s0 * (y - a40 * x0) / s40
    np.testing.assert_allclose(out, model(y0, 0).clamp(-12, 12).detach().numpy(), atol=1e-4)


# ---- config ---------------------------------------------------------------------------------------
def test_shipped_configs():
    paper, matched, debug = (load_config(n) for n in ("seed_paper", "seed_matched", "seed_debug"))
    assert (paper["train"]["train_scale"], paper["enhance"]["input_scale"]) == ("raw", "sqrt_dim")
    assert (matched["train"]["train_scale"], matched["enhance"]["input_scale"]) == ("sqrt_dim", "sqrt_dim")
    for cfg in (paper, matched):
        assert cfg["train"]["lr"] == 5e-4 and cfg["train"]["weight_decay"] == 5e-5
        assert cfg["train"]["loss"] == "l1" and cfg["enhance"]["t"] == 50
        assert cfg["model"]["num_blocks"] == 3 and cfg["diffusion"]["beta_schedule"] == "scaled_linear"
    assert debug["name"] == "seed_debug" and debug["train"]["max_steps"] <= 100


def test_config_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  batch_sise: 4\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: key 'train.batch_sise': unknown option"):
        load_config(bad)
    with pytest.raises(ConfigError, match="train.train_scale"):
        merge_config({"train": {"train_scale": "l2"}})
    with pytest.raises(ConfigError, match="train.batch_size"):
        merge_config({"train": {"batch_size": 0}})
    with pytest.raises(ConfigError, match="enhance.t"):
        merge_config({"enhance": {"t": 1000}})
    cfg = apply_overrides(merge_config({}), ["train.epochs=3", "enhance.clamp=null"])
    assert cfg["train"]["epochs"] == 3 and cfg["enhance"]["clamp"] is None
    with pytest.raises(ConfigError, match="train.nope"):
        apply_overrides(cfg, ["train.nope=1"])


# ---- Python API -----------------------------------------------------------------------------------
@pytest.fixture
def saved_model(tmp_path):
    model = trained_like(16)
    cfg = merge_config({})
    cfg["name"] = "unit"
    save_checkpoint(tmp_path / "best.pt", {"model": model.state_dict(), "dim": 16, "config": cfg,
                                            "step": 5, "finished": True})
    return tmp_path, model


def test_api_numpy_and_torch_any_leading_shape(saved_model):
    from seed import SEED
    path, _ = saved_model
    m = SEED.load(path, device="cpu")
    assert m.dim == 16 and m.step == 5
    x = np.random.default_rng(5).normal(size=(6, 3, 16)).astype(np.float32)
    out = m.enhance(x, seed=0)
    assert isinstance(out, np.ndarray) and out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out.reshape(-1, 16), m.enhance(x.reshape(-1, 16), seed=0))
    tout = m.enhance(torch.from_numpy(x), seed=0)
    assert torch.is_tensor(tout) and tout.shape == x.shape
    np.testing.assert_array_equal(tout.numpy(), out)
    assert m.enhance(x[0, 0]).shape == (16,)
    with pytest.raises(ValueError, match="dimension 8"):
        m.enhance(np.zeros((2, 8), np.float32))


def test_api_crops_are_enhanced_independently(saved_model):
    from seed import SEED
    m = SEED.load(saved_model[0], device="cpu")
    x = np.random.default_rng(6).normal(size=(4, 5, 16)).astype(np.float32)
    together = m.enhance(x, zero_noise=True)
    for c in range(5):
        np.testing.assert_allclose(together[:, c], m.enhance(x[:, c], zero_noise=True), atol=1e-6)


def test_api_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    from seed import SEED
    (tmp_path / "best.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="best.pt"):
        SEED.load(tmp_path, device="cpu")
    with pytest.raises(FileNotFoundError, match="last.pt"):
        SEED.load(tmp_path, checkpoint="last", device="cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_api_on_gpu_matches_cpu_with_zero_noise(saved_model):
    from seed import SEED
    cpu = SEED.load(saved_model[0], device="cpu")
    gpu = SEED.load(saved_model[0], device="cuda")
    x = torch.randn(300, 16)
    out = gpu.enhance(x.cuda(), zero_noise=True)
    assert out.is_cuda
    torch.testing.assert_close(out.cpu(), cpu.enhance(x, zero_noise=True), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(gpu.enhance(x.numpy(), seed=3), gpu.enhance(x.numpy(), seed=3))


def test_validator_scores_mean_pairwise_cosine_over_crops():
    from seed.data import Trials
    from seed.diffusion.validation import TrialValidator
    rng = np.random.default_rng(7)
    emb = {"a": rng.normal(size=(3, 16)), "b": rng.normal(size=16), "c": rng.normal(size=(2, 16))}
    trials = Trials(["a", "a"], ["b", "c"], np.array([1, 0]))
    seen = {}

    def fake_eer(scores, labels):
        seen["scores"], seen["labels"] = scores, labels
        return 12.5

    v = TrialValidator(trials, emb, fake_eer)
    assert v.baseline() == 12.5
    unit = lambda m: np.atleast_2d(m) / np.linalg.norm(np.atleast_2d(m), axis=1, keepdims=True)  # noqa: E731
    expected = [(unit(emb["a"]) @ unit(emb[k]).T).mean() for k in ("b", "c")]
    np.testing.assert_allclose(seen["scores"], expected, rtol=1e-6)
    with pytest.raises(ValueError, match="key 'd'"):
        TrialValidator(Trials(["a"], ["d"], np.array([1])), emb, fake_eer, source="dev.scp")

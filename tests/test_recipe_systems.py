"""SEED systems of stages 4-6 (seed.recipe.systems): variant parsing, resolution, the systems file."""
import pytest

from seed.diffusion.config import DEFAULTS
from seed.recipe.systems import (RecipeSystems, check_model_matches_config, parse_ood, parse_variant,
                                 resolve_systems)


def test_variant_values_flags_and_underscores_are_kept_as_written():
    assert parse_variant("official:strength=1.0") == ("official", {"strength": 1.0})
    assert parse_variant("det:zero_noise=true,ddim_steps=4") == ("det", {"zero_noise": True, "ddim_steps": 4})
    assert parse_variant("det2:zero_noise") == ("det2", {"zero_noise": True})          # a bare flag means true
    assert parse_variant("no_clamp:clamp=null") == ("no_clamp", {"clamp": None})
    assert parse_variant("t_20:t=20,input_scale=sqrt_dim") == ("t_20", {"t": 20, "input_scale": "sqrt_dim"})
    assert parse_variant("same") == ("same", {})


@pytest.mark.parametrize("text, message", [
    ("x:strenght=1.0", "key 'strenght': unknown enhancement option"),
    ("seed:strength=1.0", "must match"),
    ("bad name:t=1", "must match"),
])
def test_bad_variants_are_named(text, message):
    with pytest.raises(ValueError, match=message) as e:
        parse_variant(text)
    assert text in str(e.value)


def test_ood_entries_need_a_name_and_a_folder():
    assert parse_ood("mini=../../mini/seed1/exp/seed/x") == ("mini", "../../mini/seed1/exp/seed/x")
    for bad in ("mini", "=dir", "mini=", "baseline=dir"):
        with pytest.raises(ValueError, match="NAME=EXP_DIR"):
            parse_ood(bad)


def _conf(tmp_path, text):
    p = tmp_path / "seed.yaml"
    p.write_text(text)
    return p


def test_systems_take_the_recipe_conf_enhance_section_and_variant_overrides(tmp_path):
    conf = _conf(tmp_path, "base: seed_recipe\nenhance:\n  strength: 0.5\n")
    cfg, systems = resolve_systems(conf, "exp/seed/m", "exp/enhanced/m", "exp/backend/m",
                                   variants=["official:strength=1.0", "det:zero_noise"],
                                   ood_models=["mini=/x/exp/seed/y"], ood_enhanced_root="exp/enhanced",
                                   ood_backend_root="exp/backend")
    by = {s.name: s for s in systems}
    assert [s.name for s in systems] == ["seed", "official", "det", "mini"]
    assert by["seed"].enhance == {**DEFAULTS["enhance"], "strength": 0.5}
    assert by["official"].enhance["strength"] == 1.0 and by["official"].enhanced_dir == "exp/enhanced/m_official"
    assert by["det"].enhance["zero_noise"] is True and by["det"].enhance["strength"] == 0.5
    assert by["mini"].kind == "ood" and by["mini"].enhance == by["seed"].enhance
    assert by["mini"].enhanced_dir == "exp/enhanced/ood_mini" and by["mini"].model == "/x/exp/seed/y"
    with pytest.raises(ValueError, match="enhance.strength"):
        resolve_systems(conf, "m", "e", "b", variants=["loud:strength=3"])
    with pytest.raises(ValueError, match="given twice"):
        resolve_systems(conf, "m", "e", "b", variants=["a:t=1"], ood_models=["a=/m"], ood_enhanced_root="e",
                        ood_backend_root="b")


def test_a_model_trained_with_other_settings_is_refused_but_enhance_may_change(tmp_path):
    from seed.diffusion.config import load_config
    trained = load_config(_conf(tmp_path, "base: seed_recipe\n"))
    now = load_config(_conf(tmp_path, "base: seed_recipe\nenhance:\n  strength: 0.9\ntrain:\n  log_interval: 7\n"))
    check_model_matches_config(trained, now, "exp/seed/m", "conf/seed.yaml")      # no error
    changed = load_config(_conf(tmp_path, "base: seed_recipe\ntrain:\n  max_steps: 5\n"))
    with pytest.raises(ValueError, match=r"conf/seed.yaml: key 'train.max_steps': exp/seed/m was trained with "
                                         r"10000, the conf now says 5; rerun stage 3"):
        check_model_matches_config(trained, changed, "exp/seed/m", "conf/seed.yaml")


def test_systems_file_round_trip_and_bad_files(tmp_path):
    from seed.data import SeedDataError
    _, systems = resolve_systems(_conf(tmp_path, "base: seed_recipe\n"), "m", "e", "b")
    r = RecipeSystems(systems=systems, eval_seeds=[2, 0], embed_dir="emb", baseline_backend_dir="bb", test_set="t",
                      conditions=["clean", "noise_snr5"], pairs_set="p", pairs_file="data/p/pairs",
                      labelled_set="p", utt2spk="data/p/utt2spk", config="c.yaml")
    r.write(tmp_path / "s.json")
    back = RecipeSystems.read(tmp_path / "s.json")
    assert back == r and back.first_seed == 2 and back.test_sets == ["t", "t_noise_snr5"] and back.backend_sets == ["p"]
    (tmp_path / "old.json").write_text('{"systems": []}')
    with pytest.raises(SeedDataError, match="rerun stage 4"):
        RecipeSystems.read(tmp_path / "old.json")
    with pytest.raises(SeedDataError, match="stage 4 writes it"):
        RecipeSystems.read(tmp_path / "missing.json")


def test_base_configs_chain_and_cycles_are_refused(tmp_path):
    from seed.diffusion.config import ConfigError, load_config
    (tmp_path / "a.yaml").write_text("base: b.yaml\ntrain:\n  max_steps: 3\n")
    (tmp_path / "b.yaml").write_text("base: seed_recipe\ntrain:\n  max_steps: 9\n  lr: 0.001\n")
    cfg = load_config(tmp_path / "a.yaml")
    assert cfg["name"] == "a" and cfg["train"]["max_steps"] == 3 and cfg["train"]["lr"] == 0.001
    assert cfg["train"]["epochs"] == 1000 and cfg["enhance"]["strength"] == DEFAULTS["enhance"]["strength"]
    (tmp_path / "c.yaml").write_text("base: d.yaml\n")
    (tmp_path / "d.yaml").write_text("base: c.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(tmp_path / "c.yaml")
    (tmp_path / "e.yaml").write_text("base: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="nowhere.yaml: config file not found"):
        load_config(tmp_path / "e.yaml")

"""egs/TEMPLATE/seed1/setup.sh scaffolds a corpus recipe that works with the shared stage script."""
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_setup_scaffolds_a_recipe_whose_options_parse(tmp_path):
    shutil.copytree(REPO / "egs" / "TEMPLATE", tmp_path / "egs" / "TEMPLATE", symlinks=True)
    shutil.copytree(REPO / "utils", tmp_path / "utils", symlinks=True)
    setup = tmp_path / "egs" / "TEMPLATE" / "seed1" / "setup.sh"
    r = subprocess.run([str(setup), "mycorpus"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    recipe = tmp_path / "egs" / "mycorpus" / "seed1"
    for name in ("run.sh", "db.sh", "cmd.sh", "conf/seed.yaml", "local/data.sh"):
        assert (recipe / name).is_file(), name
    for name in ("seed.sh", "path.sh", "utils"):
        assert (recipe / name).is_symlink() and (recipe / name).exists(), name
    env = dict(os.environ, SEED_VENV=str(REPO / ".venv"))
    r = subprocess.run(["./run.sh", "--help"], cwd=recipe, capture_output=True, text=True, env=env)
    assert "--enhance_variants" in r.stdout + r.stderr and "--ood_models" in r.stdout + r.stderr
    # stage 0 runs the corpus's local/data.sh, which says what to edit and fails until then
    r = subprocess.run(["./run.sh", "--stop-stage", "0"], cwd=recipe, capture_output=True, text=True, env=env)
    assert r.returncode != 0 and "edit me" in r.stdout + r.stderr
    assert not (recipe / "exp" / ".done.stage0").exists()
    # a second scaffold with the same name refuses to overwrite
    r = subprocess.run([str(setup), "mycorpus"], capture_output=True, text=True)
    assert r.returncode != 0 and "already exists" in r.stderr

"""espnet-tag: through the real loading code, offline: a tiny ESPnet-SPK model packed by espnet2.bin.pack,
placed in a hub cache in huggingface_hub's layout, loaded by Speech2Embedding.from_pretrained → espnet_model_zoo
→ huggingface_hub (nothing patched).

huggingface_hub reads HF_HUB_OFFLINE / HF_HUB_CACHE into constants when it is imported, and this pytest
process may have imported it already (espnet2 imports transformers, which imports it), so every load by tag
runs in a fresh interpreter with those variables set: one subprocess does all the offline loads (one
espnet import, ~15 s), one more the unreachable-hub case.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from seed.data import load_audio, load_embedding_dict
from seed.extract import ExtractorError, load_extractor
from seed.extract.registry import file_sha256
from test_extract_fixtures import librispeech_files, make_data_dir, one_thread  # noqa: F401 (fixtures; espnet_exp: conftest)

pytest.importorskip("espnet2")
pytest.importorskip("espnet_model_zoo")
pytest.importorskip("huggingface_hub")

pytestmark = pytest.mark.usefixtures("one_thread")

REPO_ROOT = Path(__file__).resolve().parents[1]
TAG = "seed/ecapa_tiny_test"


def hub_env(cache, home, offline=True, **extra):
    """The environment of a user whose hub cache is `cache`; HOME too, since espnet_model_zoo's
    ModelDownloader() creates ~/.cache/espnet_model_zoo even for hub tags."""
    env = dict(os.environ, HF_HUB_CACHE=str(cache), HOME=str(home), PYTHONPATH=str(REPO_ROOT), **extra)
    for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT"):
        if k not in extra:
            env.pop(k, None)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return env


@pytest.fixture(scope="module")
def hub(espnet_exp, tmp_path_factory):
    """The session's tiny experiment packed and installed: (cache dir, commit, snapshot, repo files)."""
    from seed.extract import espnet_hub
    work = tmp_path_factory.mktemp("hub")
    packed = espnet_hub.pack_experiment(espnet_exp, work / "exp_valid.eer.best.zip")
    files = espnet_hub.repo_files(packed, readme="")
    files["README.md"] = espnet_hub.model_card(TAG, files, {"key": "0" * 64}).encode()
    commit, snapshot = espnet_hub.install_into_hub_cache(files, TAG, work / "cache")
    return work / "cache", commit, snapshot, files


@pytest.fixture(scope="module")
def waves():
    """Four real utterances of four different lengths (4, 3.5, 3, 2.5 s)."""
    files = librispeech_files(per_speaker=2, speakers={"3005", "3080"})
    return [load_audio(p)[:64000 - 8000 * i] for i, p in enumerate(files.values())]


OFFLINE_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import torch
    torch.set_num_threads(1)  # as this module's one_thread fixture: CPU reductions depend on the thread count
    from seed.extract import ExtractorError, load_extractor
    from seed.bin.extract import main
    out = sys.argv[1]
    z = np.load(out + "/waves.npz")
    ext = load_extractor("espnet-tag:{tag}", "cpu")
    np.save(out + "/tag_emb.npy", ext.embed([z[k] for k in sorted(z.files)]))
    json.dump(ext.describe(), open(out + "/describe.json", "w"))
    rc = main(["--extractor", "espnet-tag:{tag}", "--data-dir", out + "/data", "--out-dir", out + "/emb",
               "--nj", "1", "--no-progress"])
    try:
        load_extractor("espnet-tag:seed/not_in_cache", "cpu")
        missing = None
    except ExtractorError as e:
        missing = str(e)
    json.dump({{"extract_rc": rc, "missing": missing}}, open(out + "/result.json", "w"))
""")


@pytest.fixture(scope="module")
def offline_run(hub, waves, tmp_path_factory):
    """One fresh interpreter, HF_HUB_OFFLINE=1: load by tag + embed, seed.bin.extract by tag on a
    3-utterance data dir, then a tag that is not in the cache."""
    cache = hub[0]
    out = tmp_path_factory.mktemp("offline")
    np.savez(out / "waves.npz", **{f"w{i}": w for i, w in enumerate(waves)})
    files = librispeech_files(per_speaker=2, speakers={"3005", "3080"})
    make_data_dir(out / "data", dict(list(files.items())[:3]))
    (out / "home").mkdir()
    proc = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT.format(tag=TAG), str(out)],
                          env=hub_env(cache, out / "home"), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, json.loads((out / "result.json").read_text()), proc.stderr


def test_cache_layout_is_the_hubs(hub):
    """blobs/<etag>, snapshots/<commit>/<relative symlinks>, refs/main, trees/<commit>.json, as a download
    leaves them; huggingface_hub's own scan_cache_dir finds the repository, clean, at ref main."""
    from huggingface_hub import scan_cache_dir

    from seed.extract import espnet_hub
    cache, commit, snapshot, files = hub
    storage = cache / "models--seed--ecapa_tiny_test"
    assert (storage / "refs" / "main").read_text() == commit and snapshot == storage / "snapshots" / commit
    assert (cache / "CACHEDIR.TAG").is_file() and (storage / "trees" / f"{commit}.json").is_file()
    assert sorted(files) == [".gitattributes", "README.md", "exp/1epoch.pth", "exp/config.yaml", "meta.yaml"]
    for path, data in files.items():
        link = snapshot / path
        assert link.is_symlink() and not os.path.isabs(os.readlink(link))
        assert os.readlink(link).startswith("../" * (2 + path.count("/")) + "blobs/")
        assert link.read_bytes() == data
    import hashlib
    model = files["exp/1epoch.pth"]
    assert (storage / "blobs" / hashlib.sha256(model).hexdigest()).read_bytes() == model  # LFS: sha256
    assert (storage / "blobs" / espnet_hub.git_blob_id(files["meta.yaml"])).is_file()  # git: blob id
    meta = yaml.safe_load(files["meta.yaml"])
    assert meta["files"] == {"model_file": "exp/1epoch.pth"} and meta["yaml_files"] == {"train_config": "exp/config.yaml"}
    scan = scan_cache_dir(cache)
    assert not scan.warnings
    (repo,) = scan.repos
    assert repo.repo_id == TAG and [(r.commit_hash, set(r.refs)) for r in repo.revisions] == [(commit, {"main"})]
    assert espnet_hub.snapshot_problems(cache, TAG, commit) == []


def test_revision_is_the_git_commit_of_the_content(hub, tmp_path):
    """git over the same files (LFS ones as their pointers) gives the same tree and commit ids."""
    from seed.extract import espnet_hub
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git not installed")
    _, commit, _, files = hub
    for path, data in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(espnet_hub.lfs_pointer(data) if espnet_hub.is_lfs(path, len(data)) else data)
    name, email = espnet_hub.COMMIT_IDENT[:-1].split(" <")
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
               GIT_COMMITTER_EMAIL=email, GIT_AUTHOR_DATE="@0 +0000", GIT_COMMITTER_DATE="@0 +0000")

    def git(*args, stdin=None):
        return subprocess.run(["git", *args], cwd=tmp_path, env=env, input=stdin, capture_output=True, text=True,
                              check=True).stdout.strip()
    git("init", "-q")
    git("add", "-A")
    assert git("commit-tree", git("write-tree"), stdin=espnet_hub.COMMIT_MESSAGE + "\n") == commit


def test_tag_gives_the_same_embeddings_as_the_experiment(espnet_exp, hub, offline_run, waves):
    out, _, _ = offline_run
    local = load_extractor(f"espnet:{espnet_exp}", "cpu")
    np.testing.assert_array_equal(np.load(out / "tag_emb.npy"), local.embed(waves))
    d = json.loads((out / "describe.json").read_text())
    assert d["model_tag"] == TAG and d["hub_revision"] == hub[1] and d["hub_snapshot"] == str(hub[2])
    assert d["model_file_sha256"] == file_sha256(espnet_exp / "valid.eer.best.pth")
    assert d["weights_sha256"] == local.describe()["weights_sha256"]


def test_extract_cli_by_tag_end_to_end(espnet_exp, offline_run, tmp_path):
    from seed.bin.extract import main
    out, result, _ = offline_run
    assert result["extract_rc"] == 0
    by_tag = load_embedding_dict(out / "emb" / "embedding.scp")
    assert len(by_tag) == 3
    assert main(["--extractor", f"espnet:{espnet_exp}", "--data-dir", str(out / "data"), "--out-dir",
                 str(tmp_path / "emb"), "--no-progress"]) == 0
    local = load_embedding_dict(tmp_path / "emb" / "embedding.scp")
    assert sorted(by_tag) == sorted(local)
    for k in local:
        np.testing.assert_array_equal(by_tag[k], local[k])
    meta = yaml.safe_load((out / "emb" / "meta.yaml").read_text())
    assert meta["extractor"]["spec"] == f"espnet-tag:{TAG}" and len(meta["extractor"]["hub_revision"]) == 40


def test_missing_tag_names_the_cache(hub, offline_run):
    _, result, _ = offline_run
    msg = result["missing"]
    assert msg is not None and "\n" not in msg
    assert "HF_HUB_OFFLINE=1" in msg and "HF_HUB_CACHE=" in msg and "HF_HOME=" in msg
    assert str(hub[0] / "models--seed--not_in_cache") in msg


def test_unreachable_hub_is_a_network_error(hub, tmp_path):
    """Online mode, hub endpoint refusing connections (HF_ENDPOINT to a closed local port), tag not cached."""
    script = ("from seed.extract import ExtractorError, load_extractor\n"
              "try:\n    load_extractor('espnet-tag:seed/not_in_cache')\n"
              "except ExtractorError as e:\n    print('ERR', e)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          env=hub_env(hub[0], tmp_path, offline=False, HF_ENDPOINT="http://127.0.0.1:9"))
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("ERR ")]
    assert "cannot reach the model hub (http://127.0.0.1:9" in line and "ConnectError" in line
    assert str(hub[0] / "models--seed--not_in_cache") in line and "HF_HUB_OFFLINE=1" in line


def test_missing_package_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "espnet_model_zoo", None)  # import espnet_model_zoo → ImportError
    with pytest.raises(ExtractorError, match=r"needs the `espnet_model_zoo` package: .*pip install espnet_model_zoo"):
        load_extractor("espnet-tag:seed/anything")


def test_make_hub_model_cli_builds_then_reruns_as_a_no_op(tmp_path, capsys):
    """Train (1 epoch) → pack → install; the rerun finds the complete entry with the same build key in the
    cache (even with WORK deleted) and touches nothing."""
    import shutil

    from seed.bin.make_espnet_hub_model import main
    from seed.extract import espnet_hub
    data = make_data_dir(tmp_path / "data", librispeech_files(per_speaker=2, speakers={"1688", "1998", "2033"}))
    args = ["--data-dir", str(data), "--tag", TAG, "--hub-cache", str(tmp_path / "cache"),
            "--work-dir", str(tmp_path / "work"), "--epochs", "1"]
    assert main(args) == 0
    tag, snapshot = capsys.readouterr().out.splitlines()
    commit, found = espnet_hub.cached_main(tmp_path / "cache", TAG)
    assert tag == TAG and Path(snapshot) == found and found.name == commit
    assert (tmp_path / "work" / "train" / "exp" / "exp_valid.eer.best.zip").is_file()  # spk.sh's packed model
    repo = tmp_path / "work" / "hf_seed_ecapa_tiny_test"
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()) == \
        [".gitattributes", "README.md", "exp/1epoch.pth", "exp/config.yaml", "meta.yaml"]
    assert "/" not in yaml.safe_load((repo / "exp/config.yaml").read_text())["output_dir"]  # no work-dir paths
    ref = tmp_path / "cache" / "models--seed--ecapa_tiny_test" / "refs" / "main"
    before = ref.stat().st_mtime_ns
    shutil.rmtree(tmp_path / "work")
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [TAG, snapshot] and "nothing to do" in err
    assert ref.stat().st_mtime_ns == before and not (tmp_path / "work").exists()


def _write_data(d, wav_lines, utt2spk_lines):
    d.mkdir(parents=True, exist_ok=True)
    (d / "wav.scp").write_text("".join(f"{x}\n" for x in wav_lines))
    (d / "utt2spk").write_text("".join(f"{x}\n" for x in utt2spk_lines))
    return d


@pytest.mark.parametrize("case", ["no_wav_scp", "missing_audio", "rate_8k", "one_speaker", "bad_tag"])
def test_make_hub_model_cli_bad_input_is_one_line(tmp_path, capsys, case):
    import soundfile

    from seed.bin.make_espnet_hub_model import main
    d = tmp_path / "data"
    for i in range(2):
        soundfile.write(tmp_path / f"a{i}.wav", np.zeros(16000, np.float32), 16000)
    soundfile.write(tmp_path / "b0.wav", np.zeros(8000, np.float32), 8000 if case == "rate_8k" else 16000)
    wav = [f"a-0 {tmp_path}/a0.wav", f"a-1 {tmp_path}/a1.wav", f"b-0 {tmp_path}/b0.wav"]
    u2s = ["a-0 a", "a-1 a", "b-0 a" if case == "one_speaker" else "b-0 b"]
    if case == "missing_audio":
        wav[2] = f"b-0 {tmp_path}/nowhere.wav"
    _write_data(d, wav, u2s)
    if case == "no_wav_scp":
        (d / "wav.scp").unlink()
    tag = "not a tag" if case == "bad_tag" else TAG
    assert main(["--data-dir", str(d), "--tag", tag, "--hub-cache", str(tmp_path / "c"), "--work-dir",
                 str(tmp_path / "w")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    expected = {"no_wav_scp": f"{d}/wav.scp", "missing_audio": f"{tmp_path}/nowhere.wav", "rate_8k": "8000 Hz",
                "one_speaker": f"{d}/utt2spk", "bad_tag": "bad model tag"}[case]
    assert expected in err
    assert not (tmp_path / "c").exists()


def test_s3prl_front_end_failure_names_the_cause_and_the_models_that_load():
    """The paper-scale default used to be a WavLM model: with the pinned torchaudio 2.9 s3prl 0.4.18 cannot
    import (torchaudio.set_audio_backend is gone). The message says so and names models that load."""
    from seed.extract.espnet_hub import explain_load_error
    msg = explain_load_error("espnet/voxcelebs12_ecapa_wavlm_joint",
                             AttributeError("module 'torchaudio' has no attribute 'set_audio_backend'"))
    assert "\n" not in msg and "torchaudio 2.9" in msg and "espnet/voxcelebs12_rawnet3" in msg

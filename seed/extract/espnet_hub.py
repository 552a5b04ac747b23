"""An ESPnet-SPK experiment packed the way ESPnet publishes it, placed in a local Hugging Face hub cache.

Why: `espnet-tag:ORG/NAME` loads through `Speech2Embedding.from_pretrained(model_tag=...)`
→ espnet_model_zoo → `huggingface_hub.snapshot_download`, and our machines reach no model hub. A
repository placed in the hub cache exactly as huggingface_hub leaves it after a download is found
there (`HF_HUB_OFFLINE=1`, `HF_HUB_CACHE=DIR`) by the same, unmodified code a user with internet runs.

Publishing, as ESPnet's egs2/TEMPLATE/spk1/spk.sh does it: stage 9 runs `python -m espnet2.bin.pack spk
--train_config exp/.../config.yaml --model_file exp/.../MODEL.pth [--option ...] --outpath X.zip` from the
recipe folder (so the archive holds relative `exp/...` paths plus a `meta.yaml` naming the config and the
model file); stage 10 clones the hub repository (which the hub creates with a `.gitattributes` sending
binaries to Git LFS), `unzip -o X.zip -d repo`, writes README.md from TEMPLATE_HF_Readme.md and pushes.
`pack_experiment` runs that packer; `repo_files` is that repository's content.

Choices, named:
- The packer's `images/` option is left out: the trainer's plots include forward/iter/train times,
  different on every run, and would make every build a new revision. No RESULTS.md exists (no scoring).
- meta.yaml's `timestamp` (the packer writes the wall clock) is set to `REPRODUCIBLE_TIMESTAMP` (0), so
  the same inputs give the same files; nothing in ESPnet or espnet_model_zoo reads it.
- The revision is a real git commit id over the repository: blobs, trees and a commit with a fixed
  author/committer (`COMMIT_IDENT`, time 0) and the message spk.sh uses ("Update model"), with LFS
  files stored as their LFS pointer, as the hub's git holds them. So it is derived from the content only,
  and `git write-tree` / `git commit-tree` over the same files give the same ids (tests check that).

The cache layout written, read off huggingface_hub 2.4.0 (`file_download.py`: hf_hub_download's cache
path, `_create_symlink`, `_cache_commit_hash_for_specific_revision`; `_snapshot_download.py`;
`_tree_cache.py`; `_local_folder._create_cachedir_tag`):
  CACHE/CACHEDIR.TAG
  CACHE/.locks/models--ORG--NAME/<etag>.lock                 (empty; left by its download locks)
  CACHE/models--ORG--NAME/blobs/<etag>                       (sha256 for LFS files, git blob sha1 otherwise)
  CACHE/models--ORG--NAME/snapshots/<commit>/<path>          (relative symlinks ../../blobs/<etag>)
  CACHE/models--ORG--NAME/trees/<commit>.json                (tree listing: size, blob_id, lfs_sha256, lfs_size)
  CACHE/models--ORG--NAME/refs/main                          (the commit id, no newline; written last)
Offline, snapshot_download reads refs/main, returns snapshots/<commit> and checks it against
trees/<commit>.json (2.4.0 raises IncompleteSnapshotError if a listed file is missing).

What espnet_model_zoo 0.1.11 does with a tag (downloader.py), found by reading it: `ModelDownloader()`
(from_pretrained passes no cachedir) creates `~/.cache/espnet_model_zoo` even for hub tags and reads its
bundled table.csv (no download while the file is there); a tag not in table.csv (and not an existing
local path) is a hub id, fetched by `snapshot_download(repo_id, revision=<after @>, library_name="espnet",
cache_dir=None)`, i.e. into huggingface_hub's own cache (HF_HUB_CACHE, else HF_HOME/hub). It then writes
`<config>.resolved.yaml` (paths made absolute), `.lock` and `.resolved_root` INTO the snapshot folder when
it is writable (else under ~/.cache/espnet_model_zoo/resolved/<md5 of the snapshot path>), and returns
those for Speech2Embedding(train_config=..., model_file=...). The knobs: HOME (that ~/.cache), the hub's
HF_HUB_CACHE/HF_HOME/HF_HUB_OFFLINE; ModelDownloader(cachedir=...) cannot be passed through
from_pretrained (and would move the hub snapshot into that folder). Our completeness check therefore
ignores files that are not in the tree listing.
"""
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from seed.data import atomic_write
from seed.extract.registry import ExtractorError

REPRODUCIBLE_TIMESTAMP = 0
COMMIT_IDENT = "seed toolkit <seed@localhost>"
COMMIT_MESSAGE = "Update model"  # spk.sh stage 10's commit message
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")  # the hub's ORG/NAME shape
MAX_NON_LFS_BYTES = 10 * 1024 * 1024  # the hub refuses larger files outside LFS

# The .gitattributes the hub puts in a new model repository: these patterns go to Git LFS.
HUB_LFS_PATTERNS = (
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*", "*.mlmodel",
    "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt",
    "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm",
    "*.xz", "*.zip", "*.zst", "*tfevents*",
)
GITATTRIBUTES = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in HUB_LFS_PATTERNS)
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by huggingface_hub.\n"
                "# For information about cache directory tags, see:\n"
                "#\thttps://bford.info/cachedir/\n")
BUILD_KEY_LINE = re.compile(r"^- build key: `([0-9a-f]{64})`$", re.M)


# ----------------------------------------------------------------------------------------------- packing

def pack_experiment(exp_dir, outpath, model_file="valid.eer.best.pth", options=(), timeout=600):
    """`python -m espnet2.bin.pack spk` on an experiment, run from its parent as spk.sh runs it from the
    recipe folder (archive paths `EXP_NAME/config.yaml`, `EXP_NAME/<model>`); returns the zip path."""
    exp = Path(exp_dir).absolute()
    outpath = Path(outpath).absolute()
    for f in (exp / "config.yaml", exp / model_file):
        if not f.exists():
            raise ExtractorError(f"cannot pack {exp}: {f} not found")
    outpath.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "espnet2.bin.pack", "spk",
           "--train_config", f"{exp.name}/config.yaml", "--model_file", f"{exp.name}/{model_file}"]
    for o in options:
        cmd += ["--option", f"{exp.name}/{o}"]
    cmd += ["--outpath", str(outpath)]
    log = outpath.with_suffix(".log")
    with open(log, "w", encoding="utf-8") as f:
        proc = subprocess.run(cmd, cwd=exp.parent, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    if proc.returncode != 0 or not outpath.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise ExtractorError(f"espnet2.bin.pack failed (exit {proc.returncode}); {log}: " + " | ".join(tail))
    return outpath


def repo_files(packed_zip, readme):
    """path → bytes of the hub repository: the unpacked archive (`unzip -o X.zip -d repo`), README.md and
    the hub's .gitattributes; meta.yaml's timestamp normalised (module docstring)."""
    import zipfile
    files = {".gitattributes": GITATTRIBUTES.encode()}
    with zipfile.ZipFile(packed_zip) as z:
        for info in z.infolist():
            if not info.is_dir():
                files[info.filename] = z.read(info)
    if "meta.yaml" not in files:
        raise ExtractorError(f"{packed_zip}: no meta.yaml (not made by espnet2.bin.pack)")
    meta = yaml.safe_load(files["meta.yaml"])
    meta["timestamp"] = float(REPRODUCIBLE_TIMESTAMP)
    files["meta.yaml"] = yaml.safe_dump(meta).encode()  # the packer writes it with safe_dump too
    files["README.md"] = readme.encode()
    return files


def model_card(tag, files, build):
    """README.md after ESPnet's TEMPLATE_HF_Readme.md (front matter, usage, config), no dates or user
    names, so that it is a function of the inputs; `build` (dict) is listed, its `key` on its own line."""
    meta = yaml.safe_load(files["meta.yaml"])
    config = files[meta["yaml_files"]["train_config"]].decode()
    lines = ["---", "tags:", "- espnet", "- audio", "- speaker-recognition", "library_name: espnet", "---", "",
             "## ESPnet2 SPK model", "", f"### `{tag}`", "",
             "A tiny ECAPA-TDNN trained with ESPnet's own trainer (`python -m espnet2.bin.spk_train`) by",
             "`python -m seed.bin.make_espnet_hub_model` and packed with `python -m espnet2.bin.pack spk`, for",
             "offline tests of loading by tag. Barely trained: not for speaker verification.", "",
             "### How to use", "", "```python",
             "from espnet2.bin.spk_inference import Speech2Embedding",
             f"speech2embedding = Speech2Embedding.from_pretrained(model_tag=\"{tag}\")",
             "embedding = speech2embedding(waveform_16k)", "```", "", "### Build", ""]
    lines += [f"- build key: `{build['key']}`"]
    lines += [f"- {k}: {v}" for k, v in build.items() if k != "key"]
    lines += ["", "## SPK config", "", "<details><summary>expand</summary>", "", "```", config.rstrip("\n"), "```",
              "", "</details>", ""]
    return "\n".join(lines)


def build_key_of(readme_text):
    m = BUILD_KEY_LINE.search(readme_text)
    return m.group(1) if m else None


# ------------------------------------------------------------------------------------- git object ids

def _git_object(kind, body):
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


def git_blob_id(data):
    return _git_object("blob", data)


def is_lfs(path, size):
    """Whether the hub's git would hold `path` in LFS (its default .gitattributes, or too big for git)."""
    name = path.rsplit("/", 1)[-1]
    return size > MAX_NON_LFS_BYTES or any(
        fnmatch.fnmatchcase(path if "/" in p else name, p) for p in HUB_LFS_PATTERNS)


def lfs_pointer(data):
    return (f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\n"
            f"size {len(data)}\n").encode()


def tree_entries(files):
    """path → entry of the hub's tree listing (what huggingface_hub caches in trees/<commit>.json) plus
    `etag`, the blob file name in the cache (the hub's ETag: sha256 for LFS files, git blob id otherwise)."""
    out = {}
    for path in sorted(files):
        data = files[path]
        if is_lfs(path, len(data)):
            sha = hashlib.sha256(data).hexdigest()
            out[path] = {"size": len(data), "blob_id": git_blob_id(lfs_pointer(data)), "lfs_sha256": sha,
                         "lfs_size": len(data), "etag": sha}
        else:
            blob = git_blob_id(data)
            out[path] = {"size": len(data), "blob_id": blob, "etag": blob}
    return out


def git_tree_id(entries):
    """Root tree id over {path: entry} (blob ids as in `tree_entries`), built as git does."""
    root = {}
    for path, e in entries.items():
        node = root
        parts = path.split("/")
        for d in parts[:-1]:
            node = node.setdefault(d, {})
        node[parts[-1]] = e["blob_id"]

    def tree(node):
        items = []
        for name, v in node.items():
            if isinstance(v, dict):
                items.append((name + "/", b"40000 " + name.encode() + b"\0" + bytes.fromhex(tree(v))))
            else:
                items.append((name, b"100644 " + name.encode() + b"\0" + bytes.fromhex(v)))
        return _git_object("tree", b"".join(body for _, body in sorted(items, key=lambda x: x[0].encode())))

    return tree(root)


def git_commit_id(tree_id):
    ident = f"{COMMIT_IDENT} {REPRODUCIBLE_TIMESTAMP} +0000"
    body = f"tree {tree_id}\nauthor {ident}\ncommitter {ident}\n\n{COMMIT_MESSAGE}\n"
    return _git_object("commit", body.encode())


# --------------------------------------------------------------------------------------- the hub cache

def default_hub_cache():
    """The folder huggingface_hub uses: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, else
    $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (its constants.py, read at import)."""
    home = os.path.expanduser(os.getenv("HF_HOME", os.path.join(
        os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "huggingface")))
    return Path(os.path.expanduser(os.getenv("HF_HUB_CACHE", os.getenv("HUGGINGFACE_HUB_CACHE",
                                                                       os.path.join(home, "hub")))))


def repo_folder(cache_dir, repo_id):
    return Path(cache_dir) / ("models--" + repo_id.replace("/", "--"))


def check_repo_id(repo_id):
    if not isinstance(repo_id, str) or not REPO_ID.match(repo_id) or "--" in repo_id or ".." in repo_id:
        raise ExtractorError(f"bad model tag {repo_id!r}: expected ORG/NAME (letters, digits, '.', '_', '-'; "
                             "no '--' or '..'), e.g. seed/ecapa_tiny")


def _umask_mode(mode):
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def _write_atomic(path, data, plain_mode=True):
    """seed.data.atomic_write of `data`; `plain_mode`: the mode of a file created normally (0666 less the
    umask), as the hub leaves blobs and refs (its trees/*.json stay mkstemp's 0600, as write_tree_cache
    leaves them)."""
    with atomic_write(path, "wb", file_mode=_umask_mode(0o666) if plain_mode else None) as f:
        f.write(data)


def _blob_ok(blob, entry):
    if not blob.is_file() or blob.stat().st_size != entry["size"]:
        return False
    data = blob.read_bytes()
    return (hashlib.sha256(data).hexdigest() if "lfs_sha256" in entry else git_blob_id(data)) == entry["etag"]


def install_into_hub_cache(files, repo_id, cache_dir):
    """Place the repository `files` (path → bytes) in `cache_dir` as a download of `repo_id` at main would
    leave it; returns (commit, snapshot folder). Blobs are content-addressed and written atomically; the
    snapshot is assembled beside its final place and renamed; refs/main is written last, so an interrupted
    install is never what refs/main points to."""
    check_repo_id(repo_id)
    cache_dir = Path(cache_dir).absolute()
    entries = tree_entries(files)
    commit = git_commit_id(git_tree_id(entries))
    storage = repo_folder(cache_dir, repo_id)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tag = cache_dir / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(CACHEDIR_TAG)
    locks = cache_dir / ".locks" / storage.name
    locks.mkdir(parents=True, exist_ok=True)
    for path, e in entries.items():
        blob = storage / "blobs" / e["etag"]
        if not _blob_ok(blob, e):
            _write_atomic(blob, files[path])
        lock = locks / f"{e['etag']}.lock"
        if not lock.exists():
            os.close(os.open(lock, os.O_CREAT | os.O_WRONLY, 0o664))
            os.chmod(lock, 0o664)  # WeakFileLock creates them group-writable
    snapshot = storage / "snapshots" / commit
    if snapshot_problems(cache_dir, repo_id, commit, entries):
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=snapshot.parent, prefix=f".{commit}."))
        os.chmod(tmp, _umask_mode(0o777))
        for path, e in entries.items():
            link = tmp / path
            link.parent.mkdir(parents=True, exist_ok=True)
            # relative, as _create_symlink makes them: ../../blobs/<etag>, one more ../ per sub-folder
            os.symlink(os.path.relpath(storage / "blobs" / e["etag"], snapshot / Path(path).parent), link)
        if snapshot.exists():
            shutil.rmtree(snapshot)
        os.rename(tmp, snapshot)
    listing = {"format_version": 1,
               "files": {p: {k: v for k, v in e.items() if k != "etag"} for p, e in entries.items()}}
    _write_atomic(storage / "trees" / f"{commit}.json", json.dumps(listing, indent=1).encode(), plain_mode=False)
    _write_atomic(storage / "refs" / "main", commit.encode())
    return commit, snapshot


def read_listing(cache_dir, repo_id, commit):
    """{path: entry (with etag)} from trees/<commit>.json, or None."""
    f = repo_folder(cache_dir, repo_id) / "trees" / f"{commit}.json"
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
        return {p: dict(e, etag=e.get("lfs_sha256") or e["blob_id"]) for p, e in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def snapshot_problems(cache_dir, repo_id, commit, entries=None):
    """What is wrong with snapshots/<commit> (missing listing, file, symlink or blob, wrong content);
    [] when complete. Files beyond the listing (espnet_model_zoo's *.resolved.yaml sidecars) are allowed."""
    storage = repo_folder(cache_dir, repo_id)
    entries = entries if entries is not None else read_listing(cache_dir, repo_id, commit)
    if entries is None:
        return [f"{storage}/trees/{commit}.json missing or unreadable"]
    snapshot = storage / "snapshots" / commit
    problems = []
    for path, e in entries.items():
        link = snapshot / path
        blob = storage / "blobs" / e["etag"]
        if not link.is_symlink() or Path(os.path.realpath(link)) != Path(os.path.realpath(blob)):
            problems.append(f"{link}: not a symlink to {blob}")
        elif not _blob_ok(blob, e):
            problems.append(f"{blob}: missing or content differs from its name")
    return problems


def cached_main(cache_dir, repo_id):
    """(commit, snapshot) that refs/main names when that snapshot is complete; else None."""
    ref = repo_folder(cache_dir, repo_id) / "refs" / "main"
    try:
        commit = ref.read_text().strip()
    except OSError:
        return None
    if not re.fullmatch(r"[0-9a-f]{40}", commit) or snapshot_problems(cache_dir, repo_id, commit):
        return None
    return commit, repo_folder(cache_dir, repo_id) / "snapshots" / commit


# ------------------------------------------------------------------------- load-time errors, explained

def explain_load_error(tag, error):
    """One line for a failed `Speech2Embedding.from_pretrained(model_tag=tag)`: offline cache miss (naming
    the cache variables and the folder looked for), unreachable hub, unknown repository, or other."""
    try:
        from huggingface_hub import constants, errors
    except ImportError:
        return f"espnet-tag:{tag}: {type(error).__name__}: {error}".replace("\n", " ")
    repo_id = tag.split("@", 1)[0]
    where = repo_folder(constants.HF_HUB_CACHE, repo_id) if "/" in repo_id else Path(constants.HF_HUB_CACHE)
    cache_vars = (f"HF_HUB_CACHE={os.environ.get('HF_HUB_CACHE', '(unset)')}, "
                  f"HF_HOME={os.environ.get('HF_HOME', '(unset)')}")
    hint = "build one with `python -m seed.bin.make_espnet_hub_model`, or copy the folder from a machine that downloaded it"
    cause = error.__cause__
    if isinstance(error, errors.IncompleteSnapshotError):
        return f"espnet-tag:{tag}: the cached snapshot in {where} is incomplete ({cache_vars}); {hint}"
    if isinstance(error, errors.LocalEntryNotFoundError):
        if constants.HF_HUB_OFFLINE or isinstance(cause, errors.OfflineModeIsEnabled):
            return (f"espnet-tag:{tag}: not in the offline hub cache (HF_HUB_OFFLINE=1): looked for {where} "
                    f"with refs/main and its snapshot ({cache_vars}); {hint}")
        return (f"espnet-tag:{tag}: cannot reach the model hub ({constants.ENDPOINT}: "
                f"{type(cause).__name__ if cause else 'error'}: {cause or error}) and {where} is not in the cache "
                f"({cache_vars}); {hint}, then set HF_HUB_OFFLINE=1").replace("\n", " ")
    if isinstance(error, errors.RepositoryNotFoundError):
        return f"espnet-tag:{tag}: no such model repository on {constants.ENDPOINT} (or it is private/gated)"
    if "set_audio_backend" in str(error):   # measured: s3prl 0.4.18 imports a torchaudio API gone in 2.9
        return (f"espnet-tag:{tag}: its S3PRL (WavLM/HuBERT) front end cannot load with the pinned set: s3prl "
                f"calls torchaudio.set_audio_backend, which torchaudio 2.9 removed ({type(error).__name__}: {error}); "
                "use a model with a mel or raw-waveform front end, e.g. espnet-tag:espnet/voxcelebs12_rawnet3, "
                "espnet/voxcelebs12_ska_mel or espnet/voxcelebs12_ecapa_mel").replace("\n", " ")
    return f"espnet-tag:{tag}: Speech2Embedding.from_pretrained failed: {type(error).__name__}: {error}".replace(
        "\n", " ")


def loaded_snapshot(tag):
    """(commit, snapshot folder, model file) of the hub snapshot that a tag resolves to in the cache now
    (read after from_pretrained, so it is the one just loaded), or (None, None, None) for a tag that
    espnet_model_zoo did not take from the hub (a table.csv URL or a local archive)."""
    try:
        from huggingface_hub import try_to_load_from_cache
        repo_id, _, revision = tag.partition("@")
        meta = try_to_load_from_cache(repo_id, "meta.yaml", revision=revision or None)
    except Exception:  # not a hub id, bad revision string, ...
        return None, None, None
    if not isinstance(meta, str):
        return None, None, None
    snapshot = Path(meta).parent
    try:
        model = snapshot / yaml.safe_load(Path(meta).read_text(encoding="utf-8"))["files"]["model_file"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        model = None
    return snapshot.name, snapshot, model

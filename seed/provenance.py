"""Where a result came from: package versions and git revision, for meta.yaml and RESULTS.md."""
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TRACKED_PACKAGES = ("torch", "torchaudio", "numpy", "scipy", "kaldiio", "soundfile", "espnet", "resemblyzer",
                    "pyroomacoustics")


def git_revision(path=REPO_ROOT):
    """Short commit hash, with `-dirty` when tracked files differ; `unknown` outside a checkout."""
    try:
        rev = subprocess.run(["git", "-C", str(path), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions(names=TRACKED_PACKAGES):
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment_info():
    """A dict safe to dump into YAML/JSON."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_revision": git_revision(),
    }

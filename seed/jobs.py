"""Parallel shards with Kaldi's job interface (`CMD JOB=1:N LOG command...`).

An entry point that parallelises calls `dispatch` once (without `--job-id`) to run itself N
times through run.pl / slurm.pl / queue.pl, then merges; each shard runs with `--job-id J` and
processes `shard(keys, nj, J)`. The split is contiguous over sorted keys, so it does not depend on
the backend, and results must not depend on it either (seeds derive from keys, not positions).
"""
import shlex
import subprocess
import sys
from pathlib import Path

from seed.provenance import REPO_ROOT

DEFAULT_CMD = str(REPO_ROOT / "utils" / "run.pl")


class JobFailed(RuntimeError):
    pass


def shard(keys, nj, job_id):
    """The `job_id`-th (1-based) of `nj` contiguous, near-equal parts of `keys`."""
    if not 1 <= job_id <= nj:
        raise ValueError(f"job id {job_id} outside 1..{nj}")
    keys = list(keys)
    n = len(keys)
    start = (job_id - 1) * n // nj
    end = job_id * n // nj
    return keys[start:end]


def strip_option(argv, names, takes_value=True):
    """argv without the given options (both `--opt v` and `--opt=v` forms)."""
    out, skip = [], False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a in names:
            skip = takes_value
            continue
        if any(a.startswith(n + "=") for n in names):
            continue
        out.append(a)
    return out


def dispatch(cmd, nj, log_pattern, module, argv):
    """Run `python -m module argv --job-id JOB` as JOB=1:nj through `cmd`; raise naming failed logs.

    `cmd` is a shell word list like "utils/run.pl --max-jobs-run 4" or "slurm.pl --mem 4G";
    `log_pattern` contains the literal `JOB`.
    """
    cmd = cmd or DEFAULT_CMD
    argv = strip_option(list(argv), ("--job-id",))
    Path(log_pattern).parent.mkdir(parents=True, exist_ok=True)
    full = shlex.split(cmd) + [f"JOB=1:{nj}", str(log_pattern), sys.executable, "-m", module] + argv + ["--job-id", "JOB"]
    proc = subprocess.run(full, stdout=sys.stderr)
    if proc.returncode != 0:
        failed = [log_pattern.replace("JOB", str(j)) for j in range(1, nj + 1)
                  if not _log_says_success(log_pattern.replace("JOB", str(j)))]
        raise JobFailed(f"{module}: {len(failed) or 'some'} of {nj} jobs failed; see "
                        + (", ".join(failed) if failed else str(log_pattern)))


def _log_says_success(log):
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return False
    return "# Ended (code 0)" in text

"""Parallel shards with Kaldi's job interface (`CMD JOB=1:N LOG command...`): the one job layer.

Every parallel step (simulate, make_pairs, simulate_rirs, extract) takes the same options
(`add_job_options`) and runs through `run_sharded`: without `--job-id` it runs itself N times
through run.pl / slurm.pl / queue.pl (or, with --nj 1 and no --cmd, in this process) and then the
caller merges; with `--job-id J` it processes only `shard(keys, nj, J)`. The split is contiguous
over sorted keys, so it does not depend on the backend, and results must not depend on it either
(seeds derive from keys, not positions).

Resumable steps mark a finished shard with a done marker that carries a fingerprint of what the
shard was asked to do (`write_done`, `is_done`); the merge accepts a shard only when its marker
matches (`check_done`), so a stale or foreign shard can never be merged as if it were current.

`JOB` is replaced only where it stands as a whole word part (`log.JOB.log`, `split4/JOB/`, but not
`JOBS_dir`), by the same rule as utils/lib/SeedJob.pm, so a user's path may contain the letters.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from seed.provenance import REPO_ROOT

DEFAULT_CMD = str(REPO_ROOT / "utils" / "run.pl")
JOB_VAR = "JOB"
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PARENT_ENV = "SEED_JOBS_PARENT_PID"   # utils/run.pl stops its jobs when this process is gone (even SIGKILL)


class JobFailed(RuntimeError):
    pass


# --- the command line ----------------------------------------------------------------------------

def add_job_options(parser, shard_dir=None):
    """--nj, --job-id, --cmd; `shard_dir`: where a single job leaves its results, for the help text."""
    parser.add_argument("--nj", type=int, default=1,
                        help="number of parallel jobs (contiguous shards of the sorted keys; default 1)")
    leaves = f" and leave it in {shard_dir}" if shard_dir else ""
    parser.add_argument("--job-id", type=int, default=None,
                        help=f"process only shard J of --nj{leaves} (set by the dispatcher; not for direct use; "
                             "no merge)")
    parser.add_argument("--cmd", default=None,
                        help="job runner, e.g. 'utils/run.pl' or 'utils/slurm.pl --mem 4G' (default: the "
                             "repository's utils/run.pl; with --nj 1 and no --cmd the work runs in this process)")


def check_job_options(nj, job_id, num_keys=None, source=None):
    """ValueError (one line) for an --nj/--job-id the shards cannot honour."""
    if nj < 1:
        raise ValueError(f"--nj must be >= 1, got {nj}")
    if job_id is not None and not 1 <= job_id <= nj:
        raise ValueError(f"--job-id {job_id} outside 1..{nj}")
    if num_keys is not None and nj > num_keys:
        raise ValueError(f"--nj {nj} exceeds the number of utterances ({num_keys}) in {source}")


def parse_args(parser, argv):
    """`parser.parse_args(argv)` with the job options checked as usage errors."""
    args = parser.parse_args(argv)
    try:
        check_job_options(args.nj, args.job_id)
    except ValueError as e:
        parser.error(str(e))
    return args


def in_process(args):
    """True when a run without --job-id does its single job here instead of dispatching."""
    return args.nj == 1 and args.cmd is None


# --- shards and dispatch -------------------------------------------------------------------------

def shard(keys, nj, job_id):
    """The `job_id`-th (1-based) of `nj` contiguous, near-equal parts of `keys`."""
    if not 1 <= job_id <= nj:
        raise ValueError(f"job id {job_id} outside 1..{nj}")
    keys = list(keys)
    n = len(keys)
    start = (job_id - 1) * n // nj
    end = job_id * n // nj
    return keys[start:end]


def substitute_job(text, job_id, var=JOB_VAR):
    """`text` with the job variable replaced where it is a whole word part (not in `JOBS_dir`, `MYJOB`)."""
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(var)}(?![A-Za-z0-9_])", str(job_id), str(text))


def log_pattern(out_dir, step):
    """`OUT/log/<step>.JOB.log`, the log of every job of `step`."""
    return str(Path(out_dir) / "log" / f"{step}.{JOB_VAR}.log")


def strip_option(argv, names, takes_value=True):
    """argv without the given options (both `--opt v` and `--opt=v` forms)."""
    out, skip = [], False
    for a in argv:
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
    `log_pattern` contains `JOB` as a word part.
    """
    cmd = cmd or DEFAULT_CMD
    argv = strip_option(list(argv), ("--job-id",))
    Path(log_pattern).parent.mkdir(parents=True, exist_ok=True)
    full = (shlex.split(cmd) + [f"{JOB_VAR}=1:{nj}", str(log_pattern), sys.executable, "-m", module] + argv
            + ["--job-id", JOB_VAR])
    returncode, caught = _run_forwarding_signals(full)
    if caught is not None:
        raise JobFailed(f"{module}: interrupted by {signal.Signals(caught).name}; the job runner stopped its "
                        f"jobs (exit {returncode}); logs: {log_pattern}")
    if returncode != 0:
        logs = [substitute_job(log_pattern, j) for j in range(1, nj + 1)]
        failed = [log for log in logs if not _log_says_success(log)]
        raise JobFailed(f"{module}: {len(failed) or 'some'} of {nj} jobs failed; see "
                        + (", ".join(failed) if failed else str(log_pattern)))


def _run_forwarding_signals(full):
    """Run the job runner; SIGINT/SIGTERM/SIGHUP sent to THIS process go on to it, so that it stops its
    jobs (run.pl puts each job in its own process group: killing only us used to leave them running),
    and it is told our pid (PARENT_ENV) to stop them also when we die by SIGKILL.
    Returns (exit code, the signal caught or None)."""
    proc = subprocess.Popen(full, stdout=sys.stderr, env={**os.environ, PARENT_ENV: str(os.getpid())})
    caught = []

    def forward(signum, _frame):
        caught.append(signum)
        proc.send_signal(signum)

    old = {}
    if threading.current_thread() is threading.main_thread():
        old = {s: signal.signal(s, forward) for s in FORWARDED_SIGNALS}
    try:
        returncode = proc.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    return returncode, (caught[0] if caught else None)


def _log_says_success(log):
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return False
    return "# Ended (code 0)" in text


def run_sharded(args, argv, module, log_pattern, run_job, pending=None):
    """Run this invocation's part: `run_job(J)` for --job-id J; else every job, in this process
    (nj=1, no --cmd) or dispatched through --cmd. `pending`: the job ids still to do (None: all);
    when it is empty nothing runs. True when the caller must merge (it is not a single job)."""
    if args.job_id is not None:
        run_job(args.job_id)
        return False
    if pending is not None and not pending:
        return True
    if in_process(args):
        run_job(1)
    else:
        dispatch(args.cmd, args.nj, log_pattern, module, list(argv))
    return True


# --- done markers --------------------------------------------------------------------------------

def write_done(marker, fingerprint, record):
    """The done marker of a finished shard: its fingerprint and `record` (counts, stats), atomically.
    Write it only after the shard's outputs are complete."""
    from seed.data import atomic_write
    with atomic_write(marker) as f:
        json.dump({"fingerprint": fingerprint, **record}, f, indent=1, sort_keys=True)


def read_done(marker):
    """The done record, or None when absent or unreadable."""
    try:
        return json.loads(Path(marker).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_done(marker, fingerprint, outputs=()):
    """The marker exists, was made for exactly `fingerprint`, and every output file exists."""
    done = read_done(marker)
    return bool(done) and done.get("fingerprint") == fingerprint and all(Path(p).is_file() for p in outputs)


def check_done(marker, fingerprint, job_id, nj, log):
    """The done record of job `job_id` for the merge; SeedDataError naming the marker and log if the job
    did not finish for these inputs."""
    from seed.data import SeedDataError
    done = read_done(marker)
    if not done or done.get("fingerprint") != fingerprint:
        raise SeedDataError(marker, f"job {job_id} of {nj} did not finish for these inputs (see {log})")
    return done


def job_device(device, job_id, n_visible=None):
    """The device of job `job_id`: `cuda` (no index) in a job that sees several GPUs becomes
    `cuda:(job_id - 1) % n`. run.pl runs every job on this machine and ignores `--gpu`, so without this
    all `ngpu` extraction jobs would share GPU 0; under slurm.pl/queue.pl each job sees only the GPU it
    was given (n = 1) and keeps `cuda`. Other devices, and the dispatcher (job_id None), are unchanged."""
    if device != "cuda" or job_id is None:
        return device
    if n_visible is None:
        import torch
        n_visible = torch.cuda.device_count()
    return f"cuda:{(int(job_id) - 1) % n_visible}" if n_visible > 1 else device

"""seed.jobs, the one job layer: options, run_sharded's three modes, done markers, JOB substitution."""
import argparse
import ast
import os
import sys
import time
from pathlib import Path

import pytest

from seed import jobs
from seed.data import SeedDataError

REPO = Path(__file__).resolve().parents[1]


def parsed(*argv):
    p = argparse.ArgumentParser()
    jobs.add_job_options(p, shard_dir="OUT/.shards")
    return p, jobs.parse_args(p, list(argv))


def test_options_and_their_checks(capsys):
    _, args = parsed("--nj", "3", "--job-id", "2", "--cmd", "utils/run.pl --max-jobs-run 2")
    assert (args.nj, args.job_id, args.cmd) == (3, 2, "utils/run.pl --max-jobs-run 2")
    for bad, message in ((["--nj", "0"], "--nj must be >= 1, got 0"), (["--nj", "2", "--job-id", "3"],
                                                                       "--job-id 3 outside 1..2")):
        with pytest.raises(SystemExit) as e:
            parsed(*bad)
        assert e.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"--nj 5 exceeds the number of utterances \(4\) in data/x"):
        jobs.check_job_options(5, None, 4, "data/x")


def test_run_sharded_modes():
    ran = []
    _, one = parsed()
    assert jobs.run_sharded(one, [], "m", "log/x.JOB.log", ran.append) is True and ran == [1]   # in process
    _, job = parsed("--nj", "4", "--job-id", "3")
    assert jobs.run_sharded(job, [], "m", "log/x.JOB.log", ran.append) is False and ran == [1, 3]  # one shard
    _, many = parsed("--nj", "4")
    assert jobs.run_sharded(many, [], "m", "log/x.JOB.log", ran.append, pending=[]) is True   # all done: merge
    assert ran == [1, 3]


def test_dispatch_runs_every_shard_and_names_failed_logs(tmp_path):
    log = str(tmp_path / "JOBS_dir" / "log" / "t.JOB.log")
    jobs.dispatch(None, 2, log, "seed.bin.extract", ["--help"])     # run.pl; --help exits 0
    assert all(Path(jobs.substitute_job(log, j)).is_file() for j in (1, 2))
    with pytest.raises(jobs.JobFailed, match=r"2 of 2 jobs failed; see .*JOBS_dir/log/t\.1\.log, .*t\.2\.log"):
        jobs.dispatch(None, 2, log, "seed.bin.extract", ["--no-such-option"])


def test_done_markers_carry_a_fingerprint(tmp_path):
    marker, out = tmp_path / "done.1", tmp_path / "out.1"
    fp = {"inputs_sha256": "a" * 64, "nj": 2}
    assert not jobs.is_done(marker, fp, [out])
    out.write_text("x")
    jobs.write_done(marker, fp, {"count": 3})
    assert jobs.read_done(marker) == {"fingerprint": fp, "count": 3}
    assert jobs.is_done(marker, fp, [out])
    assert not jobs.is_done(marker, {**fp, "inputs_sha256": "b" * 64}, [out])     # other inputs
    assert not jobs.is_done(marker, fp, [out, tmp_path / "missing"])              # an output is gone
    assert jobs.check_done(marker, fp, 1, 2, "log/x.1.log")["count"] == 3
    with pytest.raises(SeedDataError, match=r"done\.1: job 1 of 2 did not finish for these inputs \(see log/x"):
        jobs.check_done(marker, {**fp, "nj": 3}, 1, 2, "log/x.1.log")
    marker.write_text("{not json")
    assert jobs.read_done(marker) is None and not jobs.is_done(marker, fp, [out])


def test_shards_cover_the_keys_in_order():
    keys = [f"k{i}" for i in range(10)]
    parts = [jobs.shard(keys, 3, j) for j in (1, 2, 3)]
    assert sum(parts, []) == keys and [len(p) for p in parts] == [3, 3, 4]
    with pytest.raises(ValueError):
        jobs.shard(keys, 3, 4)


def test_no_bin_module_imports_another():
    for path in sorted((REPO / "seed" / "bin").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n == "seed.bin" or n.startswith("seed.bin.") for n in names), (path, names)


def test_job_device_spreads_run_pl_jobs_over_the_visible_gpus():
    """run.pl ignores --gpu: with several GPUs visible, job J of an extraction takes GPU (J-1) mod n;
    a scheduler's job that sees one GPU, the dispatcher, CPU and explicit indices stay as they are."""
    from seed.jobs import job_device
    assert [job_device("cuda", j, n_visible=2) for j in (1, 2, 3, 4)] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert job_device("cuda", 3, n_visible=1) == "cuda"
    assert job_device("cuda", None, n_visible=4) == "cuda"
    assert job_device("cuda:1", 2, n_visible=4) == "cuda:1" and job_device("cpu", 2, n_visible=4) == "cpu"


# ---- interrupts: nothing keeps running, nothing prints a traceback (issue 16) ---------------------------
SLEEPER = """import sys, time
print("started", flush=True)
time.sleep(60)
"""
DRIVER = """import sys
from seed.jobs import dispatch, JobFailed
try:
    dispatch(None, 2, sys.argv[1], "sleeper_job", [])
except JobFailed as e:
    print(e, file=sys.stderr)
    sys.exit(1)
"""


def _start_driver(tmp_path):
    import subprocess
    (tmp_path / "sleeper_job.py").write_text(SLEEPER)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path / "log/s.JOB.log")], cwd=tmp_path, env=env,
                            stderr=subprocess.PIPE, text=True)
    logs = [tmp_path / f"log/s.{j}.log" for j in (1, 2)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(p.exists() and "started" in p.read_text() for p in logs):
        time.sleep(0.05)
    assert all("started" in p.read_text() for p in logs)
    return proc, logs


def _sleepers_alive(tmp_path):
    import subprocess
    out = subprocess.run(["pgrep", "-f", "sleeper_job"], capture_output=True, text=True).stdout.split()
    return [p for p in out if Path(f"/proc/{p}/cwd").exists() and os.path.realpath(f"/proc/{p}/cwd") == str(tmp_path)]


def _wait_gone(tmp_path, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _sleepers_alive(tmp_path):
        time.sleep(0.1)
    return not _sleepers_alive(tmp_path)


def test_sigterm_to_a_dispatching_step_stops_its_jobs(tmp_path):
    """Killing seed.bin.extract (or any sharded step) used to leave run.pl and its jobs running."""
    import signal
    proc, logs = _start_driver(tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 1 and "interrupted by SIGTERM" in err and "Traceback" not in err
    assert _wait_gone(tmp_path)
    assert all("# Ended (code killed by SIGTERM)" in p.read_text() for p in logs)


def test_sigkill_of_a_dispatching_step_still_stops_its_jobs(tmp_path):
    """A SIGKILL cannot be passed on: run.pl (told the step's pid) notices its parent is gone."""
    import signal
    proc, logs = _start_driver(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=15)
    assert _wait_gone(tmp_path)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all("# Ended" in p.read_text() for p in logs):
        time.sleep(0.1)
    assert all("killed by SIGKILL of the parent process" in p.read_text() for p in logs)


def test_ctrl_c_in_a_step_is_one_line(tmp_path):
    import subprocess
    r = subprocess.run([sys.executable, "-c", "import seed.bin\nraise KeyboardInterrupt"], capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert r.stderr.strip() == "-c: interrupted (Ctrl-C)" and r.returncode in (130, -2)

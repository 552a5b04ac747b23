"""utils/slurm.pl through a REAL Slurm (the single-node cluster of tests/slurm_cluster.py), no fake sbatch.

Covers what the fake schedulers of test_utils_shell.py cannot: the real sbatch accepts the options
slurm.pl maps (--mem, --num-threads, --gpu, --max-jobs-run, the template conf's partitions), runs the
array tasks with run.pl's log format, reports a failed task's exit status, refuses an impossible request,
cancels the job on SIGINT, and a sharded recipe step (extraction, --cmd utils/slurm.pl) gives exactly the
embeddings of --cmd utils/run.pl.
"""
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slurm_cluster import slurm_cluster  # noqa: F401 (fixture)
from test_extract_fixtures import librispeech_files, make_data_dir

REPO = Path(__file__).resolve().parents[1]
SLURM_PL = REPO / "utils" / "slurm.pl"
RUN_PL = REPO / "utils" / "run.pl"
TIME_RE = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \d{4}"


@pytest.fixture
def work(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    return d


def slurm_pl(cluster, cwd, *args, timeout=120):
    return subprocess.run([str(SLURM_PL), *map(str, args)], cwd=cwd, env=cluster.environ(), capture_output=True,
                          text=True, timeout=timeout)


def ended_code(log):
    """The exit code in a job log's footer, or None when the log has no footer."""
    m = re.search(r"^# Ended \(code (\S+)\) at ", Path(log).read_text(), flags=re.M)
    return m.group(1) if m else None


def running(pid):
    """The process exists and is not a zombie (a killed process whose parent died waits for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def log_body(log):
    """A job log's output lines (without the header and footer lines)."""
    return [ln for ln in Path(log).read_text().splitlines() if not ln.startswith("#")]


def test_array_runs_every_task_with_run_pl_logs(slurm_cluster, work):
    out = slurm_pl(slurm_cluster, work, "JOB=1:3", "log/x.JOB.log", "echo", "task", "JOB", "array-task",
                   "$SLURM_ARRAY_TASK_ID", "on", "$SLURMD_NODENAME")
    assert out.returncode == 0, out.stderr
    assert subprocess.run([str(RUN_PL), "JOB=1:3", "log/r.JOB.log", "echo", "task", "JOB"], cwd=work).returncode == 0
    for j in (1, 2, 3):
        log = work / f"log/x.{j}.log"
        lines = log.read_text().splitlines()
        # each task ran as array task j of a real Slurm job on the cluster's node
        assert log_body(log) == [f"task {j} array-task {j} on {slurm_cluster.node}"]
        assert lines[0] == f"# echo task {j} array-task $SLURM_ARRAY_TASK_ID on $SLURMD_NODENAME"
        assert re.fullmatch(f"# Started at {TIME_RE}", lines[1]) and lines[2] == f"# Running on {slurm_cluster.node}"
        assert re.fullmatch(r"# Accounting: time=\d+ threads=1", lines[-2])
        assert re.fullmatch(rf"# Ended \(code 0\) at {TIME_RE}, elapsed time \d+ seconds", lines[-1])
        # the same header/footer lines as run.pl's log (slurm.pl adds only "# Running on")
        local = [re.sub(r" at .*|=\d+", "", ln) for ln in (work / f"log/r.{j}.log").read_text().splitlines()
                 if ln.startswith("#")]
        assert [re.sub(r" at .*|=\d+", "", ln) for ln in lines
                if ln.startswith("#") and not ln.startswith("# Running on")][1:] == local[1:]
    assert (work / "log/q/x.sh").is_file() and (work / "log/q/x.log").is_file()   # sbatch's own output file
    assert not list((work / "log/q").glob("x.done.*"))
    assert slurm_cluster.wait_queue_empty(10)


def test_failed_task_fails_the_array_naming_its_log(slurm_cluster, work):
    out = slurm_pl(slurm_cluster, work, "JOB=1:3", "log/f.JOB.log", "test", "JOB", "-ne", "2")
    assert out.returncode == 1
    assert "slurm.pl: job 2 failed with exit code 1; see log/f.2.log" in out.stderr
    assert "1 / 3 failed, logs are log/f.*.log" in out.stderr
    assert "log/f.1.log" not in out.stderr and "log/f.3.log" not in out.stderr
    assert [ended_code(work / f"log/f.{j}.log") for j in (1, 2, 3)] == ["0", "1", "0"]
    out = slurm_pl(slurm_cluster, work, "log/one.log", "bash", "-c", "echo going; exit 3")   # a single job
    assert out.returncode == 1 and "slurm.pl: job failed with exit code 3; see log/one.log" in out.stderr
    assert ended_code(work / "log/one.log") == "3" and log_body(work / "log/one.log") == ["going"]


def test_mem_threads_and_gpu_reach_the_scheduler(slurm_cluster, work):
    out = slurm_pl(slurm_cluster, work, "--mem", "500M", "--num-threads", "2", "--gpu", "1", "log/o.log", "bash", "-c",
                   "printenv SLURM_CPUS_PER_TASK SLURM_MEM_PER_CPU SLURM_JOB_GPUS CUDA_VISIBLE_DEVICES; "
                   "scontrol show job $SLURM_JOB_ID")
    assert out.returncode == 0, out.stderr
    log = work / "log/o.log"
    body = log_body(log)
    assert body[:4] == ["2", "500", "0", "0"]        # 2 CPUs, 500 MB per CPU, the node's one GPU
    job = " ".join(body[4:])
    assert "NumCPUs=2" in job and "MinMemoryCPU=500M" in job and "Partition=cpu" in job
    assert re.search(r"# Accounting: time=\d+ threads=2\n", log.read_text())


def test_max_jobs_run_throttles_the_array(slurm_cluster, work):
    out = slurm_pl(slurm_cluster, work, "--max-jobs-run", "1", "JOB=1:2", "log/m.JOB.log", "bash", "-c",
                   "date +%s.%N; sleep 1; date +%s.%N; scontrol show job $SLURM_JOB_ID")
    assert out.returncode == 0, out.stderr
    spans = []
    for j in (1, 2):
        body = log_body(work / f"log/m.{j}.log")
        spans.append((float(body[0]), float(body[1])))
        assert "ArrayTaskThrottle=1" in " ".join(body[2:])
    (a0, a1), (b0, b1) = sorted(spans)
    assert a1 <= b0, f"tasks overlapped under --max-jobs-run 1: {spans}"


def test_template_conf_partitions(slurm_cluster, work):
    """egs/TEMPLATE/seed1/conf/slurm.conf (what recipes use): --gpu 1 goes to partition gpu with a GPU,
    no --gpu to partition cpu without one. The two jobs are submitted at once."""
    (work / "conf").mkdir()
    shutil.copy(REPO / "egs/TEMPLATE/seed1/conf/slurm.conf", work / "conf" / "slurm.conf")
    procs = {name: subprocess.Popen([str(SLURM_PL), *gpu, f"log/{name}.log", "echo", "$SLURM_JOB_PARTITION",
                                     "gpus=${SLURM_JOB_GPUS:-none}"], cwd=work, env=slurm_cluster.environ(),
                                    stderr=subprocess.PIPE, text=True)
             for name, gpu in (("g", ["--gpu", "1"]), ("c", []))}
    for proc in procs.values():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert log_body(work / "log/g.log") == ["gpu gpus=0"]
    assert log_body(work / "log/c.log") == ["cpu gpus=none"]


def test_request_the_scheduler_refuses_is_an_error(slurm_cluster, work):
    out = slurm_pl(slurm_cluster, work, "--mem", "100000G", "log/big.log", "true")
    assert out.returncode == 1
    assert "slurm.pl: submitting with 'sbatch' failed (exit code 1)" in out.stderr
    assert "Requested node configuration is not available" in out.stderr     # sbatch's own words
    assert not (work / "log/big.log").exists()


def test_sigint_cancels_the_job(slurm_cluster, work):
    assert slurm_cluster.wait_queue_empty(20), slurm_cluster.queue()   # only this test's job in the queue
    (work / "pids").mkdir()
    proc = subprocess.Popen([str(SLURM_PL), "JOB=1:2", "log/h.JOB.log", "bash", "-c",
                             "echo $$ > pids/JOB.tmp && mv pids/JOB.tmp pids/JOB && exec sleep 60"],
                            cwd=work, env=slurm_cluster.environ(), stderr=subprocess.PIPE, text=True)
    try:
        # wait for task 1 to run, and a moment for task 2 (on a 1-CPU node it stays pending: cancelled too)
        for pid_file, wait in ((work / "pids/1", 30), (work / "pids/2", 5)):
            deadline = time.monotonic() + wait
            while not pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        pids = [int(f.read_text()) for f in sorted((work / "pids").glob("[0-9]"))]   # the sleeps' pids
        assert pids, "no task started within 30 s"
        queued = slurm_cluster.queue()
        assert len(queued) == 2, queued            # 2 running tasks, or 1 running and the pending rest
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    m = re.search(r"interrupted by SIGINT; cancelled job (\d+) \(scancel \1\)", err)
    assert m, err
    assert all(q.split("_")[0] == m.group(1) for q in queued)
    assert slurm_cluster.wait_queue_empty(20), slurm_cluster.queue()
    deadline = time.monotonic() + 10                    # the tasks' processes are gone (killed by slurmstepd)
    while any(map(running, pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(running, pids)), [p for p in pids if running(p)]
    logs = sorted((work / "log").glob("h.*.log"))
    assert len(logs) == len(pids) and all(ended_code(log) != "0" for log in logs)


def test_extraction_through_slurm_equals_run_pl(slurm_cluster, tmp_path):
    """A sharded recipe step with --cmd utils/slurm.pl: 2 real Slurm jobs whose merged embeddings are
    exactly (bytes) those of --cmd utils/run.pl."""
    from seed.data import load_embedding_dict
    files = librispeech_files(per_speaker=2, speakers={"1688", "1998", "2033"})
    data = make_data_dir(tmp_path / "data", files, start=0.5, end=2.5)
    outs = {}
    for name, cmd in (("run", RUN_PL), ("slurm", SLURM_PL)):
        outs[name] = out = tmp_path / f"emb_{name}"
        proc = subprocess.run([sys.executable, "-m", "seed.bin.extract", "--extractor", "resemblyzer", "--data-dir",
                               str(data), "--out-dir", str(out), "--nj", "2", "--cmd", str(cmd), "--no-progress"],
                              cwd=tmp_path, env=slurm_cluster.environ(), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        for j in (1, 2):
            log = (out / "log" / f"extract.{j}.log").read_text()
            assert ended_code(out / "log" / f"extract.{j}.log") == "0"
            assert ("# Running on " in log) == (name == "slurm")     # slurm.pl's job script wrote this log
    run, slurm = (load_embedding_dict(outs[n] / "embedding.scp") for n in ("run", "slurm"))
    assert list(run) == list(slurm) and len(run) == 6
    for key in run:
        assert run[key].dtype == slurm[key].dtype and run[key].tobytes() == slurm[key].tobytes(), key
    for name in ("embedding.ark", "meta.yaml"):          # (the scp holds each folder's own ark path)
        assert (outs["run"] / name).read_bytes() == (outs["slurm"] / name).read_bytes(), name
    assert slurm_cluster.wait_queue_empty(10)

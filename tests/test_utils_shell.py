"""Tests of the Kaldi-compatible shell plumbing in utils/ (run through subprocess).

Covers the options parser, run.pl (parallelism, JOB substitution, failure propagation),
slurm.pl/queue.pl against fake schedulers that simply run the job script, the backend chooser,
and the data-dir tools (split/merge by utterance and speaker, utt2spk<->spk2utt, filter_scp,
combine/validate/fix). shellcheck runs over utils/*.sh when it is installed.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UTILS = REPO / "utils"
TEMPLATE_CONF = REPO / "egs" / "TEMPLATE" / "seed1" / "conf"


def run(args, cwd=None, env=None, input=None, check=False):
    """Run a command (list, or a bash script string); return CompletedProcess with text output."""
    if isinstance(args, str):
        args = ["bash", "-c", args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=full_env, input=input,
                          capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def write(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- parse_options.sh

DEMO_SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
stage=0
stop_stage=10
use_gpu=false
name=default
help_message="Usage: demo.sh [options] <in> <out>
  --stage N        first stage
  --stop-stage N   last stage"
. "{utils}/parse_options.sh"
echo "stage=$stage stop_stage=$stop_stage use_gpu=$use_gpu name=$name"
printf 'arg=%s\\n' "$@"
"""


@pytest.fixture
def demo(tmp_path):
    script = write(tmp_path / "demo.sh", DEMO_SCRIPT.format(utils=UTILS))
    script.chmod(0o755)

    def call(*args):
        return run([script, *args], cwd=tmp_path)
    return call


def test_parse_options_both_spellings_and_equals_form(demo):
    out = demo("--stage", "3", "--stop-stage", "6", "in", "out")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["stage=3 stop_stage=6 use_gpu=false name=default", "arg=in", "arg=out"]
    out = demo("--stop_stage", "7", "--name=a b", "--use-gpu=true")
    assert out.stdout.splitlines()[0] == "stage=0 stop_stage=7 use_gpu=true name=a b"


def test_parse_options_leaves_positional_arguments(demo):
    out = demo("--stage", "2", "first", "--stage", "5")   # parsing stops at the first positional
    assert out.stdout.splitlines() == ["stage=2 stop_stage=10 use_gpu=false name=default",
                                       "arg=first", "arg=--stage", "arg=5"]
    out = demo("--", "--stage", "x y")
    assert out.stdout.splitlines()[1:] == ["arg=--stage", "arg=x y"]


def test_parse_options_unknown_option_fails_naming_it(demo):
    out = demo("--stage", "1", "--no-such-thing", "3")
    assert out.returncode == 1
    assert "--no-such-thing" in out.stderr and "unknown option" in out.stderr
    assert out.stdout == ""
    out = demo("--stage")
    assert out.returncode == 1 and "--stage needs a value" in out.stderr


def test_parse_options_help_prints_help_message(demo):
    for args in (["--help"], ["-h"], ["--stage", "3", "--help"]):
        out = demo(*args)
        assert out.returncode == 0
        assert out.stdout.startswith("Usage: demo.sh [options] <in> <out>\n  --stage N")
        assert "stage=" not in out.stdout   # the script did not go on running


def test_parse_options_booleans_are_checked(demo):
    out = demo("--use-gpu", "yes")
    assert out.returncode == 1 and "--use-gpu takes true or false" in out.stderr


def test_parse_options_config_file_gives_defaults(demo, tmp_path):
    write(tmp_path / "my.conf", "stage=5\nname=fromconf\n")
    out = demo("--stage", "2", "--config", "my.conf", "pos")   # command line wins, wherever --config is
    assert out.stdout.splitlines() == ["stage=2 stop_stage=10 use_gpu=false name=fromconf", "arg=pos"]
    out = demo("--config=my.conf")
    assert out.stdout.splitlines()[0] == "stage=5 stop_stage=10 use_gpu=false name=fromconf"
    out = demo("--config", "missing.conf")
    assert out.returncode == 1 and "missing.conf" in out.stderr


# --------------------------------------------------------------------------- run.pl

def job_intervals(tmp_path, n):
    """(start, end) wall times written by jobs that ran `date +%s.%N` around a sleep."""
    spans = []
    for j in range(1, n + 1):
        lines = (tmp_path / f"t.{j}").read_text().split()
        spans.append((float(lines[0]), float(lines[1])))
    return spans


def max_overlap(spans):
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def timed_jobs(tmp_path, n, extra):
    cmd = [UTILS / "run.pl", *extra, f"JOB=1:{n}", "log/t.JOB.log",
           "date", "+%s.%N", ">", "t.JOB", "&&", "sleep", "0.5", "&&", "date", "+%s.%N", ">>", "t.JOB"]
    t0 = time.monotonic()
    out = run(cmd, cwd=tmp_path, check=True)
    return time.monotonic() - t0, job_intervals(tmp_path, n), out


def test_run_pl_jobs_run_in_parallel(tmp_path):
    elapsed, spans, _ = timed_jobs(tmp_path, 4, ["--max-jobs-run", "4"])
    assert max_overlap(spans) == 4          # all four sleeps overlapped
    assert elapsed < 4 * 0.5                 # ~ one sleep, not four


def test_run_pl_max_jobs_run_bounds_parallelism(tmp_path):
    _, spans, _ = timed_jobs(tmp_path, 4, ["--max-jobs-run", "2"])
    assert max_overlap(spans) == 2
    _, spans, _ = timed_jobs(tmp_path, 3, ["--max-jobs-run=1"])
    assert max_overlap(spans) == 1


def test_run_pl_substitutes_job_in_log_and_command(tmp_path):
    run([UTILS / "run.pl", "--mem", "4G", "--gpu", "1", "JOB=2:4", "exp/deep/log/x.JOB.log",
         "echo", "task", "JOB", "of", "split3/JOB"], cwd=tmp_path, check=True)
    assert not (tmp_path / "exp/deep/log/x.1.log").exists()
    for j in (2, 3, 4):
        lines = (tmp_path / f"exp/deep/log/x.{j}.log").read_text().splitlines()
        assert lines[0] == f"# echo task {j} of split3/{j}"
        assert lines[1].startswith("# Started at ")
        assert f"task {j} of split3/{j}" in lines
        assert re.fullmatch(r"# Accounting: time=\d+ threads=1", lines[-2])
        assert re.fullmatch(r"# Ended \(code 0\) at .*, elapsed time \d+ seconds", lines[-1])


def test_run_pl_single_job_form_and_shell_words(tmp_path):
    run([UTILS / "run.pl", "log/one.log", "echo", "a b", "c", "|", "tr", "a-z", "A-Z"], cwd=tmp_path, check=True)
    assert "A B C\n" in (tmp_path / "log/one.log").read_text()
    # A word with spaces or quotes stays one argument.
    run([UTILS / "run.pl", "log/two.log", "printf", "%s.", "x y", "it's"], cwd=tmp_path, check=True)
    assert "\nx y.it's.\n# Accounting" in (tmp_path / "log/two.log").read_text()
    # Output without a final newline still leaves the footer on lines of its own.
    run([UTILS / "run.pl", "log/three.log", "printf", "no-newline"], cwd=tmp_path, check=True)
    assert "\nno-newline\n# Accounting: " in (tmp_path / "log/three.log").read_text()


def test_run_pl_failure_names_failing_log(tmp_path):
    out = run([UTILS / "run.pl", "JOB=1:3", "log/f.JOB.log", "echo", "doing", "JOB", "&&",
               "test", "JOB", "-ne", "2"], cwd=tmp_path)
    assert out.returncode == 1
    assert "job 2 failed with exit code 1; see log/f.2.log" in out.stderr
    assert "1 / 3 failed" in out.stderr
    assert "log/f.1.log" not in out.stderr and "log/f.3.log" not in out.stderr
    assert "# Ended (code 1)" in (tmp_path / "log/f.2.log").read_text()
    assert "# Ended (code 0)" in (tmp_path / "log/f.3.log").read_text()   # the others still ran


def test_run_pl_pipefail_and_argument_errors(tmp_path):
    out = run([UTILS / "run.pl", "log/p.log", "false", "|", "cat"], cwd=tmp_path)
    assert out.returncode == 1 and "see log/p.log" in out.stderr
    out = run([UTILS / "run.pl", "JOB=1:2", "log/same.log", "true"], cwd=tmp_path)
    assert out.returncode == 1 and "does not contain 'JOB'" in out.stderr
    out = run([UTILS / "run.pl", "--max-jobs-run", "0", "log/x.log", "true"], cwd=tmp_path)
    assert out.returncode == 1 and "--max-jobs-run must be an integer >= 1" in out.stderr
    out = run([UTILS / "run.pl", "--colour", "red", "log/x.log", "true"], cwd=tmp_path)
    assert out.returncode == 0 and "ignoring option --colour" in out.stderr
    out = run([UTILS / "run.pl", "log/x.log"], cwd=tmp_path)
    assert out.returncode == 1 and "missing command" in out.stderr


def test_run_pl_interrupt_stops_jobs(tmp_path):
    proc = subprocess.Popen([str(UTILS / "run.pl"), "JOB=1:2", "log/s.JOB.log", "echo", "started",
                             "&&", "sleep", "30"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    logs = [tmp_path / f"log/s.{j}.log" for j in (1, 2)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(
            log.exists() and "\nstarted\n" in log.read_text() for log in logs):
        time.sleep(0.05)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - t0 < 5
    assert proc.returncode == 1 and "interrupted by SIGTERM" in err
    assert "# Ended (code killed by SIGTERM)" in (tmp_path / "log/s.1.log").read_text()


# --------------------------------------------------------------------------- slurm.pl / queue.pl

FAKE_SBATCH = r"""#!/usr/bin/env bash
# Fake sbatch: records its arguments, then runs the array tasks of the job script right here.
{ printf '%s\n' "$@"; echo ---; } >> "$FAKE_ARGV"
script=${!#}; array=; out=/dev/null
while [ $# -gt 0 ]; do case $1 in --array=*) array=${1#--array=};; -o) out=$2; shift;; esac; shift; done
echo "Submitted batch job 4242"
if [ -n "${FAKE_HANG:-}" ]; then touch "$FAKE_HANG"; sleep 30; fi
if [ -z "$array" ]; then bash "$script" >> "$out" 2>&1; exit; fi
range=${array%%%*}; rc=0
for t in $(seq "${range%-*}" "${range#*-}"); do
  case " ${FAKE_SKIP:-} " in *" $t "*) continue;; esac   # as if the scheduler killed task t
  SLURM_ARRAY_TASK_ID=$t bash "$script" >> "$out" 2>&1 &
done
for p in $(jobs -p); do wait "$p" || rc=1; done
exit $rc
"""

FAKE_QSUB = r"""#!/usr/bin/env bash
# Fake qsub -sync y: records its arguments, then runs the array tasks of the job script.
{ printf '%s\n' "$@"; echo ---; } >> "$FAKE_ARGV"
script=${!#}; range=; out=/dev/null
while [ $# -gt 0 ]; do case $1 in -t) range=$2; shift;; -o) out=$2; shift;; esac; shift; done
echo "Your job-array 77.1-3:1 (\"job\") has been submitted"
if [ -z "$range" ]; then SGE_TASK_ID=undefined bash "$script" >> "$out" 2>&1; exit; fi
rc=0
for t in $(seq "${range%:*}" "${range#*:}"); do
  SGE_TASK_ID=$t bash "$script" >> "$out" 2>&1 || rc=1
done
exit $rc
"""

FAKE_CANCEL = """#!/usr/bin/env bash
echo "$@" > "$FAKE_CANCELLED"
"""


@pytest.fixture
def sched(tmp_path):
    """A working dir with fake sbatch/qsub/scancel and the environment pointing at them."""
    bindir = tmp_path / "fakebin"
    for name, text in (("sbatch", FAKE_SBATCH), ("qsub", FAKE_QSUB), ("scancel", FAKE_CANCEL)):
        write(bindir / name, text).chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {"SEED_SLURM_SBATCH": str(bindir / "sbatch"), "SEED_SGE_QSUB": str(bindir / "qsub"),
           "SEED_SLURM_SCANCEL": str(bindir / "scancel"), "FAKE_ARGV": str(tmp_path / "argv"),
           "FAKE_CANCELLED": str(tmp_path / "cancelled"), "SEED_QUEUE_SYNC_WAIT": "0"}

    class Sched:
        dir = work

        def __call__(self, tool, *args, extra_env=None):
            return run([UTILS / tool, *args], cwd=work, env={**env, **(extra_env or {})})

        def submissions(self):
            path = tmp_path / "argv"
            if not path.exists():
                return []
            chunks = path.read_text().split("---\n")
            return [c.splitlines() for c in chunks if c.strip()]
    return Sched()


def conf_into(work, name):
    shutil.copy(TEMPLATE_CONF / name, write(work / "conf" / name, ""))


def test_slurm_pl_maps_conf_options_and_runs_array(sched):
    conf_into(sched.dir, "slurm.conf")
    out = sched("slurm.pl", "--gpu", "2", "--mem", "4G", "--num-threads", "3", "--max-jobs-run", "2",
                "JOB=1:3", "exp/log/x.JOB.log", "echo", "task", "JOB")
    assert out.returncode == 0, out.stderr
    [argv] = sched.submissions()
    line = " ".join(argv)
    assert argv[:2] == ["--export=PATH", "--mem-per-cpu"]
    for piece in ("--mem-per-cpu 4G", "--cpus-per-task 3", "-p gpu --gres=gpu:2", "--array=1-3%2",
                  "--wait", f"-o {sched.dir}/exp/log/q/x.log"):
        assert piece in line
    assert argv[-1] == f"{sched.dir}/exp/log/q/x.sh"
    for j in (1, 2, 3):
        lines = (sched.dir / f"exp/log/x.{j}.log").read_text().splitlines()
        assert lines[0] == f"# echo task {j}"
        assert f"task {j}" in lines
        assert re.fullmatch(r"# Accounting: time=\d+ threads=3", lines[-2])
        assert lines[-1].startswith("# Ended (code 0) at ")
    assert not list((sched.dir / "exp/log/q").glob("x.done.*"))   # done files cleaned up


def test_slurm_pl_defaults_and_exact_rules(sched):
    conf_into(sched.dir, "slurm.conf")
    sched("slurm.pl", "--mem", "0", "log/a.log", "true")          # default gpu=0 -> -p cpu; mem=0 -> nothing
    [argv] = sched.submissions()
    assert argv == ["--export=PATH", "-p", "cpu", "--open-mode=append", "-o", f"{sched.dir}/log/q/a.log",
                    "--wait", f"{sched.dir}/log/q/a.sh"]


def test_slurm_pl_builtin_and_explicit_config(sched):
    out = sched("slurm.pl", "--gpu", "1", "--time", "1:00:00", "JOB=1:2", "log/b.JOB.log", "true")
    assert out.returncode == 0, out.stderr          # no conf/slurm.conf: the built-in conf
    assert "--time 1:00:00 --gres=gpu:1" in " ".join(sched.submissions()[0])
    write(sched.dir / "my.conf", "command sbatch -A lab\noption gpu=* --gpus=$0\noption gpu=0\ndefault gpu=0\n")
    out = sched("slurm.pl", "--config", "my.conf", "--gpu", "3", "log/c.log", "true")
    assert out.returncode == 0, out.stderr
    assert sched.submissions()[1][:2] == ["-A", "lab"] and "--gpus=3" in sched.submissions()[1]


def test_slurm_pl_unknown_option_and_bad_conf(sched):
    conf_into(sched.dir, "slurm.conf")
    out = sched("slurm.pl", "--colour", "red", "log/d.log", "true")
    assert out.returncode == 1 and "--colour is not described in conf/slurm.conf" in out.stderr
    write(sched.dir / "bad.conf", "command sbatch\nopton gpu=* -x\n")
    out = sched("slurm.pl", "--config", "bad.conf", "log/d.log", "true")
    assert out.returncode == 1 and "bad.conf:2: cannot parse line" in out.stderr
    out = sched("slurm.pl", "--config", "nope.conf", "log/d.log", "true")
    assert out.returncode == 1 and "nope.conf" in out.stderr
    assert sched.submissions() == []


def test_slurm_pl_propagates_failures_naming_logs(sched):
    out = sched("slurm.pl", "JOB=1:3", "log/f.JOB.log", "test", "JOB", "-ne", "2")
    assert out.returncode == 1
    assert "job 2 failed with exit code 1; see log/f.2.log" in out.stderr
    assert "log/f.1.log" not in out.stderr
    out = sched("slurm.pl", "JOB=1:3", "log/k.JOB.log", "true", extra_env={"FAKE_SKIP": "3"})
    assert out.returncode == 1
    assert "job 3 left no exit status" in out.stderr and "log/k.3.log" in out.stderr
    out = sched("slurm.pl", "log/s.log", "true", extra_env={"SEED_SLURM_SBATCH": "/no/such/sbatch"})
    assert out.returncode == 1 and "submitting with '/no/such/sbatch' failed" in out.stderr


def test_slurm_pl_dry_run_submits_nothing(sched):
    out = sched("slurm.pl", "--dry-run", "true", "JOB=1:2", "log/y.JOB.log", "echo", "JOB",
                extra_env={"SEED_SLURM_SBATCH": ""})
    assert out.returncode == 0
    assert out.stdout == (f"sbatch --export=PATH --open-mode=append -o {sched.dir}/log/q/y.log "
                          f"--array=1-2 --wait {sched.dir}/log/q/y.sh\n")
    assert sched.submissions() == [] and not (sched.dir / "log/y.1.log").exists()
    script = (sched.dir / "log/q/y.sh").read_text()
    assert "2) log=log/y.2.log; cmd='echo 2' ;;" in script


def test_slurm_pl_interrupt_cancels_job(sched, tmp_path):
    flag = tmp_path / "submitted"
    env = {**os.environ, "SEED_SLURM_SBATCH": str(tmp_path / "fakebin/sbatch"), "FAKE_ARGV": str(tmp_path / "argv"),
           "SEED_SLURM_SCANCEL": str(tmp_path / "fakebin/scancel"), "FAKE_CANCELLED": str(tmp_path / "cancelled"),
           "FAKE_HANG": str(flag)}
    proc = subprocess.Popen([str(UTILS / "slurm.pl"), "JOB=1:2", "log/h.JOB.log", "true"], cwd=sched.dir,
                            env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)   # let slurm.pl read the job id line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 1 and "cancelled job 4242" in err
    assert (tmp_path / "cancelled").read_text().strip() == "4242"


def test_queue_pl_maps_conf_options_and_propagates_failure(sched):
    conf_into(sched.dir, "queue.conf")
    out = sched("queue.pl", "--gpu", "1", "--mem", "2G", "--num-threads", "4", "--max-jobs-run", "2",
                "JOB=1:3", "log/g.JOB.log", "echo", "JOB")
    assert out.returncode == 0, out.stderr
    line = " ".join(sched.submissions()[0])
    for piece in ("-l mem_free=2G,ram_free=2G", "-pe smp 4", "-tc 2", "-l gpu=1 -q g.q", "-t 1:3",
                  "-sync y", f"-o {sched.dir}/log/q/g.log"):
        assert piece in line
    assert line.startswith("-v PATH -cwd -S /bin/bash -j y")
    for j in (1, 2, 3):
        assert re.search(rf"\n{j}\n# Accounting: time=\d+ threads=4\n# Ended \(code 0\)", (sched.dir / f"log/g.{j}.log").read_text())
    out = sched("queue.pl", "JOB=1:3", "log/h.JOB.log", "test", "JOB", "!=", "3")
    assert out.returncode == 1 and "job 3 failed with exit code 1; see log/h.3.log" in out.stderr
    out = sched("queue.pl", "log/single.log", "echo", "one")      # single job: no -t, SGE_TASK_ID=undefined
    assert out.returncode == 0, out.stderr
    assert "-t" not in sched.submissions()[-1]
    assert "\none\n" in (sched.dir / "log/single.log").read_text()


def test_backends_write_the_same_log_format(sched):
    run([UTILS / "run.pl", "JOB=1:1", "log/r.JOB.log", "echo", "x"], cwd=sched.dir, check=True)
    sched("slurm.pl", "JOB=1:1", "log/s.JOB.log", "echo", "x")
    local = (sched.dir / "log/r.1.log").read_text().splitlines()
    slurm = [ln for ln in (sched.dir / "log/s.1.log").read_text().splitlines() if not ln.startswith("# Running on")]
    strip = [re.sub(r" at .*", "", ln) for ln in local]
    assert strip == [re.sub(r" at .*", "", ln) for ln in slurm]


WORD_PARTS = ["JOBS_dir/JOB", "log.JOB.log", "split4/JOB/", "--job-id", "JOB", "embedding.JOB.ark",
              "MYJOB", "JOB2", "JOBS_dir"]


def word_parts_expected(j):
    return f"JOBS_dir/{j} log.{j}.log split4/{j}/ --job-id {j} embedding.{j}.ark MYJOB JOB2 JOBS_dir"


@pytest.mark.parametrize("tool", ["run.pl", "slurm.pl", "queue.pl"])
def test_job_is_substituted_only_as_a_whole_word_part(sched, tool):
    """`JOB` inside a user's word (JOBS_dir, MYJOB, JOB2) stays; log.JOB.log, split4/JOB/, --job-id JOB change."""
    out = sched(tool, "JOB=1:2", "JOBS_dir/log/x.JOB.log", "echo", *WORD_PARTS)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (sched.dir / "JOBS_dir" / "log").glob("x.*.log")) == ["x.1.log", "x.2.log"]
    assert not [p for p in sched.dir.iterdir() if p.name[0].isdigit()]    # no 1S_dir, 2S_dir
    for j in (1, 2):
        text = (sched.dir / f"JOBS_dir/log/x.{j}.log").read_text()
        assert f"\n{word_parts_expected(j)}\n" in text, text
    if tool != "run.pl":   # the job script is named after the log with the job variable dropped
        assert (sched.dir / "JOBS_dir/log/q/x.sh").is_file()
    out = sched(tool, "JOB=1:2", "JOBS_dir/log/same.log", "true")   # JOB only inside a word: one log for all
    assert out.returncode == 1 and "does not contain 'JOB'" in out.stderr


def test_seed_jobs_substitutes_like_the_perl_backends():
    from seed.jobs import substitute_job
    assert substitute_job(" ".join(WORD_PARTS), 3) == word_parts_expected(3)
    assert substitute_job("/x/JOBS_dir/log/extract.JOB.log", 2) == "/x/JOBS_dir/log/extract.2.log"


# --------------------------------------------------------------------------- cmd_backend.sh

def test_cmd_backend_picks_backend(tmp_path):
    for backend, script in (("local", "run.pl"), ("slurm", "slurm.pl"), ("sge", "queue.pl")):
        out = run(f'cmd_backend={backend}; cmd_conf=conf/x.conf; . "{UTILS}/cmd_backend.sh"; '
                  'echo "$train_cmd|$decode_cmd|$cuda_cmd"', check=True)
        train, decode, cuda = out.stdout.strip().split("|")
        base = f"{UTILS}/{script}" + ("" if script == "run.pl" else " --config conf/x.conf")
        assert (train, decode, cuda) == (base, base, base + " --gpu 1")
    out = run(f'unset cmd_backend; . "{UTILS}/cmd_backend.sh"; cd "{tmp_path}"; '
              '${train_cmd} JOB=1:2 log/z.JOB.log echo JOB', check=True)
    assert "\n2\n" in (tmp_path / "log/z.2.log").read_text()
    out = run(f'cmd_backend=pbs; . "{UTILS}/cmd_backend.sh" || echo failed')
    assert "unknown cmd_backend 'pbs'" in out.stderr and out.stdout.strip() == "failed"


# --------------------------------------------------------------------------- data-dir tools

def make_data_dir(path, speakers, per_spk=3, segments=False):
    """A sorted Kaldi data dir (utterance ids prefixed by speaker), with utt2dur and spk2gender."""
    wav, u2s, dur, seg = [], [], [], []
    for s_i, spk in enumerate(speakers):
        for i in range(per_spk if isinstance(per_spk, int) else per_spk[s_i]):
            utt = f"{spk}-u{i:02d}"
            u2s.append(f"{utt} {spk}\n")
            dur.append(f"{utt} {1.5 + i:.3f}\n")
            if segments:
                seg.append(f"{utt} rec-{spk} {i}.0 {i + 1}.0\n")
            else:
                wav.append(f"{utt} /corpus/{spk}/{utt}.wav\n")
        if segments:
            wav.append(f"rec-{spk} /corpus/{spk}.wav\n")
    write(path / "wav.scp", "".join(wav))
    write(path / "utt2spk", "".join(u2s))
    write(path / "utt2dur", "".join(dur))
    write(path / "spk2gender", "".join(f"{s} {'mf'[i % 2]}\n" for i, s in enumerate(speakers)))
    if segments:
        write(path / "segments", "".join(seg))
    spk2utt = run([UTILS / "utt2spk_to_spk2utt.pl", path / "utt2spk"], check=True).stdout
    write(path / "spk2utt", spk2utt)
    return path


def lines(path):
    return Path(path).read_text().splitlines(keepends=True)


def shard_sizes(n, nj):
    # seed.jobs.shard's boundaries: part j holds floor((j-1)n/nj) .. floor(j n/nj)-1
    return [j * n // nj - (j - 1) * n // nj for j in range(1, nj + 1)]


def test_split_scp_by_utterance_round_trip(tmp_path):
    src = write(tmp_path / "in.scp", "".join(f"u{i:02d} /w/{i}.wav\n" for i in range(10)))
    outs = [tmp_path / f"o{j}" for j in range(1, 4)]
    run([UTILS / "split_scp.pl", src, *outs], check=True)
    assert [len(lines(o)) for o in outs] == shard_sizes(10, 3)
    assert sum((lines(o) for o in outs), []) == lines(src)
    part2 = run([UTILS / "split_scp.pl", "--one-based", "-j", "3", "2", src], check=True).stdout
    assert part2 == "".join(lines(outs[1]))
    part0 = run([UTILS / "split_scp.pl", "-j", "3", "0", src], check=True).stdout
    assert part0 == "".join(lines(outs[0]))
    assert not list(tmp_path.glob("*.tmp.*"))


def test_split_scp_matches_seed_jobs_shard(tmp_path):
    sys.path.insert(0, str(REPO))
    from seed.jobs import shard
    keys = [f"k{i:03d}" for i in range(23)]
    src = write(tmp_path / "in.scp", "".join(f"{k} x\n" for k in keys))
    outs = [tmp_path / f"o{j}" for j in range(1, 6)]
    run([UTILS / "split_scp.pl", src, *outs], check=True)
    for j, o in enumerate(outs, 1):
        assert [ln.split()[0] for ln in lines(o)] == shard(keys, 5, j)


def test_split_scp_by_speaker_keeps_speakers_whole(tmp_path):
    d = make_data_dir(tmp_path / "d", ["a", "b", "c", "d", "e"], per_spk=[5, 1, 2, 4, 3])
    outs = [tmp_path / f"o{j}" for j in range(1, 4)]
    run([UTILS / "split_scp.pl", f"--utt2spk={d / 'utt2spk'}", d / "wav.scp", *outs], check=True)
    assert sum((lines(o) for o in outs), []) == lines(d / "wav.scp")
    spk_sets = [{ln.split()[0].split("-")[0] for ln in lines(o)} for o in outs]
    assert all(spk_sets) and not (spk_sets[0] & spk_sets[1] or spk_sets[1] & spk_sets[2] or spk_sets[0] & spk_sets[2])
    # Balanced: each part is within one speaker's size (here 5) of the 15/3 lines it would get by utterance.
    assert all(abs(len(lines(o)) - 5) <= 5 for o in outs)
    assert [len(lines(o)) for o in outs] == [5, 3, 7]   # boundaries at the speaker edges nearest to 5 and 10


def test_split_scp_errors(tmp_path):
    src = write(tmp_path / "in.scp", "a1 x\nb1 x\na2 x\n")
    u2s = write(tmp_path / "utt2spk", "a1 a\na2 a\nb1 b\n")
    out = run([UTILS / "split_scp.pl", "--utt2spk", u2s, src, tmp_path / "o1", tmp_path / "o2"])
    assert out.returncode == 1 and "in.scp:3: key 'a2': speaker 'a' appears again" in out.stderr
    out = run([UTILS / "split_scp.pl", src, *(tmp_path / f"p{j}" for j in range(4))])
    assert out.returncode == 1 and "cannot split 3 line(s)" in out.stderr
    write(tmp_path / "u2", "a1 a\n")
    out = run([UTILS / "split_scp.pl", "--utt2spk=" + str(tmp_path / "u2"), src, tmp_path / "o1"])
    assert out.returncode == 1 and "in.scp:2: key 'b1': not in" in out.stderr
    assert not (tmp_path / "o1").exists() and not (tmp_path / "p0").exists()


def test_utt2spk_spk2utt_round_trip(tmp_path):
    d = make_data_dir(tmp_path / "d", ["spk1", "spk2", "spk3"], per_spk=[2, 3, 1])
    assert lines(d / "spk2utt") == ["spk1 spk1-u00 spk1-u01\n", "spk2 spk2-u00 spk2-u01 spk2-u02\n", "spk3 spk3-u00\n"]
    back = run([UTILS / "spk2utt_to_utt2spk.pl", d / "spk2utt"], check=True).stdout
    assert back == (d / "utt2spk").read_text()
    again = run([UTILS / "utt2spk_to_spk2utt.pl"], input=back, check=True).stdout   # stdin too
    assert again == (d / "spk2utt").read_text()
    out = run([UTILS / "utt2spk_to_spk2utt.pl", write(tmp_path / "bad", "u1 s1\nu2 s1 extra\n")])
    assert out.returncode == 1 and "bad:2: key 'u2': expected '<utt> <spk>'" in out.stderr
    out = run([UTILS / "spk2utt_to_utt2spk.pl", write(tmp_path / "dup", "s1 u1\ns2 u1\n")])
    assert out.returncode == 1 and "key 'u1': utterance listed under speakers 's1' and 's2'" in out.stderr


def test_filter_scp(tmp_path):
    scp = write(tmp_path / "wav.scp", "a /a.wav\nb /b.wav\nc /c.wav\n")
    ids = write(tmp_path / "ids", "c\na extra fields ignored\nzzz\n")
    assert run([UTILS / "filter_scp.pl", ids, scp], check=True).stdout == "a /a.wav\nc /c.wav\n"
    assert run([UTILS / "filter_scp.pl", "--exclude", ids, scp], check=True).stdout == "b /b.wav\n"
    assert run([UTILS / "filter_scp.pl", "-", scp], input="b\n", check=True).stdout == "b /b.wav\n"
    trials = write(tmp_path / "trials", "a b target\nb c nontarget\nc a nontarget\n")
    assert run([UTILS / "filter_scp.pl", "-f", "2", write(tmp_path / "t", "a\n"), trials],
               check=True).stdout == "c a nontarget\n"
    out = run([UTILS / "filter_scp.pl", "-f", "3", ids, scp])
    assert out.returncode == 1 and "wav.scp:1: line has 2 field(s), filtering on field 3" in out.stderr


def read_part_tables(split_dir, n, name):
    return sum((lines(split_dir / str(j) / name) for j in range(1, n + 1)), [])


@pytest.mark.parametrize("mode", ["--per-utt", "--per-spk"])
def test_split_data_round_trip(tmp_path, mode):
    d = make_data_dir(tmp_path / "d", ["a", "b", "c", "d"], per_spk=[3, 1, 4, 2])
    run([UTILS / "split_data.sh", mode, d, 3], check=True)
    split = d / "split3"
    assert sorted(p.name for p in split.iterdir()) == ["1", "2", "3"]
    for name in ("utt2spk", "wav.scp", "utt2dur"):
        assert read_part_tables(split, 3, name) == lines(d / name)
    for j in range(1, 4):
        part = split / str(j)
        utts = [ln.split()[0] for ln in lines(part / "utt2spk")]
        assert [ln.split()[0] for ln in lines(part / "wav.scp")] == utts
        spk2utt = run([UTILS / "utt2spk_to_spk2utt.pl", part / "utt2spk"], check=True).stdout
        assert (part / "spk2utt").read_text() == spk2utt
        assert [ln.split()[0] for ln in lines(part / "spk2gender")] == [ln.split()[0] for ln in spk2utt.splitlines(True)]
    if mode == "--per-spk":
        spks = [set(ln.split()[0] for ln in lines(split / str(j) / "spk2utt")) for j in range(1, 4)]
        assert sum(len(s) for s in spks) == 4 and len(set.union(*spks)) == 4
    else:
        assert [len(lines(split / str(j) / "utt2spk")) for j in range(1, 4)] == shard_sizes(10, 3)
    assert not [p for p in d.iterdir() if p.name.startswith(".split")]


def test_split_data_with_segments_splits_recordings(tmp_path):
    d = make_data_dir(tmp_path / "d", ["a", "b", "c"], per_spk=2, segments=True)
    run([UTILS / "split_data.sh", "--per-spk", d, 3], check=True)
    for j, spk in enumerate(["a", "b", "c"], 1):
        assert lines(d / "split3" / str(j) / "wav.scp") == [f"rec-{spk} /corpus/{spk}.wav\n"]
        assert len(lines(d / "split3" / str(j) / "segments")) == 2


def test_split_data_refuses_inconsistent_tables(tmp_path):
    d = make_data_dir(tmp_path / "d", ["a", "b"], per_spk=2)
    write(d / "utt2dur", "a-u00 1.0\na-u01 1.0\nb-u00 1.0\n")       # b-u01 missing
    out = run([UTILS / "split_data.sh", d, 2])
    assert out.returncode == 1 and "utt2dur: key 'b-u01': utterance of utt2spk missing here" in out.stderr
    write(d / "utt2dur", "a-u00 1.0\na-u01 1.0\nb-u00 1.0\nb-u01 1\nzz 1\n")
    out = run([UTILS / "split_data.sh", d, 2])
    assert out.returncode == 1 and "utt2dur: key 'zz': not in" in out.stderr
    out = run([UTILS / "split_data.sh", d, 5])
    assert out.returncode == 1
    assert not [p for p in d.iterdir() if p.name.startswith((".split", "split"))]


def test_split_data_replaces_previous_split(tmp_path):
    d = make_data_dir(tmp_path / "d", ["a", "b"], per_spk=2)
    write(d / "split2" / "stale", "old\n")
    run([UTILS / "split_data.sh", d, 2], check=True)
    assert not (d / "split2" / "stale").exists() and (d / "split2" / "2" / "utt2spk").exists()


def test_combine_data(tmp_path):
    a = make_data_dir(tmp_path / "a", ["s1", "s3"], per_spk=2)
    b = make_data_dir(tmp_path / "b", ["s2"], per_spk=2)
    (b / "spk2gender").unlink()
    write(tmp_path / "c" / "leftover", "x\n")
    out = run([UTILS / "combine_data.sh", "--skip-fix", "true", tmp_path / "c", a, b], check=True)
    c = tmp_path / "c"
    assert "not combining spk2gender: missing in" in out.stderr
    assert not (c / "leftover").exists() and not (c / "spk2gender").exists()
    assert [ln.split()[0] for ln in lines(c / "utt2spk")] == ["s1-u00", "s1-u01", "s2-u00", "s2-u01", "s3-u00", "s3-u01"]
    assert sorted(lines(c / "wav.scp")) == lines(c / "wav.scp") == sorted(lines(a / "wav.scp") + lines(b / "wav.scp"))
    assert [ln.split()[0] for ln in lines(c / "spk2utt")] == ["s1", "s2", "s3"]
    # The result passes validation (python -m seed.bin.validate_data_dir through the wrapper).
    out = run([UTILS / "validate_data_dir.sh", c])
    assert out.returncode == 0, out.stderr


def test_combine_data_conflicting_key_is_an_error(tmp_path):
    a = make_data_dir(tmp_path / "a", ["s1"], per_spk=2)
    b = make_data_dir(tmp_path / "b", ["s1"], per_spk=2)
    write(b / "wav.scp", "s1-u00 /other.wav\ns1-u01 /corpus/s1/s1-u01.wav\n")
    out = run([UTILS / "combine_data.sh", tmp_path / "c", a, b])
    assert out.returncode == 1 and "wav.scp: key 's1-u00': different values" in out.stderr
    assert not (tmp_path / "c").exists() and not list(tmp_path.glob("c.tmp.*"))
    out = run([UTILS / "combine_data.sh", a, a, b])
    assert out.returncode == 1 and "is also a source" in out.stderr


def test_combine_then_fix_reports_drops(tmp_path):
    a = make_data_dir(tmp_path / "a", ["s1"], per_spk=2)
    b = make_data_dir(tmp_path / "b", ["s2"], per_spk=2)
    write(b / "wav.scp", "s2-u00 /corpus/s2/s2-u00.wav\n")           # s2-u01 has no audio
    out = run([UTILS / "combine_data.sh", tmp_path / "c", a, b])
    assert out.returncode == 0, out.stderr
    assert "dropped 1" in out.stdout and "missing from wav.scp" in out.stdout
    assert len(lines(tmp_path / "c" / "utt2spk")) == 3


def test_validate_and_fix_wrappers(tmp_path):
    d = make_data_dir(tmp_path / "d", ["s1", "s2"], per_spk=2)
    out = run([UTILS / "validate_data_dir.sh", "--no-feats", "--no-text", d])
    assert out.returncode == 0 and "OK (4 utterances, 2 speakers)" in out.stdout
    write(d / "wav.scp", "s2-u00 /x.wav\ns1-u00 /y.wav\ns1-u01 /z.wav\n")   # unsorted, s2-u01 missing
    out = run([UTILS / "validate_data_dir.sh", d])
    assert out.returncode == 1 and "wav.scp" in out.stderr
    out = run([UTILS / "fix_data_dir.sh", d])
    assert out.returncode == 0, out.stderr
    assert "dropped 1" in out.stdout and "s2-u01" in out.stdout
    assert run([UTILS / "validate_data_dir.sh", d]).returncode == 0
    assert lines(d / "wav.scp") == ["s1-u00 /y.wav\n", "s1-u01 /z.wav\n", "s2-u00 /x.wav\n"]
    out = run([UTILS / "validate_data_dir.sh", "--bogus", d])
    assert out.returncode == 1 and "unknown option --bogus" in out.stderr


def test_shuffle_list_is_seeded(tmp_path):
    src = write(tmp_path / "list", "".join(f"line{i}\n" for i in range(50)))
    one = run([UTILS / "shuffle_list.pl", "--srand", "3", src], check=True).stdout
    assert one == run([UTILS / "shuffle_list.pl", "--srand=3", src], check=True).stdout
    assert one != run([UTILS / "shuffle_list.pl", "--srand", "4", src], check=True).stdout
    assert one != src.read_text() and sorted(one.splitlines()) == sorted(src.read_text().splitlines())


# --------------------------------------------------------------------------- hygiene

def test_every_tool_has_help_and_perl_compiles():
    for tool in sorted(UTILS.glob("*.pl")):
        assert run(["perl", "-c", tool]).returncode == 0, tool
        out = run([tool, "--help"])
        assert out.returncode == 0 and out.stdout.strip(), tool
    for tool in ("split_data.sh", "validate_data_dir.sh", "fix_data_dir.sh", "combine_data.sh"):
        out = run([UTILS / tool, "--help"])
        assert out.returncode == 0 and "usage" in out.stdout.lower(), tool


def test_shellcheck_utils():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    scripts = sorted(str(p.relative_to(REPO)) for p in [*UTILS.glob("*.sh"), *UTILS.glob("lib/*.sh")])
    out = run(["shellcheck", "-x", *scripts], cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def test_tools_work_through_a_symlinked_utils_dir(tmp_path):
    """Recipes reach utils/ through a symlink (egs/<name>/seed1/utils -> ../../../utils)."""
    recipe = tmp_path / "egs" / "x" / "seed1"
    recipe.mkdir(parents=True)
    (recipe / "utils").symlink_to(UTILS)
    run(["utils/run.pl", "JOB=1:2", "log/a.JOB.log", "echo", "JOB"], cwd=recipe, check=True)
    out = run(["utils/slurm.pl", "--dry-run", "true", "log/b.log", "true"], cwd=recipe,
              env={"SEED_SLURM_SBATCH": ""}, check=True)
    assert out.stdout.startswith("sbatch ")
    d = make_data_dir(recipe / "data" / "d", ["s1", "s2"], per_spk=2)
    run(["utils/split_data.sh", "data/d", "2"], cwd=recipe, check=True)
    out = run(["utils/validate_data_dir.sh", "data/d/split2/2"], cwd=recipe)
    assert out.returncode == 0 and "OK (2 utterances, 1 speakers)" in out.stdout, out.stderr
    assert (d / "split2" / "1" / "utt2spk").exists()


def test_parse_options_a_forgotten_value_is_not_swallowed(demo):
    """Issue 16: `--stage --name x` set stage=--name. A value that is itself a defined option is an error;
    the = form still takes such a word, and values that merely start with -- (e.g. option lists) pass."""
    out = demo("--stage", "--name", "x")
    assert out.returncode == 1 and out.stdout == ""
    assert "--stage needs a value, but the next word is the option --name" in out.stderr
    out = demo("--stage=--name", "--name", "--nj 2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "stage=--name stop_stage=10 use_gpu=false name=--nj 2"
    out = demo("--name", "--no-such-option")
    assert out.returncode == 0 and out.stdout.splitlines()[0].endswith("name=--no-such-option")


def test_run_pl_default_job_limit_is_the_cpus_not_omp_num_threads(tmp_path):
    """Issue 16: path.sh exports OMP_NUM_THREADS=2 (threads per job) and `nproc` honours it, so run.pl's
    default limit was 2 jobs on any machine. The default is now the CPUs this process may use."""
    cpus = int(subprocess.run(["nproc"], capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items()
                                   if k not in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT")}).stdout)
    if cpus < 2:
        pytest.skip("needs 2 CPUs to see two jobs overlap")
    cmd = [UTILS / "run.pl", "JOB=1:2", "log/t.JOB.log",
           "date", "+%s.%N", ">", "t.JOB", "&&", "sleep", "0.5", "&&", "date", "+%s.%N", ">>", "t.JOB"]
    run(cmd, cwd=tmp_path, env={"OMP_NUM_THREADS": "1"}, check=True)
    assert max_overlap(job_intervals(tmp_path, 2)) == 2

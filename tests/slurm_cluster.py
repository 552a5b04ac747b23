"""A real single-node Slurm cluster for the tests (fixture `slurm_cluster`).

Why: utils/slurm.pl is otherwise tested only against fake sbatch scripts, which cannot show that a real
scheduler accepts its options, runs its array tasks and reports their exit status. This starts a private
munged, slurmctld and slurmd (Debian's packages, installed by tools/install.sh as root) on free ports,
with every file in one fresh folder, waits until the node is idle and stops everything at teardown.
It never touches a system munged or Slurm: its own munge socket and key, its own slurm.conf.
"""
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scancel", "scontrol")
# Root's PATH has the sbin folders, a user's often not: the daemons live there.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"])
START_TIMEOUT = 30.0


def find_programs():
    """name -> absolute path of every daemon and client program; missing ones are absent."""
    found = {}
    for name in DAEMONS + CLIENTS:
        path = shutil.which(name, path=SEARCH_PATH)
        if path:
            found[name] = path
    return found


def _die_with_parent():
    """In a daemon before exec (Linux): SIGTERM when the test process dies, even by SIGKILL, so a killed
    pytest leaves no cluster behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _user():
    """The name of the effective user (not $USER, which an environment may set to anything)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _real_memory_mb():
    """What slurmd will detect (MemTotal), less 10 %: a node configured above its real memory is drained."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 9 // 10
    raise RuntimeError("/proc/meminfo has no MemTotal line")


def slurm_conf_text(root, node, cpus, memory_mb, ports, munge_socket, user):
    """slurm.conf of the one-node cluster: no systemd, no cgroups, no accounting database.
    Partitions `cpu` (default) and `gpu` are the ones egs/TEMPLATE/seed1/conf/slurm.conf names; the node
    has one fake GPU (gres.conf: File=/dev/null) so that `--gpu 1` is scheduled as on a GPU cluster.
    DefMemPerCPU gives a job without --mem its share of the node instead of all of it (which would let
    only one task run at a time); batch_sched_delay=0 and MinJobAge=4 keep `sbatch --wait` short."""
    return "\n".join([
        "ClusterName=seedtest",
        f"SlurmctldHost={node}(127.0.0.1)",
        f"SlurmctldPort={ports[0]}",
        f"SlurmdPort={ports[1]}",
        f"SlurmUser={user}",
        f"SlurmdUser={user}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={munge_socket}",
        f"StateSaveLocation={root}/state",
        f"SlurmdSpoolDir={root}/spool",
        f"SlurmctldPidFile={root}/slurmctld.pid",
        f"SlurmdPidFile={root}/slurmd.pid",
        f"SlurmctldLogFile={root}/slurmctld.log",
        f"SlurmdLogFile={root}/slurmd.log",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        f"DefMemPerCPU={max(memory_mb // (4 * cpus), 1)}",
        "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1",
        "MpiDefault=none",
        "ReturnToService=2",
        "MailProg=/bin/true",
        "MinJobAge=4",
        "KillWait=2",
        "GresTypes=gpu",
        f"NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} Gres=gpu:1 State=UNKNOWN",
        "PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        "PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP",
        "",
    ])


class SlurmCluster:
    """The running cluster: `env` (SLURM_CONF, PATH) for the commands under test, `node`, `root`."""

    def __init__(self, programs):
        self.programs = programs
        self.node = socket.gethostname().split(".")[0]
        # Not under pytest's tmp_path: that sits in a mode-700 folder, and munged refuses a socket whose
        # path is not searchable by everyone. Removed at stop().
        self.root = Path(tempfile.mkdtemp(prefix="seed-slurm-"))
        self.root.chmod(0o755)
        self.conf = self.root / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.procs = {}
        bindirs = []
        for path in programs.values():
            d = str(Path(path).parent)
            if d not in bindirs:
                bindirs.append(d)
        path = os.pathsep.join(bindirs + [p for p in os.environ.get("PATH", "").split(os.pathsep) if p not in bindirs])
        self.env = {"SLURM_CONF": str(self.conf), "PATH": path}

    def environ(self, **extra):
        """os.environ for a command run against this cluster: SLURM_CONF set; no scheduler override
        (SEED_SLURM_SBATCH/SCANCEL) and no SLURM_* of an enclosing job, so nothing but the real programs."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SLURM_") and k not in ("SEED_SLURM_SBATCH", "SEED_SLURM_SCANCEL")}
        env.update(self.env)
        env.update(extra)
        return env

    def command(self, *args, timeout=30):
        """Run a Slurm client command against this cluster; CompletedProcess with text output."""
        return subprocess.run([self.programs.get(args[0], args[0]), *map(str, args[1:])], env=self.environ(),
                              capture_output=True, text=True, timeout=timeout)

    def queue(self):
        """Job ids (with array task ids) the controller still lists as pending, running or completing."""
        out = self.command("squeue", "-h", "-o", "%i")
        if out.returncode != 0:
            raise RuntimeError(f"squeue failed: {out.stderr.strip()}")
        return out.stdout.split()

    def wait_queue_empty(self, timeout=20.0):
        """True when the queue emptied within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.queue():
                return True
            time.sleep(0.25)
        return not self.queue()

    def _spawn(self, name, args, user_env):
        log = open(self.root / f"{name}.out", "w")
        try:
            self.procs[name] = subprocess.Popen([self.programs[name], *args], stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, env=user_env, start_new_session=True,
                                                preexec_fn=_die_with_parent)
        finally:
            log.close()

    def _died(self, name):
        proc = self.procs[name]
        if proc.poll() is None:
            return None
        return f"{name} exited with code {proc.returncode} at start-up:\n" + self.log_tail(name)

    def log_tail(self, name, lines=15):
        """The last lines of a daemon's output and log file, for failure messages."""
        text = []
        for f in (self.root / f"{name}.out", self.root / f"{name}.log"):
            if f.is_file():
                text += [f"  {f.name}: {ln}" for ln in f.read_text(errors="replace").splitlines()[-lines:]]
        return "\n".join(text) or f"  (no output from {name})"

    def start(self):
        user = _user()
        cpus = os.cpu_count() or 1
        memory = _real_memory_mb()
        for sub in ("state", "spool", "munge"):
            (self.root / sub).mkdir()
        (self.root / "munge").chmod(0o755)
        key = self.root / "munge" / "munge.key"
        with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(os.urandom(1024))   # a credential key, not a modelling draw: must not be reproducible
        self.conf.write_text(slurm_conf_text(self.root, self.node, cpus, memory, (_free_port(), _free_port()),
                                             self.munge_socket, user))
        (self.root / "gres.conf").write_text("Name=gpu File=/dev/null\n")
        env = self.environ()
        self._spawn("munged", ["--foreground", f"--socket={self.munge_socket}", f"--key-file={key}",
                               f"--pid-file={self.root}/munge/munged.pid", f"--seed-file={self.root}/munge/seed",
                               f"--log-file={self.root}/munged.log"], env)
        self._wait(lambda: self.munge_socket.exists(), "munged to create its socket", ("munged",))
        self._spawn("slurmctld", ["-D"], env)
        self._spawn("slurmd", ["-D", "-N", self.node], env)
        self._wait(self._node_idle, f"node {self.node} to be idle (sinfo)", ("munged", "slurmctld", "slurmd"))
        return self

    def _node_idle(self):
        out = self.command("sinfo", "-h", "-n", self.node, "-o", "%T", timeout=10)
        return out.returncode == 0 and out.stdout.split() == ["idle"]

    def _wait(self, ready, what, daemons):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for name in daemons:
                died = self._died(name)
                if died:
                    raise RuntimeError(died)
            if ready():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {START_TIMEOUT:.0f} s waiting for {what}:\n"
                                   + "\n".join(self.log_tail(n) for n in daemons))
            time.sleep(0.2)

    def stop(self):
        """Cancel whatever is left, stop the daemons (TERM, then KILL), remove the folder. Never raises;
        returns a list of problems (jobs that would not leave the queue)."""
        problems = []
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            try:
                if self.queue():
                    self.command("scancel", "--user", _user())
                    if not self.wait_queue_empty(20):
                        problems.append(f"jobs still queued at teardown: {self.queue()}")
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                problems.append(f"could not empty the queue: {e}")
        for name in reversed(DAEMONS):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)
        return problems


@pytest.fixture(scope="module")
def slurm_cluster():
    """The real one-node cluster for a test module. Without the Slurm/munge programs: a failure where
    tools/install.sh would have installed them (root with apt-get, as in `make test`), else a skip."""
    missing = [n for n in DAEMONS + CLIENTS if n not in find_programs()]
    if missing:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            pytest.fail(f"Slurm is not installed ({', '.join(missing)} missing): run tools/install.sh",
                        pytrace=False)
        pytest.skip(f"no Slurm here ({', '.join(missing)} missing) and not root with apt-get to install it "
                    "(Debian: apt-get install slurmctld slurmd slurm-client munge)")
    cluster = SlurmCluster(find_programs())
    try:
        try:
            cluster.start()
        except RuntimeError as e:
            pytest.fail(f"could not start the single-node Slurm cluster: {e}", pytrace=False)
        yield cluster
    finally:
        problems = cluster.stop()
        if problems:
            pytest.fail("Slurm teardown: " + "; ".join(problems), pytrace=False)

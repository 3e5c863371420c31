"""The workflow on a real single-node SLURM, started and stopped by this test.

Needs root and Debian's `slurmctld slurmd slurm-client munge` (.ci/run installs them);
skips, saying why, otherwise. The SLURM executor plugin is installed with pip into
`<venv>/slurm-plugin` and put on PYTHONPATH for this test's runs only: every Snakemake
start imports all installed plugins, and the SLURM one asks `scontrol` for the cluster
config on import, which stalls each start (~9 s) where a SLURM config names a controller
that is down, so the plugin stays out of the venv the other tests use.
"""

import copy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from helpers import PLANTED, run_chain
from interfacegan import config as configuration

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = [  # the plugin, its job-step plugin and the dependencies the venv lacks
    "snakemake-executor-plugin-slurm==2.8.0",
    "snakemake-executor-plugin-slurm-jobstep==0.6.1",
    "throttler==1.2.2",
    "pandas==3.1.1",
]
DAEMONS = ("munged", "slurmctld", "slurmd")


def why_not() -> str | None:
    if os.geteuid() != 0:
        return "starting SLURM daemons needs root"
    missing = [tool for tool in (*DAEMONS, "sbatch", "squeue", "scontrol") if not shutil.which(tool)]
    if missing:
        return f"SLURM packages missing ({', '.join(missing)}): apt-get install slurmctld slurmd slurm-client munge"
    if Path("/etc/slurm/slurm.conf").exists():
        return "this machine has a SLURM of its own (/etc/slurm/slurm.conf); the test only starts a private one"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float, what: str, logs: Path) -> None:
    deadline = time.time() + seconds
    while not check():
        if time.time() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.out")))
            pytest.skip(f"SLURM could not start: {what}\n{tails}")
        time.sleep(0.5)


def succeeds(*command: str, env=None) -> bool:
    return subprocess.run(command, capture_output=True, env=env).returncode == 0


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """Environment variables for a running one-node cluster: partitions `debug` (default) and
    `gpu`, all CPUs, 90% of the memory, one fake GPU (a gres on /dev/null) so gpu=1 jobs schedule."""
    reason = why_not()
    if reason:
        print(f"test_slurm skipped: {reason}")
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("slurm")
    started: list[subprocess.Popen] = []
    env = None  # set once slurmctld is started

    def start(name, command, **popen):
        with open(home / f"{name}.out", "w") as log:
            started.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen))

    try:
        if not succeeds("sh", "-c", "munge -n | unmunge"):  # else use the munged running here
            key = Path("/etc/munge/munge.key")
            if not key.exists():
                subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True)
                shutil.chown(key, "munge", "munge")
            Path("/run/munge").mkdir(exist_ok=True)
            shutil.chown("/run/munge", "munge", "munge")
            start("munged", ["munged", "--foreground"], user="munge", group="munge")
            wait_for(lambda: succeeds("sh", "-c", "munge -n | unmunge"), 10, "munged", home)

        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
        memory = int(re.search(r"RealMemory=(\d+)", node)[1])
        node = re.sub(r"RealMemory=\d+", f"RealMemory={memory * 9 // 10}", node)
        (home / "slurm.conf").write_text(
            f"""ClusterName=test
SlurmctldHost={socket.gethostname().split(".")[0]}
SlurmUser=root
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
ReturnToService=2
SchedulerParameters=sched_interval=1
StateSaveLocation={home}/state
SlurmdSpoolDir={home}/spool
SlurmctldPidFile={home}/slurmctld.pid
SlurmdPidFile={home}/slurmd.pid
GresTypes=gpu
{node} Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL Default=NO MaxTime=INFINITE State=UP
"""
        )
        (home / "gres.conf").write_text("Name=gpu File=/dev/null\n")
        # The jobstep plugin drops SLURM_CONF before its srun: a shim puts it back.
        shim = home / "bin"
        shim.mkdir()
        (shim / "srun").write_text(f'#!/bin/sh\nSLURM_CONF={home}/slurm.conf exec {shutil.which("srun")} "$@"\n')
        (shim / "srun").chmod(0o755)
        env = os.environ | {"SLURM_CONF": str(home / "slurm.conf"), "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
        start("slurmctld", ["slurmctld", "-D"], env=env)
        start("slurmd", ["slurmd", "-D"], env=env)

        def idle() -> bool:
            return (
                subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env).stdout.strip()
                == "idle"
            )

        wait_for(idle, 30, "the node did not come up idle", home)
        yield env
    finally:
        if env is not None:  # no job of ours left running
            jobs = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True, env=env).stdout.split()
            if jobs:
                subprocess.run(["scancel", *jobs], env=env)
        for process in reversed(started):  # slurmd, slurmctld, munged: by PID
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def plugin() -> Path:
    """A folder holding the SLURM executor plugin, for PYTHONPATH (installed once)."""
    target = Path(sys.prefix) / "slurm-plugin"
    stamp = target / (PLUGIN[0] + ".installed")
    if not stamp.exists():
        shutil.rmtree(target, ignore_errors=True)
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), *PLUGIN]
        done = subprocess.run(pip, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"could not install the SLURM plugin: {done.stderr[-500:]}")
        stamp.touch()
    return target


def test_the_workflow_runs_on_slurm_and_gives_what_the_stages_give(slurm, plugin, tmp_path):
    # device cuda: the image jobs ask for the (fake) GPU and go to the gpu partition; without
    # CUDA they fall back to the CPU, so the results equal the local run's.
    config = copy.deepcopy(PLANTED) | {
        "n_samples": 1000,
        "shard_size": 1000,
        "attributes": ["age", "eyeglasses"],
        "conditions": [],
    }
    config |= {"device": "cuda", "slurm": {"partition": "debug", "gpu_partition": "gpu"}}
    config["generator"]["attributes"] = config["predictor"]["attributes"] = config["attributes"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    # The repository's profile, with the node's cores and the first status check after 3 s.
    profile = yaml.safe_load((ROOT / "workflow" / "profiles" / "slurm" / "config.yaml").read_text())
    profile |= {"cores": os.cpu_count(), "slurm-init-seconds-before-status-checks": 3}
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "config.yaml").write_text(yaml.safe_dump(profile))
    table = f"results/{config['run']}/tables/separability.csv"
    command = [
        sys.executable,
        "-m",
        "snakemake",
        table,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--profile",
        str(tmp_path / "profile"),
    ]
    command += ["--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")]
    env = slurm | {"PYTHONPATH": os.pathsep.join(filter(None, [str(plugin), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr

    # Every job went through SLURM, finished there, kept its log, and asked for what
    # the rules declare: the shard group (sample + score) 1 CPU, 4000 MB, the GPU and
    # the sum of the two runtimes (30 + 120 min), in the gpu partition; the rest in debug.
    submitted = dict(re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)", done.stdout + done.stderr))
    assert len(submitted) == 5  # shard, merge_scores, 2 x fit, report
    jobs = {}
    for jobid, log in submitted.items():
        assert Path(log).is_file(), log
        shown = subprocess.run(
            ["scontrol", "show", "job", "-o", jobid], capture_output=True, text=True, env=slurm
        ).stdout
        jobs[jobid] = dict(field.split("=", 1) for field in shown.split() if "=" in field)
        assert jobs[jobid]["JobState"] == "COMPLETED", shown
    shard = next(job for job in jobs.values() if "shard" in job["Comment"] or "score" in job["Comment"])
    assert shard["NumCPUs"] == "1" and shard["MinMemoryNode"] == "4000M", shard
    assert shard["TresPerJob"] == "gres:gpu:1" and shard["TimeLimit"] == "02:30:00", shard
    assert [job["Partition"] for job in jobs.values()].count("gpu") == 1 and shard["Partition"] == "gpu"
    assert all(job["Partition"] == "debug" for job in jobs.values() if job is not shard)
    assert sum("fit" in job["Comment"] for job in jobs.values()) == 2

    expected = run_chain(configuration.validate(config), tmp_path / "direct")
    assert (tmp_path / table).read_text() == expected.table("separability").read_text()

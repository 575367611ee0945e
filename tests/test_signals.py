"""SIGINT and SIGTERM end `run`, `compare` and `cost` with one line on stderr and exit code
130 / 143, leave no half-written or temporary file, and leave no worker process of
`compare -j 2` behind: each command runs in a process of its own, which is signalled mid-run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
WEBSOCKET = REPO / "scenarios" / "websocket-cpu-target-tracking.yaml"     # about 25 s for its day
SPIKE = REPO / "scenarios" / "spike-5x-standard-metrics.yaml"
STEADY_HIGH = REPO / "scenarios" / "steady-high-traffic.yaml"
# Many runs, each a simulated day: the pool is busy for far longer than a test waits.
LONG_COMPARE = ["compare", str(SPIKE), str(SPIKE), "--set", "autoscaling.min_capacity=9",
                "--seeds", "20", "--duration", "24h", "-j", "2", "-o", "out", "-q"]


def start(args, cwd: Path) -> subprocess.Popen:
    """`python -m fargatesim.cli ARGS` in a session of its own (so that a signal to its group
    reaches it and its workers, and nothing else)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "fargatesim.cli", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition, proc: subprocess.Popen, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the command ended before {what}: {proc.returncode}\n{proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout:g} s")
        time.sleep(0.05)


def finish(proc: subprocess.Popen, timeout: float = 30.0) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"still running {timeout:g} s after the signal:\n{err}")
    return proc.returncode, out, err


def assert_one_line(err: str, signum: int) -> None:
    assert "Traceback" not in err, err
    assert err == f"fargatesim: interrupted by {signal.Signals(signum).name}\n", err


def assert_gone(processes: list[psutil.Process], within: float = 5.0) -> None:
    _, alive = psutil.wait_procs(processes, timeout=within)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"still alive: {[(p.pid, p.cmdline()) for p in alive]}"


def started_simulating(out: Path, mtime_before: int | None = None):
    """The command checks its destination before it simulates, writing and removing a probe
    file there: a new folder, or the folder's changed time, says the simulation has begun."""
    if mtime_before is None:
        return lambda: out.is_dir()
    return lambda: out.stat().st_mtime_ns != mtime_before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_interrupted_mid_simulation_writes_nothing(tmp_path, signum):
    proc = start(["run", WEBSOCKET, "-o", "out", "-q"], tmp_path)
    try:
        wait_for(started_simulating(tmp_path / "out"), proc, what="simulation")
        time.sleep(0.5)
        proc.send_signal(signum)
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 128 + signum
    assert_one_line(err, signum)
    assert out == ""
    # the folder it made for the run goes with it: nothing half-written, no temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_run_terminated_while_an_earlier_run_is_in_its_folder_leaves_that_run_whole(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    earlier = {"summary.json": b'{"seed": 1}\n', "timeseries.csv": b"t_s\n0\n", "events.csv": b"t_s\n",
               "overview.png": b"\x89PNG earlier", "mine.txt": b"the user's"}
    for name, data in earlier.items():
        (out / name).write_bytes(data)
    before = out.stat().st_mtime_ns
    time.sleep(0.01)
    proc = start(["run", WEBSOCKET, "-o", "out", "-q"], tmp_path)
    try:
        wait_for(started_simulating(out, before), proc, what="simulation")
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 143
    assert_one_line(err, signal.SIGTERM)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier


@pytest.mark.parametrize("signum, to_group", [(signal.SIGTERM, False), (signal.SIGINT, True)],
                         ids=["SIGTERM-to-the-parent", "SIGINT-to-the-group-as-Ctrl-C"])
def test_compare_with_two_workers_ends_them_and_writes_nothing(tmp_path, signum, to_group):
    proc = start(LONG_COMPARE, tmp_path)
    try:
        parent = psutil.Process(proc.pid)
        wait_for(lambda: len(parent.children(recursive=True)) >= 2, proc, what="two worker processes")
        time.sleep(1.0)                                   # the workers are simulating
        workers = parent.children(recursive=True)
        assert len(workers) >= 2
        if to_group:
            os.killpg(proc.pid, signum)                   # what Ctrl-C in a terminal does
        else:
            proc.send_signal(signum)
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 128 + signum
    assert_one_line(err, signum)
    assert_gone(workers)
    assert not (tmp_path / "out").exists()


def test_cost_terminated_mid_run_writes_nothing(tmp_path):
    proc = start(["cost", STEADY_HIGH, "-o", "out", "-q"], tmp_path)     # five platforms, a day each
    try:
        wait_for(started_simulating(tmp_path / "out"), proc, what="simulation")
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 143
    assert_one_line(err, signal.SIGTERM)
    assert not (tmp_path / "out").exists()


def test_compare_on_dask_terminated_closes_its_client_and_cancels_its_runs(tmp_path):
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as observer:
        def on_scheduler(question):
            return observer.run_on_scheduler(question)

        def clients(dask_scheduler):
            return sorted(dask_scheduler.clients)

        def tasks(dask_scheduler):
            return len(dask_scheduler.tasks)
        ours = on_scheduler(clients)
        proc = start([*LONG_COMPARE[:-5], "-o", "out", "-q", "--dask", cluster.scheduler_address], tmp_path)
        try:
            wait_for(lambda: on_scheduler(tasks) > 0, proc, what="runs on the cluster")
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            code, _, err = finish(proc)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert code == 143
        assert_one_line(err, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while (on_scheduler(clients) != ours or on_scheduler(tasks)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert on_scheduler(clients) == ours           # its client said goodbye
        assert on_scheduler(tasks) == 0                # and its runs are not left to the cluster
    assert not (tmp_path / "out").exists()

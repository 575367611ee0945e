"""Run the `fargatesim` command as a careless or hostile user would: in its own process, with a
wall-clock limit, a memory ceiling and a CPU-time ceiling, so that a case which hangs or eats
the machine fails its test instead of the suite.

    done = fargatesim_cli("validate", "bomb.yaml", cwd=tmp_path)
    assert done.returncode == 2 and not done.traceback
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Address space, not resident memory: numpy, pandas and numba map far more than they touch, so
# the ceiling sits above an ordinary run's mapping (about 1.3 GB) and far below what a runaway
# input takes (gigabytes).
MEMORY_LIMIT_BYTES = 3 * 1024**3
DEFAULT_TIMEOUT_S = 60.0


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr or "Traceback (most recent call last)" in self.stdout

    @property
    def message(self) -> str:
        """The last non-empty stderr line: what the user is told."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _limits(memory: int, cpu_s: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
        os.setsid()                    # its own process group: a timeout kills workers too
    return apply


def fargatesim_cli(*args, cwd=None, timeout: float = DEFAULT_TIMEOUT_S, memory: int = MEMORY_LIMIT_BYTES,
                   stdin: str | None = None, env: dict | None = None) -> Done:
    """`fargatesim ARGS` in a new process group under the limits; on timeout the whole group is
    killed and the returned code is -9 (so `returncode == 2` assertions fail loudly)."""
    environ = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg", **(env or {})}
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "fargatesim.cli", *map(str, args)], cwd=cwd or REPO,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
                            preexec_fn=_limits(memory, int(timeout) + 5))
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n[hostile.py: killed after {timeout:g} s]"
        return Done(-9, out, err, time.monotonic() - t0)
    return Done(proc.returncode, out, err, time.monotonic() - t0)

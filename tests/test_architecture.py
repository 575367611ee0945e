"""The architecture contract of pyproject.toml ([tool.importlinter]) holds: each layer imports
only from the layers below it, and no import loop ties sibling modules or packages, however
deep, function-level imports included."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def lint_imports(*args: str) -> subprocess.CompletedProcess:
    command = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(command), "--no-cache", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_the_architecture_contract_is_kept():
    run = lint_imports()
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout, run.stdout[-2000:]


def test_the_contract_would_catch_a_loop(tmp_path):
    # The same contract over a copy of the package with one import that closes a loop
    # (the clock helper importing the engine) must break.
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "fargatesim", copy / "fargatesim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    clock = copy / "fargatesim" / "clock.py"
    clock.write_text(clock.read_text() + "\nfrom . import engine  # closes a loop\n")
    run = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(copy), "PATH": ""})
    assert run.returncode != 0
    assert "fargatesim.clock is not allowed to import fargatesim.engine" in run.stdout, run.stdout[-3000:]

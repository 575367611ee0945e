"""`pip install fargatesim` works on its own: the wheel, installed into a fresh virtual
environment outside the repository, lists the examples, copies one and runs the copy, runs one
where it lies, and writes a starter scenario that validates, with nothing of the repository on
the path and no repository path in its help."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from fargatesim.examples import question

REPO = Path(__file__).resolve().parent.parent
MAX_WHEEL_BYTES = 5 * 1024 * 1024


def _tracked_copy(destination: Path) -> None:
    """The files git tracks, and new ones it does not ignore, as they are in the working tree,
    symbolic links kept: the build's own folders (build/, *.egg-info) then land outside the
    working tree, and nothing ignored (.venv, results) gets into the wheel."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True, timeout=60).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source, target = REPO / name, destination / name
        if not os.path.lexists(source):          # deleted in the working tree, not yet in git
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["COLUMNS"] = "100"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the wheel, the new environment's bin folder, a working folder outside the repository)"""
    base = tmp_path_factory.mktemp("wheel")
    source, dist, env_dir, work = base / "src", base / "dist", base / "env", base / "work"
    _tracked_copy(source)
    # The build backend of this environment, without an isolated build environment: nothing is
    # downloaded while testing.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(source)], cwd=source, env=_clean_env(), check=True,
                   capture_output=True, timeout=300)
    [wheel] = dist.glob("fargatesim-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], env=_clean_env(), check=True, capture_output=True, timeout=300)
    # The dependencies come from this environment's site-packages, listed by a path line in a
    # .pth file: a path line does not run the .pth files in that folder, so the editable install
    # of the repository that they hold is not on the new environment's path.
    new_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(new_site, "dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    work.mkdir()
    return wheel, env_dir / "bin", work


def run(installed, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    _, bin_dir, work = installed
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=cwd or work, env=_clean_env(),
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_is_small_and_holds_the_examples(installed):
    wheel = installed[0]
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, f"{wheel.name}: {wheel.stat().st_size:,} bytes"
    import zipfile
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("fargatesim/examples/scenarios/checkout-api.yaml", "fargatesim/examples/scenario-reference.yaml",
                 "fargatesim/examples/scenarios/spaces/checkout-target-and-floor.yaml",
                 "fargatesim/examples/scenarios/traces/nasa-1995-07-10-week-1s.csv",
                 "fargatesim/examples/scenarios/traces/LICENSE-azure-cc-by-4.0.txt",
                 "fargatesim/examples/starter.yaml", "fargatesim/cost/prices-us-east-1.json"):
        assert name in names, name
    shipped = {f"fargatesim/examples/scenarios/{p.name}" for p in (REPO / "scenarios").glob("*.yaml")}
    assert shipped <= names


def test_the_installed_package_is_the_wheels_not_the_repositorys(installed):
    proc = run(installed, "python", "-c",
               "import json, sys, fargatesim, fargatesim.examples as e; "
               "print(json.dumps([fargatesim.__file__, e.SCENARIOS.is_symlink(), sys.path, list(sys.modules)]))")
    assert proc.returncode == 0, proc.stderr
    file, link, path, modules = json.loads(proc.stdout)
    env_dir = installed[1].parent
    assert Path(file).resolve().is_relative_to(env_dir.resolve()), file
    assert not link                     # the examples are files in the installed package, not links
    # Neither the repository's folder nor its editable install's finder is where imports look.
    assert not [p for p in path if p and Path(p).resolve() in (REPO, REPO / "fargatesim")], path
    assert not [m for m in modules if m.startswith("__editable__")], modules


def test_examples_lists_each_example_with_its_question(installed):
    proc = run(installed, "fargatesim", "examples")
    assert proc.returncode == 0, proc.stderr
    listing = " ".join(proc.stdout.split())
    import yaml
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        asked = question(yaml.safe_load(path.read_text())["description"])
        assert f"{path.stem} {asked}" in listing, path.stem
    assert "checkout-api Can target tracking keep up" in listing
    assert "reference" in listing and "traces" in listing and "spaces/checkout-target-and-floor" in listing


def test_an_example_copied_out_runs_an_hour_from_its_copy(installed):
    work = installed[2]
    proc = run(installed, "fargatesim", "examples", "nasa-1995-trace-replay", "-o", "mine")
    assert proc.returncode == 0, proc.stderr
    copy = work / "mine"
    trace = copy / "traces" / "nasa-1995-07-10-week-1s.csv"
    assert (copy / "nasa-1995-trace-replay.yaml").read_bytes() == (REPO / "scenarios" / "nasa-1995-trace-replay.yaml").read_bytes()
    assert trace.read_bytes() == (REPO / "scenarios" / "traces" / trace.name).read_bytes()
    assert (copy / "traces" / "README.md").is_file()          # the trace's source travels with it
    proc = run(installed, "fargatesim", "run", "mine/nasa-1995-trace-replay.yaml", "--duration", "1h",
               "-o", "out", "--no-plot", "-q")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((work / "out" / "summary.json").read_text())
    assert summary["duration_s"] == 3600 and summary["requests"]["total"] > 0


def test_an_example_runs_where_it_lies(installed):
    proc = run(installed, "fargatesim", "run", "example:steady-web-api", "--duration", "1h", "--no-plot", "-q")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((installed[2] / "results" / "steady-web-api" / "summary.json").read_text())
    assert summary["duration_s"] == 3600
    assert summary["requests"]["total"] == pytest.approx(300 * 3600, rel=0.05)      # 300 requests/s


def test_init_writes_a_starter_that_validates(installed):
    proc = run(installed, "fargatesim", "init", "-o", "my-service.yaml")
    assert proc.returncode == 0, proc.stderr
    proc = run(installed, "fargatesim", "validate", "my-service.yaml")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("my-service.yaml: ok (my-service:")


def test_help_names_no_repository_path(installed):
    for command in ([], ["run"], ["compare"], ["cost"], ["tune"], ["examples"], ["init"], ["import"]):
        proc = run(installed, "fargatesim", *command, "--help")
        assert proc.returncode == 0, proc.stderr
        assert not re.search(r"(?<![\w-])(scenarios|docs)/", proc.stdout), (command, proc.stdout)

"""Results folders: a set of files replaces the earlier set as a whole or not at all, a bad
destination is refused before anything is simulated, and results never land outside their
folder (fargatesim.output, and `run`, `compare` and `cost` on the command line)."""
from __future__ import annotations

import errno
import json
import os
import signal
import stat
from pathlib import Path

import pandas as pd
import pytest

from fargatesim import output
from fargatesim.cli import main
from fargatesim.output import DestinationError, WriteError, prepare_folder, write_files
from hostile import fargatesim_cli

REPO = Path(__file__).resolve().parent.parent
STEADY = REPO / "scenarios" / "steady-web-api.yaml"
RUN_SET = ("summary.json", "timeseries.csv", "events.csv", "overview.png")

TINY = """\
name: tiny
duration: 5m
traffic:
  - constant: {rps: 50}
workload:
  cpu_ms: 10
task_definition:
  cpu: 256
  memory: 512
  container_definitions:
    - name: web
      port_mappings: [{container_port: 80}]
service:
  desired_count: 2
"""


def writers(**contents):
    """name=text -> the writer functions write_files takes."""
    return {name.replace("_", "."): (lambda text: lambda path: Path(path).write_text(text))(text)
            for name, text in contents.items()}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def earlier(tmp_path):
    """A folder holding an earlier run's complete set, and a file of the user's own."""
    folder = tmp_path / "out"
    write_files(folder, writers(a_csv="old a", b_csv="old b", c_png="old c"), owned=("a.csv", "b.csv", "c.png"))
    (folder / "notes.txt").write_text("mine")
    return folder


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if a simulation starts: the destination must be refused before."""
    from fargatesim.engine import Simulation

    def run(self, *args, **kwargs):
        raise AssertionError("the simulation ran before the destination was refused")
    monkeypatch.setattr(Simulation, "run", run)


# ---------------------------------------------------------------- the write protocol
def test_a_set_replaces_the_earlier_set_and_nothing_else(earlier):
    written = write_files(earlier, writers(a_csv="new a", b_csv="new b"), owned=("a.csv", "b.csv", "c.png"))
    assert written == ["a.csv", "b.csv"]
    # c.png was the earlier set's and this one has none: it goes; the user's file stays
    assert snapshot(earlier) == {"a.csv": b"new a", "b.csv": b"new b", "notes.txt": b"mine"}
    assert hidden(earlier) == []


def test_files_get_the_permissions_of_any_new_file_not_a_temporary_files(tmp_path):
    umask = os.umask(0o022)
    try:
        write_files(tmp_path, writers(a_csv="x"), owned=("a.csv",))
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644


def test_a_write_that_fails_midway_leaves_the_earlier_set_whole(earlier):
    before = snapshot(earlier)

    def full_disk(path):
        Path(path).write_text("half of b")
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(WriteError) as info:
        write_files(earlier, {**writers(a_csv="new a"), "b.csv": full_disk}, owned=("a.csv", "b.csv", "c.png"))
    assert info.value.path == earlier / "b.csv" and "No space left on device" in str(info.value)
    assert snapshot(earlier) == before
    assert hidden(earlier) == []


@pytest.mark.parametrize("failing_call", [1, 2, 4])
def test_a_rename_that_fails_during_the_commit_puts_the_earlier_set_back(earlier, monkeypatch, failing_call):
    """The commit renames each earlier file aside and each new one into place (six renames for
    three files here); whichever fails, the earlier set is back, complete."""
    before = snapshot(earlier)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)
    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(WriteError) as info:
        write_files(earlier, writers(a_csv="new a", b_csv="new b", c_png="new c"), owned=("a.csv", "b.csv", "c.png"))
    monkeypatch.undo()
    assert info.value.path.parent == earlier and info.value.path.name in ("a.csv", "b.csv", "c.png")
    assert snapshot(earlier) == before
    assert hidden(earlier) == []


def test_a_failed_commit_does_not_leave_a_file_the_earlier_set_did_not_have(tmp_path, monkeypatch):
    write_files(tmp_path, writers(b_csv="old b"), owned=("a.csv", "b.csv"))
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:            # a.csv (new) placed, b.csv set aside; then b.csv placed
            raise OSError(errno.EACCES, "Permission denied")
        return real_replace(src, dst)
    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(WriteError, match="b.csv: Permission denied"):
        write_files(tmp_path, writers(a_csv="new a", b_csv="new b"), owned=("a.csv", "b.csv"))
    monkeypatch.undo()
    assert snapshot(tmp_path) == {"b.csv": b"old b"} and hidden(tmp_path) == []


def test_an_interrupt_while_writing_leaves_the_earlier_set_and_no_temporaries(earlier):
    before = snapshot(earlier)

    def interrupted(path):
        Path(path).write_text("partial")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        write_files(earlier, {**writers(a_csv="new a"), "b.csv": interrupted}, owned=("a.csv", "b.csv", "c.png"))
    assert snapshot(earlier) == before
    assert hidden(earlier) == []


def test_a_signal_during_the_commit_waits_until_the_new_set_is_complete(earlier, monkeypatch):
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)   # Ctrl-C as in a terminal
    real_replace, seen = os.replace, []

    def replace(src, dst):
        if not seen:
            seen.append(dst)
            signal.raise_signal(signal.SIGINT)       # Ctrl-C, between the first rename and the rest
        return real_replace(src, dst)
    monkeypatch.setattr(output.os, "replace", replace)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_files(earlier, writers(a_csv="new a", b_csv="new b", c_png="new c"),
                        owned=("a.csv", "b.csv", "c.png"))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert seen
    assert snapshot(earlier) == {"a.csv": b"new a", "b.csv": b"new b", "c.png": b"new c", "notes.txt": b"mine"}
    assert hidden(earlier) == []


def test_leftovers_of_a_killed_writer_go_and_look_alikes_of_the_user_stay(earlier):
    for name in (".a.csv.0123abcd.tmp", ".c.png.89abcdef.old"):
        (earlier / name).write_text("left by a process that was killed")
    for name in (".a.csv.notes.tmp", ".other.csv.0123abcd.tmp", "a.csv.0123abcd.tmp"):
        (earlier / name).write_text("the user's")
    write_files(earlier, writers(a_csv="new a"), owned=("a.csv", "b.csv", "c.png"))
    assert hidden(earlier) == [".a.csv.notes.tmp", ".other.csv.0123abcd.tmp"]
    assert (earlier / "a.csv.0123abcd.tmp").exists()


# ---------------------------------------------------------------- the destination, before the run
def test_prepare_folder_says_what_is_wrong(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DestinationError, match=r"^-o f: expected a folder .*; got an existing file$"):
        prepare_folder(tmp_path / "file", label="-o f")
    with pytest.raises(DestinationError, match=r"cannot create the folder: .*file is a file$"):
        prepare_folder(tmp_path / "file" / "out")
    (tmp_path / "res" / "summary.json").mkdir(parents=True)
    with pytest.raises(DestinationError, match=r"summary.json is a folder, where the results file summary.json goes"):
        prepare_folder(tmp_path / "res", RUN_SET)
    # A folder it made for a run that did not happen goes again.
    created = prepare_folder(tmp_path / "new" / "deeper")
    assert created == [tmp_path / "new", tmp_path / "new" / "deeper"]
    output.remove_created(created)
    assert not (tmp_path / "new").exists()


def test_a_folder_that_cannot_be_written_is_refused_with_the_systems_reason(tmp_path, monkeypatch):
    # A read-only folder, as root sees none (root writes through chmod): creating any file in
    # it is refused, as the system would refuse it.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if Path(path).parent == locked and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(output.os, "open", open_)
    with pytest.raises(DestinationError, match=r"cannot write into the folder .*locked: permission denied$"):
        prepare_folder(locked, RUN_SET, label=f"-o {locked}")


# ---------------------------------------------------------------- on the command line
def test_run_into_an_existing_file_is_refused_before_simulating(tmp_path, tiny, capsys, no_simulation):
    (tmp_path / "taken").write_text("a file of the user's")
    assert main(["run", str(tiny), "-o", str(tmp_path / "taken"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err == f"fargatesim: -o {tmp_path / 'taken'}: expected a folder to write the results into; got an existing file\n"
    assert (tmp_path / "taken").read_text() == "a file of the user's"


def test_run_into_a_folder_it_cannot_write_is_refused_before_simulating(tmp_path, tiny, capsys, monkeypatch,
                                                                         no_simulation):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if Path(path).parent == locked and flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(output.os, "open", open_)
    assert main(["run", str(tiny), "-o", str(locked), "-q"]) == 2
    assert capsys.readouterr().err == (f"fargatesim: -o {locked}: cannot write into the folder {locked}: "
                                       "read-only file system\n")


@pytest.mark.parametrize("command", ["run", "compare", "cost"])
def test_each_command_refuses_a_folder_under_a_file_in_a_subprocess(tmp_path, command):
    (tmp_path / "taken").write_text("x")
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY)
    done = fargatesim_cli(command, tiny, "-o", "taken/out", "-q", cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert not done.traceback and done.stdout == ""
    assert done.stderr == "fargatesim: -o taken/out: cannot create the folder: taken is a file\n"
    assert done.seconds < 30          # refused up front, not after the runs


def test_a_full_disk_while_saving_is_one_message_exit_1_and_the_earlier_run_stays(tmp_path, tiny, capsys, monkeypatch):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "-o", str(out), "-q", "--no-plot", "--seed", "1"]) == 0
    capsys.readouterr()
    before = snapshot(out)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:            # summary.json set aside and replaced; then timeseries.csv
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)
    monkeypatch.setattr(output.os, "replace", replace)
    assert main(["run", str(tiny), "-o", str(out), "-q", "--no-plot", "--seed", "2"]) == 1
    monkeypatch.undo()
    printed = capsys.readouterr()
    assert printed.err.count("\n") == 1 and "Traceback" not in printed.err
    assert printed.err.startswith(f"fargatesim: results not saved: cannot write {out}/")
    assert printed.err.endswith(": No space left on device\n")
    assert "written" not in printed.out
    assert snapshot(out) == before and hidden(out) == []
    assert json.loads((out / "summary.json").read_text())["seed"] == 1


def test_no_plot_into_an_earlier_folder_removes_its_figure_and_says_what_was_written(tmp_path, tiny, capsys):
    out = tmp_path / "out"
    (out).mkdir()
    (out / "mine.txt").write_text("the user's")
    assert main(["run", str(tiny), "-o", str(out), "-q"]) == 0
    assert "overview.png" in capsys.readouterr().out and (out / "overview.png").exists()
    assert main(["run", str(tiny), "-o", str(out), "-q", "--no-plot"]) == 0
    printed = capsys.readouterr().out
    assert f"written   {out}/summary.json, timeseries.csv, events.csv\n" in printed + "\n"
    assert sorted(p.name for p in out.iterdir()) == ["events.csv", "mine.txt", "summary.json", "timeseries.csv"]


def test_a_tick_table_replacing_a_period_table_is_the_new_one_whole(tmp_path, tiny, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "-o", str(out), "-q", "--no-plot"]) == 0
    assert len(pd.read_csv(out / "timeseries.csv")) == 5
    assert main(["run", str(tiny), "-o", str(out), "-q", "--no-plot", "--resolution", "tick"]) == 0
    capsys.readouterr()
    ticks = pd.read_csv(out / "timeseries.csv")
    assert len(ticks) > 5 and ticks["t_s"].iloc[-1] < 300


def test_compare_and_cost_remove_their_own_earlier_figure_only(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("compare.png", "cost.png", "overview.png"):
        (out / name).write_bytes(b"an earlier figure")
    assert main(["compare", str(STEADY), "--seeds", "1", "--duration", "5m", "-o", str(out), "-q", "--no-plot"]) == 0
    assert capsys.readouterr().out.endswith(f"written {out}/runs.csv, table.csv\n")
    assert sorted(p.name for p in out.iterdir()) == ["cost.png", "overview.png", "runs.csv", "table.csv"]


@pytest.mark.parametrize("name", ["..", ".", "a/../..", "/tmp/elsewhere"])
def test_a_scenario_name_cannot_move_the_default_folder_out_of_results(tmp_path, name, capsys, no_simulation):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(TINY)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main(["run", str(scenario), "--set", f"name={name}", "-q"])
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"fargatesim: {scenario}: name: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_the_default_folder_guard_holds_in_a_subprocess(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(TINY)
    done = fargatesim_cli("run", "s.yaml", "--set", "name=..", "-q", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and not done.traceback, done.stderr
    assert "name" in done.message and "'..'" in done.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_a_folder_under_a_set_name_stays_and_a_file_for_it_fails_whole(earlier):
    (earlier / "d.png").mkdir()
    (earlier / "d.png" / "inside").write_text("the user's")
    write_files(earlier, writers(a_csv="new a"), owned=("a.csv", "b.csv", "c.png", "d.png"))
    assert (earlier / "d.png" / "inside").read_text() == "the user's" and hidden(earlier) == []
    before = snapshot(earlier)
    with pytest.raises(WriteError) as info:
        write_files(earlier, writers(a_csv="newer a", d_png="a figure"), owned=("a.csv", "d.png"))
    assert info.value.path == earlier / "d.png"
    assert snapshot(earlier) == before and hidden(earlier) == []

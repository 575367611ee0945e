"""The `fargatesim` command: bad input gives one clear message and exit code 2, validate accepts
every example scenario, run writes the results contract."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fargatesim.cli import build_parser, main

REPO = Path(__file__).parent.parent
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
CONTRACT_COLUMNS = [
    "t_s", "time", "offered_rps", "requests", "ok", "errors", "latency_p50_ms", "latency_p99_ms",
    "desired_count", "running_count", "pending_count", "healthy_targets", "unhealthy_targets",
    "draining_targets", "cpu_utilization", "memory_utilization", "min_capacity", "max_capacity",
]

GOOD = """\
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
target_group:
  load_balancing_algorithm_type: round_robin
"""

# name: (change to GOOD, key path in the message, words the message must hold)
BAD = {
    "malformed-yaml": (("service:\n  desired_count: 2\n", "service:\n  desired_count: 2\n   name: x\n"),
                       "", ["invalid YAML", "line 15, column 8"]),
    "unknown-key": (("  cpu_ms: 10\n", "  cpu_ms: 10\n  cpu_msx: 3\n"), "workload.cpu_msx",
                    ["unknown key 'cpu_msx'", "did you mean 'cpu_ms'", "io_ms", "timeout"]),
    "unknown-top-level-key": (("duration: 5m\n", "durration: 5m\n"), "durration",
                              ["unknown key", "did you mean 'duration'"]),
    "wrong-type": (("  cpu: 256\n", "  cpu: lots\n"), "task_definition.cpu", ["whole number", "'lots'"]),
    "wrong-type-list": (("  - constant: {rps: 50}\n", "  constant: {rps: 50}\n"), "traffic", ["list"]),
    "invalid-fargate-pair": (("  memory: 512\n", "  memory: 4096\n"), "task_definition.memory",
                             ["512, 1024, 2048", "4096"]),
    "invalid-fargate-cpu": (("  cpu: 256\n", "  cpu: 300\n"), "task_definition.cpu",
                            ["256, 512, 1024, 2048, 4096", "300"]),
    "negative-rate": (("rps: 50", "rps: -5"), "traffic[0].constant.rps", [">= 0", "-5"]),
    "unknown-choice": (("type: round_robin", "type: random"), "target_group.load_balancing_algorithm_type",
                       ["round_robin", "least_outstanding_requests", "weighted_random", "'random'"]),
    "missing-trace-file": (("constant: {rps: 50}", "trace: {file: traces/nothere.csv}"), "traffic[0].trace.file",
                           ["nothere.csv", "not found"]),
    "malformed-trace-file": (("constant: {rps: 50}", "trace: {file: bad-trace.csv}"), "traffic[0].trace.file",
                             ["bad-trace.csv", "line 3"]),
}


def write_bad(tmp_path, name):
    (old, new), key_path, words = BAD[name]
    assert old in GOOD
    path = tmp_path / f"{name}.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    (tmp_path / "bad-trace.csv").write_text("time_s,requests\n0,5\n1,five\n2,7\n")
    return path, key_path, words


def check_one_message(err: str, path, key_path: str, words) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    line = lines[0]
    assert "Traceback" not in err
    assert line.startswith(f"fargatesim: {path}: ")
    if key_path:
        assert f"{path}: {key_path}: " in line
    for word in words:
        assert word in line, (word, line)
    return line


def test_the_good_file_is_valid(tmp_path, capsys):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert out.err == "" and "ok" in out.out


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gives_one_message_and_exit_code_2(tmp_path, capsys, name, command):
    path, key_path, words = write_bad(tmp_path, name)
    out_dir = tmp_path / "out"
    argv = ["validate", str(path)] if command == "validate" else ["run", str(path), "-o", str(out_dir), "-q"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    check_one_message(captured.err, path, key_path, words)
    assert captured.out == ""
    assert not out_dir.exists()


def test_missing_scenario_file(tmp_path, capsys):
    path = tmp_path / "nope.yaml"
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
    check_one_message(capsys.readouterr().err, path, "", ["not found"])


def test_bad_duration_override(tmp_path, capsys):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--duration", "soon"]) == 2
    check_one_message(capsys.readouterr().err, path, "duration", ["'soon'", "90s"])


def test_bad_arguments_exit_2_with_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "usage:" in err and "SCENARIO" in err
    with pytest.raises(SystemExit) as info:
        main(["simulate", "x.yaml"])
    assert info.value.code == 2


@pytest.mark.parametrize("name", ["malformed-yaml", "malformed-trace-file"])
def test_bad_input_as_a_subprocess_prints_no_traceback(tmp_path, name):
    path, key_path, words = write_bad(tmp_path, name)
    proc = subprocess.run([sys.executable, "-m", "fargatesim.cli", "run", path.name, "-o", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    check_one_message(proc.stderr, path.name, key_path, words)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- validate and run
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_validate_accepts_every_example_scenario(scenario, capsys):
    assert main(["validate", str(scenario)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.startswith(f"{scenario}: ok")


def check_results_dir(out: Path, duration_s: int) -> dict:
    for name in ("summary.json", "timeseries.csv", "events.csv", "overview.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert len(ts) == duration_s // 60 and ts["t_s"].iloc[-1] == duration_s - 60
    assert int(ts["requests"].sum()) == summary["requests"]["total"]
    events = pd.read_csv(out / "events.csv")
    assert list(events.columns) == ["t_s", "time", "kind", "subject", "detail"]
    assert summary["duration_s"] == duration_s
    for key in ("scenario", "seed", "engine", "requests", "in_flight_at_end", "latency_ms", "tasks",
                "cpu_utilization", "memory_utilization", "scaling", "slo", "cost"):
        assert key in summary, key
    return summary


def test_run_writes_the_results_contract_and_prints_the_summary(tmp_path, capsys):
    scenario = REPO / "scenarios" / "steady-web-api.yaml"
    out = tmp_path / "results"
    assert main(["run", str(scenario), "-o", str(out), "--duration", "30m", "--json"]) == 0
    printed = capsys.readouterr()
    summary = check_results_dir(out, 1800)
    assert json.loads(printed.out) == summary
    assert summary["scenario"] == "steady-web-api"


def test_run_as_a_subprocess_prints_only_json(tmp_path):
    scenario = REPO / "scenarios" / "unhealthy-task-replacement.yaml"
    proc = subprocess.run([sys.executable, "-m", "fargatesim.cli", "run", str(scenario), "-o", "res",
                           "--duration", "30m", "--seed", "3", "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = check_results_dir(tmp_path / "res", 1800)
    assert json.loads(proc.stdout) == summary and summary["seed"] == 3


def test_help_mentions_the_examples(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "fargatesim run" in text and "fargatesim validate" in text
    assert "exit codes" in text
    assert "fargatesim examples reference" in text and "fargatesim init" in text
    for command in ("run", "validate"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "SCENARIO" in capsys.readouterr().out


def test_help_names_examples_that_exist_and_no_repository_path(capsys):
    """An installed fargatesim has no scenarios/ or docs/ folder: help points at example:NAME."""
    from fargatesim.examples import find
    commands = [[], *([name] for name in build_parser()._subparsers._group_actions[0].choices)]
    mentioned = set()
    for command in commands:
        with pytest.raises(SystemExit) as info:
            main([*command, "--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert not re.search(r"(?<![\w-])(scenarios|docs)/", text), (command, text)
        mentioned |= set(re.findall(r"example:([\w/.-]*\w)", text))
    assert {"checkout-api", "steady-web-api", "spaces/checkout-target-and-floor"} <= mentioned
    for name in mentioned - {"NAME", "spaces/NAME"}:
        find(name)                 # raises UnknownExample for a name that is no example's


def test_run_of_a_service_without_tasks_succeeds(tmp_path, capsys):
    """desired_count 0 from a cold start: no request is ever answered ok (all ELB 503), which
    is a valid outcome to report, not a crash."""
    path = tmp_path / "empty.yaml"
    path.write_text(GOOD.replace("  desired_count: 2\n", "  desired_count: 0\n  cold_start: true\n"))
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--json", "--no-plot"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests"]["errors"]["elb_503"] == summary["requests"]["total"] > 0
    assert summary["requests"]["ok"] == 0


def test_run_set_changes_the_scenario_repeatably(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    out = tmp_path / "out"
    assert main(["run", str(path), "-o", str(out), "--json", "--no-plot",
                 "--set", "service.desired_count=5", "--set", "traffic[0].constant.rps=120"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tasks"]["min_running"] == summary["tasks"]["max_running"] == 5
    ts = pd.read_csv(out / "timeseries.csv")
    assert (ts["offered_rps"] == 120).all()


def test_run_set_with_a_misspelt_key_names_it_and_exits_2(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    assert main(["run", str(path), "--no-plot", "--set", "service.desired_cont=5"]) == 2
    err = capsys.readouterr().err
    assert "service.desired_cont" in err and "did you mean 'desired_count'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("quiet", [False, True])
def test_run_shows_progress_on_a_terminal_unless_quiet(tmp_path, capsys, monkeypatch, quiet):
    from fargatesim import cli
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    clock = iter(range(0, 100000, 2))                  # every look at the clock: 2 s later
    monkeypatch.setattr(cli.time, "monotonic", lambda: float(next(clock)))
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--no-plot"] + (["-q"] if quiet else [])) == 0
    err = capsys.readouterr().err
    if quiet:
        assert "simulating" not in err
    else:
        assert "simulating tiny [" in err and "100.0%" in err and err.rstrip().endswith("left")
        # No estimate from the first tenth of the run, one from then on.
        assert "0.0% " in err and "estimating time left" in err and "s left" in err


def test_an_interrupt_mid_run_is_one_line_exit_130_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    from fargatesim.engine import Simulation

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(Simulation, "run", interrupted)
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    assert main(["run", str(path), "-o", str(tmp_path / "a" / "b"), "-q"]) == 130
    assert capsys.readouterr().err == "fargatesim: interrupted by SIGINT\n"
    assert not (tmp_path / "a").exists()          # the folders made for the run went with it


def test_main_hands_signals_back_as_it_found_them(tmp_path, capsys):
    import signal
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    assert main(["validate", str(path)]) == 0
    assert {s: signal.getsignal(s) for s in before} == before
    capsys.readouterr()

"""Hostile and careless input (issue 12, items 4 and 6 to 9): every case ends fast, with exit
code 2 and one message naming the file, the key path and what was expected; never a traceback,
a hang or gigabytes of memory.

Most cases run in ONE process under the time and memory limits of tests/hostile.py: a runner
validates each file in turn and prints one JSON line per case, so the corpus costs one
interpreter start, not forty. A few run as the real command (`python -m fargatesim.cli`) end to
end. The files are in tests/data/hostile/ or written into tmp_path (special files: a FIFO, a
folder, /dev/zero; and files too large to keep in the repository).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargatesim.cli import main, parse_sets
from fargatesim.scenario import (ScenarioError, ScenarioWarning, check_memory, estimate_memory, load_scenario,
                                 read_value, scenario_from_dict, warnings_for)
from fargatesim.scenario.loader import MAX_FILE_BYTES
from hostile import MEMORY_LIMIT_BYTES, REPO, _limits, fargatesim_cli

DATA = Path(__file__).parent / "data" / "hostile"

BASE = """\
name: hostile
duration: 10m
traffic:
  - constant: {rps: 100}
workload: {cpu_ms: 10}
task_definition:
  cpu: 1024
  memory: 2048
  container_definitions: [{name: app, port_mappings: [{container_port: 8080}]}]
service: {desired_count: 4}
"""


def variant(**lines: str) -> str:
    """BASE with top-level keys replaced (or added): variant(duration="1000d")."""
    kept = [line for line in BASE.splitlines() if line.split(":")[0] not in lines or line.startswith(" ")]
    text = "\n".join(kept) + "\n" + "".join(f"{key}: {value}\n" for key, value in lines.items())
    if "traffic" in lines:
        text = text.replace("  - constant: {rps: 100}\n", "")
    return text


def alarm_with(expression: str) -> str:
    return BASE + f"""alarms:
  - alarm_name: big
    comparison_operator: GreaterThanThreshold
    threshold: 1
    metrics:
      - id: m1
        metric_stat: {{metric: {{namespace: AWS/ECS, metric_name: CPUUtilization}}, period: 60, stat: Average}}
        return_data: false
      - id: e1
        expression: "{expression}"
"""


# name: (file name, its content (None: a special file made below), key path ("" when the
# message gives a line and column instead), words the message holds, words it must not hold)
CASES = {
    # item 7: hostile files
    "billion laughs": ("@billion-laughs.yaml", None, "", ["line 3", "more than 131,072 values", "aliases"], []),
    "recursive alias": ("@recursive-alias.yaml", None, "", ["line 3", "contains itself"], []),
    "5,000-deep nesting": ("@deep-flow.yaml", None, "", ["line 3", "nesting"], []),
    "100-deep block nesting": ("@deep-block.yaml", None, "", ["nesting deeper than 64 levels"], []),
    "not UTF-8": ("@not-utf8.yaml", None, "", ["UTF-8", "byte 9"], []),
    "5,000-digit number": ("@huge-int.yaml", None, "", ["line 2", "as int", "4300 digits"], []),
    "February 30th": ("@feb-30.yaml", None, "", ["line 2", "day is out of range"], []),
    "two documents": ("@two-documents.yaml", None, "", ["single document"], []),
    "a Python tag": ("@python-tag.yaml", None, "", ["could not determine a constructor"], []),
    "a FIFO as the scenario": ("fifo.yaml", None, "", ["expected a YAML file", "named pipe"], []),
    "a folder as the scenario": ("folder.yaml", None, "", ["expected a YAML file", "a folder"], []),
    "/dev/zero as the scenario": ("/dev/zero", None, "", ["expected a YAML file", "a device"], []),
    "an oversized file": ("big.yaml", BASE + "#" * MAX_FILE_BYTES + "\n", "", ["at most 256 KiB"], []),
    "a 50,000-term alarm expression": ("alarm.yaml", alarm_with("+".join(["m1"] * 50_000)),
                                       "alarms[0].metrics[1].expression", ["at most 2,048 characters", "149,999"],
                                       []),
    "a 2,040-deep alarm expression": ("alarm2.yaml", alarm_with("-" * 2040 + "m1"), "alarms[0].metrics[1].expression",
                                      ["nested at most 100 levels"], []),
    "a 110,000-value text (aliases) where text is expected": (
        "wide.yaml", variant(description="[&r [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" + ", *r" * 9_999 + "]"),
        "description", ["expected text", "[[0, 1, 2"], []),
    "an unknown key of 100,000 characters": ("key.yaml", BASE + "? " + "k" * 100_000 + "\n: 1\n", "k" * 61 + "...",
                                             ["unknown key", "allowed keys here"], []),
    # item 6: bounds
    "desired_count 1,000,000": ("dc.yaml", variant(service="{desired_count: 1000000}"), "service.desired_count",
                                ["0 to 5,000", "Amazon ECS quota of tasks per service", "1000000"], []),
    "duration 1000d": ("d1000.yaml", variant(duration="1000d"), "duration", ["455 days", "CloudWatch", "'1000d'"], []),
    "duration 1e308": ("d308.yaml", variant(duration="1e308"), "duration", ["455 days", "1e+308"], []),
    "a start in 9999 plus 2 h": ("start.yaml", variant(duration="2h", start="9999-12-31T22:00:00Z"), "start",
                                 ["year 9999", "9999-12-31T22:00:00"], []),
    "tick 1e-300": ("tick.yaml", variant(tick="1e-300"), "tick", ["2,147,483,647 ticks", "larger tick"], []),
    "rps 1e19": ("rps19.yaml", variant(traffic="[{constant: {rps: 1e19}}]"), "traffic[0].constant.rps",
                 ["2^53", "1e+19"], []),
    "rps 1e17 (a silent overflow before)": ("rps17.yaml", variant(traffic="[{constant: {rps: 1e17}}]"),
                                           "traffic[0].constant.rps", ["at most 1.501e+13", "2^53"], []),
    "a spike at 1e308": ("spike.yaml", variant(traffic="[{spike: {at: 1e308, peak_rps: 5}}]"),
                         "traffic[0].spike.at", ["455 days"], []),
    "a request timeout of 1e300 s": ("timeout.yaml", variant(workload="{cpu_ms: 10, timeout: 1e300}"),
                                     "workload.timeout", ["455 days"], []),
    "a request timeout beyond the ALB's": ("timeout2.yaml", variant(workload="{cpu_ms: 10, timeout: 2h}"),
                                           "workload.timeout", ["4,000 s", "Application Load Balancer"], []),
    "websocket messages beyond any task's CPU": (
        "ws.yaml", variant(workload="{kind: websocket, websocket: {connection_duration: 30m, messages_per_second: 1e15, "
                                    "cpu_ms_per_message: 0.5}}"),
        "workload.websocket.messages_per_second", ["16 vCPU", "largest Fargate task"], []),
    "1e300 MiB held per request": ("mem.yaml", variant(workload="{cpu_ms: 10, memory_mb_per_request: 1e300}"),
                                   "workload.memory_mb_per_request", ["122,880 MiB"], []),
    "cpu_ms with cv 1e300": ("cv.yaml", variant(workload="{cpu_ms: {distribution: lognormal, mean: 10, cv: 1e300}}"),
                             "workload.cpu_ms.cv", ["cv <= 100"], []),
    "a trace count of 1e308": ("t308.yaml", variant(traffic=f"[{{trace: {{file: {DATA / 'trace-1e308.csv'}}}}}]"),
                               "traffic[0].trace.file", ["2^53", "line 2"], []),
    "a trace of nanosecond bins": ("tns.yaml", variant(traffic=f"[{{trace: {{file: {DATA / 'trace-tiny-bins.csv'}}}}}]"),
                                   "traffic[0].trace.scale", ["2^53"], []),
    # item 7: trace files that are not files, or not traces
    "a trace that is a folder": ("tdir.yaml", variant(traffic="[{trace: {file: folder.yaml}}]"),
                                 "traffic[0].trace.file", ["got a folder"], ["not found"]),
    "a trace that is a FIFO": ("tfifo.yaml", variant(traffic="[{trace: {file: fifo.yaml}}]"),
                               "traffic[0].trace.file", ["named pipe"], ["not found"]),
    "a trace that is /dev/zero": ("tzero.yaml", variant(traffic="[{trace: {file: /dev/zero}}]"),
                                  "traffic[0].trace.file", ["a device"], ["not found"]),
    "a trace that is someone's password file": (
        "tshadow.yaml", variant(traffic=f"[{{trace: {{file: {DATA / 'not-a-trace.txt'}}}}}]"), "traffic[0].trace.file",
        ["header 'time_s,requests' on line 1", "1 comma-separated field"], ["FAKE-SECRET", "root", "daemon"]),
    # item 9: pricing
    "an unknown pricing.region": ("region.yaml", variant(pricing="{region: us-east-7}"), "pricing.region",
                                  ["price table", "us-east-1", "did you mean 'us-east-1'"], []),
    # item 4: the name is the results folder
    "name ..": ("dots.yaml", variant(name="'..'"), "name", ["results/<name>", "current folder"], []),
    "name .": ("dot.yaml", variant(name="'.'"), "name", ["results/<name>"], []),
    "a name that is a path": ("path.yaml", variant(name="a/../../b"), "name", ["not a path", "'a/../../b'"], []),
    "a Windows path": ("win.yaml", variant(name="'..\\\\evil'"), "name", ["not a path"], []),
    "an empty name": ("empty.yaml", variant(name="''"), "name", ["got nothing"], []),
    "a name of 300 characters": ("long.yaml", variant(name="n" * 300), "name", ["at most 200 characters", "got 300"],
                                 []),
}

# Each case, in the runner's process: it ends within this (the runner's whole budget is larger).
CASE_SECONDS = 2.0

RUNNER = r"""
import io, json, signal, sys, time, traceback
from contextlib import redirect_stderr, redirect_stdout
from fargatesim.cli import main

class Hung(Exception):
    pass

def alarm(signum, frame):
    raise Hung()

signal.signal(signal.SIGALRM, alarm)
# The imports and the models' first use are the interpreter's, not a case's: done once first.
with redirect_stderr(io.StringIO()), redirect_stdout(io.StringIO()):
    main(["validate", sys.argv[1]])
for line in sys.stdin:
    name, path = json.loads(line)
    err, out = io.StringIO(), io.StringIO()
    t0 = time.monotonic()
    signal.alarm(10)
    try:
        with redirect_stderr(err), redirect_stdout(out):
            code = main(["validate", path])
    except Hung:
        code, err = -9, io.StringIO("hung: stopped after 10 s")
    except BaseException:
        code = -1
        err.write(traceback.format_exc())
    finally:
        signal.alarm(0)
    print(json.dumps({"name": name, "code": code, "stderr": err.getvalue(), "seconds": time.monotonic() - t0}),
          flush=True)
"""


def _make(tmp_path: Path) -> dict[str, str]:
    """Write the corpus; name -> the path validate is given."""
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    paths = {}
    for name, (file, content, *_) in CASES.items():
        if file.startswith("@"):
            paths[name] = str(DATA / file[1:])
        elif file.startswith("/"):
            paths[name] = file
        else:
            if content is not None:
                (tmp_path / file).write_text(content)
            paths[name] = file     # relative: messages name the file as the user gave it
    return paths


def test_every_hostile_file_ends_fast_with_one_message_and_exit_2(tmp_path):
    paths = _make(tmp_path)
    environ = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    t0 = time.monotonic()
    (tmp_path / "good.yaml").write_text(BASE)
    proc = subprocess.run([sys.executable, "-c", RUNNER, "good.yaml"], cwd=tmp_path, env=environ, text=True,
                          input="".join(json.dumps([name, path]) + "\n" for name, path in paths.items()),
                          capture_output=True, timeout=120, preexec_fn=_limits(MEMORY_LIMIT_BYTES, 115))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["name"]: r for r in map(json.loads, proc.stdout.splitlines())}
    problems = []
    for name, (file, _, path, words, absent) in CASES.items():
        r = results.get(name)
        if r is None:
            problems.append(f"{name}: no result")
            continue
        lines = [line for line in r["stderr"].splitlines() if line.strip()]
        message = lines[-1] if lines else ""
        shown_file = paths[name]
        where = f"fargatesim: {shown_file}: {path}: " if path else f"fargatesim: {shown_file}: "
        wrong = []
        if r["code"] != 2:
            wrong.append(f"exit {r['code']}")
        if "Traceback" in r["stderr"] or len(lines) != 1:
            wrong.append(f"{len(lines)} lines")
        if not message.startswith(where):
            wrong.append(f"does not start {where!r}")
        wrong += [f"lacks {w!r}" for w in words if w not in message]
        wrong += [f"shows {w!r}" for w in absent if w in message]
        if len(message) > 600:
            wrong.append(f"{len(message)} characters long")
        if r["seconds"] > CASE_SECONDS:
            wrong.append(f"took {r['seconds']:.1f} s")
        if wrong:
            problems.append(f"{name}: {'; '.join(wrong)}\n    {r['stderr'][-600:]}")
    assert not problems, "\n".join(problems)
    assert time.monotonic() - t0 < 60


# ---------------------------------------------------------------------- the real command
@pytest.mark.parametrize("args, words", [
    (["validate", DATA / "billion-laughs.yaml"], ["billion-laughs.yaml", "131,072 values"]),
    (["validate", "/dev/zero"], ["/dev/zero: expected a YAML file; got a device"]),
])
def test_the_command_ends_fast_on_a_hostile_file(args, words):
    done = fargatesim_cli(*args, timeout=30)
    assert done.returncode == 2 and not done.traceback, done.stderr
    assert all(w in done.message for w in words), done.message
    assert done.seconds < 15        # an interpreter start and the imports, then nothing


def test_a_fifo_scenario_does_not_hang_the_command(tmp_path):
    os.mkfifo(tmp_path / "s.yaml")
    done = fargatesim_cli("validate", "s.yaml", cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and not done.traceback and "named pipe" in done.message, done.stderr


def test_a_run_too_large_for_memory_is_refused_before_it_starts(tmp_path):
    # 400 days at 1 s ticks is valid, but 35 million ticks need tens of GB: the run is refused
    # at once with what to change, not after minutes of allocation ending in MemoryError.
    (tmp_path / "long.yaml").write_text(variant(duration="400d"))
    done = fargatesim_cli("run", "long.yaml", "--no-plot", "-q", "-o", tmp_path / "out", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and not done.traceback, done.stderr
    assert done.message.startswith("fargatesim: long.yaml: tick: this run needs about ") and "GB of memory" in done.message
    assert "a tick of at least" in done.message
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------- the memory estimate
def _load(text: str, tmp_path: Path, **overrides):
    (tmp_path / "s.yaml").write_text(text)
    return load_scenario(tmp_path / "s.yaml", overrides=overrides or None)


def test_memory_check_names_what_to_change(tmp_path):
    s = _load(variant(duration="100d"), tmp_path)
    need = estimate_memory(s)
    assert need.ticks == 8_640_000
    with pytest.raises(ScenarioError) as info:
        check_memory(s, available=(need.total // 4, "a test's budget"))
    e = info.value
    budget = f"a test's budget is {need.total // 4 / 2**30:.1f} GB"
    assert e.path == "tick" and budget in e.message and "8,640,000 ticks of 1 s" in e.message
    # the tick it advises fits, and is no more than a little above what is needed
    tick = float(re.search(r"a tick of at least ([0-9.]+) s", e.message).group(1))
    assert 4 <= tick <= 6
    assert check_memory(s.with_changes({"tick": tick}), available=(need.total // 4, "a test's budget"))
    # more memory than any tick can save: a shorter duration
    with pytest.raises(ScenarioError) as info:
        check_memory(s, available=(200 << 20, "a test's budget"))
    assert info.value.path == "duration" and "shorter duration" in info.value.message


def test_memory_check_points_the_request_engine_at_its_requests(tmp_path):
    s = _load(variant(duration="30d", engine="requests"), tmp_path)
    need = estimate_memory(s)
    assert need.requests == pytest.approx(100 * 30 * 86400 * 64, rel=1e-6)
    with pytest.raises(ScenarioError) as info:
        check_memory(s, available=(need.total // 2, "a test's budget"))
    assert info.value.path == "engine" and "use engine fluid" in info.value.message


def test_every_example_scenario_fits_a_small_machine():
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        assert check_memory(load_scenario(path), available=(4 << 30, "4 GB")).total < 2 << 30, path.name


# The run's own peak: VmHWM belongs to the process's memory since it started this program
# (Linux keeps ru_maxrss across exec, so a child of a large pytest worker would report the
# worker's peak); ru_maxrss where there is no /proc.
MEASURE = r"""
import resource, sys
from fargatesim.cli import main
code = main(sys.argv[1:])
try:
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) * 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(code, peak)
"""


@pytest.mark.parametrize("overrides", [
    ["--duration", "3d"],                                                                     # ticks
    ["--duration", "30m", "--engine", "requests", "--set", "traffic[0].constant.rps=1500",
     "--set", "service.desired_count=40"],                                                  # requests
])
def test_the_estimate_is_above_what_a_run_takes(tmp_path, overrides):
    (tmp_path / "s.yaml").write_text(BASE)
    args = ["run", "s.yaml", "-q", "--no-plot", "-o", "out", *overrides]
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    # The estimate is of the run's data, not of compiling the data plane's kernels: a first run
    # on a fresh clone compiles them (about 45 MB more at its peak) and caches them on disk, and
    # which test of the suite runs first depends on how the workers share it out. A minute-long
    # run of the same engine compiles them, so the measured run does not.
    warm = list(args)
    warm[warm.index("--duration") + 1] = "60s"
    subprocess.run([sys.executable, "-c", MEASURE, *warm], cwd=tmp_path, capture_output=True, env=env, timeout=120)
    proc = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)
    code, peak = map(int, proc.stdout.split()[-2:])
    assert code == 0, proc.stderr
    pairs = list(zip(overrides[::2], overrides[1::2]))
    changes = parse_sets([v for k, v in pairs if k == "--set"])
    changes.update({k[2:]: v for k, v in pairs if k != "--set"})
    s = load_scenario(tmp_path / "s.yaml", overrides=changes)
    estimate = estimate_memory(s).total
    assert peak < estimate < 2.5 * peak, (peak >> 20, estimate >> 20)


# ---------------------------------------------------------------------- item 8: one reader
@pytest.mark.parametrize("text, value", [
    ("14:00", "14:00"),        # YAML 1.1 would read 840 (base 60)
    ("010", "010"),            # YAML 1.1: octal 8; validated as an integer it is 10
    ("1e3", 1000.0),           # YAML 1.1: the string '1e3'
    ("0x10", 16), ("[1, 2]", [1, 2]), ("{a: 1}", {"a": 1}), ("", None), ("yes", True),
])
def test_a_set_value_reads_as_the_same_text_in_a_file(tmp_path, text, value):
    assert read_value(text, key="k") == value
    assert parse_sets([f"k={text}"]) == {"k": value}
    # and as the value of a key in a scenario file
    from fargatesim.scenario.loader import _parse
    assert _parse(f"k: {text}\n", None) == {"k": value}


def test_set_and_file_mean_the_same(tmp_path):
    diurnal = "[{diurnal: {mean_rps: 100, peak_at: '09:00'}}]"
    from_file = _load(variant(traffic=diurnal, service="{desired_count: 010}"), tmp_path)
    (tmp_path / "t.yaml").write_text(variant(traffic=diurnal))
    overrides = parse_sets(["traffic[0].diurnal.peak_at=14:00", "service.desired_count=010"])
    from_set = load_scenario(tmp_path / "t.yaml", overrides=overrides)
    assert from_set.service.desired_count == from_file.service.desired_count == 10
    assert from_set.traffic[0].peak_at == 14 * 3600.0


def test_a_set_value_that_is_not_yaml_names_the_key():
    with pytest.raises(ScenarioError) as info:
        parse_sets(["service.desired_count=[1,"])
    assert info.value.path == "--set service.desired_count" and "invalid YAML" in info.value.message
    with pytest.raises(ScenarioError, match="131,072 values"):
        read_value(open(DATA / "billion-laughs.yaml").read(), key="description")


# ---------------------------------------------------------------------- item 9: warnings
def test_idle_faults_are_warned_about_once(tmp_path):
    faults = "[{type: task_crash, at: 2h}, {type: spot_interruption, at: 60}, {type: task_unhealthy, at: 5m}]"
    s = _load(variant(faults=faults), tmp_path)
    found = warnings_for(s)
    assert [w.path for w in found] == ["faults[0].at", "faults[1].type"]
    assert "7200 s, at or after the end of the run (600 s)" in found[0].message
    assert "no task runs on FARGATE_SPOT" in found[1].message
    assert all(w.file == str(tmp_path / "s.yaml") for w in found)
    # `fargatesim cost` runs spot_interruption faults on a Spot mix of its own
    assert [w.path for w in warnings_for(s, spot_mix=True)] == ["faults[0].at"]
    # validation itself warns of nothing, so variants (with_changes) never repeat a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        s.with_changes({"seed": 3})
        _load(variant(faults=faults), tmp_path)


def test_spot_interruptions_of_spot_tasks_are_not_warned_about(tmp_path):
    service = "{desired_count: 4, capacity_provider_strategy: [{capacity_provider: FARGATE_SPOT, weight: 1}]}"
    s = _load(variant(service=service, faults="[{type: spot_interruption, rate_per_task_hour: 0.1}]"), tmp_path)
    assert warnings_for(s) == []


def test_validate_prints_warnings_and_exits_0(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(variant(faults="[{type: az_outage, at: 1h, duration: 5m}]"))
    assert main(["validate", str(tmp_path / "s.yaml")]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "faults[0].at" in err and "never happens" in err


# ---------------------------------------------------------------------- item 4 and 9 in-process
def test_a_valid_name_with_dots_is_still_a_name():
    data = load_scenario(DATA.parent.parent.parent / "scenarios" / "steady-web-api.yaml").to_dict()
    assert scenario_from_dict({**data, "name": "web-api.v2_final"}).name == "web-api.v2_final"
    assert scenario_from_dict({**data, "name": "..."}).name == "..."   # a name, not a way out


# ---------------------------------------------------------------------- anything YAML can say
# Scalars as YAML spells them, of every type the safe loader builds and then some it refuses.
SCALARS = [
    "0", "-1", "7", "010", "0x1F", "0o17", "1_000", "9" * 30, "1.5", "-0.0", "1e308", "1e309", "-.inf", ".nan",
    "true", "no", "yes", "~", "null", "''", "'text'", '"a\\nb"', "14:00", "2026-01-05", "2026-02-30",
    "2026-01-05T10:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01", "!!binary aGVsbG8=", "5m", "1h30m", "-3s",
    "250ms", "us-east-1", "FARGATE_SPOT", "round_robin", "lognormal", "constant", "..", "a/b", "!!str 12",
    "!!int '3'", "!!float x", "!!set {a, b}", "!!omap [a: 1]", "!!python/name:os.system", "!!timestamp 2026-13-01",
    "'" + "x" * 300 + "'",
]
KEYS = ["name", "duration", "start", "seed", "tick", "engine", "traffic", "arrivals", "workload", "task_definition",
        "service", "target_group", "autoscaling", "alarms", "faults", "actions", "jobs", "slo", "pricing",
        "cloudwatch", "constant", "rps", "diurnal", "spike", "trace", "file", "cpu", "memory", "desired_count",
        "container_definitions", "type", "at", "count", "region", "distribution", "mean", "cv", "x", "1", "~"]


@st.composite
def yaml_documents(draw):
    """YAML text (flow style) with anchors on some values and aliases back to them."""
    anchors: list[str] = []

    def node(depth: int) -> str:
        kind = draw(st.sampled_from(["scalar", "scalar", "alias", "list", "map"] if depth < 5 else ["scalar"]))
        if kind == "alias" and anchors:
            return "*" + draw(st.sampled_from(anchors))
        if kind == "list":
            text = "[" + ", ".join(node(depth + 1) for _ in range(draw(st.integers(0, 4)))) + "]"
        elif kind == "map":
            keys = draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True))
            text = "{" + ", ".join(f"{k}: {node(depth + 1)}" for k in keys) + "}"
        else:
            text = draw(st.sampled_from(SCALARS))
            if text.startswith("!!") or not draw(st.booleans()):
                return text
        if draw(st.integers(0, 3)) == 0:
            anchors.append(f"a{len(anchors)}")
            return f"&{anchors[-1]} {text}"
        return text

    if draw(st.booleans()):
        return node(0)
    # a valid scenario with one value replaced: the errors deep inside, not only at the top
    key = draw(st.sampled_from(["name", "duration", "traffic", "workload", "task_definition", "service", "tick",
                                "start", "faults", "alarms", "pricing", "seed", "engine", "autoscaling"]))
    return variant(**{key: node(1)})


class _TookTooLong(Exception):
    pass


def _too_long(signum, frame):
    raise _TookTooLong()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=yaml_documents())
def test_validate_of_any_yaml_is_exit_0_or_2_and_one_message(tmp_path, capsys, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text)
    previous = signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(5)
    try:
        code = main(["validate", str(path)])
    except _TookTooLong:
        pytest.fail(f"validate took more than 5 s on:\n{text[:2000]}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines[0].startswith(f"fargatesim: {path}"), err
        # One message: a line, or a line counting the problems and one indented line for each.
        assert len(lines) == 1 or (lines[0].endswith(f"{len(lines) - 1} problems:")
                                   and all(line.startswith("  ") for line in lines[1:])), err
        assert all(len(line) < 1500 for line in lines), lines[0][:300]
    else:
        assert out.startswith(f"{path}: ok")


# ---------------------------------------------------------------------- many tasks
def test_task_counts_kept_as_states_change_equal_a_count_of_every_task(tmp_path):
    # The service keeps its counts by state and provider as tasks change state (counting every
    # task at every event made 5,000 tasks quadratic); they must equal a count of every task,
    # through launches, Spot interruptions, crashes, a deployment and scale-in.
    from fargatesim.ecs.task import TaskState
    from fargatesim.engine import Simulation
    service = ("{desired_count: 12, capacity_provider_strategy: [{capacity_provider: FARGATE, base: 2, weight: 1}, "
               "{capacity_provider: FARGATE_SPOT, weight: 3}]}")
    faults = "[{type: spot_interruption, rate_per_task_hour: 6}, {type: task_crash, mtbf: 5m}]"
    actions = "[{type: deploy, at: 3m}, {type: set_desired_count, at: 7m, value: 5}]"
    s = _load(variant(service=service, faults=faults, actions=actions), tmp_path)
    sim = Simulation(s)
    counted = sim.service.counts
    seen = []

    def checked():
        fast = counted()
        running = {"FARGATE": 0, "FARGATE_SPOT": 0}
        pending = 0
        for t in sim.service.active():
            if t.state in (TaskState.RUNNING, TaskState.DEACTIVATING):
                running[t.capacity_provider] += 1
            elif t.state in (TaskState.PROVISIONING, TaskState.PENDING, TaskState.ACTIVATING):
                pending += 1
        slow = {"desired_count": sim.service.desired_count, "running_count": sum(running.values()),
                "pending_count": pending, "running_fargate": running["FARGATE"],
                "running_fargate_spot": running["FARGATE_SPOT"]}
        assert fast == slow and list(fast) == list(slow), (sim.env.now, fast, slow)
        seen.append(fast)
        return fast

    sim.service.counts = checked
    sim.run()
    assert len(seen) > 50
    assert {c["running_fargate_spot"] for c in seen} - {0} and max(c["pending_count"] for c in seen) > 0
    assert sim.service.desired_count == 5


def test_anchors_and_aliases_a_scenario_needs_still_work(tmp_path):
    text = variant(traffic="[{spike: &s {at: 60, peak_rps: 10, rise: 30}}, {spike: {<<: *s, at: 300}}]",
                   service="{desired_count: &n 3}", seed="*n")
    s = _load(text, tmp_path)
    assert [c.at for c in s.traffic] == [60.0, 300.0] and s.traffic[1].rise == 30 and s.seed == 3


def test_memory_check_counts_the_runs_made_at_once(tmp_path):
    s = _load(variant(duration="10d"), tmp_path)
    one = estimate_memory(s).total
    budget = (int(one * 2.5), "a test's budget")
    assert check_memory(s, available=budget, at_once=2).total == one
    with pytest.raises(ScenarioError) as info:
        check_memory(s, available=budget, at_once=4)
    assert "4 runs at once" in info.value.message and "use --jobs 2 or fewer" in info.value.message

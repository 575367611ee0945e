"""Comparing variants: Scenario.with_changes, common random numbers across variants, serial and
parallel runs giving the same tables, the tables' definitions, the figure and `fargatesim compare`."""
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

import fargatesim
from fargatesim.cli import main
from fargatesim.plots.comparison import comparison_figure
from fargatesim.scenario import ScenarioError, load_scenario
from fargatesim.slo import minutes_outside_slo
from fargatesim.studies.compare import (METRICS, RUN_COLUMNS, TABLE_COLUMNS, compare, recovery_minutes,
                                        variant_labels)

REPO = Path(__file__).parent.parent
STANDARD = REPO / "scenarios" / "spike-5x-standard-metrics.yaml"
HIGH_RES = REPO / "scenarios" / "spike-5x-high-resolution-metrics.yaml"
TARGET = "autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value"
SHORT = {"duration": "45m"}          # the spike starts at 30 min: 15 minutes of it


def _flat(data, prefix=""):
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else k))
        return out
    if isinstance(data, list):
        out = {}
        for i, v in enumerate(data):
            out.update(_flat(v, f"{prefix}[{i}]"))
        return out
    return {prefix: data}


@pytest.fixture(scope="module")
def base():
    return load_scenario(STANDARD, overrides=SHORT)


@pytest.fixture(scope="module")
def knob_variants(base):
    """Two variants that differ only in a scaling knob (the target tracking target)."""
    return [base, base.with_changes({TARGET: 75})]


@pytest.fixture(scope="module")
def serial(knob_variants):
    return compare(knob_variants, seeds=3, jobs=1)


# ---------------------------------------------------------------- Scenario.with_changes
def test_with_changes_changes_exactly_that_key(base):
    changed = base.with_changes({TARGET: 65})
    assert changed.autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value == 65
    assert base.autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value == 50
    before, after = _flat(base.to_dict()), _flat(changed.to_dict())
    assert before.keys() == after.keys()
    assert {k for k in before if before[k] != after[k]} == {TARGET}
    # Where it came from stays, so trace files resolve and errors name the file.
    assert changed.source == base.source and changed.base_dir == base.base_dir
    assert base.with_changes({}) == base


def test_with_changes_validates_again_and_names_the_key(base):
    with pytest.raises(ScenarioError) as info:
        base.with_changes({"autoscaling.min_capacity": -1})
    assert info.value.path == "autoscaling.min_capacity"
    assert info.value.file == str(STANDARD)
    assert ">= 0" in str(info.value) and "-1" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        base.with_changes({TARGET: "high"})
    assert info.value.path == TARGET
    with pytest.raises(ScenarioError) as info:
        base.with_changes({"autoscaling.min_capcity": 2})
    assert info.value.path == "autoscaling.min_capcity" and "did you mean 'min_capacity'" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        base.with_changes({"traffic[7].constant.rps": 5})
    assert info.value.path == "traffic[7].constant.rps" and "no item [7]" in str(info.value)


def test_with_changes_takes_durations_and_merges_mappings(base):
    changed = base.with_changes({"duration": "20m", "service": {"desired_count": 6}})
    assert changed.duration == 1200.0
    assert changed.service.desired_count == 6
    assert changed.service.name == base.service.name          # merged, not replaced


# ---------------------------------------------------------------- common random numbers
def test_variants_of_a_seed_see_the_identical_traffic(serial):
    runs = serial.runs
    a, b = serial.variants
    for seed in serial.seeds:
        ra = runs[(runs.variant == a) & (runs.seed == seed)].iloc[0]
        rb = runs[(runs.variant == b) & (runs.seed == seed)].iloc[0]
        assert ra.requests == rb.requests
    ts = serial.timeseries
    for seed in serial.seeds:
        per_minute = [ts[(ts.variant == v) & (ts.seed == seed)]["requests"].to_numpy() for v in serial.variants]
        assert np.array_equal(per_minute[0], per_minute[1])
    # ... while different seeds draw different traffic, and the knob does change the outcome.
    assert runs[runs.variant == a]["requests"].nunique() == len(serial.seeds)
    assert not runs[runs.variant == a]["cost_usd"].equals(runs[runs.variant == b]["cost_usd"])


def test_the_scenario_files_own_seed_is_ignored(base):
    assert base.seed == 5
    c = compare([base], seeds=[5, 0])
    assert list(c.runs["seed"]) == [5, 0]
    assert c.summaries[c.variants[0], 0]["seed"] == 0


# ---------------------------------------------------------------- serial == parallel
def test_parallel_runs_give_the_same_tables_as_serial(knob_variants, serial):
    progress = []
    parallel = compare(knob_variants, seeds=3, jobs=2, progress=lambda done, total: progress.append((done, total)))
    pd.testing.assert_frame_equal(parallel.runs, serial.runs)
    pd.testing.assert_frame_equal(parallel.table, serial.table)
    pd.testing.assert_frame_equal(parallel.timeseries, serial.timeseries)
    assert parallel.summaries == serial.summaries
    assert progress[0] == (0, 6) and progress[-1] == (6, 6)
    assert [d for d, _ in progress] == list(range(7))


def test_a_dask_cluster_gives_the_same_tables_as_serial(knob_variants, serial):
    """Two Dask workers in separate processes, as on a cluster: the same tables."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = compare(knob_variants, seeds=3, executor=client)
    pd.testing.assert_frame_equal(on_dask.runs, serial.runs)
    pd.testing.assert_frame_equal(on_dask.timeseries, serial.timeseries)
    assert on_dask.summaries == serial.summaries


def test_cli_compare_serial_jobs_2_and_dask_write_the_same_bytes(tmp_path, capsys):
    from distributed import LocalCluster
    outs = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        for name, how in (("1", ["--jobs", "1"]), ("2", ["--jobs", "2"]),
                          ("dask", ["--dask", cluster.scheduler_address])):
            out = tmp_path / f"jobs{name}"
            argv = ["compare", str(STANDARD), str(HIGH_RES), "--seeds", "3", "--duration", "40m",
                    *how, "-o", str(out), "-q", "--no-plot"]
            assert main(argv) == 0
            outs[name] = (out, capsys.readouterr())
        # A worker's address is not the scheduler's: said in one line, not a hang.
        worker = next(iter(cluster.scheduler_info["workers"]))
        assert main(["compare", str(STANDARD), "--seeds", "1", "-q", "-o", str(tmp_path / "w"), "--dask", worker]) == 2
        assert _one_message(capsys.readouterr().err) == (f"fargatesim: --dask {worker}: expected a Dask scheduler "
                                                         "there; got a Dask Worker")
    for name in ("runs.csv", "table.csv"):
        assert (outs["1"][0] / name).read_bytes() == (outs["2"][0] / name).read_bytes(), name
        assert (outs["1"][0] / name).read_bytes() == (outs["dask"][0] / name).read_bytes(), name
    printed = outs["1"][1].out
    assert printed.replace(str(outs["1"][0]), "") == outs["2"][1].out.replace(str(outs["2"][0]), "")
    assert outs["1"][1].err == ""
    for _, label, _ in METRICS:
        assert label in printed
    assert "spike-5x-standard-metrics" in printed and "spike-5x-high-resolution-metrics" in printed
    assert "over 3 seeds" in printed


def test_cli_compare_on_an_unreachable_dask_scheduler_is_bad_input(capsys, tmp_path):
    argv = ["compare", str(STANDARD), "--seeds", "1", "--duration", "10m", "-q", "-o", str(tmp_path / "out"),
            "--dask", "tcp://127.0.0.1:9"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fargatesim: --dask tcp://127.0.0.1:9: cannot reach a Dask scheduler") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()         # the folder made for the results went again


# ---------------------------------------------------------------- the tables
def test_runs_table_has_one_row_per_variant_and_seed_in_order(serial, knob_variants):
    runs = serial.runs
    assert list(runs.columns) == list(RUN_COLUMNS)
    assert list(zip(runs.variant, runs.seed)) == [(v, s) for v in serial.variants for s in (0, 1, 2)]
    for _, row in runs.iterrows():
        summary = serial.summaries[row.variant, row.seed]
        assert row.requests == summary["requests"]["total"]
        assert row.cost_usd == pytest.approx(summary["cost"]["usd"])
        assert row.scaling_activities == summary["scaling"]["scale_out"] + summary["scaling"]["scale_in"]
        assert row.peak_tasks == summary["tasks"]["max_running"]
        assert row.error_rate == pytest.approx(row.errors / row.requests)
        # Outside the SLO on latency alone counts no more than on latency or errors.
        assert row.slo_violation_min >= row.p99_over_slo_min


def test_table_spreads_are_over_the_seeds(serial):
    table, runs = serial.table, serial.runs
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert list(table.index) == serial.variants and table.index.name == "variant"
    assert (table["seeds"] == 3).all()
    for variant in serial.variants:
        mine = runs[runs.variant == variant]
        for metric, _, _ in METRICS:
            lo, mean, hi = (table.loc[variant, f"{metric}_{s}"] for s in ("min", "mean", "max"))
            values = mine[metric].astype(float)
            assert lo == values.min() and hi == values.max(), metric
            if math.isfinite(mean):
                assert lo <= mean <= hi
                assert mean == pytest.approx(values.mean()), metric
            else:
                assert np.isinf(values).any()
    # the seeds really differ, so the spread is not empty everywhere
    assert (table["cost_usd_max"] > table["cost_usd_min"]).all()


def test_minutes_outside_the_slo():
    ts = pd.DataFrame({"t_s": np.arange(6) * 60.0,
                       "latency_p99_ms": [100, 900, np.nan, 100, 100, 100],
                       "requests": [1000, 1000, 0, 1000, 1000, 0],
                       "errors": [0, 0, 0, 1, 5, 2]})
    slo = type("Slo", (), {"latency_p99_ms": 500.0, "error_rate": 0.002})()
    bad, period = minutes_outside_slo(ts, slo)
    assert period == 60.0
    assert bad.tolist() == [False, True, False, False, True, True]
    no_slo = type("Slo", (), {"latency_p99_ms": None, "error_rate": None})()
    assert minutes_outside_slo(ts, no_slo)[0].tolist() == [False, False, False, True, True, True]


@pytest.mark.parametrize("bad, minutes", [
    ([0, 0, 0, 0], 0.0),                              # nothing to recover from
    ([0, 1, 1, 0, 0], 2.0),                           # 2 minutes out, back at the third
    ([0, 1, 0, 1, 0, 0, 0, 0], 3.0),                  # a one-minute return is not a recovery
    ([1, 0, 0, 0, 1, 1, 0, 0, 0, 0], 2.0),            # stretches 3 good minutes apart: the longer
    ([1, 1, 0, 0, 0, 1, 1, 0, 0, 0], 2.0),            # equally long: the first
    ([0, 0, 1, 1, 1], math.inf),                      # the run ended outside the SLO
])
def test_recovery_from_the_worst_stretch(bad, minutes):
    assert recovery_minutes(np.array(bad, dtype=bool)) == minutes


def test_not_recovered_by_the_end_is_never(base):
    c = compare([base.with_changes({"duration": "35m"})], seeds=2)
    assert np.isinf(c.runs["recovery_min"]).all()
    assert "never" in c.text_table()


# ---------------------------------------------------------------- labels
def test_variants_with_one_name_are_labelled_by_their_differences(base):
    labels = variant_labels([base, base.with_changes({"autoscaling.min_capacity": 8}),
                             base.with_changes({TARGET: 70})])
    name = base.name
    assert labels == [f"{name} [min_capacity=4, target_value=50]",
                      f"{name} [min_capacity=8, target_value=50]",
                      f"{name} [min_capacity=4, target_value=70]"]
    assert variant_labels([base, base]) == [f"{name} #1", f"{name} #2"]
    other = load_scenario(HIGH_RES, overrides=SHORT)
    assert variant_labels([base, other]) == [name, other.name]


def test_compare_takes_paths_changes_and_labels():
    c = compare([STANDARD, HIGH_RES], seeds=1, changes={"duration": "10m"}, labels=["60 s", "20 s"])
    assert c.variants == ["60 s", "20 s"]
    assert c.runs["requests"].iloc[0] == c.runs["requests"].iloc[1]
    assert all(s.duration == 600 for s in c.scenarios)
    cost_line = [line for line in c.text_table().splitlines() if line.startswith("cost (USD)")][0]
    assert re.fullmatch(r"cost \(USD\)\s+\$[\d.]+\s+\$[\d.]+", cost_line)   # one seed: no spread
    with pytest.raises(ValueError):
        compare([STANDARD], seeds=0)
    with pytest.raises(ValueError):
        compare([STANDARD], seeds=[1, 1])
    with pytest.raises(ValueError):
        compare([STANDARD, HIGH_RES], seeds=1, labels=["same", "same"])


def test_fargatesim_compare_is_the_function_even_after_its_module_is_imported():
    import fargatesim.studies.compare as module
    assert fargatesim.compare is module.compare
    c = fargatesim.compare([{**load_scenario(STANDARD).to_dict(), "duration": 300}], seeds=1)
    assert len(c.runs) == 1


# ---------------------------------------------------------------- figure and notebook
def test_the_figure_has_labelled_axes_and_a_point_per_run(serial, tmp_path):
    fig = comparison_figure(serial, tmp_path / "c.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    labels = {ax.get_ylabel() for ax in fig.axes}
    assert any("requests/s" in x for x in labels)
    assert "running tasks" in labels and "latency p99 (ms)" in labels
    assert any("minutes outside the SLO" in x for x in labels)
    xlabels = {ax.get_xlabel() for ax in fig.axes}
    assert "time (UTC)" in xlabels and "cost per run (USD)" in xlabels
    scatter = [ax for ax in fig.axes if ax.get_xlabel() == "cost per run (USD)"][0]
    points = np.concatenate([c.get_offsets() for c in scatter.collections if isinstance(c, PathCollection)])
    assert len(points) == len(serial.runs)          # one per run (every run recovered or not)
    assert sorted(points[:, 0]) == pytest.approx(sorted(serial.runs["cost_usd"]))
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == serial.variants
    fig.canvas.draw()
    time_ax = [ax for ax in fig.axes if ax.get_xlabel() == "time (UTC)"][0]
    ticks = [t.get_text() for t in time_ax.get_xticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"\d\d:\d\d", t) for t in ticks)
    err = comparison_figure(serial, y="error_rate")
    assert any("error rate (%" in ax.get_ylabel() for ax in err.axes)


def test_repr_html_holds_the_table_and_the_figure(serial):
    text = serial._repr_html_()
    assert "<table" in text and "data:image/png;base64," in text
    for _, label, _ in METRICS:
        assert label.replace("(", "") in text.replace("(", "")
    for v in serial.variants:
        assert v in text


def test_save_writes_the_tables(serial, tmp_path):
    serial.save(tmp_path / "out", plot=False)        # the figure: the figure and CLI tests
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    table = pd.read_csv(tmp_path / "out" / "table.csv", index_col="variant")
    assert list(runs.columns) == list(RUN_COLUMNS) and len(runs) == 6
    assert list(table.columns) == list(TABLE_COLUMNS) and list(table.index) == serial.variants
    assert not (tmp_path / "out" / "compare.png").exists()


# ---------------------------------------------------------------- command line
def test_cli_compare_writes_the_results(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", str(STANDARD), str(STANDARD), "--set", "autoscaling.min_capacity=10",
            "--seeds", "2", "--first-seed", "4", "--duration", "35m", "-o", str(out), "-q"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    for name in ("runs.csv", "table.csv", "compare.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(set(runs["seed"])) == [4, 5] and len(runs) == 4
    # the --set after the second file changed that one only, and the labels say so
    labels = list(dict.fromkeys(runs["variant"]))
    assert labels == ["spike-5x-standard-metrics [min_capacity=4]",
                      "spike-5x-standard-metrics [min_capacity=10]"]
    assert "--set autoscaling.min_capacity=10" in printed.out
    assert printed.err == ""


def test_cli_set_before_the_files_changes_every_scenario(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--set", "duration=5m", "--set", "autoscaling.min_capacity=9",
            str(STANDARD), str(HIGH_RES), "--seeds", "1", "-o", str(out), "--no-plot", "-q"]
    assert main(argv) == 0
    capsys.readouterr()
    runs = pd.read_csv(out / "runs.csv")
    assert (runs["peak_tasks"] >= 9).all()
    assert not (out / "compare.png").exists()


def _one_message(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_cli_compare_bad_input_exits_2_with_one_message(tmp_path, capsys):
    out = tmp_path / "out"
    missing = tmp_path / "nope.yaml"
    assert main(["compare", str(STANDARD), str(missing), "-o", str(out)]) == 2
    line = _one_message(capsys.readouterr().err)
    assert line == f"fargatesim: {missing}: file not found"

    assert main(["compare", str(STANDARD), "--set", "autoscaling.min_capacity=lots", "-o", str(out)]) == 2
    line = _one_message(capsys.readouterr().err)
    assert line.startswith(f"fargatesim: {STANDARD}: autoscaling.min_capacity: ") and "'lots'" in line

    assert main(["compare", str(STANDARD), "--set", "min_capacity", "-o", str(out)]) == 2
    assert "KEY=VALUE" in _one_message(capsys.readouterr().err)

    assert main(["compare", str(STANDARD), "--duration", "soon", "-o", str(out)]) == 2
    assert "duration" in _one_message(capsys.readouterr().err)
    assert not out.exists()

    for argv in (["compare"], ["compare", str(STANDARD), "--seeds", "0"],
                 ["compare", str(STANDARD), "--jobs", "-1"], ["compare", str(STANDARD), "--seed", "3"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and "fargatesim: error:" in err


def test_cli_shows_progress_on_a_terminal(tmp_path, capsys, monkeypatch):
    import sys

    from fargatesim import cli
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    clock = iter(range(0, 1000, 2))                    # every look at the clock: 2 s later
    monkeypatch.setattr(cli.time, "monotonic", lambda: float(next(clock)))
    assert main(["compare", str(STANDARD), "--seeds", "2", "--duration", "5m",
                 "-o", str(tmp_path / "o"), "--no-plot"]) == 0
    err = capsys.readouterr().err
    assert "comparing: 1/2 runs" in err and "comparing: 2/2 runs" in err


def test_cli_binds_each_set_to_the_file_before_it():
    from fargatesim.cli import build_parser
    from fargatesim.studies.compare import DEFAULT_SEEDS
    args = build_parser().parse_args(
        ["compare", "--set", "duration=5m", "a.yaml", "--seeds", "4", "b.yaml", "--set=x=1",
         "-j", "2", "--set", "y=[1, 2]", "c.yaml", "-o", "out", "--", "-odd.yaml"])
    assert args.scenarios == ["a.yaml", "b.yaml", "c.yaml", "-odd.yaml"]
    assert args.sets == ["duration=5m"]
    assert args.file_sets == ["1:x=1", "1:y=[1, 2]"]
    assert (args.seeds, args.jobs, args.output) == (4, 2, "out")
    defaults = build_parser().parse_args(["compare", "a.yaml"])
    assert defaults.seeds is None and defaults.jobs == 1 and defaults.first_seed == 0
    assert f"(default {DEFAULT_SEEDS})" in build_parser()._subparsers._group_actions[0].choices["compare"].format_help()


def test_figure_of_a_variant_whose_runs_cost_exactly_the_same(tmp_path):
    # A fixed fleet costs the same on every seed; the mean of equal floats may round past them.
    from fargatesim.studies.compare import compare
    nasa = Path(__file__).resolve().parent.parent / "scenarios" / "nasa-1995-trace-replay.yaml"
    c = compare([nasa], seeds=3, changes={"duration": "20m"})
    assert c.runs.cost_usd.nunique() == 1
    c.save(tmp_path)
    assert (tmp_path / "compare.png").stat().st_size > 10_000


# ---------------------------------------------------------------- failures: which run, and no hang
FAILING_POLICY = '''\
import os


class Failing:
    """Two tasks; at the third question, per `how`: raise, or end the process at once."""

    def __init__(self, how="none"):
        self.how, self.calls = how, 0

    def desired_capacity(self, obs):
        self.calls += 1
        if self.calls == 3 and self.how == "raise":
            raise ValueError("no answer today")
        if self.calls == 3 and self.how == "exit":
            os._exit(3)
        return 2
'''
FAILING_SCENARIO = """\
name: failing
duration: 30m
traffic:
  - constant: {rps: 20}
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
autoscaling:
  min_capacity: 1
  max_capacity: 4
  policies:
    - name: mine
      policy_type: Custom
      custom: {class: "failing:Failing", params: {how: none}}
"""


@pytest.fixture
def failing(tmp_path):
    (tmp_path / "failing.py").write_text(FAILING_POLICY)
    path = tmp_path / "s.yaml"
    path.write_text(FAILING_SCENARIO)
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_run_names_its_variant_and_seed(failing, jobs):
    from fargatesim.errors import SimulationError
    from fargatesim.studies.compare import RunFailed
    s = load_scenario(failing)
    bad = s.with_changes({"autoscaling.policies[0].custom.params.how": "raise"})
    with pytest.raises(SimulationError) as info:
        compare([s, bad], seeds=[4], jobs=jobs)
    assert isinstance(info.value, RunFailed) and info.value.runs == [("failing [how=raise]", 4)]
    assert str(info.value).startswith("failing [how=raise], seed 4: ")
    assert "no answer today" in str(info.value)


def test_a_worker_that_ends_its_process_names_the_run_exit_1(failing):
    from hostile import fargatesim_cli
    # The first variant is still running in the other worker when the second's ends its process.
    done = fargatesim_cli("compare", failing.name, "--set", "duration=2h", failing.name,
                          "--set", "autoscaling.policies[0].custom.params.how=exit",
                          "--seeds", "1", "-j", "2", "-o", "out", "-q", cwd=failing.parent, timeout=90)
    assert done.returncode == 1, done.stderr
    assert not done.traceback and done.stderr.count("\n") == 1, done.stderr
    assert done.message == ("fargatesim: simulation failed: failing [duration=1800, how=exit], seed 0: "
                            "its worker process ended abruptly with exit code 3")
    assert not (failing.parent / "out").exists()


class _Silent:
    """A TCP server that accepts connections and never says a word (or, with `reply`, answers
    every connection with it and closes)."""

    def __init__(self, reply: bytes | None = None):
        import socket
        import threading
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reply, self.conns = reply, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply is not None:
                conn.recv(65536)
                conn.sendall(self.reply)
                conn.close()

    def close(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.mark.parametrize("reply, says", [
    (None, "nothing answered as one within 1 s"),
    (b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "got an answer in another protocol"),
], ids=["silent", "http"])
def test_cli_compare_on_a_server_that_is_no_dask_scheduler_ends_within_its_timeout(capsys, monkeypatch, reply, says,
                                                                                  tmp_path):
    import time

    from fargatesim import cli
    monkeypatch.setattr(cli, "DASK_TIMEOUT_S", 1.0)
    server = _Silent(reply)
    try:
        t0 = time.monotonic()
        code = main(["compare", str(STANDARD), "--seeds", "1", "--duration", "5m", "-q", "-o", str(tmp_path / "out"),
                     "--dask", f"tcp://127.0.0.1:{server.port}"])
        seconds = time.monotonic() - t0
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 2 and seconds < 5
    line = _one_message(err)
    assert line == f"fargatesim: --dask tcp://127.0.0.1:{server.port}: expected a Dask scheduler there; {says}"

"""`fargatesim calibrate`: a run with known CPU per request, I/O time and start-up writes its
records (`run --records`); calibrating a scenario of wrong guesses from them gets the truth back."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from fargatesim.cli import main
from fargatesim.records import alb_log_frame
from fargatesim.scenario import load_scenario
from fargatesim.studies.calibrate import calibrate

TRUTH = """
name: known
duration: 3h
engine: requests
traffic:
  - steps: [{at: 0, rps: 15}, {at: 20m, rps: 45}, {at: 40m, rps: 90}, {at: 60m, rps: 30}, {at: 80m, rps: 130},
            {at: 100m, rps: 60}, {at: 120m, rps: 20}, {at: 140m, rps: 100}, {at: 160m, rps: 40}]
workload: {cpu_ms: {distribution: lognormal, mean: 20, cv: 1}, io_ms: 15, memory_mb_per_request: 2}
task_definition:
  cpu: 512
  memory: 1024
  startup: {distribution: uniform, low: 30, high: 60}
  container_definitions: [{name: app, port_mappings: [{container_port: 8080}], base_cpu_units: 40,
                           base_memory_mb: 200}]
service: {desired_count: 2}
autoscaling:
  min_capacity: 2
  max_capacity: 20
  policies:
    - name: cpu
      policy_type: TargetTrackingScaling
      target_tracking_scaling_policy_configuration:
        target_value: 50
        scale_in_cooldown: 60
        predefined_metric_specification: {predefined_metric_type: ECSServiceAverageCPUUtilization}
"""
GUESS = (TRUTH.replace("mean: 20, cv: 1}, io_ms: 15, memory_mb_per_request: 2", "mean: 50, cv: 1}, io_ms: 1")
         .replace("low: 30, high: 60", "low: 5, high: 10").replace("base_cpu_units: 40", "base_cpu_units: 0")
         .replace("base_memory_mb: 200", "base_memory_mb: 0"))


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibrate")
    (folder / "truth.yaml").write_text(TRUTH)
    (folder / "guess.yaml").write_text(GUESS.replace("\nduration: 3h", "\nplaceholders: [traffic, workload.cpu_ms]"
                                                     "\nduration: 3h"))
    assert main(["run", str(folder / "truth.yaml"), "-o", str(folder / "out"), "--records", str(folder / "rec"),
                 "-q", "--no-plot"]) == 0
    assert main(["calibrate", str(folder / "guess.yaml"), "--records", str(folder / "rec"),
                 "-o", str(folder / "calibrated.yaml")]) == 0
    return folder


def test_the_truth_comes_back(calibrated):
    data = yaml.safe_load((calibrated / "calibrated.yaml").read_text())
    assert data["workload"]["cpu_ms"]["mean"] == pytest.approx(20, rel=0.05)
    assert data["workload"]["cpu_ms"]["cv"] == 1           # the family and cv are kept
    assert data["workload"]["io_ms"] == pytest.approx(15, rel=0.10)
    assert data["task_definition"]["startup"]["mean"] == pytest.approx(45, rel=0.10)
    assert data["task_definition"]["container_definitions"][0]["base_cpu_units"] == pytest.approx(40, rel=0.15)
    assert data["workload"]["memory_mb_per_request"] == pytest.approx(2, rel=0.10)
    assert data["task_definition"]["container_definitions"][0]["base_memory_mb"] == pytest.approx(200, rel=0.05)
    # The placeholders it fitted are gone; the file says what each value came from.
    assert data.get("placeholders", []) == ["workload.cpu_ms"] or "placeholders" not in data
    header = (calibrated / "calibrated.yaml").read_text().split("\nname:")[0]
    assert "workload.cpu_ms = " in header and "minutes of CPUUtilization, RequestCount and RunningTaskCount" in header


def test_the_traffic_is_the_logged_arrivals_second_by_second(calibrated):
    trace = pd.read_csv(calibrated / "calibrated-traffic.csv")
    log = alb_log_frame(calibrated / "rec" / "alb-access.log.gz")
    assert trace["requests"].sum() == len(log)
    assert trace["time_s"].tolist() == list(range(len(trace)))
    first = np.floor(log["arrival_s"].min())
    counts = np.bincount((np.floor(log["arrival_s"]) - first).astype(int))
    np.testing.assert_array_equal(trace["requests"].to_numpy(), counts)
    scenario = load_scenario(calibrated / "calibrated.yaml")        # it validates, and reads its trace
    assert scenario.traffic[0].kind == "trace" and scenario.duration == len(trace)


def test_a_steady_rate_keeps_the_base_cpu_and_says_so(tmp_path):
    # Four minutes of the same rate: CPU per request is each minute's CPU less the known base.
    start = 1_700_000_040
    minutes = [start + 60 * i for i in range(4)]
    used_per_task = 40 / 1024 + 0.020 * 10            # base 40 units, 20 ms x 10 requests/s/task
    document = {"MetricDataResults": [
        {"Id": "cpu", "Label": "CPUUtilization", "Timestamps": minutes, "Values": [100 * used_per_task / 0.5] * 4},
        {"Id": "n", "Label": "RequestCount", "Timestamps": minutes, "Values": [10 * 60 * 3] * 4},
        {"Id": "r", "Label": "RunningTaskCount", "Timestamps": minutes, "Values": [3] * 4}]}
    (tmp_path / "metrics.json").write_text(json.dumps(document))
    (tmp_path / "s.yaml").write_text(TRUTH)
    result = calibrate(load_scenario(tmp_path / "s.yaml"), tmp_path)
    (fit,) = [f for f in result.fits if f.key == "workload.cpu_ms"]
    assert fit.value == pytest.approx(20) and "kept at 40 units" in fit.source
    assert any(k.startswith("workload.io_ms") for k in result.kept)
    assert any(k.startswith("task_definition.startup") for k in result.kept)


def test_a_folder_without_records(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(TRUTH)
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "notes.md").write_text("# nothing\n")
    assert main(["calibrate", str(tmp_path / "s.yaml"), "--records", str(tmp_path / "rec"),
                 "-o", str(tmp_path / "c.yaml")]) == 2
    assert "expected records in the folder" in capsys.readouterr().err


def test_the_calibrated_scenario_reproduces_the_records(calibrated):
    # The acceptance bar: task counts within one task for at least 95 % of minutes, CPU within
    # 5 points for at least 95 %.
    assert main(["backtest", str(calibrated / "calibrated.yaml"), "--records", str(calibrated / "rec"),
                 "-o", str(calibrated / "backtest")]) == 0
    agreement = json.loads((calibrated / "backtest" / "backtest.json").read_text())
    assert agreement["minutes"] == 180
    assert agreement["tasks_within_one"] >= 0.95
    assert agreement["cpu_within_5_points"] >= 0.95
    outs = agreement["scale_outs"]
    assert outs["recorded"] >= 5 and outs["matched"] >= 0.8 * outs["recorded"]
    minutes = pd.read_csv(calibrated / "backtest" / "backtest.csv")
    assert {"recorded_RunningTaskCount", "simulated_RunningTaskCount", "recorded_CPUUtilization",
            "simulated_TargetResponseTime"} <= set(minutes.columns)
    assert (calibrated / "backtest" / "backtest.png").stat().st_size > 20_000


def test_a_backtest_must_start_when_the_records_do(calibrated, tmp_path, capsys):
    (tmp_path / "late.yaml").write_text(TRUTH.replace("duration: 3h", "duration: 3h\nstart: 2026-02-01T00:00:00Z"))
    assert main(["backtest", str(tmp_path / "late.yaml"), "--records", str(calibrated / "rec"),
                 "-o", str(tmp_path / "bt")]) == 2
    err = capsys.readouterr().err
    assert "start: expected the scenario to start when the records do (2026-01-05T00:00:00+00:00)" in err
    assert not (tmp_path / "bt").exists()

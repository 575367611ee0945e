"""Where a predictive policy's history comes from (the scenario's own traffic before its start,
or recorded CloudWatch datapoints), what it learns from other metrics, a user's forecaster, and
what a run writes of its forecasts."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fargatesim.engine import Simulation, simulated_history
from fargatesim.records.cloudwatch_data import metric_data_document
from fargatesim.results import FORECAST_COLUMNS, Result
from fargatesim.scenario import ScenarioError, load_scenario, scenario_from_dict
from fargatesim.traffic import rate_curve

ROOT = Path(__file__).parent.parent
TRACE = ROOT / "scenarios" / "traces" / "clarknet-1995-08-28-week-100s.csv"


def base(policy: dict, **top) -> dict:
    return {
        "name": "predictive-history", "duration": "6h", "tick": 10, "seed": 1,
        "start": "2026-01-08T00:00:00Z", "arrivals": "deterministic",
        "traffic": [{"diurnal": {"mean_rps": 200, "peak_to_trough": 3, "peak_at": "14:00"}}],
        "workload": {"cpu_ms": 20, "io_ms": 5},
        "task_definition": {"cpu": 512, "memory": 1024, "container_definitions": [
            {"name": "app", "image": "example/app:1", "port_mappings": [{"container_port": 8080}]}]},
        "service": {"desired_count": 4},
        "autoscaling": {"min_capacity": 2, "max_capacity": 50, "policies": [
            {"name": "cpu", "policy_type": "TargetTrackingScaling",
             "target_tracking_scaling_policy_configuration": {
                 "target_value": 50,
                 "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}},
            {"name": "forecast", "policy_type": "PredictiveScaling", "predictive_scaling_policy_configuration": policy}]},
        **top}


def pair(kind="ALBRequestCount", target=1000, **kw) -> dict:
    return {"mode": "ForecastOnly", "metric_specification": [
        {"target_value": target, "predefined_metric_pair_specification": {"predefined_metric_type": kind}}], **kw}


def test_the_simulated_history_is_the_scenarios_own_traffic_before_its_start():
    # The ClarkNet trace from its fourth day: the history is its first three, hour by hour.
    s = scenario_from_dict(base(pair(history={"days": 3}), start="1995-08-31T04:00:00Z",
                                traffic=[{"trace": {"file": str(TRACE), "scale": 10, "offset": "3d"}}]))
    cfg = s.autoscaling.policies[1].predictive_scaling_policy_configuration
    history = simulated_history(s, cfg)
    trace = pd.read_csv(TRACE)
    hourly = trace.groupby(trace.time_s // 3600).requests.sum().to_numpy()[:72] * 10
    assert history.end_s == 0 and len(history.load) == 72
    np.testing.assert_allclose(history.load, hourly, rtol=0.002)


def test_a_simulated_history_keeps_the_runs_clock_hours_when_it_starts_within_one():
    s = scenario_from_dict(base(pair(history={"days": 1}), start="2026-01-08T00:20:00Z"))
    history = simulated_history(s, s.autoscaling.policies[1].predictive_scaling_policy_configuration)
    # From 2026-01-07 01:00 to 2026-01-08 00:00: 23 whole hours, the last ending 20 minutes before the run.
    assert len(history.load) == 23 and history.end_s == -20 * 60
    sim = Simulation(s).run()
    forecast = Result.from_simulation(sim).forecast
    assert forecast.time.iloc[0] == "2026-01-08T00:00:00Z" and forecast.t_s.iloc[0] == -1200
    # 23 hours are not the 24 a forecast needs: the first comes once the run's first hour is in.
    assert sim.predictive[0].clock.forecasts[0].issued_s == pytest.approx(40 * 60 + 183)
    # That hour's 40 minutes count as a whole hour at their rate.
    thirds = rate_curve(s.traffic, start=datetime(2026, 1, 8, tzinfo=timezone.utc), duration=3600, tick=1200)
    assert sim.predictive[0].hours[0].load == pytest.approx(thirds[1:].mean() * 3600, rel=0.002)


def cloudwatch_file(tmp_path: Path, start: datetime, hours: int, *, gap=(), stop_early=0) -> Path:
    """RequestCount every 5 minutes over `hours` hours before `start`: 1000 + 100 x (hour of day)
    an hour; the hours in `gap` and the last `stop_early` have no datapoint."""
    times, values = [], []
    for h in range(hours - stop_early):
        if h in gap:
            continue
        t0 = start - timedelta(hours=hours - h)
        for m in range(12):
            times.append((t0 + timedelta(minutes=5 * m)).timestamp())
            values.append((1000 + 100 * t0.hour) / 12)
    doc = metric_data_document([("m1", "RequestCount", np.array(times), np.array(values))])
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_history_file_of_cloudwatch_datapoints_is_read_hour_by_hour(tmp_path):
    start = datetime(2026, 1, 8, tzinfo=timezone.utc)
    file = cloudwatch_file(tmp_path, start, 72, gap=(30,), stop_early=2)
    s = scenario_from_dict(base(pair(history={"source": "file", "file": str(file), "days": 3})))
    sim = Simulation(s)
    history = sim.predictive[0].history
    expected = [1000 + 100 * ((h + 0) % 24) for h in range(72)]
    assert history.end_s == 0 and len(history.load) == 72
    np.testing.assert_allclose(history.load[:30], expected[:30])
    np.testing.assert_allclose(history.load[31:70], expected[31:70])
    # A missing hour between datapoints: between its neighbours; the last two: a day earlier.
    assert history.load[30] == pytest.approx((expected[29] + expected[31]) / 2)
    assert history.load[70:] == [history.load[46], history.load[47]]
    assert sim.predictive[0].clock.due(0)


def test_a_history_file_that_misses_the_days_before_the_start_is_refused(tmp_path):
    file = cloudwatch_file(tmp_path, datetime(2025, 12, 1, tzinfo=timezone.utc), 48)
    s = scenario_from_dict(base(pair(history={"source": "file", "file": str(file), "days": 3})))
    with pytest.raises(ScenarioError) as e:
        Simulation(s)
    assert "expected datapoints in the 3 days before the start" in e.value.message
    assert e.value.path.endswith("predictive_scaling_policy_configuration.history.file")


def test_a_load_and_a_scaling_metric_of_different_kinds_learn_what_a_task_carries():
    # Load: the requests; scaling: the CPU. One task at 50 % CPU carries what the history shows.
    policy = {"mode": "ForecastOnly", "history": {"days": 2}, "metric_specification": [{
        "target_value": 50,
        "predefined_load_metric_specification": {"predefined_metric_type": "TotalALBRequestCount"},
        "predefined_scaling_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}]}
    sim = Simulation(scenario_from_dict(base(policy))).run()
    predictive = sim.predictive[0]
    h = predictive.history
    ratio = np.array(h.load) / (np.array(h.capacity) * np.array(h.scaling))
    assert predictive.clock.per_task == pytest.approx(np.median(ratio[-48:]), rel=0.05)
    # ~20 ms of CPU per request on 0.5 vCPU: 1 % of a task's CPU is about 0.25 requests/s.
    assert predictive.clock.per_task == pytest.approx(0.25 * 3600, rel=0.15)
    forecast = predictive.clock.forecasts[0]
    np.testing.assert_array_equal(forecast.capacity,
                                  np.ceil(forecast.load / (50 * predictive.clock.per_task) - 1e-9))


def test_customized_metrics_are_read_through_their_queries():
    policy = {"mode": "ForecastOnly", "history": {"days": 1}, "metric_specification": [{
        "target_value": 3000,
        "customized_load_metric_specification": {"metric_data_query": [
            {"id": "load", "metric_stat": {"metric": {"namespace": "AWS/ApplicationELB", "metric_name": "RequestCount"},
                                           "stat": "Sum"}}]},
        "customized_scaling_metric_specification": {"metric_data_query": [
            {"id": "requests", "return_data": False,
             "metric_stat": {"metric": {"namespace": "AWS/ApplicationELB", "metric_name": "RequestCount"},
                             "stat": "Sum"}},
            {"id": "tasks", "return_data": False,
             "metric_stat": {"metric": {"namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount"},
                             "stat": "Average"}},
            {"id": "per_task", "expression": "requests / tasks", "return_data": True}]}}]}
    sim = Simulation(scenario_from_dict(base(policy))).run()
    predictive = sim.predictive[0]
    h = predictive.history
    np.testing.assert_allclose(np.array(h.scaling), np.array(h.load) / np.array(h.capacity), rtol=0.02)
    # The scaling metric is the load per task, so a task carries one unit of it.
    assert predictive.clock.per_task == pytest.approx(1.0, rel=0.02)


def test_a_users_forecaster_is_used_and_its_parameters_passed(tmp_path):
    (tmp_path / "myforecasts.py").write_text(
        "import numpy as np\n\n\nclass Flat:\n    def __init__(self, level):\n        self.level = level\n\n"
        "    def forecast(self, history, hours):\n        return np.full(hours, self.level)\n")
    data = base(pair(target=1000, history={"days": 1}, forecaster="myforecasts:Flat",
                     forecaster_params={"level": 123_000}, mode="ForecastAndScale"))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    sim = Simulation(load_scenario(tmp_path / "s.yaml")).run()
    forecast = sim.predictive[0].clock.forecasts[0]
    assert (forecast.load == 123_000).all() and (forecast.capacity == math.ceil(123_000 / 60_000)).all()


def test_a_forecaster_without_a_forecast_method_is_refused_before_the_run(tmp_path):
    (tmp_path / "myforecasts.py").write_text("class Flat:\n    def predict(self, history, hours):\n        return []\n")
    data = base(pair(forecaster="myforecasts:Flat"))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as e:
        Simulation(load_scenario(tmp_path / "s.yaml"))
    assert "has no forecast(self, history, hours) method" in e.value.message
    assert e.value.path == "autoscaling.policies[1].predictive_scaling_policy_configuration.forecaster"


def test_a_run_writes_its_forecast_beside_what_each_hour_measured(tmp_path):
    s = load_scenario(ROOT / "scenarios" / "predictive-flash-crowd.yaml", overrides={"duration": "4h"})
    result = Result.from_simulation(Simulation(s).run())
    result.save(tmp_path)
    table = pd.read_csv(tmp_path / "forecast.csv")
    assert tuple(table.columns) == FORECAST_COLUMNS and len(table) == 4
    assert table.time.tolist() == [f"2026-01-06T{h:02d}:00:00Z" for h in range(4)]
    # CPU pair at 60 %: a task carries 60 task-% of the load.
    np.testing.assert_array_equal(table.capacity_forecast, np.ceil(table.load_forecast / 60 - 1e-9))
    measured = table.dropna(subset=["load"])
    assert len(measured) == 3 and (abs(measured.load_forecast / measured.load - 1) < 0.05).all()
    summary = json.loads((tmp_path / "summary.json").read_text())["predictive"]["forecast-cpu"]
    assert summary["hours_compared"] == 3 and summary["mode"] == "ForecastAndScale"
    figure = result.plot()
    assert any(ax.get_gid() == "panel:forecast" for ax in figure.axes)

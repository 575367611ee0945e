"""`fargatesim run --records DIR`: what AWS would have recorded of a run, read back by the same
readers as a real service's records (fargatesim/aws_records.py, fargatesim/records/)."""
import numpy as np
import pytest

from fargatesim.cli import main
from fargatesim.engine import simulate
from fargatesim.records import alb_log_frame, read_metric_data, read_tasks, startup_seconds
from fargatesim.scenario import load_scenario

SCENARIO = """
name: recorded
duration: 20m
engine: requests
traffic:
  - steps: [{at: 0, rps: 40}, {at: 8m, rps: 160}]
workload: {cpu_ms: {distribution: lognormal, mean: 20, cv: 1}, io_ms: 10}
task_definition:
  cpu: 512
  memory: 1024
  startup: {distribution: uniform, low: 30, high: 60}
  container_definitions: [{name: app, port_mappings: [{container_port: 8080}]}]
service: {desired_count: 2}
autoscaling:
  min_capacity: 2
  max_capacity: 10
  policies:
    - name: cpu
      policy_type: TargetTrackingScaling
      target_tracking_scaling_policy_configuration:
        target_value: 50
        predefined_metric_specification: {predefined_metric_type: ECSServiceAverageCPUUtilization}
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recorded")
    (folder / "s.yaml").write_text(SCENARIO)
    assert main(["run", str(folder / "s.yaml"), "-o", str(folder / "out"), "--records", str(folder / "rec"),
                 "-q", "--no-plot"]) == 0
    result = simulate(load_scenario(folder / "s.yaml"))
    return folder / "rec", result


def test_every_request_once_in_the_access_log(recorded):
    records, result = recorded
    log = alb_log_frame(records / "alb-access.log.gz")
    requests = result.summary["requests"]
    assert len(log) == requests["total"] - result.summary["in_flight_at_end"]
    assert (log["elb_status_code"] == 200).sum() == requests["ok"]
    start = result.scenario.start.timestamp()
    assert log["arrival_s"].min() >= start and log["time_s"].max() <= start + 20 * 60
    # Each answered request's target time is its latency: their mean is the run's.
    ok = log[log["elb_status_code"] == 200]
    assert ok["target_processing_time"].mean() * 1000 == pytest.approx(result.summary["latency_ms"]["mean"],
                                                                      rel=2e-3)
    # Per-second arrivals follow the traffic: 40 requests/s, then 160.
    seconds = np.floor(log["arrival_s"] - start).astype(int)
    per_minute = np.bincount(seconds // 60, minlength=20)
    assert per_minute[2:7].mean() == pytest.approx(40 * 60, rel=0.05)
    assert per_minute[12:19].mean() == pytest.approx(160 * 60, rel=0.05)


def test_metrics_as_get_metric_data_gives_them(recorded):
    records, result = recorded
    data = read_metric_data(records / "get-metric-data.json")
    metrics = result.metrics(60)
    cpu = data[data["id"] == "ecs_cpuutilization"]
    expected = metrics["AWS/ECS/CPUUtilization"].dropna()
    np.testing.assert_allclose(cpu["value"].to_numpy(), expected.to_numpy())
    start = result.scenario.start.timestamp()
    np.testing.assert_allclose(cpu["time_s"].to_numpy() - start, metrics["t_s"][expected.index].to_numpy())
    requests = data[data["id"] == "applicationelb_requestcount"]["value"].sum()
    assert requests == result.summary["requests"]["total"]


def test_tasks_as_describe_tasks_gives_them(recorded):
    records, result = recorded
    tasks = read_tasks(records / "describe-tasks.json")
    events = result.events[result.events["kind"] == "task_state"]
    assert len(tasks) == events["subject"].nunique() > 2          # it scaled out
    provisioning = events[events["detail"].str.startswith("PROVISIONING")].groupby("subject")["t_s"].first()
    running = events[events["detail"].str.startswith("RUNNING")].groupby("subject")["t_s"].first()
    launched = (running[provisioning.index] - provisioning).sort_index()
    # The two tasks running at the start were created before the run: no start-up of theirs is known.
    started = startup_seconds(tasks)
    # describe-tasks gives milliseconds, as AWS's does.
    assert np.sort(started[started > 0]) == pytest.approx(np.sort(launched.to_numpy()), abs=2e-3)
    assert all(30 <= s <= 60 + 30 for s in launched)     # startup 30-60 s, plus the ENI and pull phases


def test_the_fluid_engine_writes_no_access_log_and_says_so(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("engine: requests", "engine: fluid"))
    assert main(["run", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "out"), "--records", str(tmp_path / "rec"),
                 "-q", "--no-plot"]) == 0
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == ["describe-tasks.json", "get-metric-data.json"]
    assert "no access log: the fluid engine keeps per-minute counts" in capsys.readouterr().out

"""Result.metrics(): the CloudWatch view of a run agrees with the results table."""
import numpy as np

import fargatesim
from fargatesim.scenario import scenario_from_dict


def run():
    return fargatesim.simulate(scenario_from_dict({
        "name": "metrics", "duration": "30m", "seed": 9,
        "traffic": [{"steps": [{"at": 0, "rps": 50}, {"at": 600, "rps": 0}, {"at": 1200, "rps": 80}]}],
        "workload": {"cpu_ms": 20, "timeout": "30s"},
        "task_definition": {"cpu": 512, "memory": 1024,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 4},
    }))


def test_minute_metrics_match_the_timeseries_and_miss_when_no_request_flows():
    r = run()
    m = r.metrics(60)
    assert len(m) == 30
    np.testing.assert_array_equal(m["AWS/ApplicationELB/RequestCount"].fillna(0).to_numpy(),
                                  r.timeseries["requests"].to_numpy())
    np.testing.assert_allclose(m["AWS/ECS/CPUUtilization"], r.timeseries["cpu_utilization"])
    quiet = slice(10, 20)                              # no traffic: ALB sends no datapoint
    assert m["AWS/ApplicationELB/RequestCount"].iloc[quiet].isna().all()
    assert m["AWS/ApplicationELB/TargetResponseTime"].iloc[quiet].isna().all()
    assert (m["AWS/ApplicationELB/RequestCountPerTarget"].iloc[quiet] == 0).all()   # always reported
    assert (m["AWS/ApplicationELB/HealthyHostCount"] == 4).all()


def test_twenty_second_metrics_add_up_to_the_minute():
    r = run()
    m20, m60 = r.metrics(20), r.metrics(60)
    per_minute = m20["AWS/ApplicationELB/RequestCount"].fillna(0).to_numpy().reshape(-1, 3).sum(axis=1)
    np.testing.assert_array_equal(per_minute, m60["AWS/ApplicationELB/RequestCount"].fillna(0).to_numpy())


def test_result_renders_in_a_notebook_with_its_figures_and_plot():
    r = run()
    page = r._repr_html_()
    assert "<table>" in page and "data:image/png;base64," in page
    assert f"{r.summary['requests']['total']:,}" in page
    assert "cost" in page and "SLO" in page


def test_event_clock_times_say_the_same_millisecond_as_t_s():
    """Times such as 5351.02 s are 5351.0199999... in binary: the clock column must not lose
    the millisecond to truncation."""
    import pandas as pd
    from conftest import build_scenario
    s = build_scenario(duration="2h", faults=[{"type": "task_crash", "at": 5351.02}])
    events = fargatesim.simulate(s).events
    clock = pd.to_datetime(events["time"], format="%Y-%m-%dT%H:%M:%S.%fZ", utc=True)
    offset_ms = ((clock - pd.Timestamp(s.start)).dt.total_seconds() * 1000).round().astype(int)
    assert (offset_ms == (events["t_s"] * 1000).round().astype(int)).all()
    assert "01:29:11.020Z" in events[events["kind"] == "fault"]["time"].iloc[0]

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


def test_error_and_unhealthy_host_metrics_follow_an_overload_and_an_empty_service():
    """Two 0.25-vCPU tasks (12.5 requests/s each at 20 ms) get 60/s for 10 minutes: queues build,
    the app refuses past max_concurrency (target 503s), health checks time out and the targets
    turn unhealthy (overload alone fails a check); then the service is set to 0 tasks, and the
    load balancer answers 503 itself."""
    r = fargatesim.simulate(scenario_from_dict({
        "name": "overload", "duration": "40m", "seed": 3,
        "traffic": [{"steps": [{"at": 0, "rps": 10}, {"at": 300, "rps": 60}, {"at": 900, "rps": 10}]}],
        "workload": {"cpu_ms": 20, "timeout": "30s"},
        "task_definition": {"cpu": 256, "memory": 512,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}],
                                                       "max_concurrency": 100}]},
        "service": {"desired_count": 2},
        "target_group": {"health_check": {"interval": 10, "timeout": 5, "unhealthy_threshold": 2}},
        "actions": [{"at": "30m", "type": "set_desired_count", "value": 0}],
    }))
    m, ts = r.metrics(60), r.timeseries
    elb_5xx = m["AWS/ApplicationELB/HTTPCode_ELB_5XX_Count"].fillna(0).to_numpy()
    target_5xx = m["AWS/ApplicationELB/HTTPCode_Target_5XX_Count"].fillna(0).to_numpy()
    np.testing.assert_array_equal(target_5xx, ts["target_503"].to_numpy())
    np.testing.assert_array_equal(elb_5xx, (ts["elb_503"] + ts["elb_502"] + ts["timeout_504"]
                                            + ts["reset_on_stop"]).to_numpy())
    assert target_5xx[5:15].sum() > 0 and target_5xx[:5].sum() == 0
    assert (ts["elb_503"].iloc[32:] > 0).all() and ts["elb_503"].iloc[:5].sum() == 0
    unhealthy = m["AWS/ApplicationELB/UnHealthyHostCount"]
    assert unhealthy.iloc[:5].eq(0).all() and unhealthy.iloc[5:15].max() > 0
    assert any("Target.FailedHealthChecks" in d for d in r.events.detail)
    assert not any(e == "fault" for e in r.events.kind)      # no fault: the overload did it


# ---------------------------------------------------------------- alarm datapoints, exact counts
def alarmed_run():
    return fargatesim.simulate(scenario_from_dict({
        "name": "alarmed", "duration": "30m", "seed": 3,
        "traffic": [{"steps": [{"at": 0, "rps": 40}, {"at": 900, "rps": 160}]}],
        "workload": {"cpu_ms": 20, "timeout": "30s"},
        "task_definition": {"cpu": 512, "memory": 1024,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 2},
        "autoscaling": {"min_capacity": 2, "max_capacity": 6, "policies": [{
            "name": "out", "policy_type": "StepScaling", "step_scaling_policy_configuration": {
                "adjustment_type": "ChangeInCapacity", "cooldown": 60,
                "step_adjustments": [{"metric_interval_lower_bound": 0, "scaling_adjustment": 1}]}}]},
        "alarms": [
            {"alarm_name": "busy", "namespace": "AWS/ApplicationELB", "metric_name": "RequestCount",
             "statistic": "Sum", "period": 60, "evaluation_periods": 1, "threshold": 6000,
             "comparison_operator": "GreaterThanThreshold", "alarm_actions": ["out"]},
            {"alarm_name": "cpu-5min", "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
             "statistic": "Maximum", "period": 300, "evaluation_periods": 1, "threshold": 95,
             "comparison_operator": "GreaterThanThreshold"}],
    }))


def test_alarm_datapoints_are_the_metric_the_alarm_reads_one_per_its_period():
    r = alarmed_run()
    busy = r.alarm_datapoints("busy")
    assert busy.shape == (30,)
    np.testing.assert_array_equal(busy, r.metrics(60)["AWS/ApplicationELB/RequestCount"].to_numpy())
    five = r.alarm_datapoints("cpu-5min")
    assert five.shape == (6,)
    # Maximum over five minutes of the one-minute averages' underlying 20 s samples is at least
    # the largest minute average in it.
    minute = r.metrics(60)["AWS/ECS/CPUUtilization"].to_numpy().reshape(6, 5)
    assert (five >= minute.max(axis=1) - 1e-9).all()


def test_alarm_datapoints_name_the_alarms_when_asked_for_an_unknown_one():
    r = alarmed_run()
    try:
        r.alarm_datapoints("bussy")
    except KeyError as e:
        assert "busy" in str(e) and "cpu-5min" in str(e)
    else:
        raise AssertionError("an unknown alarm was accepted")


def test_counts_over_time_cover_the_run_and_agree_with_the_timeseries():
    r = alarmed_run()
    states = r.counts_over_time()
    assert states[0][0] == 0.0 and states[-1][1] == 1800.0
    assert all(a[1] == b[0] for a, b in zip(states, states[1:]))        # end to end, no gap
    assert all(t0 < t1 for t0, t1, _ in states)
    assert len({c["desired_count"] for _, _, c in states}) > 1         # the alarm scaled it out
    for row in r.timeseries.itertuples(index=False):                    # each minute's end
        end = float(row.t_s) + 60.0
        counts = next(c for t0, t1, c in states if t0 < end <= t1)
        assert counts["desired_count"] == row.desired_count


def test_a_result_from_another_process_says_so_and_keeps_its_tables():
    import pickle
    r = pickle.loads(pickle.dumps(alarmed_run()))
    assert not r.in_process and len(r.timeseries) == 30
    for read in (lambda: r.alarm_datapoints("busy"), r.counts_over_time, r.metrics):
        try:
            read()
        except ValueError as e:
            assert "process" in str(e)
        else:
            raise AssertionError("a Result without its simulation answered")

"""Websocket workloads: sticky connections, drops and reconnection storms, what they cost, what
CloudWatch sees of them, and the step-versus-CPU comparison the example scenarios make."""
from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest

import fargatesim.engine as engine_module
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import ScenarioError, load_scenario, scenario_from_dict

from conftest import BASE

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
WS = {"connection_duration": {"distribution": "exponential", "mean": "10m"},
      "messages_per_second": 0.5, "cpu_ms_per_message": 1, "memory_mb_per_connection": 0.5,
      "reconnect_delay": "5s"}
# Sessions that outlast the test, with few messages: connections only pile up, CPU stays low.
LONG = {"connection_duration": {"distribution": "constant", "value": "1h"}, "messages_per_second": 0.05}


def ws_scenario(websocket=None, *, app=None, **changes) -> object:
    data = copy.deepcopy(BASE)
    data["workload"] = {"kind": "websocket", "websocket": {**WS, **(websocket or {})}}
    # 4 sessions/s from t=1 s: the service starts with no sessions in progress (see
    # test_a_steady_start_holds_the_sessions_in_progress for one that has them)
    data["traffic"] = [{"spike": {"at": 1, "peak_rps": 4, "hold": "1d"}}]
    data["duration"] = "30m"
    data["service"] = {"desired_count": 2}
    data["task_definition"]["container_definitions"][0].update(base_memory_mb=200, **(app or {}))
    data.update(changes)
    return scenario_from_dict(data)


def run(scenario):
    sim = Simulation(scenario).run()
    return sim, Result.from_simulation(sim)


def slot_of(sim, task_id):
    return next(t.slot for t in sim.service.tasks if t.id == task_id)


# ------------------------------------------------------------------ connections and their cost
@pytest.mark.parametrize("duration", [{"distribution": "constant", "value": "10m"},
                                      {"distribution": "lognormal", "mean": "10m", "cv": 2.0}])
def test_a_steady_start_holds_the_sessions_in_progress(duration, check_accounting):
    """In steady state, 4 sessions/s of 10 minutes on average have 2,400 open (Little's law),
    with what is left of each length-biased: the count stays level from the first minute."""
    s = ws_scenario(duration="30m", traffic=[{"constant": {"rps": 4}}],
                    websocket={"connection_duration": duration, "messages_per_second": 0.05})
    sim, r = run(s)
    check_accounting(sim, r)
    assert sim.dataplane.initial_sessions == pytest.approx(2400, abs=4 * math.sqrt(2400))
    assert r.summary["connections"]["sessions"] == sim.dataplane.initial_sessions + int(sim.arrivals.sum())
    open_ = r.timeseries["connections"]
    assert ((open_ > 2400 * 0.9) & (open_ < 2400 * 1.1)).all(), open_.round().tolist()
    # spread evenly over the two tasks
    held = [sim.dataplane.connections_of(t.slot) for t in sim.service.tasks]
    assert abs(held[0] - held[1]) <= 0.05 * sum(held)


def test_open_connections_follow_littles_law_and_cost_cpu_and_memory(check_accounting):
    """4 sessions/s of 10 minutes on average hold 2,400 connections; each sends 0.5 messages/s
    of 1 ms: 1.2 vCPU-s/s over 2 tasks of 1 vCPU is 60 % CPU (no sidecars), and 200 MiB + 0.5
    MiB per connection of 2,048 MiB is 39 % memory."""
    s = ws_scenario(duration="2h")
    sim, r = run(s)
    check_accounting(sim, r)
    steady = r.timeseries[r.timeseries["t_s"] >= 3600]       # six mean lifetimes in
    open_ = sim.records.inflight[3600:].mean()
    assert open_ == pytest.approx(4 * 600, rel=0.04)
    assert steady["cpu_utilization"].mean() == pytest.approx(100 * open_ * 0.5 * 0.001 / 2, rel=0.02)
    assert steady["memory_utilization"].mean() == pytest.approx(100 * (200 + 0.5 * open_ / 2) / 2048, rel=0.02)
    assert steady["cpu_utilization"].mean() == pytest.approx(60, abs=3)
    # Nothing is refused or dropped; what ended ended well.
    assert r.summary["requests"]["ok"] + r.summary["in_flight_at_end"] == r.summary["requests"]["total"]


def test_connections_stay_on_their_task_and_new_tasks_get_new_ones_only():
    s = ws_scenario(duration="40m", actions=[{"type": "set_desired_count", "at": "20m", "value": 4}],
                    websocket=LONG)
    sim, r = run(s)
    old, new = sim.service.tasks[:2], sim.service.tasks[2:]
    assert len(new) == 2
    dp = sim.dataplane
    # Sessions of an hour never end in 40 minutes: every connection the old tasks accepted by
    # 20 minutes is still there, and they keep half the new ones until the new tasks serve.
    held = [dp.connections_of(t.slot) for t in old]
    assert sum(held) + sum(dp.connections_of(t.slot) for t in new) == r.summary["requests"]["total"]
    assert min(held) >= 4 * 1200 / 2 - 1
    serving = min(t for t, k, subj, d in sim.events if k == "target_state" and subj == new[0].id
                  and d.startswith("initial -> healthy"))
    for t in new:
        # a new task's connections all arrived after it joined, a quarter of them each
        assert dp.connections_of(t.slot) == pytest.approx(4 * (2400 - serving) / 4, rel=0.05)
    assert r.summary["requests"]["errors"]["reset_on_stop"] == 0


def test_a_crash_drops_its_connections_and_they_reconnect_after_the_delay(check_accounting):
    s = ws_scenario(duration="20m", faults=[{"type": "task_crash", "at": "10m"}],
                    websocket={**LONG, "reconnect_delay": "7s"})
    sim, r = run(s)
    check_accounting(sim, r)
    rec, dp = sim.records, sim.dataplane
    dropped = int(rec.reset_on_stop.sum())
    assert dropped == pytest.approx(4 * 600 / 2, rel=0.1)            # the crashed task's half
    assert rec.reset_on_stop[600] == dropped
    # The storm: every dropped client comes back exactly reconnect_delay later, onto the task
    # that is left (the replacement is not serving yet).
    assert dp.reconnects[607] == dropped and dp.reconnects.sum() == dropped
    assert rec.arrivals[607] == dropped + sim.arrivals[607]
    survivor = next(t for t in sim.service.tasks[:2] if t.stopped_at is None)
    assert dp.connections_of(survivor.slot) >= 4 * 600 + dropped - 10   # everyone so far, but those after the replacement


def test_a_draining_task_keeps_its_connections_until_the_delay_ends():
    s = ws_scenario(duration="20m", service={"desired_count": 4},
                    target_group={"deregistration_delay": 120},
                    actions=[{"type": "set_desired_count", "at": "10m", "value": 3}],
                    websocket=LONG)
    sim, r = run(s)
    rec = sim.records
    drained = [t for t in sim.service.tasks if t.stopped_at is not None]
    assert len(drained) == 1
    assert rec.reset_on_stop[:720].sum() == 0                  # kept through the 120 s delay
    assert rec.reset_on_stop[720:722].sum() == pytest.approx(4 * 600 / 4, rel=0.1)  # dropped when it ends
    assert sim.dataplane.reconnects[725:728].sum() == rec.reset_on_stop.sum()


def test_a_task_at_its_connection_limit_refuses_and_clients_retry(check_accounting):
    s = ws_scenario(duration="20m", app={"max_concurrency": 1000},
                    websocket=LONG)
    sim, r = run(s)
    check_accounting(sim, r)
    dp, rec = sim.dataplane, sim.records
    for t in sim.service.tasks:
        assert dp.connections_of(t.slot) == 1000
    # 2,000 accepted by about 500 s; after that every attempt is refused and retried every 5 s.
    first_refusal = int(np.flatnonzero(rec.target_503)[0])
    assert 490 <= first_refusal <= 510
    assert rec.target_503.sum() > 0 and r.summary["requests"]["errors"]["target_503"] == rec.target_503.sum()
    waiting = 4 * (1200 - first_refusal)
    assert rec.target_503[-5:].sum() == pytest.approx(waiting, rel=0.05)


@pytest.mark.parametrize("algorithm", ["round_robin", "weighted_random", "least_outstanding_requests"])
def test_every_attempt_ends_once_through_crashes_scaling_and_an_empty_service(algorithm, check_accounting):
    s = ws_scenario(duration="40m", app={"max_concurrency": 900},
                    target_group={"load_balancing_algorithm_type": algorithm, "deregistration_delay": 30},
                    faults=[{"type": "task_crash", "mtbf": "15m"}],
                    actions=[{"type": "set_desired_count", "at": "8m", "value": 0},
                             {"type": "set_desired_count", "at": "12m", "value": 3}])
    sim, r = run(s)
    check_accounting(sim, r)
    e = r.summary["requests"]["errors"]
    assert e["elb_503"] > 0 and e["reset_on_stop"] > 0


def test_results_do_not_depend_on_how_far_the_engine_looks_ahead():
    s = ws_scenario(duration="30m", app={"max_concurrency": 1100},
                    faults=[{"type": "task_crash", "at": "9m"}, {"type": "task_unhealthy", "at": "15m"}],
                    actions=[{"type": "set_desired_count", "at": "20m", "value": 3}])
    saved = engine_module.LOOKAHEAD_S
    try:
        outs = []
        for lookahead in (600.0, 37.0):
            engine_module.LOOKAHEAD_S = lookahead
            outs.append(run(s)[1])
    finally:
        engine_module.LOOKAHEAD_S = saved
    assert outs[0].summary == outs[1].summary
    assert outs[0].timeseries.equals(outs[1].timeseries)


# ------------------------------------------------------------------ what CloudWatch sees
def test_connection_metrics_and_metric_math_per_task():
    s = ws_scenario(duration="1h")
    sim, r = run(s)
    store = sim.metrics
    active = store.datapoints("AWS/ApplicationELB", "ActiveConnectionCount", 60, "Sum", 0, 60)
    new = store.datapoints("AWS/ApplicationELB", "NewConnectionCount", 60, "Sum", 0, 60)
    running = store.datapoints("ECS/ContainerInsights", "RunningTaskCount", 60, "Average", 0, 60)
    assert np.allclose(active, sim.records.inflight[:3600].reshape(60, 60).mean(axis=1))
    assert np.array_equal(new, sim.records.arrivals[:3600].reshape(60, 60).sum(axis=1))
    assert (running == 2).all()
    # An alarm on connections per task, by metric math, sees m1 / m2.
    from fargatesim.cloudwatch.alarms import MetricAlarm
    cfg = scenario_from_dict({**s.to_dict(), "alarms": [PER_TASK_ALARM]}).alarms[0]
    alarm = MetricAlarm.from_config(cfg)
    assert np.allclose(alarm.datapoints(store, 0, 60), active / 2)
    assert alarm.describe([1.0, 2.0]).startswith("connections per task [1, 2] >= 900")


PER_TASK_ALARM = {
    "alarm_name": "per-task",
    "metrics": [
        {"id": "m1", "return_data": False, "metric_stat": {
            "metric": {"namespace": "AWS/ApplicationELB", "metric_name": "ActiveConnectionCount"}, "stat": "Sum"}},
        {"id": "m2", "return_data": False, "metric_stat": {
            "metric": {"namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount"}}},
        {"id": "e1", "expression": "m1 / m2", "label": "connections per task"},
    ],
    "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": 900, "evaluation_periods": 2,
}


@pytest.mark.parametrize("change, where, words", [
    ({"workload": {"kind": "websocket", "cpu_ms": 5, "websocket": WS}}, "workload.cpu_ms", ["kind websocket"]),
    ({"workload": {"kind": "websocket"}}, "workload.websocket", ["websocket block"]),
    ({"workload": {"kind": "websocket", "websocket": {"messages_per_second": 1}}},
     "workload.websocket.connection_duration", ["connection_duration"]),
    ({"workload": {"kind": "websocket", "websocket": WS}, "engine": "requests"}, "engine", ["fluid"]),
    ({"alarms": [{**PER_TASK_ALARM, "metrics": PER_TASK_ALARM["metrics"][:2] + [
        {"id": "e1", "expression": "m1 / m3"}]}]}, "alarms[0].metrics[2].expression", ["'m3'"]),
    ({"alarms": [{**PER_TASK_ALARM, "metrics": PER_TASK_ALARM["metrics"][:2] + [
        {"id": "e1", "expression": "FILL(m1, 0)"}]}]}, "alarms[0].metrics[2].expression", ["FILL()"]),
    ({"alarms": [{**PER_TASK_ALARM, "metrics": [{**q, "return_data": True} for q in PER_TASK_ALARM["metrics"]]}]},
     "alarms[0].metrics", ["exactly one", "m1, m2, e1"]),
    ({"alarms": [{**PER_TASK_ALARM, "metrics": PER_TASK_ALARM["metrics"][:2] + [
        {"id": "e1", "expression": "m1 / e2"}, {"id": "e2", "expression": "e1 * 2", "return_data": False}]}]},
     "alarms[0].metrics[2].expression", ["depend on themselves"]),
    ({"alarms": [{**PER_TASK_ALARM, "namespace": "AWS/ECS"}]}, "alarms[0].namespace", ["with metrics"]),
    ({"alarms": [{**PER_TASK_ALARM, "metrics": [PER_TASK_ALARM["metrics"][0], {
        "id": "m2", "metric_stat": {"metric": {"namespace": "ECS/ContainerInsights",
                                               "metric_name": "RunningTaskCount"}, "period": 120}},
        PER_TASK_ALARM["metrics"][2]]}]}, "alarms[0].metrics[1].metric_stat.period", ["same (60 s)"]),
])
def test_bad_websocket_and_metric_math_input_names_the_key(change, where, words):
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(change))
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert err.value.path == where, err.value.message
    for w in words:
        assert w in err.value.message


# ------------------------------------------------------------------ the example scenarios' claim
def test_step_scaling_on_connections_beats_cpu_target_tracking_for_websockets():
    """The day of the example scenarios from 08:00, the quietest hour, to the 20:00 peak: CPU
    target tracking at 50 % never sees a reason to scale out, so clients are refused by tasks at
    their connection limit; step scaling on connections per task refuses none."""
    window = {"start": "2026-01-05T08:00:00Z", "duration": "12h"}
    out = {}
    for name in ("websocket-cpu-target-tracking", "websocket-step-scaling-connections"):
        out[name] = run(load_scenario(SCENARIOS / f"{name}.yaml", overrides=window))[1]
    cpu, step = out["websocket-cpu-target-tracking"], out["websocket-step-scaling-connections"]
    assert cpu.summary["connections"]["refused"] > 100 * cpu.summary["connections"]["closed_by_clients"]
    assert step.summary["connections"]["refused"] == 0
    # at the peak, step scaling runs the tasks the connections need; CPU says the few suffice
    assert step.timeseries["running_count"].iloc[-1] >= 4 * cpu.timeseries["running_count"].iloc[-1]
    assert step.summary["connections"]["mean_open"] > 1.5 * cpu.summary["connections"]["mean_open"]


def test_the_results_count_sessions_attempts_and_connections_consistently(tmp_path):
    s = ws_scenario(duration="30m", app={"max_concurrency": 1000},
                    faults=[{"type": "task_crash", "at": "12m"}])
    sim, r = run(s)
    c, req = r.summary["connections"], r.summary["requests"]
    e = req["errors"]
    assert c["attempts"] == req["total"] == c["sessions"] + c["reconnects"]
    assert c["sessions"] == int(sim.arrivals.sum())
    assert c["dropped"] == e["reset_on_stop"] > 0
    assert c["refused"] == e["elb_503"] + e["elb_502"] + e["target_503"] > 0
    assert c["closed_by_clients"] == req["ok"] and c["open_at_end"] == r.summary["in_flight_at_end"]
    assert c["peak_open"] <= 2 * 1000
    ts = r.timeseries
    assert int(ts["reconnects"].sum()) == c["reconnects"]
    assert ts["connections"].max() <= c["peak_open"] and ts["connections"].mean() == pytest.approx(c["mean_open"], rel=1e-3)
    r.save(tmp_path, plot=False)
    import pandas as pd
    assert list(pd.read_csv(tmp_path / "timeseries.csv").columns[-2:]) == ["connections", "reconnects"]


def test_step_scaling_drops_fewer_connections_than_cpu_target_tracking_tuned_to_keep_up():
    """CPU target tracking at 20 % (below a full task's CPU) refuses no one either, but over the
    day its scale-ins drop more connections than step scaling's one-at-a-time ones, at a higher
    cost (docs/websocket.md has the figures)."""
    tt = run(load_scenario(SCENARIOS / "websocket-cpu-target-tracking.yaml", overrides={
        "autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value": 20}))[1].summary
    step = run(load_scenario(SCENARIOS / "websocket-step-scaling-connections.yaml"))[1].summary
    assert tt["connections"]["refused"] == step["connections"]["refused"] == 0
    assert step["connections"]["dropped"] <= 0.75 * tt["connections"]["dropped"]
    assert step["cost"]["usd"] < tt["cost"]["usd"]


def test_the_step_policys_cooldown_waits_for_new_tasks_to_show_in_the_metric():
    """The day starts above 2,500 connections per task. New tasks show in connections per task
    about five minutes after the scale-out (a minute to start, then three before their minute's
    datapoint is published), so with the scenario's cooldown (300 s) one scale-out does; with
    120 s the alarm, still on the old ratio, applies its percentage again to the grown count."""
    cooldown = "autoscaling.policies[0].step_scaling_policy_configuration.cooldown"
    out = {}
    for name, changes in (("as shipped", {}), ("120 s", {cooldown: 120})):
        s = load_scenario(SCENARIOS / "websocket-step-scaling-connections.yaml",
                          overrides={"duration": "1h", **changes})
        r = run(s)[1]
        ev = r.events
        scale_outs = ev[(ev["kind"] == "scaling_activity") & ev["detail"].str.startswith("scale-out")]
        out[name] = (len(scale_outs), int(r.timeseries["desired_count"].max()))
    assert out["as shipped"][0] == 1, out
    assert out["120 s"][0] >= 2 and out["120 s"][1] > out["as shipped"][1], out

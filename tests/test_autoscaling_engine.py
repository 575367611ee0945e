"""Application Auto Scaling in the running engine: AWS's rules as invariants and timings."""
from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from fargatesim.engine import Simulation
from fargatesim.scenario import load_scenario, scenario_from_dict
from fargatesim.studies.validation import (AWS_SCALE_OUT_SECONDS, first_scale_out_delay,
                                   scale_out_delays)

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
AUTOSCALING_SCENARIOS = sorted(p for p in SCENARIOS.glob("*.yaml")
                               if "autoscaling:" in p.read_text())


def _base(traffic, policies, *, alarms=(), scheduled=(), min_capacity=2, max_capacity=20,
          desired=4, duration="3h", seed=0):
    return {
        "name": "as-prop", "duration": duration, "seed": seed, "traffic": traffic,
        "workload": {"cpu_ms": {"distribution": "exponential", "mean": 25}, "io_ms": 5,
                     "timeout": "30s", "memory_mb_per_request": 2},
        "task_definition": {"cpu": 512, "memory": 1024, "startup": {"distribution": "uniform", "low": 20, "high": 40},
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}],
                                                       "base_memory_mb": 200, "max_concurrency": 150}]},
        "service": {"desired_count": desired},
        "target_group": {"deregistration_delay": 20,
                         "health_check": {"interval": 10, "timeout": 5, "healthy_threshold": 2,
                                          "unhealthy_threshold": 3}},
        "autoscaling": {"min_capacity": min_capacity, "max_capacity": max_capacity,
                        "policies": list(policies), "scheduled_actions": list(scheduled)},
        "alarms": list(alarms),
    }


def _tt(name, metric, target, out_cd, in_cd, disable_in=False):
    return {"name": name, "policy_type": "TargetTrackingScaling",
            "target_tracking_scaling_policy_configuration": {
                "target_value": target, "predefined_metric_specification": {"predefined_metric_type": metric},
                "scale_out_cooldown": out_cd, "scale_in_cooldown": in_cd, "disable_scale_in": disable_in}}


# ------------------------------------------------------------------ strategies
traffic_st = st.lists(st.one_of(
    st.builds(lambda r: {"constant": {"rps": r}}, st.floats(5, 120)),
    st.builds(lambda at, p, h: {"spike": {"at": at, "peak_rps": p, "rise": 60, "hold": h, "decay": 300}},
              st.integers(600, 7200), st.floats(50, 400), st.integers(60, 1800)),
    st.builds(lambda a, r: {"steps": [{"at": a, "rps": r}]}, st.integers(0, 9000), st.floats(0, 150)),
), min_size=1, max_size=3)

tt_st = st.builds(
    _tt, name=st.just("tt"),
    metric=st.sampled_from(["ECSServiceAverageCPUUtilization", "ECSServiceAverageCPUUtilizationHighResolution",
                            "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"]),
    target=st.sampled_from([40.0, 60.0, 75.0]), out_cd=st.sampled_from([0, 60, 300]),
    in_cd=st.sampled_from([0, 120, 300, 900]), disable_in=st.booleans())


@st.composite
def policy_sets(draw):
    tts = draw(st.lists(tt_st, min_size=0, max_size=3, unique_by=lambda p: p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"]["predefined_metric_type"]))
    for i, p in enumerate(tts):
        p["name"] = f"tt-{i}"
        cfg = p["target_tracking_scaling_policy_configuration"]
        if cfg["predefined_metric_specification"]["predefined_metric_type"] == "ALBRequestCountPerTarget":
            cfg["target_value"] = draw(st.sampled_from([600.0, 1200.0, 2400.0]))
    alarms = []
    if draw(st.booleans()) or not tts:
        cd = draw(st.sampled_from([0, 60, 300]))
        tts.append({"name": "step-out", "policy_type": "StepScaling", "step_scaling_policy_configuration": {
            "adjustment_type": draw(st.sampled_from(["ChangeInCapacity", "PercentChangeInCapacity"])),
            "cooldown": cd, "min_adjustment_magnitude": 1,
            "step_adjustments": [{"metric_interval_lower_bound": 0, "metric_interval_upper_bound": 20, "scaling_adjustment": 1},
                                 {"metric_interval_lower_bound": 20, "scaling_adjustment": draw(st.integers(2, 50))}]}})
        tts.append({"name": "step-in", "policy_type": "StepScaling", "step_scaling_policy_configuration": {
            "adjustment_type": "ChangeInCapacity", "cooldown": draw(st.sampled_from([0, 120, 600])),
            "step_adjustments": [{"metric_interval_upper_bound": 0, "scaling_adjustment": -1}]}})
        alarms = [
            {"alarm_name": "cpu-high", "namespace": "AWS/ECS", "metric_name": "CPUUtilization", "statistic": "Average",
             "period": 60, "evaluation_periods": 2, "comparison_operator": "GreaterThanOrEqualToThreshold",
             "threshold": 70, "alarm_actions": ["step-out"]},
            {"alarm_name": "cpu-low", "namespace": "AWS/ECS", "metric_name": "CPUUtilization", "statistic": "Average",
             "period": 60, "evaluation_periods": 5, "comparison_operator": "LessThanThreshold",
             "threshold": 30, "alarm_actions": ["step-in"]}]
    return tts, alarms


def _alarm_state_at(events, name, t):
    rows = events[(events.kind == "alarm_state") & (events.subject == name) & (events.t_s <= t)]
    return "INSUFFICIENT_DATA" if rows.empty else rows.iloc[-1].detail.split(" -> ")[1].split(" ")[0]


# Each example is a three-hour run: shrinking a failure would take many minutes, so the
# failing example is reported as drawn.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(traffic=traffic_st, policies=policy_sets(), bounds=st.tuples(st.integers(0, 4), st.integers(4, 30)),
       scheduled=st.booleans(), seed=st.integers(0, 1000))
def test_aws_scaling_rules_hold_for_any_traffic_and_policies(traffic, policies, bounds, scheduled, seed):
    tts, alarms = policies
    lo, hi = bounds
    actions = [{"name": "floor", "schedule": "cron(30 1 * * ? *)", "scalable_target_action": {"min_capacity": min(hi, lo + 3)}},
               {"name": "unfloor", "schedule": "cron(30 2 * * ? *)", "scalable_target_action": {"min_capacity": lo}}] if scheduled else []
    s = scenario_from_dict(_base(traffic, tts, alarms=alarms, scheduled=actions,
                                 min_capacity=lo, max_capacity=hi, seed=seed))
    sim = Simulation(s).run()
    target = sim.scalable_target
    from fargatesim.results import Result
    result = Result.from_simulation(sim)
    events = result.events
    # The summary counts the scale-outs and scale-ins the scalable target made, nothing else.
    kinds = [d.kind for d in sim.scalable_target.decisions]
    assert result.summary["scaling"]["scale_out"] == kinds.count("scale-out")
    assert result.summary["scaling"]["scale_in"] == kinds.count("scale-in")

    # 1. Desired capacity stays within the bounds in force at every moment.
    for t, snap in sim.snapshots:
        assert snap["min_capacity"] <= snap["desired_count"] <= snap["max_capacity"], (t, snap)

    decisions = target.decisions
    cooldown_in = {p["name"]: (p.get("target_tracking_scaling_policy_configuration") or {}).get(
        "scale_in_cooldown", (p.get("step_scaling_policy_configuration") or {}).get("cooldown", 300))
        for p in tts}
    # 2. No policy scale-in inside a scale-in cooldown (recomputed here from the decisions alone).
    cooldown_end = -math.inf
    for d in decisions:
        if d.kind == "scale-out":
            cooldown_end = min(cooldown_end, d.t)          # a scale-out ends the scale-in cooldown
        elif d.kind == "scale-in":
            assert d.t >= cooldown_end, f"scale-in at {d.t} inside a cooldown ending at {cooldown_end}"
            cooldown_end = d.t + cooldown_in[d.policy]
    # 3. A scale-out never waits for a scale-in cooldown: every wish to grow is granted unless
    #    capacity is at its maximum.
    for d in decisions:
        if d.wanted is not None and d.wanted > d.old and d.direction != "in":
            assert d.kind == "scale-out" or d.reason == "AlreadyAtMaxCapacity", d
    # 4. Target tracking scales in only when every target tracking policy that may scale in
    #    has its AlarmLow in ALARM.
    tt_names = [p["name"] for p in tts if p["policy_type"] == "TargetTrackingScaling"
                and not p["target_tracking_scaling_policy_configuration"]["disable_scale_in"]]
    for d in decisions:
        if d.kind == "scale-in" and d.policy in tt_names:
            for name in tt_names:
                low = f"TargetTracking-service/default/{s.service.name}-AlarmLow-{name}"
                assert _alarm_state_at(events, low, d.t) == "ALARM", (d, name)


def test_several_target_tracking_policies_scale_in_only_when_all_agree():
    # Low CPU but busy memory: the CPU policy alone would scale in; the memory one holds it.
    s = scenario_from_dict(_base(
        [{"constant": {"rps": 20}}],
        [_tt("cpu", "ECSServiceAverageCPUUtilization", 60, 60, 60),
         _tt("mem", "ECSServiceAverageMemoryUtilization", 20, 60, 60)],
        min_capacity=1, desired=8, duration="1h"))
    sim = Simulation(s).run()
    assert sim.service.desired_count == 8
    assert not [d for d in sim.scalable_target.decisions if d.kind == "scale-in"]
    # The same load with only the CPU policy scales in.
    s2 = scenario_from_dict(_base([{"constant": {"rps": 20}}],
                                  [_tt("cpu", "ECSServiceAverageCPUUtilization", 60, 60, 60)],
                                  min_capacity=1, desired=8, duration="1h"))
    sim2 = Simulation(s2).run()
    assert sim2.service.desired_count < 8


DATA = Path(__file__).resolve().parent / "data"


def test_cpu_and_memory_target_tracking_settle_at_the_largest_capacity():
    # At 3 tasks CPU (40 %, AlarmLow in ALARM) still wants 3 and memory wants 2: the largest
    # capacity holds the service at 3; it never goes to 2 and back (which it did every 30 minutes).
    sim = Simulation(load_scenario(DATA / "cpu-and-memory-target-tracking.yaml")).run()
    decisions = sim.scalable_target.decisions
    changes = [(d.kind, d.old, d.new) for d in decisions if d.kind in ("scale-out", "scale-in")]
    assert changes == [("scale-in", 4, 3)]
    first_in = next(d.t for d in decisions if d.kind == "scale-in")
    assert first_in < 3600
    counts = [snap["desired_count"] for t, snap in sim.snapshots if t >= first_in]
    assert set(counts) == {3}
    # Memory's AlarmLow kept asking for fewer; each time CPU's 3 decided.
    held = [d for d in decisions if d.policy == "memory-80" and d.kind == "not-scaled"]
    assert held and all(d.wanted == 3 and d.reason == "AlreadyAtDesiredCapacity" for d in held)


def test_two_step_policies_stop_at_the_larger_step_during_their_cooldown():
    # +3 and +200 % on CPU >= 70 % from 10 tasks: 10 -> 30, then nothing more while the
    # 20-minute cooldown runs, however many of the 30 tasks are running when the alarm repeats.
    sim = Simulation(load_scenario(DATA / "two-step-policies-in-a-cooldown.yaml")).run()
    decisions = sim.scalable_target.decisions
    assert [(d.kind, d.old, d.new, d.policy) for d in decisions if d.kind == "scale-out"] == [
        ("scale-out", 10, 30, "plus-200-percent")]
    repeats = [d for d in decisions if d.kind == "not-scaled"]
    assert repeats and {d.reason for d in repeats} == {"ScaleOutCooldown"}
    assert max(snap["desired_count"] for _, snap in sim.snapshots) == 30
    assert sim.service.running_count() == 30


def test_scale_out_ends_a_running_scale_in_cooldown():
    s = scenario_from_dict(_base(
        [{"constant": {"rps": 10}}, {"steps": [{"at": 1800, "rps": 300}]}],
        [_tt("cpu", "ECSServiceAverageCPUUtilization", 50, 0, 3600)],
        min_capacity=1, desired=6, duration="1h"))
    sim = Simulation(s).run()
    decisions = sim.scalable_target.decisions
    first_in = next(d for d in decisions if d.kind == "scale-in")
    out = next(d for d in decisions if d.kind == "scale-out" and d.t > first_in.t)
    assert out.t < first_in.t + 3600          # it did not wait for the hour-long cooldown


@pytest.mark.parametrize("metric_type", list(AWS_SCALE_OUT_SECONDS))
def test_first_scale_out_matches_aws_benchmark_within_15_percent(metric_type):
    delays = scale_out_delays(metric_type, steps=8, seed=3)
    mean = statistics.fmean(delays)
    aws = AWS_SCALE_OUT_SECONDS[metric_type]
    assert abs(mean - aws) <= 0.15 * aws, f"mean {mean:.0f} s vs AWS {aws:.0f} s ({delays})"


@pytest.mark.parametrize("metric_type", ["ECSServiceAverageCPUUtilization",
                                         "ECSServiceAverageCPUUtilizationHighResolution"])
def test_tasks_in_service_catch_up_within_start_up_and_health_check_time(metric_type):
    step_at = 3600 + 17.0
    delay, sim = first_scale_out_delay(metric_type, step_at)
    s = sim.scenario
    out = next(d for d in sim.scalable_target.decisions if d.kind == "scale-out" and d.t >= step_at)
    startup_max = float(s.task_definition.startup.ppf(1.0))
    hc = s.target_group.health_check
    bound = out.t + startup_max + s.task_definition.app_container.app_start + hc.interval * s.target_group.initial_health_checks
    healthy_after = [(t, snap["healthy_targets"]) for t, snap in sim.snapshots if t >= out.t]
    reached = next(t for t, n in healthy_after if n >= out.new)
    assert reached <= bound + 1e-6, f"{out.new} healthy at {reached:.0f} s, expected by {bound:.0f} s"


@pytest.mark.parametrize("path", AUTOSCALING_SCENARIOS, ids=lambda p: p.stem)
def test_every_change_of_desired_count_is_explained_in_events(path):
    s = load_scenario(path, overrides={"duration": min(load_scenario(path).duration, 14 * 3600)})
    sim = Simulation(s).run()
    from fargatesim.results import Result
    events = Result.from_simulation(sim).events
    explaining = events[events.kind.isin(["scaling_activity", "scheduled_action", "service"])]
    changes = 0
    previous = None
    for t, snap in sim.snapshots:
        desired = snap["desired_count"]
        if previous is not None and desired != previous:
            changes += 1
            here = explaining[np.isclose(explaining.t_s, round(t, 3), atol=1e-3)]
            text = f"{previous} -> {desired}"
            assert any(text in d for d in here.detail), f"{path.stem}: desired {text} at {t} s unexplained"
            row = here[here.detail.str.contains(text, regex=False)].iloc[0]
            # The row names the policy or action, and why (alarm state, scheduled bounds, a
            # custom policy's answer or the hour's forecast).
            assert row.subject and ("ALARM" in row.detail or "min_capacity" in row.detail
                                    or "returned" in row.detail or row.kind == "service"
                                    or "forecast capacity" in row.detail)
        previous = desired
    assert changes > 0, f"{path.stem}: the scenario never scaled"


def test_scale_from_zero_starts_with_one_task_then_tracks_the_load():
    s = scenario_from_dict(_base(
        [{"steps": [{"at": 600, "rps": 120}]}],
        [_tt("rcpt", "ALBRequestCountPerTarget", 1200, 0, 300)],
        min_capacity=0, desired=0, duration="1h"))
    sim = Simulation(s).run()
    outs = [d for d in sim.scalable_target.decisions if d.kind == "scale-out"]
    assert outs[0].old == 0 and outs[0].new == 1          # the smallest possible amount first
    # Then on the tasks it measured: 120 req/s = 7,200 per minute over 1,200 per target.
    assert sim.service.desired_count == math.ceil(120 * 60 / 1200)


def test_customized_metric_target_tracking_on_response_time():
    policy = {"name": "latency", "policy_type": "TargetTrackingScaling",
              "target_tracking_scaling_policy_configuration": {
                  "target_value": 0.08, "scale_out_cooldown": 60, "scale_in_cooldown": 600,
                  "customized_metric_specification": {"namespace": "AWS/ApplicationELB",
                                                      "metric_name": "TargetResponseTime",
                                                      "statistic": "Average"}}}
    s = scenario_from_dict(_base([{"constant": {"rps": 60}}, {"steps": [{"at": 900, "rps": 40}]}],
                                 [policy], min_capacity=2, desired=4, duration="1h"))
    sim = Simulation(s).run()
    outs = [d for d in sim.scalable_target.decisions if d.kind == "scale-out"]
    assert outs and all("TargetResponseTime" in d.reason for d in outs)
    # Without a task count behind the metric, the running count is the base (ECS guide).
    assert f"ceil({outs[0].old} x" in outs[0].reason
    latency = lambda a, b: sim.metrics.datapoints("AWS/ApplicationELB", "TargetResponseTime", 60, "Average", a, b)
    assert latency(1, 5).min() > 0.08            # 4 tasks start over the target...
    assert latency(50, 60).max() <= 0.08         # ...and the scale-outs bring it under, for good

"""A predictive scaling policy with the scalable target, rule by rule on a simpy clock: when it
raises capacity, that it never lowers it, how it combines with other policies' scale-in and
scale-out, cooldowns, scheduled minimums and the maximum-capacity rules."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
import simpy

from fargatesim.autoscaling.predictive_policy import History, PredictiveScalingPolicy
from fargatesim.autoscaling.predictive_scaling import HOUR_S
from fargatesim.autoscaling.scalable_target import Recommendation, ScalableTarget
from fargatesim.scenario.predictive import PredictiveScalingConfig

START = datetime(2026, 1, 5, tzinfo=timezone.utc)


class Service:
    def __init__(self, desired):
        self.desired_count = desired
        self.deploying = False

    def running_count(self):
        return self.desired_count

    def set_desired(self, new, why, quiet=False):
        self.desired_count = new


class Store:
    """CPU at 50 % over 10 tasks every minute: the hours the run records."""

    def datapoints(self, namespace, metric, period, stat, first, stop):
        return np.full(max(0, stop - first), 10.0 if metric == "RunningTaskCount" else 50.0)


class Script:
    """A forecaster that forecasts the given loads, hour by hour from the first forecast hour."""

    def __init__(self, loads):
        self.loads = np.asarray(loads, dtype=float)

    def forecast(self, history, hours):
        return np.resize(self.loads, hours)


def config(**kw):
    return PredictiveScalingConfig.model_validate({
        "mode": "ForecastAndScale",
        "metric_specification": [{"target_value": 50,
                                  "predefined_metric_pair_specification": {"predefined_metric_type":
                                                                           "ECSServiceCPUUtilization"}}],
        **kw})


def setup(loads, *, desired=5, lo=1, hi=100, **kw):
    """The target, its service and a predictive policy whose capacity for the hours from t = 0 is
    ceil(load / 50) (CPU pair, target 50 %), with a day of history before the run."""
    env = simpy.Environment()
    service = Service(desired)
    events = []
    target = ScalableTarget(env, service, lo, hi, lambda *e: events.append(e), lambda: None)
    policy = PredictiveScalingPolicy(
        "predictive", config(**kw), target, service, Store(), forecaster=Script(loads),
        history=History([500.0] * 24, [50.0] * 24, [10.0] * 24, 0.0), metric_delay=180.0,
        record_event=lambda *e: events.append(e), start=START)
    env.process(policy.run(env))
    return env, target, service, policy, events


def desired_over(env, service, until, step=60.0):
    """The desired count just after each multiple of `step` (once that instant's decisions are made)."""
    seen = {}

    def watch():
        yield env.timeout(0.5)
        while True:
            seen[env.now - 0.5] = service.desired_count
            yield env.timeout(step)
    env.process(watch())
    env.run(until=until)
    return seen


def test_the_hours_capacity_is_applied_at_its_start_less_the_buffer():
    # Hours 0, 1, 2 ... need 10, 20, 30 tasks.
    env, target, service, _, _ = setup([500, 1000, 1500, 2000], scheduling_buffer_time=600)
    seen = desired_over(env, service, 3 * HOUR_S + 1, step=60)
    assert seen[0] == 10                               # hour 0's, at once
    assert seen[HOUR_S - 660] == 10 and seen[HOUR_S - 600] == 20
    assert seen[2 * HOUR_S - 660] == 20 and seen[2 * HOUR_S - 600] == 30


def test_a_falling_forecast_never_scales_in():
    env, target, service, _, _ = setup([2000, 1500, 1000, 500, 500, 500])
    seen = desired_over(env, service, 6 * HOUR_S)
    assert set(seen.values()) == {40}
    assert not [d for d in target.decisions if d.policy == "predictive" and d.new < d.old]


def test_other_policies_scale_in_no_lower_than_the_forecast_in_force():
    env, target, service, _, _ = setup([1000] * 6, desired=5)       # holds 20
    env.run(until=10)
    assert service.desired_count == 20
    target.recommend(Recommendation("cpu", 8, 20, "AlarmLow", 300, 300, direction="in"))
    env.run(until=20)
    assert service.desired_count == 20
    assert target.decisions[-1].reason == "OtherPoliciesNotReadyToScaleIn"
    # From above the floor, a scale-in stops at it: the largest capacity wins.
    target.recommend(Recommendation("cpu", 30, 20, "AlarmHigh", 0, 0, direction="out"))
    env.run(until=30)
    assert service.desired_count == 30
    target.recommend(Recommendation("cpu", 8, 30, "AlarmLow", 0, 0, direction="in"))
    env.run(until=40)
    assert service.desired_count == 20 and target.decisions[-1].kind == "scale-in"


def test_the_largest_capacity_wins_at_the_same_instant():
    env, target, service, _, _ = setup([1000, 1000, 2000, 2000], desired=5, scheduling_buffer_time=0)
    env.run(until=HOUR_S - 1)
    assert service.desired_count == 20
    # At hour 2's start the forecast asks for 40 and a target tracking policy for 35.
    env.run(until=2 * HOUR_S)
    target.recommend(Recommendation("cpu", 35, 20, "AlarmHigh", 300, 300, direction="out"))
    env.run(until=2 * HOUR_S + 1)
    assert service.desired_count == 40
    assert [d.policy for d in target.decisions if d.kind == "scale-out"][-1] == "predictive"


def test_its_scale_outs_neither_wait_for_nor_start_a_cooldown():
    env, target, service, _, _ = setup([500, 1000, 1000], desired=5, scheduling_buffer_time=0)
    env.run(until=HOUR_S - 300)
    target.recommend(Recommendation("cpu", 12, 10, "AlarmHigh", 600, 600, direction="out"))
    env.run(until=HOUR_S - 299)
    cooldown_end = target.scale_out_cooldown_until
    assert service.desired_count == 12 and cooldown_end == HOUR_S - 300 + 600
    env.run(until=HOUR_S + 1)                         # inside that cooldown: raised at once
    assert service.desired_count == 20
    assert target.scale_out_cooldown_until == cooldown_end


def test_a_scheduled_minimum_above_the_forecast_still_applies():
    env, target, service, _, _ = setup([500] * 4, desired=5)
    env.run(until=10)
    assert service.desired_count == 10
    target.set_bounds("business-hours", 25, None)
    env.run(until=HOUR_S + 10)
    assert service.desired_count == 25


def test_honor_max_capacity_holds_the_maximum():
    env, target, service, _, _ = setup([3000] * 4, desired=5, hi=40)     # wants 60
    env.run(until=10)
    assert service.desired_count == 40 and target.max_capacity == 40


def test_increase_max_capacity_raises_the_maximum_by_the_buffer_and_keeps_it():
    # AWS's example: forecast 50 tasks, buffer 10 %, maximum 40 -> maximum 55.
    env, target, service, _, events = setup([2500, 2500, 500, 500], desired=5, hi=40,
                                            max_capacity_breach_behavior="IncreaseMaxCapacity",
                                            max_capacity_buffer=10, scheduling_buffer_time=0)
    env.run(until=10)
    assert service.desired_count == 50 and target.max_capacity == 55
    assert any("max_capacity 40 -> 55" in e[3] for e in events)
    env.run(until=3 * HOUR_S)
    assert target.max_capacity == 55


def test_forecast_only_forecasts_and_changes_nothing():
    env, target, service, policy, _ = setup([2000] * 4, desired=5, mode="ForecastOnly")
    env.run(until=7 * HOUR_S)
    assert service.desired_count == 5 and not target.decisions
    assert [f.issued_s for f in policy.clock.forecasts] == [0, 6 * HOUR_S]
    assert policy.clock.capacity_at(HOUR_S) == 40


def test_each_hour_of_the_run_is_learned_once_its_data_is_visible():
    env, target, service, policy, _ = setup([500] * 4, desired=5)
    env.run(until=2 * HOUR_S + 179)
    assert len(policy.hours) == 1                     # hour 1 ends at 7200 s, visible at 7380 s
    env.run(until=2 * HOUR_S + 181)
    assert [h.start_s for h in policy.hours] == [0, HOUR_S]
    assert policy.hours[0].load == pytest.approx(500.0)      # 10 tasks x 50 %
    assert len(policy.clock.history) == 26

"""The scalable target's rules, one decision at a time (aws-behaviour.md 1.4-1.8, 2.4, 3).

A simpy clock and a stand-in service let each rule be driven exactly: which recommendation
arrives when, with how many tasks running. The engine-level properties of the same rules over
random traffic are in test_autoscaling_engine.py.
"""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import simpy
from conftest import BASE, build_scenario
from hypothesis import given, settings, strategies as st

from fargatesim.autoscaling.policies import StepScalingPolicy, TargetTrackingPolicy
from fargatesim.autoscaling.scalable_target import Recommendation, ScalableTarget
from fargatesim.autoscaling.target_tracking import metric_of, target_tracking_capacity
from fargatesim.cloudwatch.alarms import AlarmEvaluator, MetricAlarm
from fargatesim.scenario import ScenarioError, scenario_from_dict


class Service:
    """What the scalable target reads and sets on an ECS service."""

    def __init__(self, desired: int, running: int | None = None):
        self.desired_count = desired
        self.running = desired if running is None else running
        self.deploying = False

    def running_count(self) -> int:
        return self.running

    def set_desired(self, value: int, cause: str, *, quiet: bool = False) -> None:
        self.desired_count = value


def make_target(desired, *, running=None, min_capacity=1, max_capacity=20):
    env = simpy.Environment()
    service = Service(desired, running)
    events = []
    target = ScalableTarget(env, service, min_capacity, max_capacity,
                            record_event=lambda t, kind, subject, detail: events.append((t, kind, subject, detail)),
                            touch=lambda: None)
    return env, service, target, events


def rec(capacity, base, *, policy="p", relative=False, direction="any", cooldown=300.0, settle=None):
    """`relative`: a ChangeInCapacity step of capacity - base."""
    step = (lambda start: start + capacity - base) if relative else None
    return Recommendation(policy=policy, capacity=capacity, base=base, why="test", scale_out_cooldown=cooldown,
                          scale_in_cooldown=cooldown, direction=direction, settle=settle, capacity_from=step)


def at(env, t, action):
    def proc():
        yield env.timeout(t - env.now)
        action()
    env.process(proc())


def last_decision(target):
    return target.decisions[-1]


def step_policy(target, service, adjustment_type, steps, cooldown=300, *, name="step", min_adjustment_magnitude=None):
    cfg = SimpleNamespace(adjustment_type=adjustment_type, metric_aggregation_type="Average", cooldown=cooldown,
                          min_adjustment_magnitude=min_adjustment_magnitude,
                          step_adjustments=[SimpleNamespace(metric_interval_lower_bound=lo,
                                                            metric_interval_upper_bound=hi, scaling_adjustment=adj)
                                            for lo, hi, adj in steps])
    policy = SimpleNamespace(name=name, step_scaling_policy_configuration=cfg)
    return StepScalingPolicy(policy, target, service)


def cpu_high_at(env, t, service, policies, value, *, running=None):
    """At t (with `running` tasks running by then, if given), a CPU >= 70 % alarm at `value`
    invokes each of the step policies."""
    def invoke():
        if running is not None:
            service.running = running
        for policy in policies:
            policy(alarm(70, "GreaterThanOrEqualToThreshold", value), env.now)
    at(env, t, invoke)


def alarm(threshold, operator, *values):
    a = MetricAlarm(name="a", namespace="AWS/ECS", metric_name="CPUUtilization", statistic="Average", period=60,
                    evaluation_periods=len(values), datapoints_to_alarm=len(values),
                    comparison_operator=operator, threshold=threshold)
    a.last_values = list(values)
    return a


# ---------------------------------------------------------------------- scale-out cooldown
def test_a_larger_step_during_the_scale_out_cooldown_adds_only_the_difference():
    # aws-behaviour.md 2.4: capacity added by the scale-out that started the cooldown counts as
    # already there. 4 tasks; +2 -> 6; the new tasks are still starting (4 running) when a +3
    # arrives: 4 + 3 = 7, one more, not 6 + 3.
    env, service, target, _ = make_target(4)
    at(env, 0, lambda: target.recommend(rec(6, 4, relative=True)))
    at(env, 60, lambda: target.recommend(rec(7, 4, relative=True)))
    env.run(until=61)
    assert [(d.kind, d.old, d.new) for d in target.decisions] == [("scale-out", 4, 6), ("scale-out", 6, 7)]


def test_the_same_step_again_during_the_cooldown_is_not_scaled_with_the_cooldown_as_reason():
    env, service, target, events = make_target(4)
    at(env, 0, lambda: target.recommend(rec(6, 4, relative=True)))
    at(env, 60, lambda: target.recommend(rec(6, 4, relative=True)))
    env.run(until=61)
    assert service.desired_count == 6
    assert last_decision(target).kind == "not-scaled" and last_decision(target).reason == "ScaleOutCooldown"
    assert "not scaled: ScaleOutCooldown" in events[-1][3]


def test_after_the_scale_out_cooldown_the_step_applies_to_the_capacity_then():
    env, service, target, _ = make_target(4)
    at(env, 0, lambda: target.recommend(rec(6, 4, relative=True, cooldown=120)))
    at(env, 121, lambda: target.recommend(rec(6, 4, relative=True, cooldown=120)))
    env.run(until=122)
    assert service.desired_count == 6  # from 4 running, +2 is 6 again: no compounding either way
    assert last_decision(target).reason == "AlreadyAtDesiredCapacity"


def test_exact_capacity_during_the_cooldown_sets_that_capacity():
    # ExactCapacity is not an adjustment: the cooldown's difference rule does not apply to it.
    env, service, target, _ = make_target(4)
    policy = step_policy(target, service, "ExactCapacity", [(0, None, 10)])
    at(env, 0, lambda: target.recommend(rec(6, 4, relative=True)))   # an earlier +2 starts the cooldown
    def exact():
        service.running = 6
        policy(alarm(70, "GreaterThanOrEqualToThreshold", 80.0), env.now)
    at(env, 60, exact)
    env.run(until=61)
    assert service.desired_count == 10


def test_a_step_policy_picks_its_step_with_its_alarms_comparison_operator():
    # At exactly the threshold the metric lies in a step ending at 0 and one starting at 0; a
    # LessThanOrEqualToThreshold alarm breaches on the lower side, so its step is (.., 0].
    env, service, target, _ = make_target(6)
    policy = step_policy(target, service, "ChangeInCapacity", [(None, 0, -2), (0, None, 1)])
    at(env, 0, lambda: policy(alarm(40, "LessThanOrEqualToThreshold", 40.0), env.now))
    env.run(until=1)
    assert service.desired_count == 4


# ---------------------------------------------------------------------- combining
def test_the_largest_capacity_wins_when_several_policies_scale_out_at_once():
    env, service, target, _ = make_target(4)
    at(env, 0, lambda: (target.recommend(rec(6, 4, policy="a")), target.recommend(rec(9, 4, policy="b"))))
    env.run(until=1)
    assert service.desired_count == 9 and last_decision(target).policy == "b"


def test_the_largest_capacity_wins_when_several_policies_scale_in_at_once():
    # 9.2's rule for scale-in too: the one that removes least.
    env, service, target, _ = make_target(10)
    at(env, 0, lambda: (target.recommend(rec(6, 10, policy="a")), target.recommend(rec(8, 10, policy="b"))))
    env.run(until=1)
    assert service.desired_count == 8 and last_decision(target).policy == "b"


def test_scale_out_beats_scale_in_at_the_same_instant():
    env, service, target, _ = make_target(10)
    at(env, 0, lambda: (target.recommend(rec(6, 10, policy="a")), target.recommend(rec(11, 10, policy="b"))))
    env.run(until=1)
    assert service.desired_count == 11


def test_a_target_tracking_scale_in_waits_for_its_peers_and_says_so():
    env, service, target, events = make_target(10)
    at(env, 0, lambda: target.recommend(rec(6, 10, direction="in", settle=lambda: None)))
    env.run(until=1)
    assert service.desired_count == 10
    assert last_decision(target).reason == "OtherPoliciesNotReadyToScaleIn"
    assert "OtherPoliciesNotReadyToScaleIn" in events[-1][3]


# ---------------------------------------------------------------------- scale-in cooldown
def test_no_scale_in_inside_the_scale_in_cooldown_and_a_scale_out_ends_it():
    env, service, target, _ = make_target(10)
    at(env, 0, lambda: target.recommend(rec(8, 10)))
    at(env, 100, lambda: target.recommend(rec(6, 8)))           # blocked: cooldown to 300 s
    at(env, 150, lambda: target.recommend(rec(9, 8, cooldown=0)))
    at(env, 160, lambda: target.recommend(rec(7, 9)))           # the scale-out ended the cooldown
    env.run(until=161)
    assert [(d.t, d.kind, d.reason if d.kind == "not-scaled" else d.new) for d in target.decisions] == [
        (0, "scale-in", 8), (100, "not-scaled", "ScaleInCooldown"), (150, "scale-out", 9), (160, "scale-in", 7)]


def test_scale_in_is_suspended_during_a_deployment():
    env, service, target, _ = make_target(10)
    service.deploying = True
    at(env, 0, lambda: target.recommend(rec(8, 10)))
    env.run(until=1)
    assert service.desired_count == 10 and last_decision(target).reason == "ScaleInSuspendedDuringDeployment"


# ---------------------------------------------------------------------- clamping
def test_clamped_to_max_and_min_with_aws_reason_codes():
    env, service, target, _ = make_target(20, min_capacity=2, max_capacity=20)
    at(env, 0, lambda: target.recommend(rec(25, 20)))
    env.run(until=1)
    assert service.desired_count == 20 and last_decision(target).reason == "AlreadyAtMaxCapacity"
    env, service, target, _ = make_target(2, min_capacity=2, max_capacity=20)
    at(env, 0, lambda: target.recommend(rec(1, 2)))
    env.run(until=1)
    assert service.desired_count == 2 and last_decision(target).reason == "AlreadyAtMinCapacity"


def test_aws_9_7_a_step_out_is_clamped_to_max():
    # aws-behaviour.md 9.7: min 2, max 10, steps (0, 15, +1), (15, 25, +2), (25, null, +3) on a
    # 2-of-2 CPU alarm at 70 %: 9 tasks at 96 % ask for 12 and get 10.
    env, service, target, _ = make_target(9, min_capacity=2, max_capacity=10)
    policy = step_policy(target, service, "ChangeInCapacity", [(0, 15, 1), (15, 25, 2), (25, None, 3)], cooldown=60)
    at(env, 0, lambda: policy(alarm(70, "GreaterThanOrEqualToThreshold", 95.0, 97.0), env.now))
    env.run(until=1)
    assert service.desired_count == 10
    assert (last_decision(target).wanted, last_decision(target).new) == (12, 10)


# ---------------------------------------------------------------------- scheduled actions
def test_a_scheduled_min_above_the_current_max_fails_and_leaves_the_bounds():
    env, service, target, events = make_target(4, min_capacity=2, max_capacity=10)
    target.set_bounds("evening", None, 6)
    target.set_bounds("morning", 8, None)
    assert (target.min_capacity, target.max_capacity) == (2, 6)
    assert "failed: min_capacity 8 above max_capacity 6" in events[-1][3]


def test_a_scheduled_action_moves_desired_into_the_new_bounds_inside_a_cooldown():
    env, service, target, _ = make_target(10)
    at(env, 0, lambda: target.recommend(rec(8, 10)))            # starts a scale-in cooldown
    at(env, 10, lambda: target.set_bounds("night", 1, 4))
    env.run(until=11)
    assert service.desired_count == 4 and last_decision(target).kind == "scheduled"


# ---------------------------------------------------------------------- target tracking's basis
def tt_policy(target, service, *, tasks_measured, **cfg):
    from fargatesim.autoscaling.policies import TargetTrackingPolicy
    from fargatesim.scenario.autoscaling import TargetTrackingConfig

    config = TargetTrackingConfig(target_value=60, predefined_metric_specification={
        "predefined_metric_type": "ECSServiceAverageCPUUtilization"}, **cfg)
    evaluator = SimpleNamespace(add=lambda a: a, store=SimpleNamespace(
        tasks_behind=lambda namespace, metric, period, index: tasks_measured))
    policy = SimpleNamespace(name="cpu", target_tracking_scaling_policy_configuration=config)
    return TargetTrackingPolicy(policy, target, service, evaluator, resource_id="service/default/web")


def fire(env, policy, alarm_name, value):
    a = getattr(policy, alarm_name)
    a.last_values, a.last_first, a.state = [value], 0, "ALARM"
    at(env, env.now, lambda: (policy._on_high if alarm_name == "high" else policy._on_low)(a, env.now))
    env.run(until=env.now + 1)


def test_target_tracking_multiplies_by_the_tasks_the_datapoint_was_measured_over():
    # 4 tasks made the 90 % datapoint; 4 more have started since: ceil(4 x 90 / 60) = 6 stays 8.
    env, service, target, _ = make_target(8, running=8)
    fire(env, tt_policy(target, service, tasks_measured=4), "high", 90.0)
    assert service.desired_count == 8 and last_decision(target).reason == "AlreadyAtDesiredCapacity"


def test_capacity_basis_running_multiplies_by_the_tasks_running_now():
    env, service, target, _ = make_target(8, running=8)
    fire(env, tt_policy(target, service, tasks_measured=4, capacity_basis="running"), "high", 90.0)
    assert service.desired_count == 12  # ceil(8 x 90 / 60)


def test_disable_scale_in_keeps_alarm_low_from_removing_tasks():
    for disabled, expected in ((True, 8), (False, 4)):
        env, service, target, _ = make_target(8, running=8)
        policy = tt_policy(target, service, tasks_measured=8, disable_scale_in=disabled)
        policy.peers = [policy]
        fire(env, policy, "low", 30.0)  # ceil(8 x 30 / 60) = 4
        assert service.desired_count == expected


# ---------------------------------------------------------------------- alarm actions
def test_an_alarm_in_alarm_invokes_its_actions_at_every_evaluation():
    # aws-behaviour.md 8: Application Auto Scaling's alarms repeat their action every period they
    # stay in ALARM (that is how a step policy keeps stepping), and stop when they leave it.
    series = [10, 10, 80, 80, 80, 80, 10, 10]
    store = SimpleNamespace(datapoints=lambda ns, metric, period, stat, first, stop:
                            np.array(series[first:stop], dtype=float))
    env = simpy.Environment()
    calls, events = [], []
    evaluator = AlarmEvaluator(env, store, delay_of=lambda period: 30.0,
                               record_event=lambda *e: events.append(e))
    a = alarm(50, "GreaterThanThreshold")
    a.evaluation_periods = a.datapoints_to_alarm = 1
    a.actions = [lambda alarm_, now: calls.append(now)]
    evaluator.add(a)
    env.run(until=len(series) * 60 + 31)
    # period j's datapoint is seen at (j + 1) x 60 + 30 s
    assert calls == [210.0, 270.0, 330.0, 390.0]
    assert [e[3].split(" (")[0] for e in events] == ["INSUFFICIENT_DATA -> OK", "OK -> ALARM", "ALARM -> OK"]


def test_a_step_out_during_chained_cooldowns_never_removes_tasks():
    # 10 tasks; +3 -> 13 starts the cooldown (the step applies to 10 while it runs); a +5 ->
    # 15 renews it. Later the 15 are running and a +3 step asks 15 + 3, which the cooldown rule
    # counts from 10: 13, below the desired 15. It is not scaled, and it is not a scale-in.
    env, service, target, _ = make_target(10)
    policy = step_policy(target, service, "ChangeInCapacity", [(0, 20, 3), (20, None, 5)], cooldown=300)
    cpu_high_at(env, 0, service, [policy], 80.0)
    cpu_high_at(env, 60, service, [policy], 95.0)
    cpu_high_at(env, 120, service, [policy], 80.0, running=15)
    env.run(until=121)
    assert [(d.kind, d.new) for d in target.decisions] == [("scale-out", 13), ("scale-out", 15), ("not-scaled", 15)]
    assert last_decision(target).reason == "ScaleOutCooldown" and service.desired_count == 15


# ---------------------------------------------------------------------- percentage steps in a cooldown
def two_step_policies(target, service):
    """Issue 10's pair on one CPU >= 70 alarm: +3 tasks, and +200 %; cooldowns of 1,200 s."""
    plus3 = step_policy(target, service, "ChangeInCapacity", [(0, None, 3)], cooldown=1200, name="plus-3")
    triple = step_policy(target, service, "PercentChangeInCapacity", [(0, None, 200)], cooldown=1200,
                         name="plus-200-percent")
    return plus3, triple


def test_a_percentage_step_inside_the_scale_out_cooldown_does_not_compound():
    # 10 tasks: the first alarm minute takes 10 -> 30 (200 % wins over +3). The alarm stays in
    # ALARM while the new tasks start; 200 % of the 10 before the cooldown's scale-out is 30,
    # already there, so nothing more is added however many of the 30 are running by then.
    env, service, target, _ = make_target(10, max_capacity=100)
    policies = two_step_policies(target, service)
    for t, running in [(0, 10), (60, 10), (120, 22), (180, 30)]:
        cpu_high_at(env, t, service, policies, 85.0, running=running)
    env.run(until=181)
    assert [(d.kind, d.new) for d in target.decisions if d.kind != "not-scaled"] == [("scale-out", 30)]
    assert service.desired_count == 30
    assert {d.reason for d in target.decisions if d.kind == "not-scaled"} == {"ScaleOutCooldown"}


def test_a_larger_percentage_step_inside_the_cooldown_adds_only_the_difference():
    # The same alarm with a higher step: +400 % from 95 (offset 25). Of the 10 before the
    # cooldown that is 50; 30 are there, so 20 more, not 400 % of the 30 running.
    env, service, target, _ = make_target(10, max_capacity=200)
    policy = step_policy(target, service, "PercentChangeInCapacity", [(0, 25, 200), (25, None, 400)],
                         cooldown=1200)
    cpu_high_at(env, 0, service, [policy], 85.0)
    cpu_high_at(env, 120, service, [policy], 96.0, running=30)
    env.run(until=121)
    assert [(d.kind, d.old, d.new) for d in target.decisions] == [("scale-out", 10, 30), ("scale-out", 30, 50)]


def test_min_adjustment_magnitude_inside_the_cooldown_counts_from_the_capacity_before_it():
    # 10 % of 10 is 1, raised to 5: 15. With the 15 running, 10 % of 15 (1, raised to 5) would
    # ask for 20; counted from the 10 before the cooldown it is 15 again, already there.
    env, service, target, _ = make_target(10, max_capacity=100)
    policy = step_policy(target, service, "PercentChangeInCapacity", [(0, None, 10)], cooldown=600,
                         min_adjustment_magnitude=5)
    cpu_high_at(env, 0, service, [policy], 80.0)
    cpu_high_at(env, 60, service, [policy], 80.0, running=15)
    cpu_high_at(env, 601, service, [policy], 80.0)   # after the cooldown, 10 % of 15, raised to 5: 20
    env.run(until=602)
    assert [(d.kind, d.new, d.reason if d.kind == "not-scaled" else "") for d in target.decisions] == [
        ("scale-out", 15, ""), ("not-scaled", 15, "ScaleOutCooldown"), ("scale-out", 20, "")]


# ---------------------------------------------------------------------- several target tracking policies
# Predefined metric types by a short name: CPU and memory at 60 and 20 seconds, and requests.
METRIC_TYPES = {"cpu": "ECSServiceAverageCPUUtilization", "memory": "ECSServiceAverageMemoryUtilization",
                "cpu-20s": "ECSServiceAverageCPUUtilizationHighResolution",
                "memory-20s": "ECSServiceAverageMemoryUtilizationHighResolution",
                "requests": "ALBRequestCountPerTarget"}


class MetricSeries:
    """A metric store holding one drawn series of datapoints per policy (period index -> value);
    the tasks behind a datapoint are unknown, so target tracking uses the running count."""

    def __init__(self, series: dict[str, list[float]]):
        self.series = {metric_of({"predefined_metric_specification": {"predefined_metric_type": METRIC_TYPES[k]}})
                       [1:4:2]: v for k, v in series.items()}

    def datapoints(self, namespace, metric, period, statistic, first, stop):
        values = self.series[(metric, period)]
        return np.array([values[i] if i < len(values) else np.nan for i in range(first, stop)], dtype=float)

    def tasks_behind(self, namespace, metric, period, index):
        return None


def tt_config(name, target, *, disable_scale_in=False, low_datapoints=15, cooldown=0):
    cfg = SimpleNamespace(target_value=target, alarm_low_ratio=0.9, alarm_high_datapoints=3,
                          predefined_metric_specification=SimpleNamespace(predefined_metric_type=METRIC_TYPES[name]),
                          alarm_low_datapoints=low_datapoints, capacity_basis="measured",
                          disable_scale_in=disable_scale_in, scale_out_cooldown=cooldown, scale_in_cooldown=cooldown)
    return SimpleNamespace(name=name, target_tracking_scaling_policy_configuration=cfg)


def tracking_service(desired, series, configs, *, min_capacity=1, max_capacity=10):
    """The scalable target with real target tracking policies on a simpy clock; the stand-in
    service runs what it is asked for at once."""
    env, service, target, events = make_target(desired, min_capacity=min_capacity, max_capacity=max_capacity)
    service.set_desired = lambda value, cause, quiet=False: setattr(service, "running", value) or setattr(
        service, "desired_count", value)
    evaluator = AlarmEvaluator(env, MetricSeries(series), delay_of=lambda period: 0.0,
                               record_event=lambda *e: events.append(e))
    policies = [TargetTrackingPolicy(c, target, service, evaluator, resource_id="service/default/test")
                for c in configs]
    for p in policies:
        p.peers = policies
    return env, service, target, events


def test_several_target_tracking_policies_scale_in_to_the_largest_capacity_among_them():
    # Issue 10's service at 3 tasks: CPU 40 % (target 50, AlarmLow below 45, so in ALARM) wants
    # ceil(3 x 40 / 50) = 3; memory 29 % (target 80) wants 2. Both are ready to scale in; the
    # largest capacity, 3, decides: the service stays at 3.
    env, service, target, events = tracking_service(
        3, {"cpu": [40.0] * 40, "memory": [29.0] * 40}, [tt_config("cpu", 50), tt_config("memory", 80)])
    env.run(until=40 * 60 + 1)
    assert service.desired_count == 3
    assert not [d for d in target.decisions if d.kind == "scale-in"]
    held = [d for d in target.decisions if d.kind == "not-scaled" and d.policy == "memory"]
    assert held and {d.reason for d in held} == {"AlreadyAtDesiredCapacity"} and held[0].wanted == 3
    assert any("largest of the target tracking policies: cpu 3, memory 2" in e[3] for e in events)


def test_the_scale_in_goes_to_the_largest_capacity_when_all_want_fewer():
    # 10 tasks, CPU 30 % of 50 wants 6, memory 29 % of 80 wants 4: to 6, whichever alarm fires
    # (the first instant both AlarmLows are in ALARM, 15 datapoints in).
    env, service, target, _ = tracking_service(
        10, {"cpu": [30.0] * 15, "memory": [29.0] * 15}, [tt_config("cpu", 50), tt_config("memory", 80)])
    env.run(until=15 * 60 + 1)
    assert [(d.kind, d.old, d.new) for d in target.decisions if d.kind != "not-scaled"] == [("scale-in", 10, 6)]


def test_a_policy_on_another_period_holds_the_scale_in_with_its_latest_datapoint():
    # A 20-second CPU policy and a 60-second memory policy alarm at different instants: when
    # memory's AlarmLow asks for 2, CPU's latest datapoint (40 % of 50 at 3 tasks: 3) holds it.
    env, service, target, _ = tracking_service(
        3, {"cpu-20s": [40.0] * 120, "memory": [29.0] * 40},
        [tt_config("cpu-20s", 50, low_datapoints=45), tt_config("memory", 80)])
    env.run(until=40 * 60 + 1)
    assert service.desired_count == 3
    assert [d for d in target.decisions if d.policy == "memory"]     # memory did ask


def test_a_policy_with_scale_in_disabled_need_not_be_ready_but_its_capacity_counts():
    # CPU cannot scale in and sits at 44 % of 50 at 10 tasks (not below its AlarmLow's 45):
    # memory may scale in alone (AWS: only policies with scale-in enabled must be ready), but
    # not below CPU's ceil(10 x 44 / 50) = 9, which CPU's AlarmHigh would otherwise restore.
    env, service, target, _ = tracking_service(
        10, {"cpu": [44.0] * 15, "memory": [20.0] * 15},
        [tt_config("cpu", 50, disable_scale_in=True), tt_config("memory", 80)])
    env.run(until=15 * 60 + 1)
    assert [(d.kind, d.new) for d in target.decisions if d.kind != "not-scaled"] == [("scale-in", 9)]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), desired=st.integers(1, 30),
       names=st.lists(st.sampled_from(sorted(METRIC_TYPES)), min_size=1, max_size=4, unique=True))
def test_no_target_tracking_scale_in_goes_below_what_any_policy_computes(data, desired, names):
    """Any set of target tracking policies over any datapoints: every scale-in leaves at least
    the capacity each policy's formula gives from its latest datapoint at that moment."""
    minutes = 40
    configs, series, periods = [], {}, {}
    for name in names:
        periods[name] = period = 20 if name.endswith("-20s") else 60
        level = data.draw(st.floats(1, 100), label=f"{name} level")
        n = minutes * 60 // period
        series[name] = data.draw(st.lists(st.floats(0.5 * level, 1.1 * level), min_size=n, max_size=n),
                                 label=f"{name} datapoints")
        configs.append(tt_config(name, data.draw(st.sampled_from([20.0, 50.0, 80.0]), label=f"{name} target"),
                                 disable_scale_in=data.draw(st.booleans(), label=f"{name} no scale-in"),
                                 low_datapoints=data.draw(st.integers(1, 5), label=f"{name} AlarmLow datapoints"),
                                 cooldown=data.draw(st.sampled_from([0, 60, 300]), label=f"{name} cooldown")))
    env, service, target, _ = tracking_service(desired, series, configs, max_capacity=40)
    env.run(until=minutes * 60 + 1)
    scale_ins = [d for d in target.decisions if d.kind == "scale-in"]
    for d in scale_ins:
        for cfg in configs:
            visible = int(math.floor(d.t / periods[cfg.name] + 1e-9))    # datapoints visible at once
            if visible == 0:
                continue
            computed = target_tracking_capacity(cfg.target_tracking_scaling_policy_configuration, d.old,
                                                series[cfg.name][visible - 1])
            assert d.new >= computed, (d, cfg.name, computed)


# ---------------------------------------------------------------------- AWS's limits (issue 12, item 6)
def _autoscaling_error(section: dict, **extra) -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict({**BASE, "autoscaling": section, **extra})
    return e.value


TT = {"name": "cpu", "policy_type": "TargetTrackingScaling", "target_tracking_scaling_policy_configuration": {
    "target_value": 50, "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}
QUOTA = "expected a whole number from 0 to 5,000 (the Amazon ECS quota of tasks per service); got "


def _with(policy: dict, **config) -> dict:
    key = next(k for k in policy if k.endswith("configuration"))
    return {**policy, key: {**policy[key], **config}}


def test_capacities_stop_at_the_ecs_quota_of_tasks_per_service():
    assert build_scenario(autoscaling={"min_capacity": 5000, "max_capacity": 5000}).autoscaling.max_capacity == 5000
    cases = [
        ({"min_capacity": 1, "max_capacity": 1e9}, {}, "autoscaling.max_capacity", "1000000000.0"),
        ({"min_capacity": 5001, "max_capacity": 6000}, {}, "autoscaling.min_capacity", "5001"),
        ({"min_capacity": 1, "max_capacity": 10, "scheduled_actions": [
            {"name": "big", "schedule": "rate(1 hour)", "scalable_target_action": {"max_capacity": 10**30}}]},
         {}, "autoscaling.scheduled_actions[0].scalable_target_action.max_capacity", "1000000000000000000000000000000"),
        ({"min_capacity": 1, "max_capacity": 10}, {"actions": [{"type": "set_desired_count", "at": 60, "value": 100000}]},
         "actions[0].value", "100000"),
    ]
    for section, extra, path, written in cases:
        err = _autoscaling_error(section, **extra)
        assert (err.path, err.message) == (path, QUOTA + written)


def test_step_adjustments_stay_within_the_quota_by_adjustment_type():
    step = {"name": "s", "step_scaling_policy_configuration": {
        "adjustment_type": "ChangeInCapacity", "step_adjustments": [{"metric_interval_lower_bound": 0,
                                                                     "scaling_adjustment": 5000}]}}
    build_scenario(autoscaling={"min_capacity": 1, "max_capacity": 10, "policies": [step]})
    for kind, adjustment, limit in (("ChangeInCapacity", 5001, "-5,000 to 5,000"),
                                    ("ExactCapacity", 5001, "0 to 5,000"),
                                    ("PercentChangeInCapacity", 10**9, "-500,000 to 500,000")):
        cfg = {"adjustment_type": kind,
               "step_adjustments": [{"metric_interval_lower_bound": 0, "scaling_adjustment": adjustment}]}
        err = _autoscaling_error({"min_capacity": 1, "max_capacity": 10, "policies": [_with(step, **cfg)]})
        assert err.path == "autoscaling.policies[0].step_scaling_policy_configuration.step_adjustments[0]" \
                           ".scaling_adjustment"
        assert err.message.startswith(f"expected scaling_adjustment from {limit} with {kind} (")


def test_target_value_cooldowns_and_alarm_datapoints_have_aws_ranges():
    section = {"min_capacity": 1, "max_capacity": 10}
    where = "autoscaling.policies[0].target_tracking_scaling_policy_configuration."
    for config, key, message in (
        ({"target_value": 1e-300}, "target_value",
         "expected a number from 2^-360 (4.3e-109) to 2^360 (2.3e+108), the range Application Auto Scaling accepts "
         "for TargetValue; got 1e-300"),
        ({"target_value": 1e200}, "target_value", None),
        ({"scale_in_cooldown": 10**400}, "scale_in_cooldown", None),
        ({"alarm_low_datapoints": 1441}, "alarm_low_datapoints",
         "expected at most 1440 datapoints of 60 s (CloudWatch evaluates an alarm over at most 86400 s, one day); "
         "got 1441"),
    ):
        err = _autoscaling_error({**section, "policies": [_with(TT, **config)]})
        assert err.path == where + key
        assert message is None or err.message == message
    assert "32-bit Integer" in _autoscaling_error({**section, "policies": [_with(TT, scale_out_cooldown=2**31)]}
                                                  ).message


def test_a_tiny_target_cannot_overflow_the_capacity_arithmetic():
    tiny = {"target_value": 2.0**-360}
    assert target_tracking_capacity(tiny, 5000, 1e300) == 2**53    # inf before the cap: no OverflowError
    assert target_tracking_capacity(tiny, 3, 1.0) == 2**53
    env, service, target, events = make_target(4, max_capacity=5000)
    target.decide([rec(target_tracking_capacity(tiny, 4, 80.0), 4)])
    assert service.desired_count == 5000 and target.decisions[-1].wanted == 2**53

"""Property: whatever the traffic and the other policies, a ForecastAndScale policy holds the
desired count at or above the forecast capacity in force (after the maximum's rules), never
scales in, and the desired count stays within the maximum in force (which only
IncreaseMaxCapacity raises)."""
from __future__ import annotations

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargatesim.engine import Simulation
from fargatesim.scenario import scenario_from_dict

TASK = """
task_definition:
  cpu: 512
  memory: 1024
  container_definitions:
    - {name: app, image: example/app:1, port_mappings: [{container_port: 8080}], app_start: 5s}
"""

traffic = st.lists(st.one_of(
    st.builds(lambda m, p, h, w: {"diurnal": {"mean_rps": m, "peak_to_trough": p, "peak_at": f"{h:02d}:00",
                                              "weekend_factor": w}},
              st.integers(20, 400), st.sampled_from([1, 2, 5]), st.integers(0, 23), st.sampled_from([0.3, 1])),
    st.builds(lambda at, peak: {"spike": {"at": f"{at}m", "peak_rps": peak, "rise": "5m", "hold": "20m",
                                          "decay": "10m"}},
              st.integers(0, 600), st.integers(50, 800)),
    st.builds(lambda rps: {"constant": {"rps": rps}}, st.integers(5, 100)),
), min_size=1, max_size=3)

tracking = st.builds(lambda target, out, in_: {
    "name": "cpu", "policy_type": "TargetTrackingScaling",
    "target_tracking_scaling_policy_configuration": {
        "target_value": target, "scale_out_cooldown": out, "scale_in_cooldown": in_,
        "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}},
    st.integers(20, 90), st.sampled_from([0, 60, 300]), st.sampled_from([0, 60, 300]))

predictive = st.builds(lambda target, kind, buffer, breach, extra, days: {
    "name": "forecast", "policy_type": "PredictiveScaling",
    "predictive_scaling_policy_configuration": {
        "mode": "ForecastAndScale", "scheduling_buffer_time": buffer, "history": {"days": days},
        "max_capacity_breach_behavior": breach,
        **({"max_capacity_buffer": extra} if breach == "IncreaseMaxCapacity" else {}),
        "metric_specification": [{"target_value": target,
                                  "predefined_metric_pair_specification": {"predefined_metric_type": kind}}]}},
    st.integers(20, 90), st.sampled_from(["ECSServiceCPUUtilization", "ALBRequestCount"]),
    st.sampled_from([0, 300, 3599]), st.sampled_from(["HonorMaxCapacity", "IncreaseMaxCapacity"]),
    st.integers(0, 100), st.integers(1, 2))


def scenario(components, policies, hours, start_hour, lo, hi, scheduled):
    body = {
        "name": "predictive-property", "duration": f"{hours}h", "tick": 10, "seed": 3,
        "start": f"2026-01-09T{start_hour:02d}:30:00Z", "traffic": components,
        "workload": {"cpu_ms": 20, "io_ms": 5},
        "service": {"desired_count": lo},
        "autoscaling": {"min_capacity": lo, "max_capacity": hi, "policies": policies,
                        "scheduled_actions": scheduled},
    }
    return scenario_from_dict({**body, **yaml.safe_load(TASK)})


def in_force(times, values, t):
    """The value of a step function (times ascending) at t."""
    return values[np.searchsorted(times, t + 1e-9, side="right") - 1]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(components=traffic, others=st.lists(tracking, max_size=1), policy=predictive,
       hours=st.integers(3, 30), start_hour=st.integers(0, 23), lo=st.integers(0, 3), hi=st.integers(3, 30),
       floor_at=st.one_of(st.none(), st.integers(1, 20)))
def test_the_desired_count_holds_the_forecast_in_force_and_never_breaks_the_maximum(
        components, others, policy, hours, start_hour, lo, hi, floor_at):
    scheduled = ([{"name": "raise-floor", "schedule": f"at(2026-01-09T{start_hour:02d}:30:00)",
                   "scalable_target_action": {"min_capacity": min(hi, lo + 2)}}] if floor_at else [])
    sim = Simulation(scenario(components, [*others, policy], hours, start_hour, lo, hi, scheduled)).run()
    (predictive_policy,) = sim.predictive
    target = sim.scalable_target
    times = np.array([t for t, _ in sim.snapshots])
    desired = np.array([c["desired_count"] for _, c in sim.snapshots])
    maximum = np.array([c["max_capacity"] for _, c in sim.snapshots])
    # Never a scale-in by the predictive policy.
    assert not [d for d in target.decisions if d.policy == "forecast" and d.new < d.old]
    # The maximum only rises, and only by IncreaseMaxCapacity.
    breach = policy["predictive_scaling_policy_configuration"]["max_capacity_breach_behavior"]
    assert (np.diff(maximum) >= 0).all() and (breach == "IncreaseMaxCapacity" or (maximum == hi).all())
    assert (desired <= maximum).all()
    # At every instant the forecast in force changes, and every instant the desired count
    # changes, the desired count is at least the forecast capacity (bounded by the maximum).
    phase = predictive_policy.history.end_s
    buffer = predictive_policy.clock.buffer_s
    hour_starts = phase - buffer + 3600.0 * np.arange(0, hours + 3)
    checks = np.concatenate([times, hour_starts[(hour_starts >= 0) & (hour_starts < hours * 3600)],
                             [f.issued_s for f in predictive_policy.clock.forecasts]])
    forecast_in_force = 0
    for t in np.unique(checks):
        capacity = predictive_policy.clock.capacity_at(t)
        if capacity is None:
            continue
        forecast_in_force += 1
        bound = min(capacity, in_force(times, maximum, t))
        assert in_force(times, desired, t) >= bound, (t, capacity, in_force(times, desired, t))
    assert forecast_in_force > 0

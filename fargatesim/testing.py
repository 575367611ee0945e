"""Hypothesis strategies and assertions for property-testing your own scaling policy.

Draw traffic, autoscaling configurations and whole scenarios around your service, run short
simulations, and check the invariants a scaling policy must keep:

    import math

    from hypothesis import given, settings
    from fargatesim.testing import (desired_within_bounds, every_request_accounted, policies,
                                    run, scaling_explained, scenarios, traffic)

    class RequestsPerTask:
        '''One task per `per_task` requests per second, with a 20 % margin.'''

        def __init__(self, per_task=40):
            self.per_task = per_task

        def desired_capacity(self, obs):
            counts = obs.metric("AWS/ApplicationELB", "RequestCount", "Sum", count=1)
            if not counts or counts[-1] is None:
                return None
            return math.ceil(1.2 * counts[-1] / 60 / self.per_task)

    @settings(max_examples=20, deadline=None)
    @given(scenarios(traffic=traffic(max_rps=400), policies=policies(kinds=())))
    def test_requests_per_task(scenario):
        result = run(scenario, policies=[RequestsPerTask()])
        desired_within_bounds(result)
        every_request_accounted(result)
        scaling_explained(result)

What is drawn:

- ``traffic()``: the scenario's ``traffic`` section, a list of one to ``max_components``
  components (constant, diurnal, spike, ramp, steps) as plain dicts. The offered rate, summed
  over the components, stays within [min_rps, max_rps] at every instant: each component gets its
  own band of rates, and the bands add up to [min_rps, max_rps].
- ``policies()``: ``{"autoscaling": {...}, "alarms": [...]}``, the two scenario sections, ready
  to merge into a scenario dict: bounds, target tracking and step scaling policies, scheduled
  actions, and the CloudWatch alarms the step policies act through. ``kinds=()`` draws the
  bounds alone, to test a custom policy without AWS's own policies competing.
- ``scenarios()``: validated ``Scenario`` objects built around a base scenario (yours, or
  ``BASE_SCENARIO``), with drawn traffic, a drawn duration of 20 to 90 minutes and a drawn seed;
  with ``policies=policies()``, a drawn autoscaling section too. Everything else, the task
  definition first, is the base's.

Around BASE_SCENARIO an example simulates in about a tenth of a second (up to a second or so
where several policies with zero cooldowns fight), and shrinks towards one constant load, a
20-minute run, seed 0, the smallest numbers and the first of each list of choices.

The assertions take the Result of ``run`` (or of ``fargatesim.simulate``) and raise
AssertionError saying what broke, where and when.
"""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any, Callable, Iterable

from .metric_catalogue import PREDEFINED_METRIC_TYPES

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as e:  # hypothesis is a test dependency, not a run-time one
    raise ImportError("fargatesim.testing needs hypothesis: pip install hypothesis "
                      "(or the package's test extra, fargatesim[test])") from e

__all__ = [
    "AUTO", "BASE_SCENARIO", "POLICY_KINDS", "TRAFFIC_KINDS", "fleet_rps",
    "traffic", "policies", "scenarios", "run",
    "desired_within_bounds", "every_request_accounted", "scaling_explained",
]

# A small service that stays cheap to simulate under any load the default strategies draw:
# 1 vCPU tasks doing 20 ms of CPU per request (50 requests/s each at 100 % CPU), so the default
# traffic (up to 500 requests/s) needs 10 tasks at full CPU and 17 at 60 %; the app refuses
# requests above 150 in flight (503) rather than queueing them for ever; start-up, health
# checks and draining are short, so a 20-90 minute run sees several scaling rounds.
BASE_SCENARIO: dict = {
    "name": "policy-under-test",
    "duration": "1h",
    "seed": 0,
    "traffic": [{"constant": {"rps": 100}}],
    "workload": {"cpu_ms": {"distribution": "exponential", "mean": 20}, "io_ms": 5,
                 "memory_mb_per_request": 1, "timeout": "30s"},
    "task_definition": {
        "cpu": 1024, "memory": 2048,
        "startup": {"distribution": "uniform", "low": "20s", "high": "40s"},
        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 8080}],
                                   "base_memory_mb": 200, "max_concurrency": 150}],
    },
    "service": {"desired_count": 2},
    "target_group": {"deregistration_delay": 30,
                     "health_check": {"interval": 10, "timeout": 5, "healthy_threshold": 2,
                                      "unhealthy_threshold": 3}},
    "autoscaling": {"min_capacity": 1, "max_capacity": 20},
}

TRAFFIC_KINDS = ("constant", "diurnal", "spike", "ramp", "steps")
POLICY_KINDS = ("target_tracking", "step", "scheduled")

# Kinds whose rate can be kept above a floor for the whole run (a spike is 0 outside itself).
_FLOOR_KINDS = ("constant", "diurnal", "ramp", "steps")
_LEVELS = 100          # rates are drawn on a grid of 1/100 of a component's band


# ================================================================== traffic
def _seconds(value, what: str) -> float:
    from .scenario import parse_duration
    try:
        seconds = float(parse_duration(value))
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"{what}: expected seconds or a duration such as '90m'; got {value!r} ({e})") from None
    if not seconds > 0:
        raise InvalidArgument(f"{what}: expected a positive duration; got {value!r}")
    return seconds


def traffic(*, max_rps: float = 500.0, min_rps: float = 0.0, duration=3600.0,
            kinds: Iterable[str] = TRAFFIC_KINDS, max_components: int = 3) -> st.SearchStrategy[list]:
    """Traffic sections: lists of 1..max_components components, as scenario dicts.

    The summed rate stays within [min_rps, max_rps] at every instant (up to floating-point
    rounding, a few 1e-13 relative): component i gets the band [floor_i, floor_i + share_i],
    where the floors add up to min_rps (only kinds that can hold a floor get one: a spike is 0
    outside itself) and the shares to max_rps - min_rps, in drawn integer weights; rates fall
    on a grid of 1/100 of a band. Times (a spike's start, a ramp, the steps) fall on whole
    minutes within `duration` (seconds or '90m'; whole seconds when it is under ten minutes);
    diurnal components have no weekend factor, so the bound holds whatever the start.
    """
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in TRAFFIC_KINDS]
    if not kinds or unknown:
        raise InvalidArgument(f"traffic(kinds=...): expected a non-empty selection of {', '.join(TRAFFIC_KINDS)}; "
                              f"got {kinds!r}")
    max_rps, min_rps = float(max_rps), float(min_rps)
    if not (0 <= min_rps <= max_rps and max_rps > 0 and math.isfinite(max_rps)):
        raise InvalidArgument(f"traffic(): expected 0 <= min_rps <= max_rps, max_rps > 0; got min_rps={min_rps:g}, "
                              f"max_rps={max_rps:g}")
    floor_kinds = tuple(k for k in kinds if k in _FLOOR_KINDS)
    if min_rps > 0 and not floor_kinds:
        raise InvalidArgument(f"traffic(min_rps={min_rps:g}) needs a kind that can hold a floor "
                              f"({', '.join(_FLOOR_KINDS)}); a spike alone is 0 outside itself")
    if int(max_components) < 1:
        raise InvalidArgument(f"traffic(max_components=...): expected at least 1; got {max_components!r}")
    seconds = _seconds(duration, "traffic(duration=...)")
    # Time grid: whole minutes, or whole seconds for runs shorter than ten minutes.
    unit = 60.0 if seconds >= 600 else 1.0
    slots = max(1, int(seconds // unit))

    @st.composite
    def draw_traffic(draw):
        first = st.sampled_from(floor_kinds if min_rps > 0 else kinds)
        chosen = [draw(first)] + draw(st.lists(st.sampled_from(kinds), max_size=int(max_components) - 1))
        weights = [draw(st.integers(1, 4), label="weight") for _ in chosen]
        floor_weight = sum(w for k, w in zip(chosen, weights) if k in _FLOOR_KINDS)
        components = []
        for kind, w in zip(chosen, weights):
            lo = min_rps * w / floor_weight if kind in _FLOOR_KINDS and min_rps > 0 else 0.0
            hi = lo + (max_rps - min_rps) * w / sum(weights)
            components.append(_COMPONENT_DRAWS[kind](draw, lo, hi, unit, slots))
        return components

    return draw_traffic()


def _level(draw, lo: float, hi: float, at_least: int = 0) -> float:
    """A rate in [lo, hi], on a grid of 1/_LEVELS of the band; shrinks to lo."""
    k = draw(st.integers(at_least, _LEVELS))
    return lo if k == 0 else (hi if k == _LEVELS else lo + (hi - lo) * k / _LEVELS)


def _constant(draw, lo, hi, unit, slots):
    return {"constant": {"rps": _level(draw, lo, hi)}}


def _diurnal(draw, lo, hi, unit, slots):
    # Trough and peak within the band; the trough must be > 0 for a finite peak_to_trough.
    trough = _level(draw, lo, hi, at_least=0 if lo > 0 else 1)
    peak = _level(draw, trough, hi)
    return {"diurnal": {"mean_rps": (peak + trough) / 2, "peak_to_trough": peak / trough,
                        "peak_at": f"{draw(st.integers(0, 23)):02d}:00"}}


def _spike(draw, lo, hi, unit, slots):
    at = draw(st.integers(0, slots - 1))
    longest = max(0, slots // 3)
    return {"spike": {"at": at * unit, "peak_rps": _level(draw, lo, hi),
                      "rise": draw(st.integers(0, longest)) * unit,
                      "hold": draw(st.integers(0, longest)) * unit,
                      "decay": draw(st.integers(0, longest)) * unit}}


def _ramp(draw, lo, hi, unit, slots):
    start = draw(st.integers(0, slots - 1))
    end = start + 1 + draw(st.integers(0, slots - 1 - start))
    return {"ramp": {"from_rps": _level(draw, lo, hi), "to_rps": _level(draw, lo, hi),
                     "start": start * unit, "end": end * unit}}


def _steps(draw, lo, hi, unit, slots):
    times = set(draw(st.lists(st.integers(0, slots - 1), min_size=1, max_size=3, unique=True)))
    if lo > 0:
        times.add(0)   # before its first step a steps component offers 0: start it at once
    return {"steps": [{"at": t * unit, "rps": _level(draw, lo, hi)} for t in sorted(times)]}


_COMPONENT_DRAWS: dict[str, Callable] = {
    "constant": _constant, "diurnal": _diurnal, "spike": _spike, "ramp": _ramp, "steps": _steps,
}


# ================================================================== policies
# The predefined types the strategy draws, simplest first (hypothesis shrinks towards the first).
_TT_METRICS = ("ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget",
               "ECSServiceAverageCPUUtilizationHighResolution", "ECSServiceAverageMemoryUtilization")
# A policy's name from what its type tracks: tt-cpu, tt-requests, tt-memory-hires, ...
_TT_SHORT = {kind: {"CPUUtilization": "cpu", "MemoryUtilization": "memory",
                    "RequestCountPerTarget": "requests"}[name] + ("-hires" if period < 60 else "")
             for kind, (_, name, _, period) in PREDEFINED_METRIC_TYPES.items()}
_COOLDOWNS = (60, 0, 300)


def _as_strategy(value, what: str) -> st.SearchStrategy:
    if isinstance(value, st.SearchStrategy):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return st.just(value)
    raise InvalidArgument(f"{what}: expected a whole number >= 0 or a strategy of them; got {value!r}")


def policies(*, kinds: Iterable[str] = POLICY_KINDS, min_capacity=st.integers(1, 3),
             max_capacity=st.integers(4, 20)) -> st.SearchStrategy[dict]:
    """Autoscaling sections, with the alarms step policies need: ``{"autoscaling": {...},
    "alarms": [...]}``, both plain scenario data, so ``{**scenario_dict, **drawn}`` is a scenario.

    `min_capacity` and `max_capacity` are whole numbers or strategies of them (a drawn maximum
    below the drawn minimum is raised to it). A non-empty selection of `kinds` (target_tracking,
    step, scheduled) is present, shrinking to the first alone; ``kinds=()`` draws the bounds
    alone.

    - target_tracking: one or two policies on different predefined metrics (CPU, requests per
      target, high-resolution CPU, memory) with drawn targets and cooldowns;
    - step: a scale-out policy on an alarm CPUUtilization >= threshold, with two steps, and
      maybe a scale-in policy on an alarm CPUUtilization < a lower threshold;
    - scheduled: one or two hourly actions (``cron(M * * * ? *)``), each setting both
      min_capacity and max_capacity within the drawn bounds, so the bounds stay consistent.
    """
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in POLICY_KINDS]
    if unknown:
        raise InvalidArgument(f"policies(kinds=...): expected a selection of {', '.join(POLICY_KINDS)}; got {kinds!r}")
    lo_st = _as_strategy(min_capacity, "policies(min_capacity=...)")
    hi_st = _as_strategy(max_capacity, "policies(max_capacity=...)")

    @st.composite
    def draw_policies(draw):
        lo = draw(lo_st)
        hi = max(lo, draw(hi_st))
        present = draw(st.lists(st.sampled_from(kinds), min_size=1, unique=True)) if kinds else []
        section: dict[str, Any] = {"min_capacity": lo, "max_capacity": hi, "policies": [],
                                   "scheduled_actions": []}
        alarms: list[dict] = []
        if "target_tracking" in present:
            section["policies"] += _target_tracking(draw)
        if "step" in present:
            steps, alarms = _step_policies(draw)
            section["policies"] += steps
        if "scheduled" in present:
            section["scheduled_actions"] = _scheduled_actions(draw, lo, hi)
        return {"autoscaling": section, "alarms": alarms}

    return draw_policies()


def _target_tracking(draw) -> list[dict]:
    metrics = draw(st.lists(st.sampled_from(_TT_METRICS), min_size=1, max_size=2, unique=True))
    out = []
    for metric in metrics:
        if metric == "ALBRequestCountPerTarget":     # requests per target per minute
            target = 100 * draw(st.integers(10, 30))
        else:                                       # percent
            target = 5 * draw(st.integers(8, 18))
        out.append({"name": f"tt-{_TT_SHORT[metric]}", "policy_type": "TargetTrackingScaling",
                    "target_tracking_scaling_policy_configuration": {
                        "target_value": target,
                        "predefined_metric_specification": {"predefined_metric_type": metric},
                        "scale_out_cooldown": draw(st.sampled_from(_COOLDOWNS)),
                        "scale_in_cooldown": draw(st.sampled_from(_COOLDOWNS)),
                        "disable_scale_in": draw(st.booleans())}})
    return out


def _step_policies(draw) -> tuple[list[dict], list[dict]]:
    high = 5 * draw(st.integers(10, 18))            # 50..90 % CPU
    percent = draw(st.booleans())
    first = draw(st.integers(1, 3))
    second = first + draw(st.integers(0, 5))
    if percent:
        first, second = 10 * first, 10 * second    # 10..80 % more tasks, at least one
    out = [{"name": "step-out", "policy_type": "StepScaling", "step_scaling_policy_configuration": {
        "adjustment_type": "PercentChangeInCapacity" if percent else "ChangeInCapacity",
        "cooldown": draw(st.sampled_from(_COOLDOWNS)), "min_adjustment_magnitude": 1,
        "step_adjustments": [
            {"metric_interval_lower_bound": 0, "metric_interval_upper_bound": 15, "scaling_adjustment": first},
            {"metric_interval_lower_bound": 15, "scaling_adjustment": second}]}}]
    alarms = [{"alarm_name": "cpu-high", "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
               "statistic": "Average", "period": 60, "evaluation_periods": draw(st.integers(1, 3)),
               "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": high,
               "alarm_actions": ["step-out"]}]
    if draw(st.booleans(), label="scale in too"):
        low = 5 * draw(st.integers(2, high // 5 - 2))   # at least 10 points below `high`
        out.append({"name": "step-in", "policy_type": "StepScaling", "step_scaling_policy_configuration": {
            "adjustment_type": "ChangeInCapacity", "cooldown": draw(st.sampled_from(_COOLDOWNS)),
            "step_adjustments": [{"metric_interval_upper_bound": 0,
                                  "scaling_adjustment": -draw(st.integers(1, 3))}]}})
        alarms.append({"alarm_name": "cpu-low", "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
                       "statistic": "Average", "period": 60, "evaluation_periods": draw(st.integers(1, 5)),
                       "comparison_operator": "LessThanThreshold", "threshold": low,
                       "alarm_actions": ["step-in"]})
    return out, alarms


def _scheduled_actions(draw, lo: int, hi: int) -> list[dict]:
    minutes = draw(st.lists(st.integers(0, 59), min_size=1, max_size=2, unique=True))
    out = []
    for i, minute in enumerate(minutes):
        new_min = draw(st.integers(lo, hi))
        new_max = draw(st.integers(new_min, hi))
        out.append({"name": f"hourly-{i}", "schedule": f"cron({minute} * * * ? *)",
                    "scalable_target_action": {"min_capacity": new_min, "max_capacity": new_max}})
    return out


# ================================================================== scenarios
class _Auto:
    def __repr__(self):
        return "AUTO"


AUTO = _Auto()   # scenarios(traffic=AUTO): traffic() over the drawn duration (the default)


def _base_scenario(base):
    """The base as a validated Scenario (bad input fails here, not in a draw)."""
    from .scenario import Scenario, load_scenario, scenario_from_dict
    if base is None:
        return scenario_from_dict(copy.deepcopy(BASE_SCENARIO))
    if isinstance(base, dict):
        return scenario_from_dict(copy.deepcopy(base))
    if isinstance(base, Scenario):
        return base
    if isinstance(base, (str, Path)):
        return load_scenario(base)
    raise InvalidArgument(f"scenarios(base=...): expected a Scenario, a dict or a path; got {type(base).__name__}")


def fleet_rps(scenario) -> float:
    """Requests/s the scenario's largest fleet serves at 100 % CPU: max_capacity tasks (the
    desired count without autoscaling), each doing cpu_ms of CPU per request on the vCPU its
    sidecars leave. Half of it is what scenarios() offers by default (500 for BASE_SCENARIO)."""
    td = scenario.task_definition
    if scenario.workload.cpu_ms is None:      # a websocket workload: its load is connections
        return math.inf
    units = td.cpu - sum(c.base_cpu_units for c in td.container_definitions)
    cpu_s = scenario.workload.cpu_ms.mean / 1000
    tasks = scenario.autoscaling.max_capacity if scenario.autoscaling is not None else scenario.service.desired_count
    if not (cpu_s > 0 and units > 0):
        return math.inf
    return units / 1024 / cpu_s * max(1, tasks)


def _int_strategy(value, what: str, minimum: int = 0) -> st.SearchStrategy | None:
    if value is None or isinstance(value, st.SearchStrategy):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return st.just(value)
    raise InvalidArgument(f"{what}: expected None, a whole number >= {minimum} or a strategy; got {value!r}")


def scenarios(base=None, *, traffic=AUTO, policies=None,
              duration=st.integers(20, 90).map(lambda minutes: 60 * minutes),
              seed=st.integers(0, 1000)) -> st.SearchStrategy:
    """Validated Scenario objects built around `base` (a Scenario, a dict or a YAML path;
    default BASE_SCENARIO), keeping everything but what is drawn:

    - `duration`: a strategy of seconds, or a fixed number or '45m'; None keeps the base's;
    - `seed`: a strategy of seeds or one seed; None keeps the base's;
    - `traffic`: AUTO (the default) draws ``traffic(max_rps=fleet_rps(base) / 2,
      duration=<the drawn duration>)``: up to half what the base's largest fleet serves at
      100 % CPU (500 requests/s for BASE_SCENARIO), so the policy under test has room to cope;
      a strategy of traffic sections, or a function of the duration in seconds returning one,
      draws from that; None keeps the base's traffic;
    - `policies`: None (the default) keeps the base's autoscaling and alarms; a strategy such as
      ``policies()`` replaces both sections with what it draws.

    Relative paths in a base (trace files, custom policy files) are read from the base's
    folder, as when it is loaded. A run is fast while the fleet roughly keeps up; a fleet far
    below its load (tasks failing health checks and replaced in turn) takes seconds, so size
    explicit traffic to your service.
    """
    base_scenario = _base_scenario(base)
    data, base_dir = base_scenario.to_dict(), base_scenario.base_dir
    auto_max_rps = fleet_rps(base_scenario) / 2
    auto_max_rps = 500.0 if not math.isfinite(auto_max_rps) else max(1.0, math.floor(auto_max_rps))
    if isinstance(duration, st.SearchStrategy) or duration is None:
        duration_st = duration
    else:
        duration_st = st.just(_seconds(duration, "scenarios(duration=...)"))
    seed_st = _int_strategy(seed, "scenarios(seed=...)")
    if not (traffic is AUTO or traffic is None or isinstance(traffic, st.SearchStrategy) or callable(traffic)):
        raise InvalidArgument(f"scenarios(traffic=...): expected AUTO, None, a strategy or a function of the "
                              f"duration; got {traffic!r}")
    if not (policies is None or isinstance(policies, st.SearchStrategy)):
        raise InvalidArgument(f"scenarios(policies=...): expected None or a strategy such as policies(); "
                              f"got {policies!r}")
    make_traffic = _traffic_strategy

    @st.composite
    def draw_scenario(draw):
        from .scenario import parse_duration, scenario_from_dict
        out = copy.deepcopy(data)
        if duration_st is not None:
            out["duration"] = float(draw(duration_st))
        seconds = float(parse_duration(out["duration"]))
        if traffic is AUTO:
            out["traffic"] = draw(make_traffic(max_rps=auto_max_rps, duration=seconds))
        elif isinstance(traffic, st.SearchStrategy):
            out["traffic"] = draw(traffic)
        elif traffic is not None:
            out["traffic"] = draw(traffic(seconds))
        if policies is not None:
            drawn = draw(policies)
            out["autoscaling"] = drawn["autoscaling"]
            out["alarms"] = drawn.get("alarms", [])
        if seed_st is not None:
            out["seed"] = draw(seed_st)
        return scenario_from_dict(out, source=base_scenario.source, base_dir=base_dir)

    return draw_scenario()


_traffic_strategy = traffic     # `scenarios` takes a parameter of the same name


# ================================================================== running
def run(scenario, *, policies=(), duration=None, seed=None):
    """Simulate `scenario` (a Scenario, a dict or a YAML path) with your policy objects added,
    optionally for another `duration` (seconds or '30m') or `seed`; returns the Result.

    Custom policies need the scenario's autoscaling section (its min and max capacity):
    BASE_SCENARIO and every scenario drawn with policies() have one.
    """
    from .engine import simulate
    from .scenario import Scenario, load_scenario, scenario_from_dict
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if duration is not None or seed is not None:
        data = scenario.to_dict()
        if duration is not None:
            data["duration"] = duration
        if seed is not None:
            data["seed"] = seed
        scenario = scenario_from_dict(data, source=scenario.source, base_dir=scenario.base_dir)
    return simulate(scenario, policies=list(policies))


# ================================================================== assertions
_CHANGE = re.compile(r"desired(?:_count)? (\d+) -> (\d+)")
_EXPLAINING = ("scaling_activity", "scheduled_action", "service")


def _name(result) -> str:
    return f"{result.summary.get('scenario', '?')} (seed {result.summary.get('seed', '?')})"


def _states(result) -> list[tuple[float, float, dict]]:
    """(from, to, counts): the desired count and bounds over the run, as exactly as known.

    With the simulation at hand (a Result from run() or simulate() in this process), every
    change at its instant; otherwise the timeseries' values at the end of each minute, each
    standing for the minute before it.
    """
    states = result.counts_over_time() if getattr(result, "in_process", False) else None
    if states:
        return states
    ts = result.timeseries
    out, previous = [], 0.0
    for row in ts.itertuples(index=False):
        end = float(row.t_s) + 60.0
        counts = {"desired_count": row.desired_count, "min_capacity": row.min_capacity,
                  "max_capacity": row.max_capacity}
        out.append((previous, end, counts))
        previous = end
    return out


def _bound(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def desired_within_bounds(result) -> None:
    """min_capacity <= desired_count <= max_capacity at every moment (the bounds in force
    then, scheduled actions included). ValueError when the run had no autoscaling section."""
    if result.scenario is not None and result.scenario.autoscaling is None:
        raise ValueError(f"{_name(result)} has no autoscaling section: there are no bounds to check")
    for t0, t1, counts in _states(result):
        lo, hi, desired = _bound(counts["min_capacity"]), _bound(counts["max_capacity"]), counts["desired_count"]
        if lo is None or hi is None:
            continue
        if not lo <= desired <= hi:
            raise AssertionError(
                f"{_name(result)}: desired_count {desired} outside [min_capacity {lo:g}, max_capacity {hi:g}] "
                f"from t = {t0:g} s to {t1:g} s")


def every_request_accounted(result) -> None:
    """Every request ends exactly once: total = ok + errors (each kind) + in flight at the end,
    in the summary, and the per-minute table adds up to the same numbers."""
    s = result.summary
    req = s["requests"]
    errors = req["errors"]
    in_flight = s["in_flight_at_end"]
    where = _name(result)
    if req["total"] != req["ok"] + sum(errors.values()) + in_flight:
        raise AssertionError(
            f"{where}: {req['total']} requests but {req['ok']} ok + {sum(errors.values())} errors "
            f"({', '.join(f'{k} {v}' for k, v in errors.items())}) + {in_flight} in flight = "
            f"{req['ok'] + sum(errors.values()) + in_flight}")
    negative = {k: v for k, v in {"ok": req["ok"], "in_flight_at_end": in_flight, **errors}.items() if v < 0}
    if negative:
        raise AssertionError(f"{where}: negative request counts {negative}")
    ts = result.timeseries
    for column, expected in (("requests", req["total"]), ("ok", req["ok"]),
                             ("errors", sum(errors.values())), *errors.items()):
        if column in ts and int(ts[column].sum()) != expected:
            raise AssertionError(f"{where}: the timeseries' {column} add up to {int(ts[column].sum())}, "
                                 f"the summary says {expected}")


def scaling_explained(result) -> None:
    """Every change of desired_count has, at that time, a scaling_activity, scheduled_action or
    service event saying "a -> b" (several changes at one instant must chain: 4 -> 6, 6 -> 5).
    Without the simulation at hand, the minute in which the change happened is searched."""
    events = result.events
    events = events[events["kind"].isin(_EXPLAINING)]
    moves = []
    for t, kind, subject, detail in zip(events["t_s"], events["kind"], events["subject"], events["detail"]):
        m = _CHANGE.search(str(detail))
        if m:
            moves.append((float(t), int(m.group(1)), int(m.group(2)), f"{kind} {subject}: {detail}"))
    scenario = result.scenario
    exact = getattr(result, "in_process", False)
    previous = None
    if scenario is not None:
        previous = scenario.service.desired_count
        if scenario.autoscaling is not None:     # registering the target clamps it, silently
            previous = min(max(previous, scenario.autoscaling.min_capacity), scenario.autoscaling.max_capacity)
    for t0, t1, counts in _states(result):
        desired = int(counts["desired_count"])
        if previous is not None and desired != previous:
            if exact:
                here = [mv for mv in moves if abs(mv[0] - t0) <= 1e-3]
                when = f"at t = {t0:g} s"
            else:
                here = [mv for mv in moves if t0 - 1e-3 <= mv[0] < t1 - 1e-3]
                when = f"between t = {t0:g} s and {t1:g} s"
            reached = previous
            for _, a, b, _ in here:
                if a == reached:
                    reached = b
            if reached != desired:
                said = "; ".join(mv[3] for mv in here) or "none"
                raise AssertionError(f"{_name(result)}: desired_count {previous} -> {desired} {when} is not "
                                     f"explained by any scaling_activity, scheduled_action or service event "
                                     f"there (events there: {said})")
        previous = desired

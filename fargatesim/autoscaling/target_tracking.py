"""Target tracking: the capacity a policy asks for, its alarms' thresholds and its metric.

AWS publishes no formula for target tracking.  The Application Auto Scaling User Guide
("Target tracking scaling policies") says only that it scales in proportion to the metric and
rounds conservatively: up when adding, down when removing, so it never adds too little or
removes too much.  fargatesim assumes ``ceil(current * metric / target_value)`` for both
directions, which honours that rule (an assumption, recorded in the project's AWS behaviour
notes, sections 0 and 1.3).  The alarms' shape (AlarmLow at 90 % of the target) is likewise a
simulator default, not an AWS statement.

``config`` is a validated ``TargetTrackingConfig`` or a plain mapping with the YAML keys.
"""

from __future__ import annotations

import math
from typing import Any

from ..metric_catalogue import PREDEFINED_METRIC_TYPES
from .config import REQUIRED, get

DEFAULT_ALARM_LOW_RATIO = 0.9
_EPSILON = 1e-9  # relative; absorbs float noise such as 3 * 70 / 70 landing a hair above 3
# Past 2^53 a float has no fraction left to round, and inf (a huge metric over a tiny target)
# has no integer at all; min/max clamping takes any answer that large to max_capacity anyway.
_LARGEST = float(2**53)


def _get(obj: Any, key: str, default: Any = REQUIRED) -> Any:
    return get(obj, key, default, what="target tracking configuration")


def _target(config: Any) -> float:
    target = float(_get(config, "target_value"))
    if not target > 0:
        raise ValueError(f"expected target_value > 0; got {target:g}")
    return target


def target_tracking_capacity(config: Any, current: int, metric: float) -> int:
    """``ceil(current * metric / target_value)``, before min/max clamping (the formula is an
    assumption; see the module docstring).  ``current`` is the RUNNING task count, the starting
    point ECS documents for its calculations.

    Scale from zero (Amazon ECS Developer Guide, "Service auto scaling"): with no running task
    there is nothing to multiply, and ECS "scales out by the smallest possible amount", so the
    answer is 1 when the metric shows demand (> 0) and 0 otherwise.
    """
    if current < 0:
        raise ValueError(f"expected current >= 0; got {current}")
    if metric is None or math.isnan(metric):
        raise ValueError("expected a metric value; got a missing datapoint (the policy does not act on missing data)")
    if current == 0:
        return 1 if metric > 0 else 0
    raw = min(current * float(metric) / _target(config), _LARGEST)
    nearest = round(raw)
    if abs(raw - nearest) <= _EPSILON * max(1.0, abs(raw)):
        return max(0, int(nearest))
    return max(0, math.ceil(raw))


def alarm_thresholds(config: Any) -> tuple[float, float]:
    """(AlarmHigh, AlarmLow) thresholds: the target value, and ``alarm_low_ratio`` (default 0.9)
    times it.  AWS says only that scale-in waits until the metric is "usually more than 10 %
    lower" than the target (User Guide, "Target tracking scaling policies"); the ratio is a
    simulator default."""
    target = _target(config)
    ratio = _get(config, "alarm_low_ratio", None)
    return target, (DEFAULT_ALARM_LOW_RATIO if ratio is None else float(ratio)) * target


def metric_of(config: Any) -> tuple[str, str, str, int]:
    """(namespace, metric name, statistic, period) of the CloudWatch metric the policy tracks.

    Predefined types map as in the User Guide ("Monitoring with CloudWatch", predefined metric
    table): ECS CPU/memory -> AWS/ECS CPUUtilization/MemoryUtilization (Average),
    ALBRequestCountPerTarget -> AWS/ApplicationELB RequestCountPerTarget (Sum); 60-second
    periods, 20 seconds for the HighResolution types (API Reference, PredefinedMetricType).
    A customized metric specification keeps its own statistic, with a 60-second period.
    """
    predefined = _get(config, "predefined_metric_specification", None)
    if predefined is not None:
        kind = _get(predefined, "predefined_metric_type")
        if kind not in PREDEFINED_METRIC_TYPES:
            raise ValueError(f"expected predefined_metric_type one of {', '.join(PREDEFINED_METRIC_TYPES)}; "
                             f"got {kind!r}")
        return PREDEFINED_METRIC_TYPES[kind]
    custom = _get(config, "customized_metric_specification", None)
    if custom is None:
        raise ValueError("expected predefined_metric_specification or customized_metric_specification; got neither")
    return _get(custom, "namespace"), _get(custom, "metric_name"), _get(custom, "statistic"), 60

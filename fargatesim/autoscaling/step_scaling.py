"""Step scaling: which step an alarm breach selects and the capacity it asks for.

Pure functions of the policy configuration (a validated ``StepScalingConfig`` or a plain
mapping with the YAML keys); cooldowns, min/max clamping and the alarm itself are the
caller's business.  Rules follow the Application Auto Scaling User Guide ("Step scaling
policies": "Step adjustments", "Scaling adjustment types") and the API Reference
(``StepAdjustment``, ``StepScalingPolicyConfiguration``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NamedTuple

from .config import REQUIRED, get

ADJUSTMENT_TYPES = ("ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity")
AGGREGATION_TYPES = ("Average", "Minimum", "Maximum")


class _Step(NamedTuple):
    lower: float
    upper: float
    adjustment: int
    source: Any  # the caller's own step object, handed back by matching_step


def _get(obj: Any, key: str, default: Any = REQUIRED) -> Any:
    return get(obj, key, default, what="step scaling policy configuration")


def _bound(value: Any, infinite: float) -> float:
    return infinite if value is None else float(value)


def _steps(config: Any) -> list[_Step]:
    steps = _get(config, "step_adjustments")
    if not steps:
        raise ValueError("expected at least one step adjustment; got none")
    return [
        _Step(
            _bound(_get(s, "metric_interval_lower_bound", None), -math.inf),
            _bound(_get(s, "metric_interval_upper_bound", None), math.inf),
            int(_get(s, "scaling_adjustment")),
            s,
        )
        for s in steps
    ]


def _contains(lower: float, upper: float, offset: float) -> bool:
    """AWS's inclusivity (API Reference, StepAdjustment): above the threshold the lower bound is
    inclusive and the upper exclusive; below it the lower is exclusive and the upper inclusive.
    Exactly at the threshold both bounds are inclusive, which is what both of AWS's examples
    say (threshold 50: [0, 10) fires for 50 <= metric < 60, (-10, 0] for 40 < metric <= 50)."""
    if offset > 0:
        return lower <= offset < upper
    if offset < 0:
        return lower < offset <= upper
    return lower <= 0 <= upper


def matching_step(
    config: Any, metric: float | None, threshold: float, *, comparison_operator: str | None = None
) -> Any:
    """The step adjustment whose bounds contain ``metric - threshold``, or None.

    Bounds are offsets from the alarm threshold; a missing lower bound is minus infinity and a
    missing upper bound plus infinity (API Reference, StepAdjustment).  Above the threshold a
    step covers [lower, upper), below it (lower, upper].  A metric exactly at the threshold
    lies in both a step ending at 0 and a step starting at 0; the tie goes to the step starting
    at 0 (the side a GreaterThan... alarm breaches on), or to the step ending at 0 when
    ``comparison_operator`` is LessThanThreshold or LessThanOrEqualToThreshold.

    Returns the caller's own step object (a ``StepAdjustment`` or a mapping); None also when
    the metric is missing (None or NaN, e.g. :func:`aggregate` of missing datapoints).
    """
    if metric is None:
        return None
    offset = float(metric) - float(threshold)
    if math.isnan(offset):
        return None
    found = [s for s in _steps(config) if _contains(s.lower, s.upper, offset)]
    if len(found) > 1:
        below = comparison_operator is not None and comparison_operator.startswith("LessThan")
        found.sort(key=lambda s: s.upper if below else -s.lower)
    return found[0].source if found else None


def percent_change(current: int, percent: int, min_adjustment_magnitude: int | None = None) -> int:
    """The signed task change of a PercentChangeInCapacity step.

    AWS rounds a fractional result (Application Auto Scaling User Guide, "Scaling adjustment
    types"): above 1 it rounds down, between 0 and 1 it becomes 1, between 0 and -1 it becomes
    -1, below -1 it rounds up (towards zero).  MinAdjustmentMagnitude then raises a smaller
    magnitude to that minimum (API Reference, StepScalingPolicyConfiguration).  0 % of 0 tasks
    is a change of 0 before MinAdjustmentMagnitude, which alone can scale out from zero.
    """
    if percent == 0:
        return 0
    sign = 1 if percent > 0 else -1
    # Integer arithmetic: current * percent / 100 is exact, so 10 % of 10 is exactly 1.
    exact = abs(current * percent)
    magnitude = exact // 100 if exact >= 100 else (1 if exact else 0)
    if min_adjustment_magnitude and magnitude < min_adjustment_magnitude:
        magnitude = int(min_adjustment_magnitude)
    return sign * magnitude


def step_scaling_capacity(
    config: Any, current: int, metric: float | None, threshold: float, *, comparison_operator: str | None = None
) -> int:
    """The capacity a step scaling policy asks for, before min/max clamping; never below 0.

    The step is chosen as in :func:`matching_step` (``metric`` is the aggregated value, see
    :func:`aggregate`).  By AdjustmentType (User Guide, "Scaling adjustment types"):
    ChangeInCapacity adds the signed adjustment to ``current``; ExactCapacity sets the capacity
    to the adjustment; PercentChangeInCapacity adds that percentage of ``current``, rounded as
    in :func:`percent_change` and raised to MinAdjustmentMagnitude (used only with this type).
    When no step contains the metric, or the metric is missing, the policy does nothing and
    ``current`` is returned.
    """
    adjustment_type = _get(config, "adjustment_type")
    if adjustment_type not in ADJUSTMENT_TYPES:
        raise ValueError(f"expected adjustment_type one of {', '.join(ADJUSTMENT_TYPES)}; got {adjustment_type!r}")
    step = matching_step(config, metric, threshold, comparison_operator=comparison_operator)
    if step is None:
        return current
    adjustment = int(_get(step, "scaling_adjustment"))
    if adjustment_type == "ExactCapacity":
        new = adjustment
    elif adjustment_type == "ChangeInCapacity":
        new = current + adjustment
    else:
        new = current + percent_change(current, adjustment, _get(config, "min_adjustment_magnitude", None))
    return max(0, new)


def aggregate(values: Iterable[float | None], metric_aggregation_type: str | None = "Average") -> float | None:
    """The value a step policy compares with its steps: MetricAggregationType applied to the
    most recent datapoints, which CloudWatch has already reduced with the alarm's statistic
    (User Guide, "Step adjustments").  Average (also when None, as in the API), Minimum or
    Maximum; None and NaN are missing and skipped.  None when every datapoint is missing.
    """
    kind = metric_aggregation_type or "Average"
    if kind not in AGGREGATION_TYPES:
        raise ValueError(f"expected metric_aggregation_type one of {', '.join(AGGREGATION_TYPES)}; got {kind!r}")
    present = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not present:
        return None
    if kind == "Minimum":
        return min(present)
    if kind == "Maximum":
        return max(present)
    return math.fsum(present) / len(present)

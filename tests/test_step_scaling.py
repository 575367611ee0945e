"""Step scaling: step selection at the bounds, adjustment types, rounding, aggregation."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fargatesim.autoscaling.step_scaling import aggregate, matching_step, percent_change, step_scaling_capacity
from fargatesim.scenario.autoscaling import StepScalingConfig


def config(adjustment_type="ChangeInCapacity", steps=((0, None, 1),), **extra) -> dict:
    """A plain-mapping policy, as a notebook user writes it: steps are (lower, upper, adjustment)."""
    return {
        "adjustment_type": adjustment_type,
        "step_adjustments": [
            {"metric_interval_lower_bound": lo, "metric_interval_upper_bound": hi, "scaling_adjustment": adj}
            for lo, hi, adj in steps
        ],
        **extra,
    }


def both_forms(cfg: dict):
    """The same policy as a plain mapping and as the validated model."""
    return [cfg, StepScalingConfig.model_validate(cfg)]


def _adjustment(step):
    if step is None:
        return None
    return step["scaling_adjustment"] if isinstance(step, dict) else step.scaling_adjustment


# ---------------------------------------------------------------------- bounds (9.2)
# API Reference, StepAdjustment: threshold 50; [0, 10) fires for 50 <= metric < 60,
# (-10, 0] fires for 40 < metric <= 50.
ABOVE = config(steps=((0, 10, 1), (10, None, 2)))
BELOW = config(steps=((None, -10, -2), (-10, 0, -1)))


@pytest.mark.parametrize(
    "metric, expected",
    [(49.999, None), (50, 1), (55, 1), (59.999, 1), (60, 2), (1e9, 2)],
)
def test_step_above_the_threshold_is_lower_inclusive_upper_exclusive(metric, expected):
    for cfg in both_forms(ABOVE):
        step = matching_step(cfg, metric, 50)
        assert _adjustment(step) == expected


@pytest.mark.parametrize(
    "metric, expected",
    [(50.001, None), (50, -1), (45, -1), (40.001, -1), (40, -2), (-1e9, -2)],
)
def test_step_below_the_threshold_is_lower_exclusive_upper_inclusive(metric, expected):
    for cfg in both_forms(BELOW):
        step = matching_step(cfg, metric, 50)
        assert _adjustment(step) == expected


def test_matching_step_returns_the_callers_own_object():
    cfg = StepScalingConfig.model_validate(ABOVE)
    assert matching_step(cfg, 55, 50) is cfg.step_adjustments[0]
    assert matching_step(ABOVE, 65, 50) is ABOVE["step_adjustments"][1]


def test_exactly_at_the_threshold_between_two_steps_follows_the_alarm_side():
    both = config(steps=((None, 0, -1), (0, None, 1)))
    assert step_scaling_capacity(both, 5, 50, 50) == 6  # default: the step starting at 0
    assert step_scaling_capacity(both, 5, 50, 50, comparison_operator="GreaterThanOrEqualToThreshold") == 6
    assert step_scaling_capacity(both, 5, 50, 50, comparison_operator="LessThanOrEqualToThreshold") == 4
    assert step_scaling_capacity(both, 5, 50.5, 50, comparison_operator="LessThanOrEqualToThreshold") == 6
    assert step_scaling_capacity(both, 5, 49.5, 50) == 4


def test_no_matching_step_leaves_capacity_alone():
    assert step_scaling_capacity(ABOVE, 7, 30, 50) == 7
    assert step_scaling_capacity(ABOVE, 7, float("nan"), 50) == 7
    assert step_scaling_capacity(ABOVE, 7, aggregate([None, None]), 50) == 7


# ---------------------------------------------------------------------- ECS CLI example (9.7)
ECS_CLI = config(steps=((0, 15, 1), (15, 25, 2), (25, None, 3)), metric_aggregation_type="Average", cooldown=60)


@pytest.mark.parametrize("metric, change", [(69.99, 0), (70, 1), (84.99, 1), (85, 2), (94.99, 2), (95, 3), (100, 3)])
def test_ecs_cli_example(metric, change):
    for cfg in both_forms(ECS_CLI):
        assert step_scaling_capacity(cfg, 4, metric, 70) == 4 + change


# ---------------------------------------------------------------------- adjustment types (9.4)
@pytest.mark.parametrize(
    "adjustment_type, current, adjustment, expected",
    [
        ("ChangeInCapacity", 3, 5, 8),
        ("ExactCapacity", 3, 5, 5),
        ("PercentChangeInCapacity", 10, 10, 11),
        ("ChangeInCapacity", 3, -5, 0),  # never below 0
        ("ExactCapacity", 9, 0, 0),
        ("PercentChangeInCapacity", 10, -100, 0),
    ],
)
def test_adjustment_types(adjustment_type, current, adjustment, expected):
    for cfg in both_forms(config(adjustment_type, steps=((0, None, adjustment),))):
        assert step_scaling_capacity(cfg, current, 80, 70) == expected


def test_min_adjustment_magnitude_raises_a_small_percent_change():
    # current 4, +25 % = 1 task, MinAdjustmentMagnitude 2 -> +2 -> 6 (API Reference example)
    cfg = config("PercentChangeInCapacity", steps=((0, None, 25),), min_adjustment_magnitude=2)
    for c in both_forms(cfg):
        assert step_scaling_capacity(c, 4, 80, 70) == 6
    shrink = config("PercentChangeInCapacity", steps=((None, 0, -25),), min_adjustment_magnitude=2)
    assert step_scaling_capacity(shrink, 4, 60, 70) == 2


def test_min_adjustment_magnitude_is_ignored_by_other_types():
    cfg = config("ChangeInCapacity", steps=((0, None, 1),), min_adjustment_magnitude=3)
    assert step_scaling_capacity(cfg, 4, 80, 70) == 5


# ---------------------------------------------------------------------- rounding (9.3)
@pytest.mark.parametrize(
    "current, percent, change",
    [
        (127, 10, 12),  # 12.7 -> 12
        (67, 1, 1),  # 0.67 -> 1
        (58, -1, -1),  # -0.58 -> -1
        (667, -1, -6),  # -6.67 -> -6
        (10, 10, 1),  # exactly 1
        (10, -10, -1),
        (200, 50, 100),
        (0, 50, 0),
        (5, 0, 0),
    ],
)
def test_percent_rounding_truncates_towards_zero_but_never_below_one(current, percent, change):
    assert percent_change(current, percent) == change


def test_percent_change_from_zero_only_by_min_adjustment_magnitude():
    assert percent_change(0, 50, 2) == 2
    assert percent_change(0, -50, 2) == -2


# ---------------------------------------------------------------------- aggregation
@pytest.mark.parametrize(
    "kind, expected",
    [("Average", 20.0), (None, 20.0), ("Minimum", 10.0), ("Maximum", 30.0)],
)
def test_aggregate_skips_missing(kind, expected):
    assert aggregate([10, None, float("nan"), 30, 20], kind) == expected


def test_aggregate_of_nothing_is_none():
    assert aggregate([None, float("nan")], "Average") is None
    assert aggregate([], "Maximum") is None


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="metric_aggregation_type"):
        aggregate([1], "Sum")
    with pytest.raises(ValueError, match="adjustment_type"):
        step_scaling_capacity(config("Percent"), 1, 80, 70)
    with pytest.raises(ValueError, match="step_adjustments"):
        step_scaling_capacity({"adjustment_type": "ChangeInCapacity"}, 1, 80, 70)


# ---------------------------------------------------------------------- properties
@st.composite
def step_sets(draw):
    """Valid contiguous step sets, checked by the schema's own AWS rules."""
    cuts = sorted(draw(st.sets(st.integers(-200, 200).map(lambda v: v / 4), min_size=1, max_size=6)))
    open_low = draw(st.booleans()) or cuts[0] < 0
    open_high = draw(st.booleans()) or cuts[-1] > 0
    edges = ([None] if open_low else []) + cuts + ([None] if open_high else [])
    assume(len(edges) >= 2)
    adjustments = draw(st.lists(st.integers(-50, 50), min_size=len(edges) - 1, max_size=len(edges) - 1))
    steps = list(zip(edges[:-1], edges[1:], adjustments))
    steps = draw(st.permutations(steps))
    cfg = config("ChangeInCapacity", steps=steps)
    StepScalingConfig.model_validate(cfg)  # raises if the generator ever makes an invalid set
    return cfg


def _covers(step, offset):
    lo = -math.inf if step["metric_interval_lower_bound"] is None else step["metric_interval_lower_bound"]
    hi = math.inf if step["metric_interval_upper_bound"] is None else step["metric_interval_upper_bound"]
    return lo <= offset <= hi


@given(step_sets(), st.floats(-100, 100, allow_nan=False), st.floats(-100, 100, allow_nan=False))
def test_at_most_one_step_matches_and_change_in_capacity_adds_its_adjustment(cfg, metric, threshold):
    from fargatesim.autoscaling.step_scaling import _contains, _steps

    offset = metric - threshold
    hits = [s for s in _steps(cfg) if _contains(s.lower, s.upper, offset)]
    # Only exactly at the threshold can two steps (one ending, one starting at 0) both contain it.
    assert len(hits) <= 1 or (offset == 0 and len(hits) == 2)
    step = matching_step(cfg, metric, threshold)
    if step is None:
        assert not hits
        assert step_scaling_capacity(cfg, 100, metric, threshold) == 100
    else:
        assert _covers(step, offset)
        assert step_scaling_capacity(cfg, 100, metric, threshold) - 100 == step["scaling_adjustment"]


@given(step_sets(), st.floats(-100, 100, allow_nan=False))
def test_model_and_mapping_agree(cfg, metric):
    model = StepScalingConfig.model_validate(cfg)
    assert step_scaling_capacity(model, 60, metric, 0) == step_scaling_capacity(cfg, 60, metric, 0)


@given(st.integers(0, 10_000), st.integers(-100, 1000).filter(lambda p: p != 0))
def test_percent_change_magnitude(current, percent):
    change = percent_change(current, percent)
    exact = current * percent / 100
    if exact == 0:
        assert change == 0
    else:
        assert abs(change) == max(1, math.floor(abs(exact)))
        assert math.copysign(1, change) == math.copysign(1, percent)

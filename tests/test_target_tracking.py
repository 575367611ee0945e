"""Target tracking: proportional capacity, conservative rounding, scale from zero, metric mapping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargatesim.autoscaling.target_tracking import alarm_thresholds, metric_of, target_tracking_capacity
from fargatesim.scenario.autoscaling import TargetTrackingConfig


def cpu(target=50.0, **extra) -> dict:
    return {
        "target_value": target,
        "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
        **extra,
    }


def both_forms(cfg: dict):
    return [cfg, TargetTrackingConfig.model_validate(cfg)]


# EC2 Auto Scaling guide (target tracking considerations), target 50 % CPU: a need for 1.5
# more instances adds 2; a removal of 1.5 removes only 1.
@pytest.mark.parametrize(
    "current, metric, expected",
    [
        (3, 75, 5),  # 4.5 tasks needed: +1.5 -> +2
        (10, 42.5, 9),  # 8.5 tasks needed: -1.5 -> -1
        (4, 50, 4),  # on target
        (4, 100, 8),
        (10, 0, 0),  # a real zero scales in to zero (min capacity clamps later)
    ],
)
def test_conservative_rounding(current, metric, expected):
    for cfg in both_forms(cpu()):
        assert target_tracking_capacity(cfg, current, metric) == expected


@pytest.mark.parametrize(
    "current, metric, target",
    [(4, 60, 60), (3, 70, 70), (7, 0.7, 0.7), (10, 33.3, 33.3), (6, 0.1 + 0.2, 0.3), (3, 30, 45)],
)
def test_exact_division_is_not_rounded_up_by_float_noise(current, metric, target):
    expected = round(current * metric / target)
    assert math.isclose(current * metric / target, expected, rel_tol=1e-12)
    assert target_tracking_capacity(cpu(target), current, metric) == expected


@pytest.mark.parametrize("metric, expected", [(0.0, 0), (0.001, 1), (90, 1), (10_000, 1)])
def test_scale_from_zero_by_the_smallest_amount(metric, expected):
    assert target_tracking_capacity(cpu(), 0, metric) == expected


def test_missing_metric_and_bad_target_are_refused():
    with pytest.raises(ValueError, match="missing"):
        target_tracking_capacity(cpu(), 3, float("nan"))
    with pytest.raises(ValueError, match="target_value"):
        target_tracking_capacity(cpu(0), 3, 50)
    with pytest.raises(ValueError, match="current"):
        target_tracking_capacity(cpu(), -1, 50)


def test_alarm_thresholds():
    for cfg in both_forms(cpu(60)):
        high, low = alarm_thresholds(cfg)
        assert high == 60 and math.isclose(low, 54)
    assert alarm_thresholds(cpu(100, alarm_low_ratio=0.8)) == (100, 80)


@pytest.mark.parametrize(
    "metric_type, expected",
    [
        ("ECSServiceAverageCPUUtilization", ("AWS/ECS", "CPUUtilization", "Average", 60)),
        ("ECSServiceAverageMemoryUtilization", ("AWS/ECS", "MemoryUtilization", "Average", 60)),
        ("ECSServiceAverageCPUUtilizationHighResolution", ("AWS/ECS", "CPUUtilization", "Average", 20)),
        ("ECSServiceAverageMemoryUtilizationHighResolution", ("AWS/ECS", "MemoryUtilization", "Average", 20)),
        ("ALBRequestCountPerTarget", ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum", 60)),
    ],
)
def test_predefined_metrics(metric_type, expected):
    cfg = {"target_value": 10, "predefined_metric_specification": {"predefined_metric_type": metric_type}}
    for c in both_forms(cfg):
        assert metric_of(c) == expected


def test_customized_metric():
    cfg = {
        "target_value": 0.2,
        "customized_metric_specification": {
            "namespace": "AWS/ApplicationELB", "metric_name": "TargetResponseTime", "statistic": "Maximum",
        },
    }
    for c in both_forms(cfg):
        assert metric_of(c) == ("AWS/ApplicationELB", "TargetResponseTime", "Maximum", 60)


def test_metric_of_needs_a_metric():
    with pytest.raises(ValueError, match="neither"):
        metric_of({"target_value": 50})
    with pytest.raises(ValueError, match="predefined_metric_type"):
        metric_of({"target_value": 50, "predefined_metric_specification": {"predefined_metric_type": "CPU"}})


@given(
    st.integers(1, 500),
    st.floats(0, 1000, allow_nan=False),
    st.floats(0.01, 1000, allow_nan=False),
)
def test_never_too_little_never_too_much(current, metric, target):
    need = current * metric / target
    got = target_tracking_capacity(cpu(target), current, metric)
    slack = 1e-9 * max(1.0, need)  # the float-noise guard may round a hair below `need` down
    assert got >= need - slack
    assert got - 1 < need


@given(st.integers(1, 500), st.floats(0.01, 1000, allow_nan=False), st.floats(0, 1000, allow_nan=False))
def test_monotone_in_the_metric(current, target, metric):
    cfg = cpu(target)
    assert target_tracking_capacity(cfg, current, metric) <= target_tracking_capacity(cfg, current, metric * 1.5 + 1)

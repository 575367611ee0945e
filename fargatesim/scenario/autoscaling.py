"""Application Auto Scaling: the scalable target's bounds, scaling policies and scheduled actions.

Keys follow Terraform's aws_appautoscaling_target / _policy / _scheduled_action.
"""

import re
import zoneinfo
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (AfterValidator, Field, ValidationInfo, ValidatorFunctionWrapHandler, WrapValidator, field_validator,
                      model_validator)

from ..metric_catalogue import PREDEFINED_METRIC_TYPES
from .errors import Invalid
from .fields import (Model, NonNegativeInt, PositiveFloat, PositiveInt, TimeZone, UtcDatetime, choice, integer, number,
                     seconds)
from .metrics import Dimension, Statistic, check_published
from .predictive import PredictiveScalingConfig
from .schedules import Schedule, parse_schedule

# ---------------------------------------------------------------------- AWS's limits
# Amazon ECS service quotas, "Tasks per service": 5,000 (ECS Developer Guide, service-quotas;
# AWS General Reference, "Amazon ECS endpoints and quotas"). A service's desired count cannot
# exceed it, so neither can the capacity Application Auto Scaling sets, nor any step towards it.
TASKS_PER_SERVICE = 5000
TASKS_PER_SERVICE_SOURCE = "the Amazon ECS quota of tasks per service"
# TargetValue "won't accept values that are either too small or too large": 2^-360 to 2^360
# (Application Auto Scaling API Reference, TargetTrackingScalingPolicyConfiguration; the
# DynamoDB API Reference states the same range as 8.5e-109 to 1.2e+108). Below it the formula
# current x metric / target overflows a float.
TARGET_VALUE_RANGE = (2.0**-360, 2.0**360)
# Cooldowns are an Integer in the Application Auto Scaling API (32 bits): a longer one is not a
# cooldown AWS would take, and a far longer one overflows the simulated clock.
LONGEST_COOLDOWN_S = 2**31 - 1
# CloudWatch evaluates an alarm over at most one day: evaluation periods x period <= 86,400 s
# (CloudWatch API Reference, PutMetricAlarm). The alarms target tracking creates are alarms too.
ALARM_EVALUATION_SPAN_S = 86400


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return "a number of thousands of digits"
    return text if len(text) <= 40 else text[:37] + "..."


def _at_most_tasks(value: Any, handler: ValidatorFunctionWrapHandler) -> int:
    count = handler(value)
    if count > TASKS_PER_SERVICE:
        raise Invalid(f"expected a whole number from 0 to {TASKS_PER_SERVICE:,} ({TASKS_PER_SERVICE_SOURCE}); "
                      f"got {_shown(value)}")
    return count


# A task count as ECS and Application Auto Scaling take it: 0 to the tasks-per-service quota.
TaskCount = Annotated[NonNegativeInt, WrapValidator(_at_most_tasks)]


def _cooldown(value: int) -> int:
    if value > LONGEST_COOLDOWN_S:
        raise Invalid(f"expected at most {LONGEST_COOLDOWN_S:,} seconds (the Application Auto Scaling API takes "
                      f"cooldowns and periods as a 32-bit Integer); got {_shown(value)}")
    return value


Cooldown = Annotated[seconds(ge=0), AfterValidator(_cooldown)]


def _target_value(value: Any, handler: ValidatorFunctionWrapHandler) -> float:
    target = handler(value)
    low, high = TARGET_VALUE_RANGE
    if not low <= target <= high:
        raise Invalid(f"expected a number from 2^-360 ({low:.2g}) to 2^360 ({high:.2g}), the range Application "
                      f"Auto Scaling accepts for TargetValue; got {_shown(value)}")
    return target


TargetValue = Annotated[PositiveFloat, WrapValidator(_target_value)]

PredefinedMetricType = Literal[tuple(PREDEFINED_METRIC_TYPES)]
# predefined metric type -> (namespace, metric name), as fargatesim.scenario exports it
PREDEFINED_METRICS: dict[str, tuple[str, str]] = {
    kind: (namespace, metric_name) for kind, (namespace, metric_name, _, _) in PREDEFINED_METRIC_TYPES.items()
}


# ---------------------------------------------------------------------- target tracking
class PredefinedMetricSpecification(Model):
    predefined_metric_type: PredefinedMetricType
    resource_label: str | None = None


class CustomizedMetricSpecification(Model):
    namespace: str
    metric_name: str
    statistic: Statistic
    dimensions: tuple[Dimension, ...] | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _published(self):
        check_published(self.namespace, self.metric_name)
        return self


class TargetTrackingConfig(Model):
    target_value: TargetValue
    predefined_metric_specification: PredefinedMetricSpecification | None = None
    customized_metric_specification: CustomizedMetricSpecification | None = None
    scale_out_cooldown: Cooldown = 300
    scale_in_cooldown: Cooldown = 300
    disable_scale_in: bool = False
    # (sim) the alarms AWS creates for the policy; their shape is not documented (see docs)
    alarm_high_datapoints: PositiveInt = 3
    alarm_low_datapoints: PositiveInt = 15
    alarm_low_ratio: number(gt=0, lt=1) = 0.9  # AlarmLow threshold = ratio x target_value
    # (sim) the task count the metric is multiplied by (the formula is undocumented): "measured",
    # the RUNNING tasks of the period the datapoint describes, or "running", those RUNNING when
    # the alarm fires (the ECS guide's "actual running task count", which lets a late datapoint
    # compound a scale-out whose tasks have just started)
    capacity_basis: Literal["measured", "running"] = "measured"

    @model_validator(mode="after")
    def _one_metric(self):
        given = [k for k in ("predefined_metric_specification", "customized_metric_specification") if getattr(self, k)]
        if len(given) != 1:
            raise Invalid(
                "expected exactly one of predefined_metric_specification and customized_metric_specification; "
                f"got {' and '.join(given) or 'neither'}",
                *given[1:],
            )
        period = PREDEFINED_METRIC_TYPES[self.predefined_metric_specification.predefined_metric_type][3] \
            if self.predefined_metric_specification is not None else 60
        for key in ("alarm_high_datapoints", "alarm_low_datapoints"):
            datapoints = getattr(self, key)
            if datapoints * period > ALARM_EVALUATION_SPAN_S:
                raise Invalid(f"expected at most {ALARM_EVALUATION_SPAN_S // period} datapoints of {period} s "
                              f"(CloudWatch evaluates an alarm over at most {ALARM_EVALUATION_SPAN_S} s, one day); "
                              f"got {datapoints}", key)
        return self

    @property
    def metric(self) -> tuple[str, str]:
        """(namespace, metric_name) of the CloudWatch metric the policy tracks."""
        if self.predefined_metric_specification is not None:
            return PREDEFINED_METRICS[self.predefined_metric_specification.predefined_metric_type]
        spec = self.customized_metric_specification
        return spec.namespace, spec.metric_name

    @property
    def high_resolution(self) -> bool:
        spec = self.predefined_metric_specification
        return spec is not None and PREDEFINED_METRIC_TYPES[spec.predefined_metric_type][3] < 60


# ---------------------------------------------------------------------- step scaling
class StepAdjustment(Model):
    """Bounds are offsets from the alarm threshold; None means minus / plus infinity ("" too:
    Terraform writes an unset bound so)."""

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        return {k: (None if v == "" and k.startswith("metric_interval_") else v) for k, v in data.items()}

    metric_interval_lower_bound: float | None = None
    metric_interval_upper_bound: float | None = None
    scaling_adjustment: int

    @model_validator(mode="after")
    def _bounds(self):
        lower, upper = self.metric_interval_lower_bound, self.metric_interval_upper_bound
        if lower is None and upper is None:
            raise Invalid("expected metric_interval_lower_bound or metric_interval_upper_bound (or both); got neither")
        if lower is not None and upper is not None and upper <= lower:
            raise Invalid(
                f"expected metric_interval_upper_bound > metric_interval_lower_bound ({lower:g}); got {upper:g}",
                "metric_interval_upper_bound",
            )
        return self

    @property
    def lower(self) -> float:
        return float("-inf") if self.metric_interval_lower_bound is None else self.metric_interval_lower_bound

    @property
    def upper(self) -> float:
        return float("inf") if self.metric_interval_upper_bound is None else self.metric_interval_upper_bound


class StepScalingConfig(Model):
    aliases: ClassVar[dict[str, str]] = {"step_adjustment": "step_adjustments"}

    adjustment_type: Literal["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"]
    cooldown: Cooldown = 300
    metric_aggregation_type: Literal["Average", "Minimum", "Maximum"] = "Average"
    # AWS uses it only with PercentChangeInCapacity; with other types it is accepted and has no effect
    min_adjustment_magnitude: integer(ge=1, le=TASKS_PER_SERVICE) | None = None
    step_adjustments: tuple[StepAdjustment, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _aws_step_rules(self):
        _check_steps(self.step_adjustments)
        if self.adjustment_type == "ExactCapacity":
            for i, step in enumerate(self.step_adjustments):
                if step.scaling_adjustment < 0:
                    raise Invalid(
                        f"expected scaling_adjustment >= 0 with ExactCapacity (it is the new task count); "
                        f"got {step.scaling_adjustment}",
                        "step_adjustments", i, "scaling_adjustment",
                    )
        low, high, meaning = _ADJUSTMENT_RANGES[self.adjustment_type]
        for i, step in enumerate(self.step_adjustments):
            if not low <= step.scaling_adjustment <= high:
                raise Invalid(
                    f"expected scaling_adjustment from {low:,} to {high:,} with {self.adjustment_type} ({meaning}); "
                    f"got {_shown(step.scaling_adjustment)}",
                    "step_adjustments", i, "scaling_adjustment",
                )
        return self


# adjustment type -> the scaling_adjustment range within the tasks-per-service quota, and why
_ADJUSTMENT_RANGES = {
    "ExactCapacity": (0, TASKS_PER_SERVICE, f"it is the new task count, at most {TASKS_PER_SERVICE_SOURCE}"),
    "ChangeInCapacity": (-TASKS_PER_SERVICE, TASKS_PER_SERVICE,
                         f"a change of tasks, within {TASKS_PER_SERVICE_SOURCE}"),
    # From one task, +499,900 % reaches the quota; anything larger only says "to the maximum".
    "PercentChangeInCapacity": (-100 * TASKS_PER_SERVICE, 100 * TASKS_PER_SERVICE,
                                f"a percentage of the tasks; from one task, {100 * TASKS_PER_SERVICE:,} % is "
                                f"beyond {TASKS_PER_SERVICE_SOURCE}"),
}


def _check_steps(steps: tuple[StepAdjustment, ...]) -> None:
    """The validation rules AWS applies to StepAdjustments (PutScalingPolicy)."""
    where = "step_adjustments"
    for side, infinite in (("lower", "-infinity"), ("upper", "+infinity")):
        key = f"metric_interval_{side}_bound"
        open_ended = [i for i, s in enumerate(steps) if getattr(s, key) is None]
        if len(open_ended) > 1:
            raise Invalid(
                f"expected at most one step without {key} (reaching {infinite}); got steps {open_ended[0]} and "
                f"{open_ended[1]}",
                where, open_ended[1], key,
            )
        sign = -1 if side == "lower" else 1
        beyond = [i for i, s in enumerate(steps) if getattr(s, key) is not None and sign * getattr(s, key) > 0]
        if beyond and not open_ended:
            value = getattr(steps[beyond[0]], key)
            raise Invalid(
                f"expected a step without {key} (reaching {infinite}) when a {key} is "
                f"{'negative' if side == 'lower' else 'positive'}; got {value:g} and no open-ended step",
                where, beyond[0], key,
            )
    order = sorted(range(len(steps)), key=lambda i: steps[i].lower)
    for a, b in zip(order, order[1:]):
        end, start = steps[a].upper, steps[b].lower
        if end > start:
            raise Invalid(
                f"expected step ranges that do not overlap; step {b} starts at {start:g}, "
                f"inside step {a}'s range ({steps[a].lower:g} to {end:g})",
                where, b, "metric_interval_lower_bound",
            )
        if end < start:
            raise Invalid(
                f"expected step ranges without gaps; step {a} ends at {end:g} but step {b} starts at {start:g}, "
                f"so a metric between threshold{end:+g} and threshold{start:+g} matches no step",
                where, b, "metric_interval_lower_bound",
            )


# ---------------------------------------------------------------------- custom (Python) policies
class CustomPolicyConfig(Model):
    class_: str = Field(alias="class")
    params: dict[str, Any] = Field(default_factory=dict)
    # (sim) a Python policy is asked every evaluation_period; its answers go through the same
    # cooldowns and clamping as AWS's own policies.
    evaluation_period: Annotated[seconds(ge=20), AfterValidator(_cooldown)] = 60
    scale_out_cooldown: Cooldown = 300
    scale_in_cooldown: Cooldown = 300

    @field_validator("evaluation_period")
    @classmethod
    def _period(cls, value: int) -> int:
        if value != 20 and value % 60:
            raise Invalid(f"expected 20 or a multiple of 60 seconds; got {value}")
        return value

    @field_validator("class_")
    @classmethod
    def _shape(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise Invalid(f"expected 'module:ClassName', e.g. 'mypolicies:QueueDepthPolicy'; got {value!r}")
        return value


# ---------------------------------------------------------------------- policies
_CONFIG_KEYS = {
    "TargetTrackingScaling": "target_tracking_scaling_policy_configuration",
    "StepScaling": "step_scaling_policy_configuration",
    "Custom": "custom",
    "PredictiveScaling": "predictive_scaling_policy_configuration",
}


class ScalingPolicy(Model):
    name: str = Field(min_length=1)
    policy_type: choice(
        "TargetTrackingScaling", "StepScaling", "PredictiveScaling", "Custom", what="policy_type"
    ) = "StepScaling"
    target_tracking_scaling_policy_configuration: TargetTrackingConfig | None = None
    step_scaling_policy_configuration: StepScalingConfig | None = None
    custom: CustomPolicyConfig | None = None
    predictive_scaling_policy_configuration: PredictiveScalingConfig | None = None

    @property
    def configuration(self) -> TargetTrackingConfig | StepScalingConfig | CustomPolicyConfig | PredictiveScalingConfig:
        return getattr(self, _CONFIG_KEYS[self.policy_type])

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        # Checked before the configurations themselves, so a misplaced block is named as such.
        policy_type = data.get("policy_type", "StepScaling")
        if policy_type not in _CONFIG_KEYS:
            return data
        wanted = _CONFIG_KEYS[policy_type]
        implicit = "" if "policy_type" in data else " (policy_type defaults to StepScaling, as in Terraform)"
        for key in _CONFIG_KEYS.values():
            if key != wanted and data.get(key) is not None:
                raise Invalid(
                    f"expected {wanted} for a {policy_type} policy{implicit}; got {key}, which belongs to policy_type "
                    f"{next(t for t, k in _CONFIG_KEYS.items() if k == key)}",
                    key,
                )
        if data.get(wanted) is None:
            raise Invalid(f"a {policy_type} policy needs {wanted}; it is missing", wanted)
        return data


class ScalableTargetAction(Model):
    min_capacity: TaskCount | None = None
    max_capacity: TaskCount | None = None

    @model_validator(mode="after")
    def _bounds(self):
        if self.min_capacity is None and self.max_capacity is None:
            raise Invalid("expected min_capacity, max_capacity or both; got neither")
        if self.min_capacity is not None and self.max_capacity is not None and self.max_capacity < self.min_capacity:
            raise Invalid(
                f"expected max_capacity >= min_capacity ({self.min_capacity}); got {self.max_capacity}", "max_capacity"
            )
        return self


class ScheduledAction(Model):
    name: str = Field(min_length=1)
    schedule: str
    timezone: TimeZone = "UTC"  # applies to at() and cron(); start_time and end_time are always UTC
    start_time: UtcDatetime | None = None
    end_time: UtcDatetime | None = None
    scalable_target_action: ScalableTargetAction

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value.strip()

    @model_validator(mode="after")
    def _window(self):
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise Invalid(
                f"expected end_time after start_time ({self.start_time.isoformat()}); got {self.end_time.isoformat()}",
                "end_time",
            )
        return self

    @property
    def parsed_schedule(self) -> Schedule:
        return parse_schedule(self.schedule)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


# ---------------------------------------------------------------------- the scalable target
class Autoscaling(Model):
    min_capacity: TaskCount
    max_capacity: TaskCount
    policies: tuple[ScalingPolicy, ...] = Field((), max_length=50)
    scheduled_actions: tuple[ScheduledAction, ...] = Field((), max_length=200)

    @model_validator(mode="after")
    def _consistent(self):
        if self.max_capacity < self.min_capacity:
            raise Invalid(
                f"expected max_capacity >= min_capacity ({self.min_capacity}); got {self.max_capacity}", "max_capacity"
            )
        for key in ("policies", "scheduled_actions"):
            seen: set[str] = set()
            for i, item in enumerate(getattr(self, key)):
                if item.name in seen:
                    raise Invalid(f"expected unique names; got {item.name!r} twice", key, i, "name")
                seen.add(item.name)
        # Application Auto Scaling checks a scheduled action against the target's bounds when
        # the action is put: one bound alone may not cross the other (aws-behaviour.md 3).
        for i, action in enumerate(self.scheduled_actions):
            bounds = action.scalable_target_action
            if bounds.max_capacity is None and bounds.min_capacity > self.max_capacity:
                raise Invalid(f"expected min_capacity <= the target's max_capacity ({self.max_capacity}), or "
                              f"max_capacity given too; got {bounds.min_capacity}",
                              "scheduled_actions", i, "scalable_target_action", "min_capacity")
            if bounds.min_capacity is None and bounds.max_capacity < self.min_capacity:
                raise Invalid(f"expected max_capacity >= the target's min_capacity ({self.min_capacity}), or "
                              f"min_capacity given too; got {bounds.max_capacity}",
                              "scheduled_actions", i, "scalable_target_action", "max_capacity")
        return self

    def policy(self, name: str) -> ScalingPolicy | None:
        return next((p for p in self.policies if p.name == name), None)

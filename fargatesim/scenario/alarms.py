"""CloudWatch metric alarms (aws_cloudwatch_metric_alarm); step scaling policies act only through them."""

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from .errors import Invalid
from .fields import Model, PositiveInt, seconds
from .metrics import PUBLISHED_METRICS, Dimension, Statistic, check_published

__all__ = ["Alarm", "PUBLISHED_METRICS"]


class Alarm(Model):
    alarm_name: str = Field(min_length=1)
    namespace: str
    metric_name: str
    statistic: Statistic = "Average"
    period: seconds(ge=10) = 60
    evaluation_periods: PositiveInt = 1
    datapoints_to_alarm: PositiveInt = 1  # when not given: evaluation_periods
    comparison_operator: Literal[
        "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
    ]
    threshold: float
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"
    alarm_actions: tuple[str, ...] = ()  # names of StepScaling policies
    ok_actions: tuple[str, ...] = ()
    dimensions: tuple[Dimension, ...] | None = None

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        if "datapoints_to_alarm" not in data and "evaluation_periods" in data:
            data = {**data, "datapoints_to_alarm": data["evaluation_periods"]}
        return data

    @model_validator(mode="after")
    def _consistent(self):
        if self.period not in (10, 20, 30) and self.period % 60:
            raise Invalid(f"expected a period of 10, 20, 30 or a multiple of 60 seconds; got {self.period}", "period")
        if self.period * self.evaluation_periods > 86400:
            raise Invalid(
                f"expected evaluation_periods x period <= 86400 s (one day); got {self.evaluation_periods} x "
                f"{self.period} = {self.evaluation_periods * self.period}",
                "evaluation_periods",
            )
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise Invalid(
                f"expected datapoints_to_alarm from 1 to evaluation_periods ({self.evaluation_periods}); "
                f"got {self.datapoints_to_alarm}",
                "datapoints_to_alarm",
            )
        check_published(self.namespace, self.metric_name)
        return self

"""Predictive scaling policies (policy_type PredictiveScaling): predictive_scaling_policy_configuration.

Keys follow Terraform's aws_appautoscaling_policy block (metric_specification, metric_data_query,
dimension) and the API's names in snake case (metric_specifications, metric_data_queries,
dimensions); both are read. The limits are the API's (PredictiveScalingPolicyConfiguration):
scheduling_buffer_time 0-3600 s, max_capacity_buffer 0-100 and only with IncreaseMaxCapacity,
one metric specification.

Two keys are the simulator's own, since AWS reads them from CloudWatch and keeps its model to
itself: `history`, where the days before the run come from, and `forecaster`, a user's class in
place of the default seasonal model (fargatesim/autoscaling/forecaster.py).
"""
import re
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..metric_catalogue import PREDICTIVE_METRIC_TYPES
# The expression parser is the alarms' (metric math is checked where alarms check it).
from .alarms import Metric, MetricQuery
from .alarms import names as expression_names
from .errors import Invalid, did_you_mean, shown
from .fields import Model, integer, number
from .metrics import Statistic

HOUR_S = 3600
# "Uses up to the last 14 days"; a longer history would not be read.
LONGEST_HISTORY_DAYS = 14


def _types(role: str) -> tuple[str, ...]:
    return tuple(kind for kind, (r, _) in PREDICTIVE_METRIC_TYPES.items() if r == role)


def _predefined(role: str):
    allowed = _types(role)

    def check(value: str) -> str:
        if value not in allowed:
            also = [t for t in PREDICTIVE_METRIC_TYPES if t not in allowed]
            where = (f" ({value} is a {PREDICTIVE_METRIC_TYPES[value][0]} type)" if value in also else
                     did_you_mean(value, allowed))
            raise Invalid(f"expected one of {', '.join(allowed)}; got {shown(value)}{where}")
        return value
    return check


class _Predefined(Model):
    role: ClassVar[str] = "pair"
    predefined_metric_type: str
    resource_label: str | None = None

    @field_validator("predefined_metric_type")
    @classmethod
    def _type(cls, value: str) -> str:
        return _predefined(cls.role)(value)

    @property
    def kind(self) -> str:
        return PREDICTIVE_METRIC_TYPES[self.predefined_metric_type][1]


class PredefinedMetricPair(_Predefined):
    role: ClassVar[str] = "pair"


class PredefinedLoadMetric(_Predefined):
    role: ClassVar[str] = "load"


class PredefinedScalingMetric(_Predefined):
    role: ClassVar[str] = "scaling"


class PredictiveMetric(Metric):
    aliases: ClassVar[dict[str, str]] = {"dimension": "dimensions"}


class PredictiveMetricStat(Model):
    metric: PredictiveMetric
    stat: Statistic
    unit: str | None = None


class PredictiveMetricQuery(MetricQuery):
    """A MetricDataQuery of a customized metric, read one hour at a time."""
    metric_stat: PredictiveMetricStat | None = None


class CustomizedMetric(Model):
    aliases: ClassVar[dict[str, str]] = {"metric_data_query": "metric_data_queries"}
    metric_data_queries: tuple[PredictiveMetricQuery, ...] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _one_result(self):
        returned = [q.id for q in self.metric_data_queries if q.return_data]
        if len(self.metric_data_queries) > 1 and len(returned) != 1:
            raise Invalid(f"expected exactly one query with return_data true (its values are the metric), "
                          f"and return_data false on the others; got {len(returned)}: {', '.join(returned) or 'none'}",
                          "metric_data_queries")
        ids = [q.id for q in self.metric_data_queries]
        for i, q in enumerate(self.metric_data_queries):
            if ids.count(q.id) > 1:
                raise Invalid(f"expected unique ids; got {q.id!r} twice", "metric_data_queries", i, "id")
            if q.expression is not None:
                for name in expression_names(q.expression):
                    if name not in ids:
                        raise Invalid(f"expected the ids of other queries in the expression ({', '.join(ids)}); "
                                      f"got {name!r}", "metric_data_queries", i, "expression")
        return self

    @property
    def result(self) -> PredictiveMetricQuery:
        return next((q for q in self.metric_data_queries if q.return_data), self.metric_data_queries[-1])


class MetricSpecification(Model):
    target_value: number(gt=0)
    predefined_metric_pair_specification: PredefinedMetricPair | None = None
    predefined_load_metric_specification: PredefinedLoadMetric | None = None
    predefined_scaling_metric_specification: PredefinedScalingMetric | None = None
    customized_load_metric_specification: CustomizedMetric | None = None
    customized_scaling_metric_specification: CustomizedMetric | None = None
    customized_capacity_metric_specification: CustomizedMetric | None = None

    @model_validator(mode="after")
    def _a_pair_or_load_and_scaling(self):
        # "You must specify either a metric pair, or a load metric and a scaling metric
        # individually" (API Reference, PredictiveScalingMetricSpecification).
        pair = self.predefined_metric_pair_specification
        loads = [k for k in ("predefined_load_metric_specification", "customized_load_metric_specification")
                 if getattr(self, k) is not None]
        scalings = [k for k in ("predefined_scaling_metric_specification", "customized_scaling_metric_specification")
                    if getattr(self, k) is not None]
        if pair is not None:
            extra = loads + scalings
            if extra:
                raise Invalid("expected a metric pair, or a load metric and a scaling metric, not both; got "
                              f"predefined_metric_pair_specification and {extra[0]}", extra[0])
            return self
        for role, given in (("load", loads), ("scaling", scalings)):
            if len(given) != 1:
                raise Invalid(f"expected predefined_metric_pair_specification, or one {role} metric "
                              f"(predefined_{role}_metric_specification or customized_{role}_metric_specification); "
                              f"got {' and '.join(given) or 'none'}", *given[1:2])
        return self

    @property
    def load(self) -> PredefinedMetricPair | PredefinedLoadMetric | CustomizedMetric:
        return (self.predefined_metric_pair_specification or self.predefined_load_metric_specification
                or self.customized_load_metric_specification)

    @property
    def scaling(self) -> PredefinedMetricPair | PredefinedScalingMetric | CustomizedMetric:
        return (self.predefined_metric_pair_specification or self.predefined_scaling_metric_specification
                or self.customized_scaling_metric_specification)


class PredictiveHistory(Model):
    """(sim) Where the load before the run comes from.

    simulate: the scenario's own traffic over the `days` before its start, run with the fluid
    engine, its other policies scaling as in the run (no faults, no actions). file: recorded
    CloudWatch datapoints (`aws cloudwatch get-metric-data` output, or the console's CSV
    download) of the load metric, placed by their timestamps in the days before the start.
    """
    source: Literal["simulate", "file"] = "simulate"
    days: integer(ge=1, le=LONGEST_HISTORY_DAYS) = LONGEST_HISTORY_DAYS
    file: Path | None = None

    @field_validator("file")
    @classmethod
    def _resolve(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        if path is None:
            return None
        base = (info.context or {}).get("base_dir") or Path.cwd()
        full = (Path(base) / path.expanduser()).resolve()
        if not full.exists():
            raise Invalid(f"history file not found: {shown(str(path))} (looked for {shown(str(full), 200)})")
        return full

    @model_validator(mode="after")
    def _file_with_file(self):
        if (self.source == "file") != (self.file is not None):
            raise Invalid("expected file: with source: file, and only then; got "
                          + ("source: file without a file" if self.file is None else f"file with source: {self.source}"),
                          "file")
        return self


class PredictiveScalingConfig(Model):
    aliases: ClassVar[dict[str, str]] = {"metric_specification": "metric_specifications"}

    metric_specifications: tuple[MetricSpecification, ...] = Field(min_length=1, max_length=1)
    mode: Literal["ForecastOnly", "ForecastAndScale"] = "ForecastOnly"
    scheduling_buffer_time: integer(ge=0, le=HOUR_S) = 300
    max_capacity_breach_behavior: Literal["HonorMaxCapacity", "IncreaseMaxCapacity"] = "HonorMaxCapacity"
    max_capacity_buffer: integer(ge=0, le=100) | None = None
    # (sim) see PredictiveHistory and the module docstring
    history: PredictiveHistory = PredictiveHistory()
    forecaster: str | None = None
    forecaster_params: dict = Field(default_factory=dict)

    @field_validator("forecaster")
    @classmethod
    def _shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise Invalid(f"expected 'module:ClassName', e.g. 'myforecasts:LastWeek'; got {value!r}")
        return value

    @model_validator(mode="after")
    def _buffer_with_increase(self):
        # "Required if the MaxCapacityBreachBehavior property is set to IncreaseMaxCapacity, and
        # cannot be used otherwise" (API Reference, PredictiveScalingPolicyConfiguration).
        increase = self.max_capacity_breach_behavior == "IncreaseMaxCapacity"
        if increase and self.max_capacity_buffer is None:
            raise Invalid("expected max_capacity_buffer (0-100, a percentage of the forecast capacity) with "
                          "IncreaseMaxCapacity; it is missing", "max_capacity_buffer")
        if not increase and self.max_capacity_buffer is not None:
            raise Invalid(f"expected no max_capacity_buffer with {self.max_capacity_breach_behavior} (AWS takes it "
                          f"only with IncreaseMaxCapacity); got {self.max_capacity_buffer}", "max_capacity_buffer")
        return self

    @property
    def metric(self) -> MetricSpecification:
        return self.metric_specifications[0]


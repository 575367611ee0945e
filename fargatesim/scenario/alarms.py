"""CloudWatch metric alarms (aws_cloudwatch_metric_alarm); step scaling policies act only through them.

An alarm watches one metric (namespace, metric_name, statistic, period) or, like
PutMetricAlarm's Metrics, a metric math expression over several (`metrics:` queries, exactly one
of which returns the data the alarm compares with its threshold).
"""

import ast
import re
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, model_serializer, model_validator

from ..cloudwatch.metric_math import ExpressionError, names, parse
from ..metric_catalogue import COMPARISON_OPERATORS
from .errors import Invalid, shown
from .fields import Model, PositiveInt, seconds
from .metrics import PUBLISHED_METRICS, Dimension, Statistic, check_published, dimensions_as_list

__all__ = ["Alarm", "MetricQuery", "PUBLISHED_METRICS"]

Period = seconds(ge=10)
# PutMetricAlarm's limits (CloudWatch API Reference): an Expression is at most 2,048 characters
# (MetricExpression), and Metrics holds at most 20 MetricDataQuery structures, at most 10 with
# a MetricStat and 10 with an Expression. The length bound also keeps the expression parser,
# which recurses once per operator, far from Python's recursion limit.
MAX_EXPRESSION_LENGTH = 2048
MAX_QUERIES = 20
MAX_QUERIES_OF_A_KIND = 10
# CloudWatch documents no nesting limit. An alarm combines at most 10 metrics, so 100 levels of
# operators and parentheses is far beyond any real expression, and keeps the evaluator (which
# recurses once per level, cloudwatch/metric_math.py) far from Python's recursion limit.
MAX_EXPRESSION_DEPTH = 100
ComparisonOperator = Literal[tuple(COMPARISON_OPERATORS)]
SINGLE_METRIC_KEYS = ("namespace", "metric_name", "statistic", "period", "dimensions")


class Metric(Model):
    namespace: str
    metric_name: str
    dimensions: tuple[Dimension, ...] | None = None

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        if "dimensions" in data:
            data = {**data, "dimensions": dimensions_as_list(data["dimensions"])}
        return data

    @model_validator(mode="after")
    def _published(self):
        check_published(self.namespace, self.metric_name)
        return self


class MetricStat(Model):
    metric: Metric
    period: Period = 60
    stat: Statistic = "Average"


class MetricQuery(Model):
    """One MetricDataQuery: a metric (metric_stat) or an expression over other queries' ids."""

    id: str
    metric_stat: MetricStat | None = None
    expression: str | None = None
    return_data: bool = True
    label: str | None = None

    @model_validator(mode="after")
    def _one_source(self):
        if not re.fullmatch(r"[a-z][A-Za-z0-9_]*", self.id):
            raise Invalid(f"expected an id starting with a lower-case letter, then letters, digits or '_'; "
                          f"got {self.id!r}", "id")
        if (self.metric_stat is None) == (self.expression is None):
            given = "both" if self.expression is not None else "neither"
            raise Invalid(f"expected exactly one of metric_stat and expression; got {given}")
        if self.expression is not None:
            if len(self.expression) > MAX_EXPRESSION_LENGTH:
                raise Invalid(f"expected an expression of at most {MAX_EXPRESSION_LENGTH:,} characters (CloudWatch's "
                              f"limit); got {len(self.expression):,}", "expression")
            try:
                tree = parse(self.expression)
            except ExpressionError as e:
                message = str(e)  # it quotes the expression, up to MAX_EXPRESSION_LENGTH characters of it
                raise Invalid(message if len(message) <= 300 else message[:297] + "...", "expression") from None
            except (RecursionError, MemoryError):  # Python's own parser gives up on deep nesting
                tree = None
            if tree is None or _depth(tree) > MAX_EXPRESSION_DEPTH:
                raise Invalid(f"expected an expression nested at most {MAX_EXPRESSION_DEPTH} levels deep "
                              "(operators within operators, parentheses within parentheses)", "expression")
        return self


# A scaling policy's ARN names the policy at its end: ...:scalingPolicy:ID:resource/...:policyName/NAME
_NOTIFICATION_ARN = re.compile(r"arn:aws[\w-]*:sns:")
_POLICY_ARN = re.compile(r"arn:aws[\w-]*:autoscaling:[^:]*:[^:]*:scalingPolicy:.*:policyName/(?P<name>.+)")


def _terraform_spellings(data: dict, info: ValidationInfo) -> dict:
    """An alarm as Terraform writes it, as PutMetricAlarm does: dimensions as a map, alarm
    actions as the policies' ARNs (notifications to SNS topics are not simulated: dropped, and
    named in the warning), and metric_query blocks whose `metric` holds the metric, its period
    and its stat (the API's metric_stat nests the metric one level further)."""
    data = dict(data)
    if "dimensions" in data:
        data["dimensions"] = dimensions_as_list(data["dimensions"])
    for key in ("alarm_actions", "ok_actions"):
        actions = data.get(key)
        if isinstance(actions, (list, tuple)):
            notices = [a for a in actions if isinstance(a, str) and _NOTIFICATION_ARN.match(a)]
            if notices and info.context is not None:
                seen = info.context.setdefault("not_simulated", {}).setdefault("Alarm", [])
                if f"{key} to SNS topics" not in seen:
                    seen.append(f"{key} to SNS topics")
            data[key] = [m.group("name") if isinstance(a, str) and (m := _POLICY_ARN.fullmatch(a)) else a
                         for a in actions if a not in notices]
    queries = data.get("metrics")
    if isinstance(queries, (list, tuple)):
        data["metrics"] = [_metric_stat(q) for q in queries]
    return data


def _metric_stat(query):
    if not (isinstance(query, dict) and isinstance(query.get("metric"), dict) and "metric_stat" not in query):
        return query
    metric = dict(query["metric"])
    stat = {"metric": {k: metric.pop(k) for k in ("namespace", "metric_name", "dimensions") if k in metric}}
    for key in ("period", "stat"):
        if key in metric:
            stat[key] = metric.pop(key)
    # What is left (unit) is not simulated; an unknown key stays to be reported.
    metric.pop("unit", None)
    stat["metric"].update(metric)
    return {**{k: v for k, v in query.items() if k != "metric"}, "metric_stat": stat}


class Alarm(Model):
    alarm_name: str = Field(min_length=1)
    namespace: str | None = None
    metric_name: str | None = None
    statistic: Statistic = "Average"
    period: Period = 60
    metrics: tuple[MetricQuery, ...] | None = None
    evaluation_periods: PositiveInt = 1
    datapoints_to_alarm: PositiveInt = 1  # when not given: evaluation_periods
    comparison_operator: ComparisonOperator
    threshold: float
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"
    alarm_actions: tuple[str, ...] = ()  # names of StepScaling policies
    ok_actions: tuple[str, ...] = ()
    dimensions: tuple[Dimension, ...] | None = None

    # Terraform's aws_cloudwatch_metric_alarm spells the queries metric_query blocks.
    aliases: ClassVar[dict[str, str]] = {"metric_query": "metrics"}

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        data = _terraform_spellings(data, info)
        if "datapoints_to_alarm" not in data and "evaluation_periods" in data:
            data = {**data, "datapoints_to_alarm": data["evaluation_periods"]}
        if data.get("metrics") is not None:
            for key in SINGLE_METRIC_KEYS:
                if data.get(key) is not None:
                    raise Invalid(f"expected no {key} with metrics (each query's metric_stat names its "
                                  "metric, statistic and period)", key)
            # The alarm's period is its queries' period (checked equal below).
            queries = data["metrics"] if isinstance(data["metrics"], (list, tuple)) else []
            for q in queries:
                stat = q.get("metric_stat") if isinstance(q, dict) else None
                if isinstance(stat, dict):
                    data = {**data, "period": stat.get("period", 60)}
                    break
        else:
            for key in ("namespace", "metric_name"):
                if key not in data:
                    raise Invalid(f"expected {key} (or metrics: a list of metric queries); got none", key)
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
        if self.metrics is None:
            check_published(self.namespace, self.metric_name)
        else:
            self._check_queries()
        return self

    def _check_queries(self) -> None:
        queries = self.metrics
        if not queries:
            raise Invalid("expected at least one metric query; got none", "metrics")
        if len(queries) > MAX_QUERIES:
            raise Invalid(f"expected at most {MAX_QUERIES} metric queries (CloudWatch's limit for an alarm); "
                          f"got {len(queries)}", "metrics")
        for kind in ("metric_stat", "expression"):
            of_kind = [i for i, q in enumerate(queries) if getattr(q, kind) is not None]
            if len(of_kind) > MAX_QUERIES_OF_A_KIND:
                raise Invalid(f"expected at most {MAX_QUERIES_OF_A_KIND} queries with {kind} (CloudWatch's limit "
                              f"for an alarm); got {len(of_kind)}", "metrics", of_kind[MAX_QUERIES_OF_A_KIND])
        ids: list[str] = []
        for i, q in enumerate(queries):
            if q.id in ids:
                raise Invalid(f"expected unique ids; got {q.id!r} twice", "metrics", i, "id")
            if q.metric_stat is not None and q.metric_stat.period != self.period:
                raise Invalid(f"expected every query's period to be the same ({self.period} s); "
                              f"got {q.metric_stat.period}", "metrics", i, "metric_stat", "period")
            ids.append(q.id)
        reads = {q.id: names(q.expression) if q.expression is not None else [] for q in queries}
        for i, q in enumerate(queries):
            for name in reads[q.id]:
                if name not in reads or name == q.id:
                    others = ", ".join(x for x in ids if x != q.id) or "none"
                    raise Invalid(f"expected ids of the other queries ({others}); got {shown(name)}",
                                  "metrics", i, "expression")
            if _cycle(q.id, reads):
                raise Invalid(f"expected expressions that do not depend on themselves; {q.id!r} does",
                              "metrics", i, "expression")
        returned = [q.id for q in queries if q.return_data]
        if len(returned) != 1:
            raise Invalid(f"expected exactly one query with return_data true (the alarm's metric); "
                          f"got {len(returned)}: {', '.join(returned) or 'none'}", "metrics")

    @model_serializer(mode="wrap")
    def _one_form(self, handler):
        # Written back (to_dict, with_changes), an alarm keeps the keys of its form only.
        data = handler(self)
        drop = SINGLE_METRIC_KEYS if self.metrics is not None else ("metrics",)
        return {k: v for k, v in data.items() if k not in drop}

    @property
    def watched(self) -> str:
        """What the alarm compares with its threshold, for messages."""
        if self.metrics is None:
            return self.metric_name
        q = next(q for q in self.metrics if q.return_data)
        return q.label or q.expression or q.metric_stat.metric.metric_name


def _depth(tree) -> int:
    """Levels of the expression's syntax tree, counted without recursion."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        todo.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _cycle(start: str, reads: dict[str, list[str]]) -> bool:
    todo, seen = list(reads[start]), set()
    while todo:
        name = todo.pop()
        if name == start:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(reads.get(name, ()))
    return False

"""The hourly values predictive scaling reads: its load metric, its scaling metric and the
capacity they were measured over, each per clock hour, from the run's CloudWatch metrics.

AWS forecasts "hourly" from CloudWatch data; the simulator reads the minutes of each clock hour
and combines them as the metric's statistic does (a Sum adds them, an Average averages them).
For the predefined types (metric_catalogue.PREDICTIVE_METRIC_TYPES):

    cpu, memory   load     sum over the tasks of their utilisation, %, averaged over the hour
                  scaling  the service's utilisation, %, averaged over the hour
    requests      load     RequestCount over the hour
                  scaling  RequestCountPerTarget per minute, averaged over the hour

Capacity follows from the forecast load and what one task carries at the target:
capacity = load / (target_value x per_task). With a pair (or a load and a scaling metric of the
same kind) per_task is known: one task at u % carries u task-% of CPU or memory, and at r
requests a minute 60 r requests an hour. Otherwise (a load and a scaling metric of different
kinds, or customized metrics) it is learned from the history, as AWS learns "the relationship
between" the two: the median over the hours of load / (capacity x scaling). Capacity is the
customized capacity metric when one is given, else the RUNNING tasks (RunningTaskCount).
"""
from __future__ import annotations

import math

import numpy as np

from ..cloudwatch.metric_math import evaluate
from ..metric_catalogue import ECS, ELB, INSIGHTS

MINUTE = 60
PER_TASK = {"cpu": 1.0, "memory": 1.0, "requests": 60.0}
UNITS = {"cpu": "task-% of CPU", "memory": "task-% of memory", "requests": "requests/hour"}


def kind_of(metric) -> str | None:
    """cpu, memory or requests for a predefined specification; None for a customized one."""
    return getattr(metric, "kind", None) if hasattr(metric, "predefined_metric_type") else None


def known_per_task(spec) -> float | None:
    """What one task carries per unit of the scaling metric, when the types say it."""
    load, scaling = kind_of(spec.load), kind_of(spec.scaling)
    return PER_TASK[load] if load is not None and load == scaling else None


def load_unit(spec) -> str:
    kind = kind_of(spec.load)
    return UNITS[kind] if kind else "load metric per hour"


def _combine(values: np.ndarray, stat: str) -> float:
    """An hour's value from its minutes' values of a statistic (NaN: no datapoint)."""
    present = values[np.isfinite(values)]
    if not len(present):
        return math.nan
    if stat in ("Sum", "SampleCount"):
        return float(present.sum())
    if stat == "Maximum":
        return float(present.max())
    if stat == "Minimum":
        return float(present.min())
    return float(present.mean())


class HourlyReader:
    """Reads one clock hour at a time from a MetricStore (cloudwatch/metrics.py)."""

    def __init__(self, spec, store):
        self.spec, self.store = spec, store
        self.whole = 1.0        # the hour over the minutes read (above 1 for a part hour)

    def hour(self, first_s: float, stop_s: float) -> tuple[float, float, float]:
        """(load, scaling, capacity) over the run's minutes in [first_s, stop_s). An hour the run
        covers only part of (one it starts within) counts its sums as over the whole hour, at the
        rate of the part."""
        m0, m1 = int(math.ceil(max(first_s, 0.0) / MINUTE - 1e-9)), int(math.floor(stop_s / MINUTE + 1e-9))
        if m1 <= m0:
            return math.nan, math.nan, math.nan
        self.whole = (stop_s - first_s) / MINUTE / (m1 - m0)
        spec = self.spec
        capacity = (self._customized(spec.customized_capacity_metric_specification, m0, m1)
                    if spec.customized_capacity_metric_specification is not None
                    else _combine(self._minutes(INSIGHTS, "RunningTaskCount", "Average", m0, m1), "Average"))
        load = self._metric(spec.load, "load", m0, m1)
        scaling = self._metric(spec.scaling, "scaling", m0, m1)
        return load, scaling, capacity

    def _minutes(self, namespace: str, metric: str, stat: str, m0: int, m1: int) -> np.ndarray:
        return np.asarray(self.store.datapoints(namespace, metric, MINUTE, stat, m0, m1), dtype=float)

    def _metric(self, metric, role: str, m0: int, m1: int) -> float:
        kind = kind_of(metric)
        if kind is None:
            return self._customized(metric, m0, m1)
        if kind == "requests":
            if role == "load":
                return self.whole * _combine(np.nan_to_num(self._minutes(ELB, "RequestCount", "Sum", m0, m1)), "Sum")
            return _combine(self._minutes(ELB, "RequestCountPerTarget", "Sum", m0, m1), "Average")
        name = "CPUUtilization" if kind == "cpu" else "MemoryUtilization"
        utilisation = self._minutes(ECS, name, "Average", m0, m1)
        if role == "scaling":
            return _combine(utilisation, "Average")
        tasks = self._minutes(INSIGHTS, "RunningTaskCount", "Average", m0, m1)
        return _combine(np.nan_to_num(utilisation) * tasks, "Average")

    def _customized(self, metric, m0: int, m1: int) -> float:
        values: dict[str, np.ndarray] = {}
        for query in metric.metric_data_queries:        # expressions name earlier ids
            if query.metric_stat is not None:
                stat = query.metric_stat
                minutes = self._minutes(stat.metric.namespace, stat.metric.metric_name, stat.stat, m0, m1)
                whole = self.whole if stat.stat in ("Sum", "SampleCount") else 1.0
                values[query.id] = np.array([whole * _combine(minutes, stat.stat)])
        for query in metric.metric_data_queries:
            if query.expression is not None:
                values[query.id] = np.asarray(evaluate(query.expression, values), dtype=float).reshape(-1)[:1]
        return float(values[metric.result.id][0])


def learned_per_task(load, scaling, capacity) -> float | None:
    """The median over the hours of load / (capacity x scaling), over hours where all three are
    positive; None with no such hour."""
    load, scaling, capacity = (np.asarray(a, dtype=float) for a in (load, scaling, capacity))
    ok = np.isfinite(load) & np.isfinite(scaling) & np.isfinite(capacity) & (load > 0) & (scaling > 0) & (capacity > 0)
    if not ok.any():
        return None
    return float(np.median(load[ok] / (capacity[ok] * scaling[ok])))

"""CloudWatch metric alarms as they run: evaluated every period once its datapoint is visible.

A period's datapoint becomes visible `delay` seconds after the period closes (the scenario's
cloudwatch section); an alarm is evaluated at that moment over its evaluation range, and its
actions run on every evaluation that finds it in ALARM ("Auto Scaling alarm actions repeat
while the alarm stays in ALARM", CloudWatch user guide).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..clock import until
from ..metric_catalogue import COMPARISON_OPERATORS
from . import metric_math
from .alarm_state import alarm_state, breaches
from .metrics import MetricStore
from .shared_reads import SharedReads

# CloudWatch fetches more datapoints than evaluation_periods (the evaluation range) so that it
# can look past missing ones.
EXTRA_RANGE = 2


@dataclass(eq=False)
class MetricAlarm:
    name: str
    namespace: str
    metric_name: str
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison_operator: str
    threshold: float
    treat_missing_data: str = "missing"
    actions: list = field(default_factory=list)     # callables(alarm, values, now)
    state: str = "INSUFFICIENT_DATA"
    last_values: list = field(default_factory=list)  # the evaluated datapoints, oldest first
    last_first: int = 0        # the period index of last_values[0]
    queries: tuple = ()        # metric math (the scenario's MetricQuery list), instead of one metric
    label: str = ""

    @classmethod
    def from_config(cls, cfg) -> "MetricAlarm":
        return cls(name=cfg.alarm_name, namespace=cfg.namespace, metric_name=cfg.metric_name,
                   statistic=cfg.statistic, period=int(cfg.period),
                   evaluation_periods=int(cfg.evaluation_periods),
                   datapoints_to_alarm=int(cfg.datapoints_to_alarm or cfg.evaluation_periods),
                   comparison_operator=cfg.comparison_operator, threshold=float(cfg.threshold),
                   treat_missing_data=cfg.treat_missing_data, queries=tuple(cfg.metrics or ()),
                   label=cfg.watched)

    def describe(self, values) -> str:
        shown = ", ".join("-" if v is None else f"{v:.4g}" for v in values[-self.evaluation_periods:])
        return (f"{self.label or self.metric_name} [{shown}] {COMPARISON_OPERATORS[self.comparison_operator]} "
                f"{self.threshold:g}, {self.datapoints_to_alarm} of {self.evaluation_periods}")

    def datapoints(self, store: MetricStore, first: int, stop: int) -> np.ndarray:
        """The watched values of periods first..stop-1 (NaN = missing)."""
        if not self.queries:
            return store.datapoints(self.namespace, self.metric_name, self.period, self.statistic, first, stop)
        by_id = {q.id: q for q in self.queries}
        done: dict[str, np.ndarray] = {}

        def value(qid: str) -> np.ndarray:
            if qid not in done:
                q = by_id[qid]
                if q.metric_stat is not None:
                    m = q.metric_stat
                    done[qid] = np.asarray(store.datapoints(m.metric.namespace, m.metric.metric_name, m.period,
                                                            m.stat, first, stop), dtype=float)
                else:
                    done[qid] = metric_math.evaluate(q.expression, {n: value(n) for n in metric_math.names(q.expression)})
            return done[qid]

        return value(next(q.id for q in self.queries if q.return_data))

    def metrics_read(self) -> list[tuple[str, str, int, str]]:
        """(namespace, metric, period, statistic) of each metric the alarm reads."""
        if not self.queries:
            return [(self.namespace, self.metric_name, self.period, self.statistic)]
        return [(q.metric_stat.metric.namespace, q.metric_stat.metric.metric_name, q.metric_stat.period,
                 q.metric_stat.stat) for q in self.queries if q.metric_stat is not None]

    def latest(self):
        """The most recent real datapoint and its period index, or (None, None)."""
        for i in range(len(self.last_values) - 1, -1, -1):
            if self.last_values[i] is not None:
                return self.last_values[i], self.last_first + i
        return None, None

    def recent(self):
        """The most recent real datapoints of the evaluation (up to evaluation_periods)."""
        return [v for v in self.last_values if v is not None][-self.evaluation_periods:]


class AlarmEvaluator:
    """Evaluates alarms on the SimPy clock; one process per distinct (period, delay)."""

    def __init__(self, env, store: MetricStore, *, delay_of: Callable[[int], float],
                 record_event: Callable[[float, str, str, str], None]):
        self.env = env
        self.store = store
        self.delay_of = delay_of
        self._event = record_event
        self.alarms: list[MetricAlarm] = []
        self._groups: dict[tuple[int, float], list[MetricAlarm]] = {}
        self._reads: SharedReads | None = None   # while alarms of one instant are evaluated

    def add(self, alarm: MetricAlarm) -> MetricAlarm:
        self.alarms.append(alarm)
        key = (alarm.period, float(self.delay_of(alarm.period)))
        if key not in self._groups:
            self._groups[key] = []
            self.env.process(self._run(*key))
        self._groups[key].append(alarm)
        return alarm

    def _run(self, period: int, delay: float):
        j = 0  # the next period whose datapoint is to become visible
        while True:
            at = (j + 1) * period + delay
            yield until(self.env, at)
            group = self._groups[(period, delay)]
            if len(group) == 1:
                self.evaluate(group[0], j + 1)
            else:
                self._evaluate_together(group, j + 1)
            j += 1

    def _evaluate_together(self, group: list[MetricAlarm], visible: int) -> None:
        """Evaluate alarms due at one instant, in order; a metric several of them read (target
        tracking's pair) is computed once, over the widest range, until an alarm's actions run:
        those may change what the metrics read."""
        widest: dict[tuple, int] = {}
        readers: dict[tuple, int] = {}
        for alarm in group:
            first = self.first_period(alarm, visible)
            for key in alarm.metrics_read():
                widest[key] = min(first, widest.get(key, first))
                readers[key] = readers.get(key, 0) + 1
        self._reads = reads = SharedReads(self.store)
        try:
            for key, first in widest.items():
                if readers[key] > 1:
                    reads.datapoints(*key, first, visible)
            for alarm in group:
                self.evaluate(alarm, visible)
        finally:
            self._reads = None

    def first_period(self, alarm: MetricAlarm, visible: int) -> int:
        return max(0, visible - alarm.evaluation_periods - EXTRA_RANGE)

    def values(self, alarm: MetricAlarm, visible: int) -> list:
        """Datapoints of the evaluation range, oldest first, None where missing."""
        first = self.first_period(alarm, visible)
        raw = alarm.datapoints(self._reads or self.store, first, visible)
        return [None if (v is None or math.isnan(v)) else float(v) for v in np.asarray(raw).tolist()]

    def evaluate(self, alarm: MetricAlarm, visible: int) -> None:
        values = self.values(alarm, visible)
        new = alarm_state(values, threshold=alarm.threshold,
                          comparison_operator=alarm.comparison_operator,
                          evaluation_periods=alarm.evaluation_periods,
                          datapoints_to_alarm=alarm.datapoints_to_alarm,
                          treat_missing_data=alarm.treat_missing_data,
                          previous_state=alarm.state)
        alarm.last_values = values
        alarm.last_first = self.first_period(alarm, visible)
        now = self.env.now
        if new != alarm.state:
            self._event(now, "alarm_state", alarm.name, f"{alarm.state} -> {new} ({alarm.describe(values)})")
            alarm.state = new
        if new == "ALARM":
            if alarm.actions:
                self._reads = None
            for action in alarm.actions:
                action(alarm, now)


__all__ = ["AlarmEvaluator", "MetricAlarm", "breaches"]

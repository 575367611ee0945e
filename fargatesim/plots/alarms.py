"""The metric that step scaling's alarms watch, with their thresholds: why the service scaled.

The values are the datapoints the alarms evaluated (Result.alarm_datapoints). Only the Result
of a run made in this process still holds its metric store (a Result sent from another
process, as `compare --jobs` does, has none), so only such a Result gets the panel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..metric_catalogue import COMPARISON_OPERATORS
from .axes import si

C_METRIC = "#3b3b3b"
C_HIGH = "#d62728"
C_LOW = "#1f77b4"
# The catalogue's operators, typeset.
SYMBOL = {op: sign.replace(">=", "≥").replace("<=", "≤") for op, sign in COMPARISON_OPERATORS.items()}


@dataclass
class AlarmMetric:
    ylabel: str
    period: float
    values: np.ndarray                          # one datapoint per period, NaN where missing
    thresholds: list[tuple[str, str, float]]    # (alarm name, comparison operator, threshold)


def step_alarm_metric(result) -> AlarmMetric | None:
    """The metric of the first alarm that invokes a step scaling policy, with the thresholds
    of every alarm on that metric; None without such an alarm or without the metric store."""
    scenario = getattr(result, "scenario", None)
    configs = getattr(scenario, "alarms", None) or ()
    if not getattr(result, "in_process", False) or not configs:
        return None
    policies = getattr(getattr(scenario, "autoscaling", None), "policies", None) or ()
    step = {p.name for p in policies if getattr(p, "policy_type", None) == "StepScaling"}
    alarms = [a for a in configs if step & set(a.alarm_actions)]
    if not alarms:
        return None
    first = alarms[0]
    watched = _watched(first)
    same = [a for a in configs if _watched(a) == watched]
    values = result.alarm_datapoints(first.alarm_name)
    if first.metrics:
        ylabel = f"{first.watched}\n(per {first.period:g} s)"
    else:
        ylabel = f"{first.metric_name}\n({first.statistic}, {first.period:g} s)"
    return AlarmMetric(ylabel, float(first.period), values,
                       [(a.alarm_name, a.comparison_operator, float(a.threshold)) for a in same])


def _watched(cfg) -> tuple:
    return (cfg.namespace, cfg.metric_name, cfg.statistic, cfg.period, cfg.metrics, cfg.dimensions)


def panel_alarm(ax, metric: AlarmMetric, t0: float, legend) -> None:
    n = len(metric.values)
    x = t0 + np.arange(n + 1) * metric.period / 86400.0          # period edges
    y = np.append(metric.values, metric.values[-1:]) if n else metric.values
    ax.step(x, y, where="post", color=C_METRIC, linewidth=1.3, label="alarm metric", zorder=3)
    top = np.nanmax(np.append(metric.values, [t for _, _, t in metric.thresholds] + [1.0]))
    for name, op, threshold in metric.thresholds:
        high = op.startswith("Greater")
        color = C_HIGH if high else C_LOW
        ax.axhline(threshold, color=color, linestyle="--", linewidth=1.2, zorder=2.5,
                   label=f"{name} {SYMBOL[op]} {si(threshold)}", gid=f"threshold:{name}")
        # The periods in breach, lightly: where the alarm would count a datapoint.
        breach = (y >= threshold) if high else (y < threshold)
        ax.fill_between(x, threshold, np.where(breach, y, threshold), step="post", color=color,
                        alpha=0.12, linewidth=0, zorder=2)
    ax.set_ylim(0, top * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.yaxis.set_major_formatter(FuncFormatter(si))
    ax.set_ylabel(metric.ylabel)
    legend(ax, title="step scaling alarms")

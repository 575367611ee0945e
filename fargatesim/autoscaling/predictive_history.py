"""A predictive policy's history from recorded CloudWatch datapoints (history: {source: file}).

The file is what `aws cloudwatch get-metric-data` prints, or the console graph's CSV download
(records/cloudwatch_data.py reads both). Its series are found by metric name as calibrate and
backtest find them (records.metric_series: the label, or a query Id ending with the name):

    requests (ALBRequestCount, TotalALBRequestCount)   RequestCount, summed over each hour
    cpu, memory                                        CPUUtilization (or MemoryUtilization) x
                                                       RunningTaskCount, averaged over each hour
    customized load metric                             the series named as its metric_stat's
                                                       metric (the query that returns data)

Only the hours of the days before the run's start are read (at most `days`, up to 14). An hour
with no datapoint inside them takes the value between its neighbours (linear interpolation); the
hours between the last datapoint and the start repeat the same hour a day earlier, as a forecast
issued then would have had nothing newer. The file says nothing of the scaling metric, so with a
load and a scaling metric of different kinds, or customized ones, what a task carries is learned
from the run's own hours.
"""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from ..records.cloudwatch_data import metric_series, read_metric_data
from ..scenario import ScenarioError
from .predictive_metrics import kind_of
from .predictive_policy import History

HOUR_S = 3600.0
DAY_H = 24


def history_from_file(cfg, *, start: datetime, file: str | None, path: str) -> History:
    """The History of a PredictiveScaling policy's `cfg` from cfg.history.file; ScenarioError
    (the scenario `file`, key `path`) when the file has nothing the policy can use."""
    source = cfg.history.file
    frame = read_metric_data(source)
    spec = cfg.metric
    kind = kind_of(spec.load)
    if kind == "requests":
        wanted, how = ["RequestCount"], "sum"
    elif kind in ("cpu", "memory"):
        wanted, how = ["CPUUtilization" if kind == "cpu" else "MemoryUtilization", "RunningTaskCount"], "mean"
    else:
        query = spec.load.result
        if query.metric_stat is None:
            raise ScenarioError(f"a history file gives one series per metric; the load metric's query "
                                f"{query.id!r} is an expression: give the load as one recorded series, with a "
                                "metric_stat", file=file, path=path)
        wanted = [query.metric_stat.metric.metric_name]
        how = "sum" if query.metric_stat.stat in ("Sum", "SampleCount") else "mean"
    series = []
    for name in wanted:
        found = metric_series(frame, name)
        if found is None:
            labels = sorted(set(frame["label"].astype(str))) or ["none"]
            raise ScenarioError(f"expected a series of {name} in {source} (the {kind or 'customized'} load metric "
                                f"needs {' and '.join(wanted)}); its series: {', '.join(labels)}",
                                file=file, path=path)
        series.append(found.groupby(level=0).mean())      # one value per time, across series
    joined = pd.concat(series, axis=1, join="inner").dropna()
    values = joined.prod(axis=1) if len(series) > 1 else joined.iloc[:, 0]

    t0 = start.timestamp()
    first_hour = math.floor(t0 / HOUR_S) * HOUR_S    # the hour the run starts in is the run's
    window = first_hour - cfg.history.days * DAY_H * HOUR_S
    inside = values[(values.index >= window) & (values.index < first_hour)]
    if inside.empty:
        span = (f"{pd.Timestamp(values.index.min(), unit='s'):%Y-%m-%d %H:%M} to "
                f"{pd.Timestamp(values.index.max(), unit='s'):%Y-%m-%d %H:%M} UTC" if len(values) else "no datapoints")
        raise ScenarioError(f"expected datapoints in the {cfg.history.days} days before the start "
                            f"({pd.Timestamp(window, unit='s'):%Y-%m-%d %H:%M} to {start:%Y-%m-%d %H:%M} UTC); "
                            f"{source} has {span}", file=file, path=path)
    hour = np.floor((inside.index.to_numpy(dtype=float) - window) / HOUR_S).astype(int)
    grouped = inside.groupby(hour).sum() if how == "sum" else inside.groupby(hour).mean()
    n = int(round((first_hour - window) / HOUR_S))
    hourly = pd.Series(np.nan, index=range(n))
    hourly[grouped.index] = grouped.to_numpy()
    known = hourly.first_valid_index(), hourly.last_valid_index()
    hourly = hourly.loc[known[0]:].interpolate(limit_area="inside")
    load = hourly.to_numpy(dtype=float, copy=True)
    for k in range(len(load)):
        if not np.isfinite(load[k]):
            load[k] = load[k - DAY_H] if k >= DAY_H and np.isfinite(load[k - DAY_H]) else 0.0
    nan = [math.nan] * len(load)
    return History(list(load), nan, list(nan), end_s=first_hour - t0,
                   source=f"{len(load)} hours recorded in {source.name}")

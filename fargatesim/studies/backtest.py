"""`fargatesim backtest SCENARIO --records DIR -o OUT`: does the simulator reproduce what the
service recorded?

The scenario runs over the recorded period (its start and duration are set to the records',
unless a trace already sets them) with its own scaling configuration, and its CloudWatch
metrics are put beside the recorded ones minute by minute: running and desired task counts,
CPU and memory utilisation, TargetResponseTime, 5XX counts, and the minutes in which the
desired count rose (scale-outs) or fell (scale-ins). The agreement figures:

- tasks_within_one: the share of minutes whose simulated RunningTaskCount is within one task
  of the recorded one; tasks_mae: their mean absolute difference;
- cpu_within_5_points and cpu_mae_points: CPUUtilization, in percentage points; cpu_mape; the
  same of MemoryUtilization (memory_...);
- target_response_time_mape (and _median_ape): the mean (median) absolute error of the
  simulated TargetResponseTime relative to the recorded; with ALB access logs among the
  records, the same of each minute's p50 and p99, read off the logged requests (the run's
  latency percentiles beside them);
- 5xx_responses: the recorded and simulated totals;
- scale_outs and scale_ins: recorded, simulated, and recorded ones with a simulated one within
  SCALE_MATCH_S; and when each began (UTC).

OUT holds backtest.json (those figures), backtest.csv (the minutes side by side) and
backtest.png (both on shared axes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine import simulate
from ..output import write_files
from ..records import metric_series, read_metric_data, record_files
from ..records.request_summary import summarise_requests
from ..scenario import ScenarioError

# A simulated scale-out this close to a recorded one (either side) matches it.
SCALE_MATCH_S = 120.0
# recorded metric (label) -> the simulator's column in Result.metrics
COMPARED = {
    "RunningTaskCount": "ECS/ContainerInsights/RunningTaskCount",
    "DesiredTaskCount": "ECS/ContainerInsights/DesiredTaskCount",
    "CPUUtilization": "AWS/ECS/CPUUtilization",
    "MemoryUtilization": "AWS/ECS/MemoryUtilization",
    "TargetResponseTime": "AWS/ApplicationELB/TargetResponseTime",
    "HTTPCode_Target_5XX_Count": "AWS/ApplicationELB/HTTPCode_Target_5XX_Count",
    "HTTPCode_ELB_5XX_Count": "AWS/ApplicationELB/HTTPCode_ELB_5XX_Count",
    "RequestCount": "AWS/ApplicationELB/RequestCount",
}
BACKTEST_FILES = ("backtest.json", "backtest.csv", "backtest.png")


@dataclass
class Backtest:
    minutes: pd.DataFrame          # t_s, time, then recorded_X and simulated_X for each metric
    agreement: dict
    scenario: object

    def figure(self, path=None):
        from ..plots.backtest import backtest_figure
        return backtest_figure(self, path)

    def _repr_png_(self) -> bytes:
        """In Jupyter, a backtest shows its figure."""
        import io
        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png")
        return buffer.getvalue()

    def save(self, directory) -> Path:
        files = {"backtest.json": lambda p: p.write_text(json.dumps(self.agreement, indent=1) + "\n"),
                 "backtest.csv": lambda p: self.minutes.to_csv(p, index=False, float_format="%.6g"),
                 "backtest.png": self.figure}
        write_files(directory, files, owned=BACKTEST_FILES)
        return Path(directory)


def backtest(scenario, records: str | Path) -> Backtest:
    kinds = record_files(records)
    if not kinds["metric_data"]:
        raise ScenarioError("expected get-metric-data output among the records (the recorded metrics a backtest "
                            "compares with); found none", file=str(records))
    recorded = pd.concat([read_metric_data(f) for f in kinds["metric_data"]], ignore_index=True)
    first, last = recorded["time_s"].min(), recorded["time_s"].max()
    start = scenario.start.timestamp()
    if abs(start - first) > 60:
        raise ScenarioError(f"expected the scenario to start when the records do "
                            f"({pd.Timestamp(first, unit='s', tz='UTC').isoformat()}); it starts at "
                            f"{scenario.start.isoformat()} (`fargatesim calibrate` sets it)", file=scenario.source,
                            path="start")
    result = simulate(scenario)
    simulated = result.metrics(60)
    minutes = pd.DataFrame({"t_s": simulated["t_s"]})
    minutes["time"] = pd.to_datetime(start + minutes["t_s"], unit="s", utc=True)
    for label, column in COMPARED.items():
        series = metric_series(recorded, label)
        series = (pd.Series(dtype=float) if series is None else
                  pd.Series(series.to_numpy(), index=np.round(series.index.to_numpy() - start, 3)))
        minutes[f"recorded_{label}"] = series.reindex(minutes["t_s"].to_numpy()).to_numpy()
        minutes[f"simulated_{label}"] = simulated[column].to_numpy()
    if kinds["alb_logs"]:
        _latency_percentiles(minutes, summarise_requests(kinds["alb_logs"]), result, start)
    minutes = minutes[minutes["t_s"] <= last - start]
    return Backtest(minutes.reset_index(drop=True), agreement(minutes), scenario)


def _latency_percentiles(minutes: pd.DataFrame, logs, result, start: float) -> None:
    """p50 and p99 of the target's processing time per minute, read off the ALB log's requests,
    beside the run's latency percentiles of the same minutes."""
    logged = logs.minutes()
    logged.index = np.round(logged.index.to_numpy(dtype=float) - start, 3)
    simulated = result.timeseries.set_index("t_s")
    for q in ("p50", "p99"):
        minutes[f"recorded_TargetResponseTime_{q}"] = logged[f"{q}_s"].reindex(minutes["t_s"].to_numpy()).to_numpy()
        minutes[f"simulated_TargetResponseTime_{q}"] = (simulated[f"latency_{q}_ms"] / 1000).reindex(
            minutes["t_s"].to_numpy()).to_numpy()


def agreement(m: pd.DataFrame) -> dict:
    out: dict = {"minutes": int(len(m))}
    tasks = m[["recorded_RunningTaskCount", "simulated_RunningTaskCount"]].dropna()
    if len(tasks):
        diff = (tasks["simulated_RunningTaskCount"] - tasks["recorded_RunningTaskCount"]).abs()
        out["tasks_within_one"] = round(float((diff <= 1).mean()), 4)
        out["tasks_mae"] = round(float(diff.mean()), 4)
    for name, key in (("CPUUtilization", "cpu"), ("MemoryUtilization", "memory")):
        pair = m[[f"recorded_{name}", f"simulated_{name}"]].dropna()
        if len(pair):
            diff = (pair[f"simulated_{name}"] - pair[f"recorded_{name}"]).abs()
            out[f"{key}_within_5_points"] = round(float((diff <= 5).mean()), 4)
            out[f"{key}_mae_points"] = round(float(diff.mean()), 4)
            positive = pair[f"recorded_{name}"] > 0
            out[f"{key}_mape"] = round(float((diff[positive] / pair[f"recorded_{name}"][positive]).mean()), 4)
    for name in ("TargetResponseTime", "TargetResponseTime_p50", "TargetResponseTime_p99"):
        if f"recorded_{name}" not in m:
            continue
        pair = m[[f"recorded_{name}", f"simulated_{name}"]].dropna()
        pair = pair[pair[f"recorded_{name}"] > 0]
        if len(pair):
            error = (pair[f"simulated_{name}"] - pair[f"recorded_{name}"]).abs() / pair[f"recorded_{name}"]
            out[f"{_snake(name)}_mape"] = round(float(error.mean()), 4)
            out[f"{_snake(name)}_median_ape"] = round(float(error.median()), 4)
    errors = {}
    for who in ("recorded", "simulated"):
        columns = [f"{who}_HTTPCode_Target_5XX_Count", f"{who}_HTTPCode_ELB_5XX_Count"]
        errors[who] = int(round(float(m[columns].fillna(0).to_numpy().sum())))
    out["5xx_responses"] = errors
    for direction, sign in (("scale_outs", 1), ("scale_ins", -1)):
        recorded = _changes(m, "recorded_DesiredTaskCount", sign)
        simulated = _changes(m, "simulated_DesiredTaskCount", sign)
        matched = sum(any(abs(r - s) <= SCALE_MATCH_S for s in simulated) for r in recorded)
        out[direction] = {"recorded": len(recorded), "simulated": len(simulated), "matched": int(matched),
                          "within_s": SCALE_MATCH_S, "recorded_at": _clock(m, recorded),
                          "simulated_at": _clock(m, simulated)}
    return out


def _clock(m: pd.DataFrame, offsets: list[float]) -> list[str]:
    """Offsets into the backtest as the UTC times they were (the minutes' `time` is t_s from the start)."""
    if not len(m):
        return []
    start = m["time"].iloc[0] - pd.Timedelta(seconds=float(m["t_s"].iloc[0]))
    return [(start + pd.Timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ") for t in offsets]


def _snake(name: str) -> str:
    """TargetResponseTime_p99 -> target_response_time_p99"""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _changes(m: pd.DataFrame, column: str, sign: int) -> list[float]:
    """When the desired count began to move in the direction `sign`: a change within a minute
    shows in two minutes' averages, so consecutive minutes of one direction are one change."""
    values = m[column].to_numpy()
    moving = np.diff(values) * sign > 0.25
    begins = moving & ~np.concatenate([[False], moving[:-1]])
    return [float(t) for t in m["t_s"].to_numpy()[1:][begins]]

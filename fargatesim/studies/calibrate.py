"""`fargatesim calibrate SCENARIO --records DIR`: the workload and traffic fitted to what the
service recorded.

From the records in DIR (any of: get-metric-data output, describe-tasks output, ALB or Common
Log Format access logs; each recognised by its content):

- traffic: the access log's arrivals per second (request_creation_time for an ALB), else the
  RequestCount datapoints per minute, as a trace file beside the calibrated scenario;
- workload.cpu_ms and the CPU that does not scale with requests: the CPU a task used each minute
  (CPUUtilization x the task's vCPU) against the requests it got (RequestCount / 60 /
  RunningTaskCount), a Theil-Sen line whose slope is the CPU per request and whose intercept
  the app container's base_cpu_units;
- workload.io_ms: TargetResponseTime of steady, quiet minutes extrapolated to no load (a line
  against the load), less the CPU time at the task's core speed;
- workload.memory_mb_per_request and the app container's base_memory_mb: a task's memory
  (MemoryUtilization x its memory) against the requests it held in flight (Little's law);
- task_definition.startup: PROVISIONING to RUNNING of the tasks describe-tasks lists (created
  to started), as a lognormal of their mean and cv.

Each fitted value is written with its standard error and the records it came from as a comment;
what could not be fitted keeps the scenario's value, and the comment block says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from scipy.stats import theilslopes

from ..dataplane.queueing import cores_and_speed
from ..records import (read_access_logs, read_alb_logs, read_metric_data, read_tasks, record_files,
                       startup_seconds)
from ..scenario import ScenarioError

# Minutes whose app CPU utilisation is below this are "quiet": their latency is mostly the
# request's own work, so the I/O time read from them leans least on the queueing model.
QUIET_UTILISATION = 0.5
# A minute at or above this CPU utilisation (percent) was saturated: its CPU says nothing of its load.
SATURATED_PCT = 85.0
# Below this spread of the request rate (standard deviation over mean), base CPU and CPU per
# request cannot be told apart.
VARYING_RATE = 0.1
Z95 = 1.959964       # a 95 % interval is this many standard errors each side


@dataclass
class Fit:
    key: str                 # the scenario key it sets
    value: float
    error: float | None      # standard error, same unit
    unit: str
    source: str              # which records, and how many of them


@dataclass
class Calibration:
    data: dict                               # the calibrated scenario, as plain data
    fits: list[Fit] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)      # what could not be fitted, and why
    trace: pd.DataFrame | None = None                  # time_s, requests

    def to_yaml(self, trace_name: str | None) -> str:
        lines = ["# Calibrated by `fargatesim calibrate` from the service's records:"]
        for fit in self.fits:
            error = f" ± {fit.error:.3g}" if fit.error is not None else ""
            lines.append(f"#   {fit.key} = {fit.value:.4g}{error} {fit.unit}  ({fit.source})")
        if self.kept:
            lines.append("# Kept from the scenario (not fitted):")
            lines += [f"#   {k}" for k in self.kept]
        data = dict(self.data)
        if self.trace is not None and trace_name is not None:
            data["traffic"] = [{"trace": {"file": trace_name}}]
        return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, width=4096)


def calibrate(scenario, records: str | Path) -> Calibration:
    folder = Path(records)
    kinds = record_files(folder)
    if not any(kinds.values()):
        raise ScenarioError("expected records in the folder (get-metric-data or describe-tasks JSON, ALB or "
                            "Common Log Format access logs); found none", file=str(folder))
    data = scenario.to_dict()
    calibration = Calibration(data)
    metrics = pd.concat([read_metric_data(f) for f in kinds["metric_data"]], ignore_index=True) \
        if kinds["metric_data"] else None
    _traffic(calibration, kinds, metrics)
    task_vcpu = scenario.task_definition.cpu / 1024
    cpu = _cpu(calibration, metrics, task_vcpu, scenario)
    _io(calibration, metrics, cpu, scenario)
    _memory(calibration, metrics, cpu, scenario)
    _startup(calibration, kinds)
    _drop_fitted_placeholders(calibration)
    return calibration


def _series(metrics: pd.DataFrame | None, name: str) -> pd.Series | None:
    if metrics is None:
        return None
    rows = metrics[(metrics["label"] == name) | (metrics["id"].str.lower().str.endswith(name.lower()))]
    if rows.empty:
        return None
    return pd.Series(rows["value"].to_numpy(dtype=float), index=rows["time_s"].to_numpy())


def _traffic(cal: Calibration, kinds: dict, metrics) -> None:
    logs = [(read_alb_logs, f) for f in kinds["alb_logs"]] + [(read_access_logs, f) for f in kinds["access_logs"]]
    if logs:
        counts: dict[int, int] = {}
        for reader, file in logs:
            for chunk in reader(file):
                seconds, n = np.unique(np.floor(chunk["arrival_s"].to_numpy()).astype(np.int64), return_counts=True)
                for s, k in zip(seconds.tolist(), n.tolist()):
                    counts[s] = counts.get(s, 0) + k
        first, last = min(counts), max(counts)
        times = np.arange(first, last + 1)
        cal.trace = pd.DataFrame({"time_s": times - first, "requests": [counts.get(t, 0) for t in times]})
        total = int(cal.trace["requests"].sum())
        cal.fits.append(Fit("traffic", total / len(times), None, "requests/s on average",
                            f"{total:,} requests, one second at a time, from {len(logs)} access log file(s)"))
        _set_period(cal, float(first), float(len(times)))
        return
    counts = _series(metrics, "RequestCount")
    if counts is None:
        cal.kept.append("traffic: no access log and no RequestCount datapoints")
        return
    start = counts.index.min()
    times = np.arange(start, counts.index.max() + 60, 60)
    cal.trace = pd.DataFrame({"time_s": times - start, "requests": counts.reindex(times).fillna(0).to_numpy()})
    cal.fits.append(Fit("traffic", cal.trace["requests"].sum() / (60 * len(times)), None, "requests/s on average",
                        f"{len(times)} RequestCount datapoints of a minute"))
    _set_period(cal, float(start), float(60 * len(times)))


def _set_period(cal: Calibration, start: float, duration: float) -> None:
    cal.data["start"] = pd.Timestamp(start, unit="s", tz="UTC").isoformat().replace("+00:00", "Z")
    cal.data["duration"] = float(duration)


def _cpu(cal: Calibration, metrics, task_vcpu: float, scenario) -> dict | None:
    utilisation, requests, running = (_series(metrics, n) for n in ("CPUUtilization", "RequestCount",
                                                                      "RunningTaskCount"))
    if utilisation is None or requests is None or running is None:
        cal.kept.append("workload.cpu_ms: needs CPUUtilization, RequestCount and RunningTaskCount datapoints")
        return None
    frame = pd.DataFrame({"u": utilisation, "n": requests, "r": running}).dropna()
    # A saturated minute used all the CPU it had, not what its requests needed.
    frame = frame[(frame["r"] > 0) & (frame["u"] < SATURATED_PCT) & (frame["n"] > 0)]
    if len(frame) < 3:
        cal.kept.append(f"workload.cpu_ms: needs at least 3 minutes with requests below {SATURATED_PCT}% CPU")
        return None
    # Per task and per second: the CPU a task used against the requests it got. With target
    # tracking, the task count follows the rate and the service's totals are near collinear;
    # per task, the quiet minutes at the minimum count spread the points. Theil-Sen's line
    # (the median of the pairwise slopes) shrugs off the minutes of a scaling activity.
    used = (frame["u"] / 100 * task_vcpu).to_numpy()          # vCPU-seconds per second, per task
    rate = (frame["n"] / 60 / frame["r"]).to_numpy()
    source = f"{len(frame)} minutes of CPUUtilization, RequestCount and RunningTaskCount"
    app = scenario.task_definition.app_container
    if rate.std() < VARYING_RATE * rate.mean():
        # A steady rate cannot tell CPU per request from CPU that does not scale with requests:
        # the scenario's base CPU is taken as known, and each minute gives the rest per request.
        per_request = (used - app.base_cpu_units / 1024) / rate
        cpu_s, error = float(np.median(per_request)), float(np.std(per_request, ddof=1) / math.sqrt(len(rate)))
        cal.fits.append(Fit("workload.cpu_ms", cpu_s * 1000, error * 1000, "ms of one vCPU per request",
                            source + f"; the rate varied too little to fit base CPU, kept at {app.base_cpu_units:g} "
                                     "units"))
        cal.data["workload"] = {**cal.data["workload"], "cpu_ms": _keep_shape(cal.data["workload"]["cpu_ms"],
                                                                              cpu_s * 1000)}
        return {"cpu_s": cpu_s, "base_units": app.base_cpu_units, "frame": frame}
    line = theilslopes(used, rate)
    cpu_s, base_vcpu = float(line.slope), float(line.intercept)
    cal.fits.append(Fit("workload.cpu_ms", cpu_s * 1000, (line.high_slope - line.low_slope) / (2 * Z95) * 1000,
                        "ms of one vCPU per request", source))
    cal.data["workload"] = {**cal.data["workload"], "cpu_ms": _keep_shape(cal.data["workload"]["cpu_ms"],
                                                                          cpu_s * 1000)}
    per_task = max(base_vcpu, 0.0) * 1024
    containers = cal.data["task_definition"]["container_definitions"]
    for c in containers:
        if c["name"] == app.name:
            c["base_cpu_units"] = round(float(per_task), 3)
    cal.fits.append(Fit(f"task_definition.container_definitions[{app.name}].base_cpu_units", per_task, None,
                        "CPU units per task", source))
    return {"cpu_s": cpu_s, "base_units": per_task, "frame": frame}


def _keep_shape(current, mean: float):
    """A distribution keeps its family and cv with the fitted mean; a number becomes the mean."""
    if isinstance(current, dict) and "mean" in current:
        return {**current, "mean": round(float(mean), 4)}
    return round(float(mean), 4)


def _io(cal: Calibration, metrics, cpu: dict | None, scenario) -> None:
    latency = _series(metrics, "TargetResponseTime")
    if cpu is None or latency is None:
        cal.kept.append("workload.io_ms: needs TargetResponseTime and the CPU fit")
        return
    td = scenario.task_definition
    app_vcpu = (td.cpu - sum(c.base_cpu_units for c in td.sidecars)) / 1024
    _, speed = cores_and_speed(app_vcpu)
    frame = cpu["frame"].join(pd.DataFrame({"t": latency})).dropna()
    # Minutes of a steady task count (not averaged over tasks starting or stopping) and light load.
    rho = (frame["n"] / 60 / frame["r"]) * cpu["cpu_s"] / app_vcpu
    steady = (frame["r"] - frame["r"].round()).abs() < 0.01
    quiet = frame[steady & (rho > 0) & (rho < QUIET_UTILISATION)]
    rho = rho[quiet.index].to_numpy()
    if len(quiet) < 3 or np.ptp(rho) < 0.05:
        cal.kept.append(f"workload.io_ms: needs at least 3 steady minutes below {QUIET_UTILISATION:.0%} CPU at "
                        "different loads")
        return
    # At no load a request's latency is its own I/O time and its CPU time at the core's speed;
    # the quiet minutes' latencies, on a line against the load (Theil-Sen, so that a minute of a
    # scaling activity does not pull it), meet the axis there.
    line = theilslopes(quiet["t"].to_numpy(), rho)
    error = (line.high_slope - line.low_slope) / (2 * Z95) * float(np.mean(rho))
    value = max(float(line.intercept) - cpu["cpu_s"] / speed, 0.0) * 1000
    cal.fits.append(Fit("workload.io_ms", value, error * 1000, "ms per request",
                        f"TargetResponseTime of {len(rho)} steady minutes below {QUIET_UTILISATION:.0%} CPU, at no "
                        "load, less the CPU time at the core's speed"))
    cal.data["workload"] = {**cal.data["workload"], "io_ms": _keep_shape(cal.data["workload"].get("io_ms", 0), value)}


def _memory(cal: Calibration, metrics, cpu: dict | None, scenario) -> None:
    """A task's memory each minute (MemoryUtilization x its memory) against the requests it
    held in flight (by Little's law, the requests it got per second x their mean latency): a
    Theil-Sen line whose intercept is the memory held when idle and slope the memory a request
    holds while in flight."""
    memory, latency = _series(metrics, "MemoryUtilization"), _series(metrics, "TargetResponseTime")
    if cpu is None or memory is None or latency is None:
        cal.kept.append("workload.memory_mb_per_request and base_memory_mb: need MemoryUtilization, "
                        "TargetResponseTime and the CPU fit's minutes")
        return
    td = scenario.task_definition
    frame = cpu["frame"].join(pd.DataFrame({"m": memory, "t": latency})).dropna()
    frame = frame[(frame["r"] - frame["r"].round()).abs() < 0.01]
    in_flight = (frame["n"] / 60 / frame["r"] * frame["t"]).to_numpy()
    if len(frame) < 3 or np.ptp(in_flight) <= 0:
        cal.kept.append("workload.memory_mb_per_request and base_memory_mb: need 3 steady minutes at different loads")
        return
    line = theilslopes((frame["m"] / 100 * td.memory).to_numpy(), in_flight)
    sidecars = sum(c.base_memory_mb for c in td.sidecars)
    base = max(float(line.intercept) - sidecars, 0.0)
    per_request = max(float(line.slope), 0.0)
    source = f"{len(frame)} steady minutes of MemoryUtilization against requests in flight (Little's law)"
    cal.fits.append(Fit("workload.memory_mb_per_request", per_request,
                        (line.high_slope - line.low_slope) / (2 * Z95), "MiB per request in flight", source))
    cal.data["workload"] = {**cal.data["workload"], "memory_mb_per_request": round(per_request, 4)}
    app = td.app_container.name
    for c in cal.data["task_definition"]["container_definitions"]:
        if c["name"] == app:
            c["base_memory_mb"] = round(base, 3)
    cal.fits.append(Fit(f"task_definition.container_definitions[{app}].base_memory_mb", base, None,
                        "MiB per task when idle", source))


def _startup(cal: Calibration, kinds: dict) -> None:
    if not kinds["tasks"]:
        cal.kept.append("task_definition.startup: no describe-tasks output")
        return
    tasks = pd.concat([read_tasks(f) for f in kinds["tasks"]], ignore_index=True)
    seconds = startup_seconds(tasks)
    seconds = seconds[seconds > 0]        # tasks running before the records began have none
    if len(seconds) < 3:
        cal.kept.append("task_definition.startup: fewer than 3 tasks started within the records")
        return
    mean, sd = float(seconds.mean()), float(seconds.std(ddof=1))
    cal.fits.append(Fit("task_definition.startup", mean, sd / math.sqrt(len(seconds)), "s on average",
                        f"{len(seconds)} tasks' createdAt to startedAt"))
    cal.data["task_definition"]["startup"] = {"distribution": "lognormal", "mean": round(mean, 3),
                                              "cv": round(max(sd / mean, 1e-3), 4)}


def _drop_fitted_placeholders(cal: Calibration) -> None:
    fitted = {f.key for f in cal.fits}
    left = [p for p in cal.data.get("placeholders", []) if p not in fitted]
    if left:
        cal.data["placeholders"] = left
    else:
        cal.data.pop("placeholders", None)


def write_calibration(calibration: Calibration, output: str | Path) -> list[Path]:
    """The calibrated scenario at `output` and, beside it, its traffic trace (NAME-traffic.csv)."""
    out = Path(output)
    written = []
    trace_name = None
    if calibration.trace is not None:
        trace = out.with_name(out.stem + "-traffic.csv")
        calibration.trace.to_csv(trace, index=False)
        trace_name = trace.name
        written.append(trace)
    out.write_text(calibration.to_yaml(trace_name))
    written.insert(0, out)
    return written


"""`fargatesim calibrate SCENARIO --records DIR`: the workload and traffic fitted to what the
service recorded.

From the records in DIR (any of: get-metric-data output or the console's CSV download,
describe-tasks output, ALB or Common Log Format access logs; each recognised by its content):

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
- the cv of workload.cpu_ms and io_ms: the spread of the ALB log's target processing times in
  quiet minutes, extrapolated to no load, shared between CPU and I/O as the scenario's cvs
  share it;
- workload.timeout: how long the ALB log's 504s that no target answered waited;
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
from ..records import metric_series, read_metric_data, read_tasks, record_files, startup_seconds
from ..records.request_summary import RequestSummary, summarise_requests
from ..scenario import ScenarioError

# Minutes whose app CPU utilisation is below this are "quiet": their latency is mostly the
# request's own work, so the I/O time read from them leans least on the queueing model.
QUIET_UTILISATION = 0.5
# A minute at or above this CPU utilisation (percent) was saturated: its CPU says nothing of its load.
SATURATED_PCT = 85.0
# Below this spread of the request rate (standard deviation over mean), base CPU and CPU per
# request cannot be told apart.
VARYING_RATE = 0.1
# A minute's variance of processing times is read only from minutes of at least this many requests.
MINUTE_SAMPLE = 30
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
        raise ScenarioError("expected records in the folder (get-metric-data or describe-tasks JSON, the "
                            "CloudWatch console's CSV download, ALB or Common Log Format access logs); found none",
                            file=str(folder))
    data = scenario.to_dict()
    calibration = Calibration(data)
    metrics = pd.concat([read_metric_data(f) for f in kinds["metric_data"]], ignore_index=True) \
        if kinds["metric_data"] else None
    logs = summarise_requests(kinds["alb_logs"], kinds["access_logs"])
    _traffic(calibration, logs, metrics)
    task_vcpu = scenario.task_definition.cpu / 1024
    cpu = _cpu(calibration, metrics, task_vcpu, scenario)
    _io(calibration, metrics, cpu, scenario)
    _memory(calibration, metrics, cpu, scenario)
    _demand_spread(calibration, logs, cpu, scenario)
    _timeout(calibration, logs)
    _startup(calibration, kinds)
    _drop_fitted_placeholders(calibration)
    return calibration


def _traffic(cal: Calibration, logs: RequestSummary, metrics) -> None:
    if logs.requests:
        arrivals = logs.arrivals()
        first = int(arrivals["time_s"].iloc[0])
        cal.trace = pd.DataFrame({"time_s": arrivals["time_s"] - first, "requests": arrivals["requests"]})
        cal.fits.append(Fit("traffic", logs.requests / len(arrivals), None, "requests/s on average",
                            f"{logs.requests:,} requests, one second at a time, from {logs.files} access log file(s)"))
        _set_period(cal, float(first), float(len(arrivals)))
        return
    counts = metric_series(metrics, "RequestCount")
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
    utilisation, requests, running = (metric_series(metrics, n) for n in ("CPUUtilization", "RequestCount",
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


def _app_vcpu(td, cpu: dict) -> float:
    """The vCPU left to requests: the task's, less what every container uses regardless (the
    app's own base as just fitted), as the data plane computes it."""
    return (td.cpu - cpu["base_units"] - sum(c.base_cpu_units for c in td.sidecars)) / 1024


def _keep_shape(current, mean: float):
    """A distribution keeps its family and cv with the fitted mean; a number becomes the mean."""
    if isinstance(current, dict) and "mean" in current:
        return {**current, "mean": round(float(mean), 4)}
    return round(float(mean), 4)


def _io(cal: Calibration, metrics, cpu: dict | None, scenario) -> None:
    latency = metric_series(metrics, "TargetResponseTime")
    if cpu is None or latency is None:
        cal.kept.append("workload.io_ms: needs TargetResponseTime and the CPU fit")
        return
    td = scenario.task_definition
    app_vcpu = _app_vcpu(td, cpu)
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
    # scaling activity does not pull it), meet the axis there. The load is rho / (1 - rho), the
    # way queueing delay grows (M/G/1): against rho itself the latencies bend upwards, and a
    # straight line through them would meet the axis too low.
    load = rho / (1 - rho)
    line = theilslopes(quiet["t"].to_numpy(), load)
    error = (line.high_slope - line.low_slope) / (2 * Z95) * float(np.mean(load))
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
    memory, latency = metric_series(metrics, "MemoryUtilization"), metric_series(metrics, "TargetResponseTime")
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


def _demand_spread(cal: Calibration, logs: RequestSummary, cpu: dict | None, scenario) -> None:
    """The spread of a request's own work, from the target's processing times of the ALB log.

    Each quiet, steady minute gives the spread of its requests' times; on a line against the
    load it meets the axis at the variance of the work itself, with no queueing.
    That variance is shared between CPU and I/O in the proportions the scenario's cvs give
    them (evenly if both are constant), and written as each one's cv."""
    if not logs.timed:
        cal.kept.append("the demand's spread (cv of workload.cpu_ms and io_ms): needs ALB access logs, whose "
                        "target processing times the spread is read from")
        return
    if cpu is None:
        cal.kept.append("the demand's spread (cv of workload.cpu_ms and io_ms): needs the CPU fit's minutes")
        return
    td, workload = scenario.task_definition, cal.data["workload"]
    app_vcpu = _app_vcpu(td, cpu)
    _, speed = cores_and_speed(app_vcpu)
    frame = cpu["frame"].join(logs.minutes(), how="inner")
    rho = (frame["n"] / 60 / frame["r"]) * cpu["cpu_s"] / app_vcpu
    steady = (frame["r"] - frame["r"].round()).abs() < 0.01
    quiet = steady & (rho > 0) & (rho < QUIET_UTILISATION) & (frame["answered"] >= MINUTE_SAMPLE)
    if quiet.sum() < 3 or np.ptp(rho[quiet]) < 0.05:
        cal.kept.append(f"the demand's spread (cv of workload.cpu_ms and io_ms): needs at least 3 steady minutes "
                        f"below {QUIET_UTILISATION:.0%} CPU, of {MINUTE_SAMPLE} requests or more, at different loads")
        return
    # Against rho / (1 - rho), the way queueing delay grows (M/G/1), the minutes' spreads lie
    # near a line that a straight line in rho would bend under; standard deviations, not
    # variances, as the variance of a minute of skewed service times is itself too skewed for
    # a median line to find its mean.
    load = (rho / (1 - rho))[quiet].to_numpy()
    line = theilslopes(np.sqrt(frame["target_var_s2"][quiet].to_numpy()), load)
    variance = max(float(line.intercept), 0.0) ** 2
    # the intercept's standard error, as for io_ms: the slope's interval at the mean load
    relative = (line.high_slope - line.low_slope) / (2 * Z95) * float(np.mean(load)) / max(math.sqrt(variance), 1e-12)
    cpu_now, io_now = scenario.workload.cpu_ms, scenario.workload.io_ms
    wall_cpu = _mean_of(workload["cpu_ms"]) / 1000 / speed
    io = _mean_of(workload.get("io_ms", 0)) / 1000
    a, b = (cpu_now.cv if cpu_now is not None else 0.0), (io_now.cv if io_now is not None else 0.0)
    if a * wall_cpu == 0 and b * io == 0:
        a, b = 1.0, 1.0
    scale = math.sqrt(variance / ((a * wall_cpu) ** 2 + (b * io) ** 2)) if (a * wall_cpu) or (b * io) else 0.0
    source = (f"the spread of the target's processing time in {int(quiet.sum())} quiet, steady minutes of the ALB "
              f"log, at no load: a standard deviation of {math.sqrt(variance) * 1000:.3g} ms")
    if scale == 0:
        cal.kept.append("the demand's spread (cv of workload.cpu_ms and io_ms): the quiet minutes' spreads meet "
                        "no load at none or below, which no demand gives")
        return
    for key, cv, mean in (("cpu_ms", a * scale, workload["cpu_ms"]), ("io_ms", b * scale, workload.get("io_ms", 0))):
        if cv <= 0 or _mean_of(mean) <= 0:
            continue
        workload[key] = {**_with_cv(mean, cv)}
        cal.fits.append(Fit(f"workload.{key} cv", cv, cv * relative, "(standard deviation / mean)", source))
    cal.data["workload"] = workload


def _mean_of(value) -> float:
    if isinstance(value, dict):
        if "mean" in value:
            return float(value["mean"])
        if "value" in value:
            return float(value["value"])
        return (float(value["low"]) + float(value["high"])) / 2
    return float(value)


def _with_cv(current, cv: float) -> dict:
    """The distribution with the fitted cv: a lognormal or gamma keeps its family, anything else
    becomes a lognormal of the same mean (the usual shape of service times)."""
    if isinstance(current, dict) and current.get("distribution") in ("lognormal", "gamma"):
        return {**current, "cv": round(cv, 4)}
    return {"distribution": "lognormal", "mean": round(_mean_of(current), 4), "cv": round(cv, 4)}


def _timeout(cal: Calibration, logs: RequestSummary) -> None:
    """A 504 that no target answered waited out the idle timeout: the median of their waits."""
    if logs.timeouts_s:
        waits = np.asarray(logs.timeouts_s)
        waited = float(np.median(waits))
        error = float(waits.std(ddof=1) / math.sqrt(len(waits))) if len(waits) > 1 else None
        cal.fits.append(Fit("workload.timeout", waited, error, "s",
                            f"the median wait of {len(logs.timeouts_s):,} 504 responses no target answered"))
        cal.data["workload"] = {**cal.data["workload"], "timeout": round(waited, 3)}
    elif logs.timed:
        longest = logs.minutes()["p99_s"].max()
        cal.kept.append(f"workload.timeout: no request timed out in the ALB logs (the slowest minute's p99 was "
                        f"{longest:.3g} s), so the logs say only that the timeout is longer than that")
    else:
        cal.kept.append("workload.timeout: needs ALB access logs (504 responses that waited out the idle timeout)")


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


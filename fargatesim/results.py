"""Result of one run: summary, timeseries and events as pandas, saved as in the results contract."""
from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

# Exact per-request latencies where the request engine logged them, the fluid model's otherwise.
from .dataplane import request_latency as latency
from .dataplane.records import ERROR_KINDS
from .output import write_files
from .snapshots import step_values

PERIOD_S = 60.0
COUNT_COLUMNS = ("desired_count", "running_count", "pending_count", "healthy_targets",
                 "unhealthy_targets", "draining_targets", "min_capacity", "max_capacity")
# running_count split by capacity provider (FARGATE, FARGATE_SPOT); they add up to running_count.
PROVIDER_COLUMNS = ("running_fargate", "running_fargate_spot")
TIMESERIES_COLUMNS = (
    "t_s", "time", "offered_rps", "requests", "ok", "errors", "latency_p50_ms", "latency_p99_ms",
    *COUNT_COLUMNS[:6], "cpu_utilization", "memory_utilization", "min_capacity", "max_capacity",
    *ERROR_KINDS, *PROVIDER_COLUMNS,
    # after the contract's columns, which keep their places
    "latency_mean_ms",
)
# Websocket workloads only: open connections (mean over the period) and reconnection attempts.
WEBSOCKET_COLUMNS = ("connections", "reconnects")
EVENT_COLUMNS = ("t_s", "time", "kind", "subject", "detail")
# Every file a saved run may have: saving replaces them all, removing those it does not write.
RESULT_FILES = ("summary.json", "timeseries.csv", "events.csv", "overview.png", "forecast.csv")
# forecast.csv, with a predictive scaling policy: one row per clock hour of the run and policy.
FORECAST_COLUMNS = ("time", "t_s", "policy", "load_forecast", "capacity_forecast", "load", "capacity",
                    "forecast_issued")
FLOAT_FORMAT = "%.6g"       # of timeseries.csv
DAY_S = 86400.0             # the per-tick table is written at most a simulated day at a time


def _r(x, nd=3):
    """Round for output; NaN and infinities become None (JSON null)."""
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if np.isfinite(x) else None


def _group_sum(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=n)


class Result:
    """What a run produced. `summary` is a dict; `timeseries` and `events` are DataFrames."""

    def __init__(self, scenario, summary: dict, timeseries: pd.DataFrame, events: pd.DataFrame,
                 simulation=None, forecast: pd.DataFrame | None = None):
        self.scenario = scenario
        self.summary = summary
        self.timeseries = timeseries
        self.events = events
        # With a predictive scaling policy: its forecast of each hour beside what the hour measured.
        self.forecast = forecast
        self._simulation = simulation     # kept for per-tick tables and CloudWatch metrics

    def __getstate__(self):
        # Results travel between processes (compare --jobs); the simulation does not.
        state = dict(self.__dict__)
        state["_simulation"] = None
        return state

    # ---------------------------------------------------------------- building
    @classmethod
    def from_simulation(cls, sim) -> "Result":
        ts = _timeseries(sim, PERIOD_S)
        events = _events(sim)
        summary = _summary(sim, ts, events)
        forecast = _forecast(sim)
        if forecast is not None:
            summary["predictive"] = _forecast_summary(sim, forecast)
        return cls(sim.scenario, summary, ts, events, sim, forecast)

    def timeseries_at(self, resolution: str = "period") -> pd.DataFrame:
        """The 60-second table ("period") or one row per data-plane tick ("tick")."""
        if resolution == "tick":
            if self._simulation is None:
                raise ValueError("the per-tick table is only available in the process that ran it")
            return _timeseries(self._simulation, self._simulation.tick)
        if resolution != "period":
            raise ValueError(f"resolution must be 'period' or 'tick', got {resolution!r}")
        return self.timeseries

    def metrics(self, period: int = 60) -> pd.DataFrame:
        """The CloudWatch metrics the simulator publishes, one row per period (60 or 20 s).

        Columns are "Namespace/MetricName" with their most useful statistic (Average for
        utilisations, host counts and response time; Sum for counts); NaN where CloudWatch would
        have no datapoint (ALB metrics in a period without requests).
        """
        if self._simulation is None:
            raise ValueError("metrics are only available in the process that ran the simulation")
        from .metric_catalogue import PUBLISHED_METRICS
        sim = self._simulation
        n = sim.n_ticks // sim.metrics.ticks_per_period(period)
        data = {"t_s": np.arange(n) * float(period)}
        for namespace, names in PUBLISHED_METRICS.items():
            for name in names:
                stat = "Sum" if name.startswith(("RequestCount", "HTTPCode")) else "Average"
                data[f"{namespace}/{name}"] = sim.metrics.datapoints(namespace, name, period, stat, 0, n)
        return pd.DataFrame(data)

    @property
    def in_process(self) -> bool:
        """Whether this Result still holds its run (it was run in this process): only then are
        the per-tick table, the CloudWatch metrics, the alarm datapoints and the exact count
        changes available. A Result sent from another process (compare --jobs) has the tables only."""
        return self._simulation is not None

    def alarm_datapoints(self, alarm_name: str) -> np.ndarray:
        """The datapoints the scenario's alarm `alarm_name` evaluated, one per alarm period from
        the start of the run (NaN where CloudWatch would have had none)."""
        if self._simulation is None:
            raise ValueError("alarm datapoints are only available in the process that ran the simulation")
        from .cloudwatch.alarms import MetricAlarm
        configs = {a.alarm_name: a for a in self.scenario.alarms}
        if alarm_name not in configs:
            raise KeyError(f"no alarm {alarm_name!r}; the scenario's alarms: {', '.join(configs) or 'none'}")
        sim = self._simulation
        alarm = MetricAlarm.from_config(configs[alarm_name])
        n = sim.n_ticks // sim.metrics.ticks_per_period(alarm.period)
        return np.asarray(alarm.datapoints(sim.metrics, 0, n), dtype=float)

    def counts_over_time(self) -> list[tuple[float, float, dict]]:
        """The task, target and capacity counts exactly, each state with its span:
        (from_s, to_s, counts), one row per change, covering the run end to end."""
        if self._simulation is None:
            raise ValueError("the exact counts over time are only available in the process that ran the simulation")
        sim = self._simulation
        snaps, end = sim.snapshots, sim.n_ticks * sim.tick
        return [(t, snaps[i + 1][0] if i + 1 < len(snaps) else end, dict(counts))
                for i, (t, counts) in enumerate(snaps)]

    # ---------------------------------------------------------------- output
    def save(self, directory, *, resolution: str = "period", plot: bool = True) -> Path:
        """Write summary.json, timeseries.csv, events.csv and (with `plot`) overview.png into
        `directory`, replacing an earlier run's set there as a whole (fargatesim.output): an
        overview.png of an earlier run does not stay beside a run saved without one. Raises
        fargatesim.output.WriteError (an OSError) naming the file that could not be written."""
        if resolution != "period" and (resolution != "tick" or self._simulation is None):
            self.timeseries_at(resolution)      # its ValueError, before any file is touched
        if resolution == "tick":
            # a block of rows at a time: a week of ticks would hold 604,800 rows at once
            write_timeseries = lambda path: _write_tick_table(self._simulation, path)
        else:
            write_timeseries = lambda path: self.timeseries.to_csv(path, index=False, float_format=FLOAT_FORMAT)
        files = {
            "summary.json": lambda path: path.write_text(self.summary_json() + "\n"),
            "timeseries.csv": write_timeseries,
            "events.csv": lambda path: self.events.to_csv(path, index=False),
        }
        if plot:
            files["overview.png"] = self.plot
        if self.forecast is not None:
            files["forecast.csv"] = lambda path: self.forecast.to_csv(path, index=False, float_format=FLOAT_FORMAT)
        write_files(directory, files, owned=RESULT_FILES)
        return Path(directory)

    def files(self, *, plot: bool = True) -> list[str]:
        """The names save() writes."""
        return [n for n in RESULT_FILES if (n != "overview.png" or plot) and (n != "forecast.csv" or
                                                                                  self.forecast is not None)]

    def save_records(self, directory) -> list[str]:
        """Write what AWS would have recorded of the run into `directory` (get-metric-data.json,
        describe-tasks.json and, from the request engine, alb-access.log.gz); the names written.
        fargatesim.records reads them, as it reads a real service's (fargatesim/aws_records.py)."""
        from .aws_records import save_records
        return save_records(self, directory)

    def summary_json(self) -> str:
        return json.dumps(self.summary, indent=2, sort_keys=False)

    def plot(self, path=None):
        from .plots.overview import overview
        return overview(self, path)

    def _repr_html_(self) -> str:
        """In Jupyter: the headline figures and the overview plot."""
        import base64
        import io
        s = self.summary
        req, lat, cpu = s["requests"], s["latency_ms"], s["cpu_utilization"]
        errors = req["total"] - req["ok"] - s["in_flight_at_end"]
        rows = [
            ("requests", f"{req['total']:,} ({req['ok']:,} ok, {errors:,} errors)"),
            ("latency p50 / p99", f"{lat['p50']} / {lat['p99']} ms"),
            ("tasks running (min / mean / max)",
             f"{s['tasks']['min_running']} / {s['tasks']['mean_running']} / {s['tasks']['max_running']}"),
            ("CPU mean / max", f"{cpu['mean']} / {cpu['max']} %"),
            ("scaling (out / in)", f"{s['scaling']['scale_out']} / {s['scaling']['scale_in']}"),
            ("SLO", "met" if s["slo"]["met"] else "missed"),
            ("cost", f"${s['cost']['usd']:.2f}"),
        ]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
        png = io.BytesIO()
        self.plot().savefig(png, format="png", dpi=80, bbox_inches="tight")
        image = base64.b64encode(png.getvalue()).decode("ascii")
        return (f"<h4>{html.escape(s['scenario'])} (seed {s['seed']})</h4><table>{body}</table>"
                f"<img src='data:image/png;base64,{image}' style='max-width:100%'/>")

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Result {s['scenario']} seed={s['seed']} requests={s['requests']['total']} "
                f"p99={s['latency_ms']['p99']}ms cost=${s['cost']['usd']:.2f}>")


# -------------------------------------------------------------------- tables
def _timeseries(sim, period: float) -> pd.DataFrame:
    """The whole run's table, one row per `period` (at least a tick)."""
    return _rows(sim, max(1, int(round(period / sim.tick))), 0, sim.n_ticks)


def _tick_row_blocks(sim):
    """The per-tick table in consecutive blocks of at most a simulated day's rows: together
    they are the one table row for row and value for value, since every column of a per-tick
    row is computed from its own tick (and the counts at its end)."""
    rows = max(1, int(DAY_S // sim.tick))
    for first in range(0, max(sim.n_ticks, 1), rows):
        yield _rows(sim, 1, first, min(sim.n_ticks, first + rows))


def _write_tick_table(sim, path) -> None:
    """timeseries.csv at tick resolution, written a block of rows at a time: the bytes of the
    whole table's to_csv, without the week's 604,800 rows in memory at once."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        for i, block in enumerate(_tick_row_blocks(sim)):
            block.to_csv(f, index=False, header=i == 0, float_format=FLOAT_FORMAT)


def _rows(sim, per: int, first: int, stop: int) -> pd.DataFrame:
    """Rows of the table of groups of `per` ticks for the ticks first .. stop - 1.

    Only the whole run (first 0, stop n_ticks) for per > 1: the latency histograms of groups of
    ticks are built by chunks of ticks from the first, so a part would not give the same bits.
    """
    rec, tick = sim.records, sim.tick
    n = sim.n_ticks
    group = np.arange(stop - first) // per
    ng = int(group[-1]) + 1 if len(group) else 0
    ticks_in = np.bincount(group, minlength=ng)
    starts = np.arange(first // per, first // per + ng) * per * tick
    ends = np.minimum(starts + per * tick, n * tick)
    part = slice(first, stop)
    g = lambda a: _group_sum(a[part].astype(float), group, ng)

    if per == 1:
        pct = latency.tick_percentiles(rec, sim.app, quantiles=(0.5, 0.99), sl=part)
    else:
        pct = latency.grouped_percentiles(rec, sim.app, group, ng, quantiles=(0.5, 0.99), sl=part)
    with np.errstate(invalid="ignore", divide="ignore"):
        cpu = 100 * g(rec.cpu_used) / g(rec.cpu_capacity)
        mem = 100 * g(rec.mem_used) / g(rec.mem_capacity)
    start = sim.scenario.start
    df = pd.DataFrame({
        "t_s": starts,
        "time": _clock_times(start, starts),
        "offered_rps": g(rec.offered_rps) / ticks_in,
        "requests": g(rec.arrivals).astype(np.int64),
        "ok": g(rec.ok).astype(np.int64),
        "errors": _group_sum(sum(getattr(rec, k)[part] for k in ERROR_KINDS).astype(float), group, ng
                             ).astype(np.int64),
        "latency_p50_ms": pct[:, 0] * 1000,
        "latency_p99_ms": pct[:, 1] * 1000,
        "latency_mean_ms": _mean_latency_ms(rec, sim.app, part, group, ng),
    })
    # Counts are the values at the period's end (the last tick's end).
    probe = ends - 1e-9
    for key in COUNT_COLUMNS:
        df[key] = step_values(sim.snapshots, probe, key)
    for key in COUNT_COLUMNS[:6]:
        df[key] = df[key].astype(np.int64)
    df["cpu_utilization"] = cpu
    df["memory_utilization"] = mem
    for kind in ERROR_KINDS:
        df[kind] = g(getattr(rec, kind)).astype(np.int64)
    for key in PROVIDER_COLUMNS:
        df[key] = step_values(sim.snapshots, probe, key).astype(np.int64)
    columns = list(TIMESERIES_COLUMNS)
    if sim.scenario.workload.is_websocket:
        # requests counts connection attempts; these say how many stayed open and came back
        df["connections"] = g(rec.inflight) / ticks_in
        df["reconnects"] = g(sim.dataplane.reconnects).astype(np.int64)
        columns += list(WEBSOCKET_COLUMNS)
    return df[columns]


def _mean_latency_ms(rec, app, part: slice, group: np.ndarray, ng: int) -> np.ndarray:
    """Each period's mean latency of its answered requests (ms; NaN without one), as
    latency.mean_latency reckons it for the run."""
    count = _group_sum(rec.lat_n[part].astype(float), group, ng)
    total = _group_sum((rec.lat_n[part] * app.io_mean_s + rec.lat_w_sum[part] + rec.lat_m_sum[part] * app.cpu_mean_s)
                       .astype(float), group, ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count * 1000, np.nan)


def _clock_times(start, seconds: np.ndarray) -> list[str]:
    """(start + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ") for each t of `seconds`,
    a day of ticks at once rather than a datetime each.

    timedelta(seconds=t) takes t's whole seconds and rounds its fraction's microseconds half
    to even (numpy's rint); strftime then drops the microseconds, as casting to seconds does
    (floor). Years before 1000 are written unpadded by strftime: those go one by one.
    """
    if start.year < 1000:
        return [(start + timedelta(seconds=float(t))).strftime("%Y-%m-%dT%H:%M:%SZ") for t in seconds]
    frac, whole = np.modf(np.asarray(seconds, dtype=float))
    us = whole.astype(np.int64) * 1_000_000 + np.rint(frac * 1e6).astype(np.int64)
    stamps = np.datetime64(start.replace(tzinfo=None), "us") + us.astype("timedelta64[us]")
    return [f"{s}Z" for s in np.datetime_as_string(stamps, unit="s").tolist()]


def _forecast(sim) -> pd.DataFrame | None:
    """forecast.csv: each predictive policy's forecast of each clock hour of the run (the one in
    force when the hour's capacity was set) beside the hour's measured load and mean RUNNING
    tasks; None without a predictive policy."""
    policies = getattr(sim, "predictive", None)
    if not policies:
        return None
    rows = [row for policy in policies for row in policy.forecast_rows(sim.n_ticks * sim.tick)]
    frame = pd.DataFrame(rows, columns=["policy", "hour_s", "load_forecast", "capacity_forecast", "load",
                                        "capacity", "forecast_issued_s"])
    issued = frame["forecast_issued_s"].to_numpy(dtype=float)
    frame["time"] = _clock_times(sim.scenario.start, frame["hour_s"].to_numpy(dtype=float))
    frame["t_s"] = frame["hour_s"]
    frame["forecast_issued"] = [None if not np.isfinite(t) else s
                                for t, s in zip(issued, _clock_times(sim.scenario.start, np.nan_to_num(issued)))]
    return frame[list(FORECAST_COLUMNS)].astype({c: float for c in FORECAST_COLUMNS[3:7]})


def _forecast_summary(sim, forecast: pd.DataFrame) -> dict:
    """Per predictive policy: its mode, where its history came from, and how far its forecast
    of the load was from the hours measured (mean absolute percentage error over the hours
    with both and a load above zero)."""
    out = {}
    for policy in sim.predictive:
        rows = forecast[forecast["policy"] == policy.name]
        both = rows.dropna(subset=["load_forecast", "load"])
        both = both[both["load"] > 0]
        mape = float((abs(both["load_forecast"] - both["load"]) / both["load"]).mean() * 100) if len(both) else None
        out[policy.name] = {"mode": policy.cfg.mode, "history": policy.history.source,
                            "forecasts": len(policy.clock.forecasts), "hours_compared": int(len(both)),
                            "load_mape_percent": _r(mape, 1)}
    return out


def _events(sim) -> pd.DataFrame:
    rows = sorted(enumerate(sim.events), key=lambda ie: (ie[1][0], ie[0]))
    if not rows:
        return pd.DataFrame([], columns=list(EVENT_COLUMNS))
    t = [event[0] for _, event in rows]
    data = {"t_s": [round(x, 3) for x in t], "time": _event_clock_times(sim.scenario.start, t)}
    for i, column in enumerate(EVENT_COLUMNS[2:], start=1):
        data[column] = [event[i] for _, event in rows]
    return pd.DataFrame(data, columns=list(EVENT_COLUMNS))


def _event_clock_times(start, seconds) -> list[str]:
    """The clock time of each event's rounded t_s, so that both columns say the same
    millisecond: (start + timedelta(milliseconds=round(t * 1000))).strftime(
    "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", all at once (round and rint both round half to even;
    the cut to milliseconds drops the start's microseconds, as [:-3] does). Years before 1000
    are written unpadded by strftime: those go one by one."""
    if start.year < 1000:
        return [(start + timedelta(milliseconds=round(t * 1000))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                for t in seconds]
    ms = np.rint(np.asarray(seconds, dtype=float) * 1000).astype(np.int64)
    stamps = np.datetime64(start.replace(tzinfo=None), "us") + (ms * 1000).astype("timedelta64[us]")
    return [f"{s}Z" for s in np.datetime_as_string(stamps, unit="ms").tolist()]


def _summary(sim, ts: pd.DataFrame, events: pd.DataFrame) -> dict:
    from .cost import PriceTable, service_cost
    from .cost.ec2 import cluster_cost
    from .cost.fargate import cost_by_capacity_provider
    s, rec, app = sim.scenario, sim.records, sim.app
    total = int(rec.arrivals.sum())
    errors = {k: int(getattr(rec, k).sum()) for k in ERROR_KINDS}
    n_err = sum(errors.values())
    p50, p90, p99 = latency.grouped_percentiles(rec, app, np.zeros(sim.n_ticks, dtype=np.int64), 1,
                                                quantiles=(0.5, 0.9, 0.99))[0]
    end = sim.n_ticks * sim.tick
    running = _running_path(sim, end)
    task_rows, ec2_task_seconds = [], 0.0
    for task in sim.service.tasks:
        if task.billing_from is None:
            continue
        stop = task.stopped_at if task.stopped_at is not None else end
        if task.capacity_provider == "EC2":     # the instances are billed, not the tasks
            ec2_task_seconds += min(stop, end) - max(0.0, task.billing_from)
            continue
        task_rows.append((max(0.0, task.billing_from), min(stop, end), s.task_definition.vcpu,
                          s.task_definition.memory / 1024, s.task_definition.runtime_platform.cpu_architecture,
                          s.task_definition.ephemeral_storage.size_in_gib, task.spot))
    prices = PriceTable.load(s.pricing.region, s.pricing)
    cost = service_cost(task_rows, prices)
    cost["capacity_providers"] = cost_by_capacity_provider(task_rows, prices)
    cluster = sim.service.cluster
    cost["ec2"] = cluster_cost(cluster.instances if cluster else (), end, prices, task_hours=ec2_task_seconds / 3600,
                               instance_type=cluster.instance_type.name if cluster else None)
    # usd and task_hours cover the whole service, on Fargate or on EC2; the rest stays Fargate's.
    cost["usd"] = round(cost["usd"] + cost["ec2"]["usd"], 6)
    cost["task_hours"] = round(cost["task_hours"] + cost["ec2"]["task_hours"], 6)
    cpu = ts["cpu_utilization"].to_numpy(dtype=float)
    mem = ts["memory_utilization"].to_numpy(dtype=float)
    scaling = events[events["kind"] == "scaling_activity"]
    slo = _slo(s.slo, ts, total, n_err)
    return {
        "scenario": s.name,
        "seed": s.seed,
        "duration_s": _r(end),
        "engine": s.engine,
        "requests": {"total": total, "ok": int(rec.ok.sum()), "errors": errors},
        "in_flight_at_end": int(sim.in_flight_at_end),
        "latency_ms": {
            "mean": _r(latency.mean_latency(rec, app) * 1000),
            "p50": _r(p50 * 1000), "p90": _r(p90 * 1000), "p99": _r(p99 * 1000),
            "max": _r(latency.max_latency(rec, app) * 1000),
        },
        "tasks": {
            "min_running": int(running["min"]), "max_running": int(running["max"]),
            "mean_running": _r(running["mean"]), "task_hours": _r(cost["task_hours"], 4),
            "spot_interruptions": sum(1 for t in sim.service.tasks if t.stop_code == "SpotInterruption"),
        },
        "cpu_utilization": _mean_max(cpu),
        "memory_utilization": _mean_max(mem),
        "scaling": {
            "activities": int(len(scaling)),
            "scale_out": int(scaling["detail"].str.startswith("scale-out:").sum()),
            "scale_in": int(scaling["detail"].str.startswith("scale-in:").sum()),
        },
        "slo": slo,
        "cost": cost,
        **({"connections": _connections(sim)} if s.workload.is_websocket else {}),
    }


def _connections(sim) -> dict:
    """A websocket run in sessions and connections; `requests` counts every attempt."""
    rec, dp = sim.records, sim.dataplane
    refused = int(rec.elb_503.sum() + rec.elb_502.sum() + rec.target_503.sum())
    return {
        "sessions": int(sim.arrivals.sum()) + dp.initial_sessions,   # with those open at t=0
        "attempts": int(rec.arrivals.sum()),
        "reconnects": int(dp.reconnects.sum()),
        "refused": refused,
        "dropped": int(dp.drops.sum()),
        "closed_by_clients": int(rec.ok.sum()),
        "open_at_end": int(dp.in_flight_total()),
        "mean_open": _r(float(rec.inflight.mean()) if sim.n_ticks else 0.0, 1),
        "peak_open": _r(float(rec.inflight.max()) if sim.n_ticks else 0.0, 1),
    }


def _mean_max(values: np.ndarray) -> dict:
    """Mean and max over the periods that had running tasks (None when none had)."""
    live = values[~np.isnan(values)]
    if not len(live):
        return {"mean": None, "max": None}
    return {"mean": _r(live.mean(), 2), "max": _r(live.max(), 2)}


def _running_path(sim, end: float) -> dict:
    """Min, max and time-weighted mean of the running count over the run."""
    t = np.array([snap[0] for snap in sim.snapshots] + [end])
    v = np.array([snap[1]["running_count"] for snap in sim.snapshots], dtype=float)
    dt = np.diff(np.clip(t, 0, end))
    keep = dt > 0
    if not keep.any():
        return {"min": v[-1], "max": v[-1], "mean": v[-1]}
    return {"min": v[keep].min(), "max": v[keep].max(), "mean": float((v * dt).sum() / dt.sum())}


def _slo(slo, ts: pd.DataFrame, total: int, n_err: int) -> dict:
    error_rate = n_err / total if total else 0.0
    out = {"met": True, "latency_p99_ms_violation_minutes": None, "error_rate": _r(error_rate, 6)}
    if slo.latency_p99_ms is not None:
        minutes = float((ts["latency_p99_ms"] > slo.latency_p99_ms).sum())
        out["latency_p99_ms_violation_minutes"] = _r(minutes, 1)
        out["met"] = out["met"] and minutes == 0
    if slo.latency_mean_ms is not None:
        minutes = float((ts["latency_mean_ms"] > slo.latency_mean_ms).sum())
        out["latency_mean_ms_violation_minutes"] = _r(minutes, 1)
        out["met"] = out["met"] and minutes == 0
    if slo.error_rate is not None:
        out["met"] = out["met"] and error_rate <= slo.error_rate
    return out

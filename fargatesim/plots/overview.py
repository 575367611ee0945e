"""The run at a glance: stacked panels sharing a clock-time axis, with the run's events marked.

    from fargatesim.plots.overview import overview
    fig = overview(result)                  # a matplotlib Figure (shown inline in Jupyter)
    overview(result, "overview.png")        # also saved as a PNG

The figure is built with ``matplotlib.figure.Figure`` and the Agg canvas, never pyplot: it does
not change the global backend, does not register in pyplot's figure list (nothing leaks across
many runs) and is safe to draw from worker threads.
"""
from __future__ import annotations

import io
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter
from matplotlib.transforms import blended_transform_factory

from ..metric_catalogue import PREDEFINED_METRIC_TYPES
from ..slo import minutes_outside_slo
from . import events
from .alarms import panel_alarm, step_alarm_metric
from .forecast import draw_capacity, forecast_frame, panel_forecast
from .axes import latency_axis, si, time_axis

__all__ = ["overview"]

WIDTH = 12.0
DPI = 110
# Panel heights in inches; the figure is as tall as its panels plus the titles and legend.
PANEL_IN = {"load": 1.75, "forecast": 1.5, "tasks": 1.95, "alarm": 1.55, "utilisation": 1.5,
            "latency": 1.95, "errors": 1.5}
LANE_IN = (0.3, 0.2)           # the events lane: base + per row
CHROME_IN = 1.75
ERROR_BUCKETS = 480            # at most this many error bars; longer runs are averaged
AXES_PX = 1000                 # a panel's width in pixels, near enough for minimum widths
SLO_MIN_PX = 5                 # a minute outside the SLO is drawn at least this wide
OUTLIER_ROWS = 3               # at most this many rows far above the rest are clipped off
WEBSOCKET_LOG_RATIO = 20       # attempts this many times the sessions: a log scale shows both
SEP = "  ·  "
SUBTITLE_CHARS = 150           # about what fits across the figure at the subtitle's size

# Error columns of the timeseries, how the legend names them, and their colours.
ERROR_STYLE = {
    "elb_503": ("ALB 503 (no healthy target)", "#d62728"),
    "elb_502": ("ALB 502 (bad gateway)", "#ff7f0e"),
    "target_503": ("target 503 (overloaded)", "#9467bd"),
    "timeout_504": ("504 (timeout)", "#8c564b"),
    "reset_on_stop": ("reset on task stop", "#e377c2"),
}

C_OFFERED = "#1f77b4"
C_SESSIONS = "#08306b"
C_CONNECTIONS = "#6a3d9a"
C_DESIRED = "#222222"
C_RUNNING = "#1f77b4"
C_HEALTHY = "#2ca02c"
C_STARTING = "#ff7f0e"
C_DRAINING = "#7f7f7f"
C_SPOT = "#01665e"             # the Spot interruption marker's colour
C_BOUNDS = "#8a8a8a"
C_CPU = "#d95f02"
C_MEM = "#7570b3"
C_P50 = "#6baed6"
C_P99 = "#ff7f0e"
C_SLO = "#d62728"
C_OK = "#2ca02c"

# The panel that draws a target tracking policy's target, by the metric its type tracks.
TARGET_PANEL = {"CPUUtilization": "cpu", "MemoryUtilization": "memory"}


class OverviewFigure(Figure):
    """A plain Figure that also shows itself in Jupyter when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=DPI, facecolor="white")
        return buf.getvalue()


# ------------------------------------------------------------------------ entry point
def overview(result, path=None) -> Figure:
    """Draw the run's overview and return the Figure; with `path`, also save it as a PNG.

    Panels (top to bottom, each with gid "panel:<name>"): a lane of events (faults by kind,
    scale-out / scale-in, operator and scheduled actions, deployments), offered load, task
    counts, the metric step scaling alarms on (when a step policy has an alarm), CPU / memory
    utilisation, latency p50 / p99 (log scale, minutes outside the SLO marked along its top)
    and errors per minute by kind (only when there were errors). Faults and actions are also
    lines across all panels; task and target state changes are not drawn.
    """
    ts = _numeric_frame(result.timeseries)
    summary = result.summary or {}
    scenario = getattr(result, "scenario", None)

    start = _start_time(scenario, ts)
    period = _period(ts)
    t0 = mdates.date2num(start)
    t_start = t0 + ts["t_s"].to_numpy(dtype=float) / 86400.0   # period starts
    t_end = t_start + period / 86400.0                          # period ends
    t_mid = (t_start + t_end) / 2
    span_s = float(ts["t_s"].max() + period) if len(ts) else period
    x_lo, x_hi = t0, t0 + max(span_s, period) / 86400.0

    groups = events.classify(result.events) + events.job_runs(scenario, span_s)
    alarm = step_alarm_metric(result)
    error_kinds = _error_kinds(ts)
    bad = _outside_slo(ts, scenario)
    forecast = forecast_frame(result) is not None
    names = ((["events"] if groups else []) + ["load"] + (["forecast"] if forecast else []) + ["tasks"]
             + (["alarm"] if alarm else [])
             + ["utilisation", "latency"] + (["errors"] if error_kinds else []))
    lane_rows = len(events.lane_rows(groups))
    heights = [LANE_IN[0] + LANE_IN[1] * lane_rows if n == "events" else PANEL_IN[n] for n in names]

    fig = OverviewFigure(figsize=(WIDTH, CHROME_IN + sum(heights)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(names), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    ax = dict(zip(names, axes))
    panels = [a for n, a in ax.items() if n != "events"]

    _panel_load(ax["load"], ts, t_start, t_end, t_mid, period)
    if forecast:
        panel_forecast(ax["forecast"], result, t0, _legend)
        draw_capacity(ax["tasks"], result, t0)
    _panel_tasks(ax["tasks"], ts, t_end, autoscaled=_autoscaled(scenario))
    if alarm:
        panel_alarm(ax["alarm"], alarm, t0, _legend)
    _panel_utilisation(ax["utilisation"], ts, t_mid, _tracking_targets(scenario))
    _panel_latency(ax["latency"], ts, t_start, t_end, t_mid, _slo_p99(scenario), bad, span_s)
    if error_kinds:
        _panel_errors(ax["errors"], ts, error_kinds, t_start, t_end, period)
    else:
        # No errors: a badge where the errors panel would be, rather than an empty panel.
        ax["latency"].text(1.005, 0.0, "✓ no errors", transform=ax["latency"].transAxes,
                           ha="left", va="bottom", fontsize=10, fontweight="bold", color=C_OK,
                           gid="no_errors")

    if groups:
        events.draw_lane(ax["events"], groups, t0, span_s)
        events.draw_lines(panels, groups, t0)

    for name, a in ax.items():
        a.set_xlim(x_lo, x_hi)
        a.set_gid(f"panel:{name}")
        if name == "events":
            continue
        a.grid(True, which="major", color="#e3e3e3", linewidth=0.7)
        a.set_axisbelow(True)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    time_axis(axes[-1], span_s)
    axes[-1].set_xlabel("time (UTC)")
    fig.align_ylabels(panels)

    fig.suptitle(_title(summary, scenario, start), fontsize=12.5, fontweight="bold",
                 x=0.01, ha="left")
    subtitle = "\n".join(s for s in (_subtitle(summary, ts, bad, period), _jobs_note(scenario)) if s)
    if subtitle:
        # The run in figures (on two lines if need be) and any note, as the layout's first row.
        axes[0].set_title(subtitle, loc="left", fontsize=10, color="#333333", pad=8,
                          linespacing=1.5)
    if groups:
        handles = events.legend_handles(groups)
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6),
                   fontsize=9, frameon=False, title="events", title_fontsize=9)

    if path is not None:
        fig.savefig(Path(path), dpi=DPI, format="png", facecolor="white")
        # Not a pyplot figure, so there is no global figure list to close it from: it is
        # freed as soon as the caller drops it, however many runs are saved.
    return fig


# ------------------------------------------------------------------------ data helpers
def _numeric_frame(ts: pd.DataFrame | None) -> pd.DataFrame:
    ts = pd.DataFrame() if ts is None else ts.copy()
    if "t_s" not in ts:
        ts["t_s"] = np.arange(len(ts), dtype=float) * 60.0
    for col in ts.columns:
        if col != "time":
            ts[col] = pd.to_numeric(ts[col], errors="coerce")
    return ts.sort_values("t_s").reset_index(drop=True)


def _col(ts: pd.DataFrame, name: str) -> np.ndarray:
    if name in ts:
        return ts[name].to_numpy(dtype=float)
    return np.full(len(ts), np.nan)


def _period(ts: pd.DataFrame) -> float:
    t = ts["t_s"].to_numpy(dtype=float)
    if len(t) >= 2:
        d = np.diff(t)
        d = d[d > 0]
        if len(d):
            return float(np.median(d))
    return 60.0


def _start_time(scenario, ts: pd.DataFrame) -> datetime:
    start = getattr(scenario, "start", None)
    if start is None and "time" in ts and len(ts):
        try:
            first = pd.Timestamp(ts["time"].iloc[0])
            first = first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")
            start = first.to_pydatetime() - timedelta(seconds=float(ts["t_s"].iloc[0]))
        except (ValueError, TypeError):
            start = None
    if start is None:
        start = datetime(1970, 1, 1, tzinfo=timezone.utc)
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.astimezone(timezone.utc)


def _slo_p99(scenario) -> float | None:
    slo = getattr(scenario, "slo", None)
    value = getattr(slo, "latency_p99_ms", None)
    return float(value) if value is not None else None


def _outside_slo(ts: pd.DataFrame, scenario) -> np.ndarray | None:
    """Per row: outside the SLO, as `fargatesim compare` counts minutes; None without an SLO."""
    slo = getattr(scenario, "slo", None)
    if slo is None or (getattr(slo, "latency_p99_ms", None) is None
                       and getattr(slo, "error_rate", None) is None):
        return None
    if not {"latency_p99_ms", "errors", "requests"} <= set(ts.columns):
        return None
    return minutes_outside_slo(ts, slo)[0]


def _autoscaled(scenario) -> bool:
    scaling = getattr(scenario, "autoscaling", None)
    return scaling is not None and bool(getattr(scaling, "policies", None)
                                        or getattr(scaling, "scheduled_actions", None))


def _tracking_targets(scenario) -> dict:
    """{"cpu": target, "memory": target} of the scenario's target tracking policies."""
    out: dict[str, float] = {}
    scaling = getattr(scenario, "autoscaling", None)
    for policy in getattr(scaling, "policies", None) or ():
        if getattr(policy, "policy_type", None) != "TargetTrackingScaling":
            continue
        config = getattr(policy, "target_tracking_scaling_policy_configuration", None)
        spec = getattr(config, "predefined_metric_specification", None)
        metric = getattr(spec, "predefined_metric_type", None)
        value = getattr(config, "target_value", None)
        if value is None or metric is None:
            continue
        key = TARGET_PANEL.get(PREDEFINED_METRIC_TYPES.get(metric, ("", ""))[1])
        if key is not None and key not in out:
            out[key] = float(value)
    return out


def _error_kinds(ts: pd.DataFrame) -> list[str]:
    kinds = [k for k in ERROR_STYLE if k in ts and np.nansum(np.abs(_col(ts, k))) > 0]
    if not kinds and "errors" in ts and np.nansum(_col(ts, "errors")) > 0:
        kinds = ["errors"]                        # only the total is known
    return kinds


def _lw(ts: pd.DataFrame, width: float) -> float:
    """Line width: thinner when there are more points than the panel has pixels to spare."""
    return width if len(ts) <= 600 else width * 0.7


def _steps(x_start: np.ndarray, x_end: np.ndarray, y: np.ndarray):
    """Per-period values as a "steps-post" polyline that covers the last period too."""
    if not len(x_start):
        return x_start, y
    return np.append(x_start, x_end[-1]), np.append(y, y[-1])


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) of each run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _robust_top(values: np.ndarray) -> tuple[float, float]:
    """(the axis top, the largest value): a few rows far above all the others (a reconnection
    burst) are clipped off, so that they do not flatten the rest of the run."""
    v = np.sort(values[np.isfinite(values)])[::-1]
    if not len(v):
        return 0.0, 0.0
    if len(v) > 10 * OUTLIER_ROWS and v[0] > 3 * v[OUTLIER_ROWS] > 0:
        return float(v[OUTLIER_ROWS]) * 1.3, float(v[0])
    return float(v[0]) * 1.12, float(v[0])


# ------------------------------------------------------------------------ panels
def _legend(ax, x: float = 1.005, **kw):
    handles, labels = ax.get_legend_handles_labels()
    if handles or kw.get("title"):
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(x, 1.0), fontsize=8.5,
                  frameon=False, borderaxespad=0.0, handlelength=1.8, title_fontsize=8.5,
                  alignment="left", **kw)


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color="#777777")


def _panel_load(ax, ts, t_start, t_end, t_mid, period) -> None:
    websocket = "connections" in ts.columns
    ax.set_ylabel("per second" if websocket else "requests/s")
    ax.yaxis.set_major_formatter(FuncFormatter(si))
    if not len(ts):
        _no_data(ax, "no data")
        _legend(ax)
        return
    arrived = _col(ts, "requests") / period
    offered = _col(ts, "offered_rps")
    xs, ys = _steps(t_start, t_end, np.nan_to_num(arrived))
    top, peak = _robust_top(np.fmax(arrived, offered))
    log = websocket and top > WEBSOCKET_LOG_RATIO * max(np.nanmax(offered), 1e-9)
    floor = 0.0
    if log:
        # Connection attempts (reconnection storms) can outnumber new sessions a hundredfold.
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(si))
        ax.yaxis.set_minor_formatter(NullFormatter())
        positive = offered[np.isfinite(offered) & (offered > 0)]
        floor = float(positive.min()) / 2 if len(positive) else 0.1
        top = max(top, floor * 10)
    ax.fill_between(xs, floor, np.maximum(ys, floor), step="post", color=C_OFFERED, alpha=0.18,
                    linewidth=0, label="connection attempts/s" if websocket else "requests/s (arrived)")
    if websocket:
        ax.step(xs, np.maximum(ys, floor), where="post", color=C_OFFERED, linewidth=0.8, alpha=0.7)
        ax.plot(t_mid, offered, color=C_SESSIONS, linewidth=_lw(ts, 1.8), label="sessions opened/s")
    else:
        ax.plot(t_mid, offered, color=C_OFFERED, linewidth=_lw(ts, 1.6), label="offered load")
    ax.set_ylim(floor if log else 0, top if top > floor else 1)
    if peak > top:
        _mark_clipped(ax, t_mid, np.fmax(arrived, offered), top)
    if websocket:
        # What a websocket service carries is its open connections: on their own scale.
        right = ax.twinx()
        right.plot(t_mid, _col(ts, "connections"), color=C_CONNECTIONS, linewidth=_lw(ts, 1.4))
        right.set_ylim(0, max(1.0, np.nanmax(_col(ts, "connections"))) * 1.12)
        right.set_ylabel("open connections", color=C_CONNECTIONS)
        right.yaxis.set_major_formatter(FuncFormatter(si))
        right.tick_params(axis="y", colors=C_CONNECTIONS)
        right.spines["top"].set_visible(False)
        right.set_gid("panel:connections")
        ax.plot([], [], color=C_CONNECTIONS, label="open connections (right)")
        _legend(ax, x=1.075)     # clear of the right-hand axis and its label
        return
    _legend(ax)


def _mark_clipped(ax, t_mid, values, top) -> None:
    """Label each stretch above the axis with its peak, at the axis' top edge."""
    for first, stop in _runs(np.nan_to_num(values) > top):
        i = first + int(np.argmax(values[first:stop]))
        ax.annotate(f"↑ {si(round(float(values[i]), 1))}/s", (t_mid[i], 1.0),
                    xycoords=blended_transform_factory(ax.transData, ax.transAxes),
                    xytext=(4, -2), textcoords="offset points", ha="left", va="top",
                    fontsize=8, color=C_OFFERED, fontweight="bold", gid="clipped")


def _panel_tasks(ax, ts, t_end, *, autoscaled: bool) -> None:
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_ylabel("tasks")
    if not len(ts):
        _no_data(ax, "no data")
        _legend(ax)
        return
    x = t_end
    running = _col(ts, "running_count")
    desired = _col(ts, "desired_count")
    draining = np.nan_to_num(_col(ts, "draining_targets"))
    spot = np.nan_to_num(_col(ts, "running_fargate_spot"))

    def band(lo, hi, **kw):
        hi = np.where(np.isfinite(hi), np.maximum(hi, lo), lo)
        if np.any(hi > lo):
            ax.fill_between(x, lo, hi, step="post", linewidth=0, **kw)

    if spot.any():
        band(0, spot, color=C_SPOT, alpha=0.28, label="on FARGATE_SPOT", gid="spot")
        band(spot, running, color=C_RUNNING, alpha=0.12, label="on FARGATE", gid="on_demand")
    # Capacity asked for but not serving yet: tasks still starting (the counts are sampled at
    # each minute's end, when most have started but few have passed their health checks) or
    # failing their health checks.
    healthy = _col(ts, "healthy_targets")
    band(np.nan_to_num(healthy), desired, color=C_STARTING, alpha=0.4,
         label="not yet healthy (desired − healthy)", gid="not_healthy")
    for col, label in (("min_capacity", "min / max capacity"), ("max_capacity", None)):
        v = _col(ts, col)
        if np.isfinite(v).any():
            ax.step(x, v, where="post", color=C_BOUNDS, linestyle="--", linewidth=1.0, label=label)
    ax.step(x, desired, where="post", color=C_DESIRED, linewidth=1.6, label="desired")
    if draining.any():
        # A draining target's task runs on until its deregistration delay is over: counted in
        # running, serving nothing new. A crashed task's target drains too, but its task is
        # gone, so draining counts against running only as far as running exceeds the targets
        # in service.
        registered = np.nan_to_num(_col(ts, "healthy_targets")) + np.nan_to_num(
            _col(ts, "unhealthy_targets"))
        in_service = running - np.minimum(draining, np.maximum(running - registered, 0))
        band(in_service, running, facecolor="none", edgecolor=C_DRAINING, hatch="////",
             label="draining (still running)", gid="draining")
        ax.step(x, running, where="post", color=C_DRAINING, linewidth=0.8)
        ax.step(x, in_service, where="post", color=C_RUNNING, linewidth=1.3,
                label="running, in service")
    else:
        ax.step(x, running, where="post", color=C_RUNNING, linewidth=1.3, label="running")
    ax.step(x, healthy, where="post", color=C_HEALTHY, linewidth=1.3,
            linestyle=(0, (4, 1.5)), label="healthy targets")
    cols = ["desired_count", "running_count", "healthy_targets", "max_capacity"]
    top = np.nanmax(np.concatenate([_col(ts, c) for c in cols] + [[1.0]]))
    ax.set_ylim(0, max(1.0, top) * 1.15 + 0.3)
    _legend(ax, title=None if autoscaled else "fixed fleet: no autoscaling")


def _panel_utilisation(ax, ts, t_mid, targets: dict) -> None:
    cpu, mem = _col(ts, "cpu_utilization"), _col(ts, "memory_utilization")
    if len(ts):
        ax.plot(t_mid, cpu, color=C_CPU, linewidth=_lw(ts, 1.6), label="CPU", zorder=3)
        ax.plot(t_mid, mem, color=C_MEM, linewidth=0.9, label="memory", zorder=2.5)
    else:
        _no_data(ax, "no data")
    for key, color in (("cpu", C_CPU), ("memory", C_MEM)):
        if key in targets:
            value = targets[key]
            label = f"target {value:g} %" if key == "cpu" else f"memory target {value:g} %"
            ax.axhline(value, color=color, linestyle="--", linewidth=1.1, alpha=0.85,
                       label=label, gid=f"target_{key}")
    top = np.nanmax(np.concatenate([cpu, mem, [100.0], list(targets.values())]))
    ax.set_ylim(0, top * 1.05)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.set_ylabel("utilisation (%)")
    _legend(ax)


def _panel_latency(ax, ts, t_start, t_end, t_mid, slo_p99, bad, span_s) -> None:
    p50, p99 = _col(ts, "latency_p50_ms"), _col(ts, "latency_p99_ms")
    finite = np.concatenate([p50[np.isfinite(p50) & (p50 > 0)], p99[np.isfinite(p99) & (p99 > 0)]])
    if len(ts):
        # p99 on top: in an overload p50 climbs to meet it and must not hide it.
        ax.plot(t_mid, p99, color=C_P99, linewidth=_lw(ts, 1.7), label="p99", zorder=3)
        ax.plot(t_mid, p50, color=C_P50, linewidth=_lw(ts, 1.1), label="p50", zorder=2.4)
    if slo_p99 is not None:
        ax.axhline(slo_p99, color=C_SLO, linestyle="--", linewidth=1.2, zorder=2.6,
                   label=f"SLO p99 {slo_p99:g} ms", gid="slo_p99")
        over = np.isfinite(p99) & (p99 > slo_p99)
        if over.any():
            ax.fill_between(t_mid, slo_p99, np.where(over, p99, slo_p99), where=over,
                            color=C_SLO, alpha=0.15, linewidth=0, interpolate=True, zorder=2.2,
                            label="p99 over SLO")
    if bad is not None and bad.any():
        _slo_strip(ax, t_start, t_end, bad, span_s)
    values = list(finite) + ([slo_p99] if slo_p99 else [])
    if values:
        latency_axis(ax, max(min(values) / 2.0, 0.01), max(values) * 2.5)
    else:
        latency_axis(ax, 1, 1000)
        _no_data(ax, "no request was answered")
    ax.set_ylabel("latency (ms)")
    _legend(ax)


def _slo_strip(ax, t_start, t_end, bad, span_s) -> None:
    """Minutes outside the SLO as a red strip along the panel's top, each stretch at least a
    few pixels wide so that a single minute in a day still shows."""
    min_width = span_s / 86400.0 * SLO_MIN_PX / AXES_PX
    bars = [(t_start[a], max(t_end[b - 1] - t_start[a], min_width)) for a, b in _runs(bad)]
    minutes = float(np.sum(t_end[bad] - t_start[bad])) * 1440.0
    ax.broken_barh(bars, (0.92, 0.08), transform=ax.get_xaxis_transform(), color=C_SLO,
                   alpha=0.9, linewidth=0, zorder=4, gid="slo_strip",
                   label=f"outside SLO ({minutes:,.0f} min)")


def _panel_errors(ax, ts, kinds, t_start, t_end, period) -> None:
    # Long runs: one-period bars would be thinner than a pixel, so average over buckets.
    per = max(1, math.ceil(len(ts) / ERROR_BUCKETS))
    starts, ends = t_start[::per], np.append(t_start[per::per], t_end[-1])
    widths = (ends - starts) * 86400.0 / 60.0     # bucket length in minutes
    base = np.zeros(len(starts))
    for k in kinds:
        counts = np.nan_to_num(_col(ts, k))
        v = np.add.reduceat(counts, np.arange(0, len(ts), per)) / widths
        label, color = ERROR_STYLE.get(k, ("errors", "#d62728"))
        xs, lo = _steps(starts, ends, base)
        _, hi = _steps(starts, ends, base + v)
        ax.fill_between(xs, lo, hi, step="post", color=color, alpha=0.85, linewidth=0,
                        label=f"{label}: {int(counts.sum()):,}")
        base = base + v
    ax.set_ylim(0, max(base.max(), 1.0) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=base.max() < 10))
    ax.yaxis.set_major_formatter(FuncFormatter(si))
    title = "total" if per == 1 else f"total (bars: {per * period / 60.0:g}-min means)"
    ax.set_ylabel("errors/min")
    _legend(ax, title=title)


# ------------------------------------------------------------------------ text
def _fmt_count(n) -> str:
    n = float(n)
    if n >= 1e9:
        return f"{n / 1e9:.2f} G"
    if n >= 1e6:
        return f"{n / 1e6:.2f} M"
    if n >= 1e4:
        return f"{n / 1e3:.1f} k"
    return f"{n:,.0f}"


def _title(summary: dict, scenario, start: datetime) -> str:
    name = summary.get("scenario") or getattr(scenario, "name", None) or "fargatesim run"
    seed = summary.get("seed", getattr(scenario, "seed", None))
    parts = [str(name)]
    if seed is not None:
        parts.append(f"seed {seed}")
    parts.append(f"start {start:%Y-%m-%d %H:%M} UTC")
    return "  ·  ".join(parts)


def _subtitle(summary: dict, ts: pd.DataFrame, bad, period: float) -> str:
    parts = []
    websocket = "connections" in summary or "connections" in ts.columns
    req = summary.get("requests") or {}
    total = req.get("total")
    errors = req.get("errors")
    n_err = sum(v for v in errors.values() if v) if isinstance(errors, dict) else errors
    if total is not None:
        # A websocket run's "requests" are connection attempts, reconnections included.
        parts.append(f"{_fmt_count(total)} {'connection attempts' if websocket else 'requests'}")
    sessions = (summary.get("connections") or {}).get("sessions")
    if sessions is not None:
        parts.append(f"{_fmt_count(sessions)} sessions")
    lat = summary.get("latency_ms") or {}
    if lat.get("p50") is not None:
        parts.append(f"p50 {_num(lat['p50'])} ms")
    if lat.get("p99") is not None:
        parts.append(f"p99 {_num(lat['p99'])} ms")
    if n_err == 0:
        parts.append("no errors")
    elif total and n_err is not None:
        of = " of attempts" if websocket else ""
        parts.append(f"errors {_fmt_count(n_err)} ({_pct(n_err / total)}{of})")
    tasks = _tasks_range(summary, ts)
    if tasks:
        parts.append(tasks)
    cost = (summary.get("cost") or {}).get("usd")
    if cost is not None:
        parts.append(f"cost ${cost:,.2f}")
    slo = summary.get("slo") or {}
    if "met" in slo:
        text = "SLO met" if slo["met"] else "SLO missed"
        if bad is not None and bad.any():
            text += f": {bad.sum() * period / 60.0:,.0f} min outside"
        parts.append(text)
    return _wrap(parts)


def _wrap(parts: list[str]) -> str:
    """The parts on one line, or on two when one would run past the figure's edge."""
    line = SEP.join(parts)
    if len(line) <= SUBTITLE_CHARS:
        return line
    cut = max(k for k in range(1, len(parts)) if len(SEP.join(parts[:k])) <= SUBTITLE_CHARS)
    return SEP.join(parts[:cut]) + "\n" + SEP.join(parts[cut:])


def _tasks_range(summary: dict, ts: pd.DataFrame) -> str:
    """The running range the tasks panel shows (counts at each minute's end), and any
    extreme the run reached only between two of those samples."""
    running = _col(ts, "running_count")
    running = running[np.isfinite(running)]
    tasks = summary.get("tasks") or {}
    if not len(running):
        lo, hi = tasks.get("min_running"), tasks.get("max_running")
        if lo is None or hi is None:
            return ""
        return f"tasks {lo}" if lo == hi else f"tasks {lo}–{hi}"
    lo, hi = int(running.min()), int(running.max())
    text = f"tasks {lo}" if lo == hi else f"tasks {lo}–{hi}"
    brief = [v for v in (tasks.get("min_running"), tasks.get("max_running"))
             if v is not None and not lo <= v <= hi]
    if brief:
        text += f" (briefly {' and '.join(str(v) for v in brief)})"
    return text


def _jobs_note(scenario) -> str:
    jobs = getattr(scenario, "jobs", None) or ()
    if not jobs:
        return ""
    names = ", ".join(getattr(j, "name", "?") for j in jobs)
    n = len(jobs)
    return (f"Note: the scenario's {n} job{'s' if n != 1 else ''} ({names}) "
            f"{'are' if n != 1 else 'is'} not simulated by `fargatesim run`; "
            "see `fargatesim cost` for them.")


def _num(x) -> str:
    x = float(x)
    if not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _pct(r: float) -> str:
    p = 100 * r
    if p == 0:
        return "0 %"
    if p < 0.01:
        return "<0.01 %"
    return f"{p:.2f} %" if p < 10 else f"{p:.1f} %"

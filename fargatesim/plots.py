"""The run at a glance: five stacked panels sharing a clock-time axis, with events marked.

    from fargatesim.plots import overview
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
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

__all__ = ["overview"]

FIGSIZE = (12.0, 11.0)
DPI = 110
MAX_EVENT_LINES = 200          # per event category; busier runs are thinned evenly
ERROR_BUCKETS = 480            # at most this many error bars; longer runs are averaged

# Error columns of the timeseries, how the legend names them, and their colours.
ERROR_STYLE = {
    "elb_503": ("ALB 503 (no healthy target)", "#d62728"),
    "elb_502": ("ALB 502 (bad gateway)", "#ff7f0e"),
    "target_503": ("target 503 (overloaded)", "#9467bd"),
    "timeout_504": ("504 (timeout)", "#8c564b"),
    "reset_on_stop": ("reset on task stop", "#e377c2"),
}

# Event categories drawn as vertical lines: (kinds, legend label, colour, width, style, alpha).
# Operator actions, scheduled actions and deployments share a colour, told apart by dashes.
C_ACTION = "#1a9e77"
EVENT_STYLE = (
    (("scaling_activity",), "scale-out / scale-in", "#7b3fb5", 0.9, "-", 0.55),
    (("fault",), "fault", "#e31a1c", 1.4, "-", 0.8),
    (("service",), "operator action", C_ACTION, 1.2, "--", 0.8),
    (("scheduled_action",), "scheduled action", C_ACTION, 1.2, ":", 0.9),
    (("deployment",), "deployment", C_ACTION, 1.3, "-.", 0.8),
)

C_OFFERED = "#1f77b4"
C_CONNECTIONS = "#6a3d9a"
C_DESIRED = "#222222"
C_RUNNING = "#1f77b4"
C_HEALTHY = "#2ca02c"
C_PENDING = "#ff7f0e"
C_BOUNDS = "#8a8a8a"
C_CPU = "#d95f02"
C_MEM = "#7570b3"
C_P50 = "#1f77b4"
C_P99 = "#ff7f0e"
C_SLO = "#d62728"

CPU_METRICS = ("ECSServiceAverageCPUUtilization", "ECSServiceAverageCPUUtilizationHighResolution")
MEMORY_METRICS = ("ECSServiceAverageMemoryUtilization",
                  "ECSServiceAverageMemoryUtilizationHighResolution")


class OverviewFigure(Figure):
    """A plain Figure that also shows itself in Jupyter when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
        return buf.getvalue()


# ------------------------------------------------------------------------ entry point
def overview(result, path=None) -> Figure:
    """Draw the run's overview and return the Figure; with `path`, also save it as a PNG.

    Panels (top to bottom): offered load, task counts, CPU / memory utilisation, latency
    p50 / p99 (log scale) and errors per minute by kind. Scaling activities, faults,
    operator actions (desired count changes), scheduled actions and deployments are vertical
    lines across all panels; task and target state changes are not drawn.
    """
    ts = _numeric_frame(result.timeseries)
    events = result.events if result.events is not None else pd.DataFrame()
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

    fig = OverviewFigure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(5, 1, sharex=True, height_ratios=[1, 1.05, 0.95, 1.05, 0.95])
    ax_load, ax_tasks, ax_util, ax_lat, ax_err = axes

    _panel_load(ax_load, ts, t_start, t_end, t_mid, period)
    _panel_tasks(ax_tasks, ts, t_end)
    _panel_utilisation(ax_util, ts, t_mid, _tracking_targets(scenario))
    _panel_latency(ax_lat, ts, t_mid, _slo_p99(scenario))
    _panel_errors(ax_err, ts, t_start, t_end, period)

    handles = _draw_events(axes, events, t0)

    for ax in axes:
        ax.set_xlim(x_lo, x_hi)
        ax.grid(True, which="major", color="#e3e3e3", linewidth=0.7)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    _time_axis(ax_err, span_s)
    ax_err.set_xlabel("time (UTC)")
    fig.align_ylabels(axes)

    fig.suptitle(_title(summary, scenario, start), fontsize=12.5, fontweight="bold",
                 x=0.01, ha="left")
    subtitle = _subtitle(summary)
    if subtitle:
        # A one-line figure summary right under the title (as the first row of the layout).
        ax_load.set_title(subtitle, loc="left", fontsize=10, color="#333333", pad=8)
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9,
                   frameon=False, title="events", title_fontsize=9)

    if path is not None:
        fig.savefig(Path(path), dpi=DPI, bbox_inches="tight", format="png", facecolor="white")
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
        key = "cpu" if metric in CPU_METRICS else "memory" if metric in MEMORY_METRICS else None
        if key is not None and key not in out:
            out[key] = float(value)
    return out


def _lw(ts: pd.DataFrame, width: float) -> float:
    """Line width: thinner when there are more points than the panel has pixels to spare."""
    return width if len(ts) <= 600 else width * 0.7


def _steps(x_start: np.ndarray, x_end: np.ndarray, y: np.ndarray):
    """Per-period values as a "steps-post" polyline that covers the last period too."""
    if not len(x_start):
        return x_start, y
    return np.append(x_start, x_end[-1]), np.append(y, y[-1])


# ------------------------------------------------------------------------ panels
def _legend(ax, x: float = 1.005, **kw):
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(x, 1.0), fontsize=8.5,
                  frameon=False, borderaxespad=0.0, handlelength=1.8, **kw)


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11,
            color="#777777")


def _panel_load(ax, ts, t_start, t_end, t_mid, period) -> None:
    websocket = "connections" in ts.columns
    served = _col(ts, "requests") / period
    xs, ys = _steps(t_start, t_end, served)
    if len(xs):
        ax.fill_between(xs, 0, np.nan_to_num(ys), step="post", color=C_OFFERED, alpha=0.18, linewidth=0,
                        label="connection attempts/s" if websocket else "requests/s (arrived)")
        ax.plot(t_mid, _col(ts, "offered_rps"), color=C_OFFERED, linewidth=_lw(ts, 1.6),
                label="sessions opened/s" if websocket else "offered load")
        top = np.nanmax(np.concatenate([ys, _col(ts, "offered_rps"), [0.0]]))
        ax.set_ylim(0, top * 1.12 if top > 0 else 1)
    else:
        _no_data(ax, "no data")
    ax.set_ylabel("per second" if websocket else "requests/s")
    ax.yaxis.set_major_formatter(FuncFormatter(_si))
    if websocket and len(xs):
        # What a websocket service carries is its open connections: on their own scale.
        right = ax.twinx()
        right.plot(t_mid, _col(ts, "connections"), color=C_CONNECTIONS, linewidth=_lw(ts, 1.4))
        right.set_ylim(0, max(1.0, np.nanmax(_col(ts, "connections"))) * 1.12)
        right.set_ylabel("open connections", color=C_CONNECTIONS)
        right.yaxis.set_major_formatter(FuncFormatter(_si))
        right.tick_params(axis="y", colors=C_CONNECTIONS)
        ax.plot([], [], color=C_CONNECTIONS, label="open connections (right)")
        _legend(ax, x=1.075)     # clear of the right-hand axis and its label
        return
    _legend(ax)


def _panel_tasks(ax, ts, t_end) -> None:
    if not len(ts):
        _no_data(ax, "no data")
    else:
        pending = np.nan_to_num(_col(ts, "pending_count"))
        if pending.any():
            ax.fill_between(t_end, 0, pending, step="post", color=C_PENDING, alpha=0.25,
                            linewidth=0, label="pending")
        for col, label in (("min_capacity", "min / max capacity"), ("max_capacity", None)):
            v = _col(ts, col)
            if np.isfinite(v).any():
                ax.step(t_end, v, where="post", color=C_BOUNDS, linestyle="--", linewidth=1.0,
                        label=label)
        ax.step(t_end, _col(ts, "desired_count"), where="post", color=C_DESIRED, linewidth=1.6,
                label="desired")
        ax.step(t_end, _col(ts, "running_count"), where="post", color=C_RUNNING, linewidth=1.3,
                label="running")
        ax.step(t_end, _col(ts, "healthy_targets"), where="post", color=C_HEALTHY,
                linewidth=1.3, linestyle=(0, (4, 1.5)), label="healthy targets")
        cols = ["desired_count", "running_count", "healthy_targets", "pending_count",
                "max_capacity"]
        top = np.nanmax(np.concatenate([_col(ts, c) for c in cols] + [[1.0]]))
        ax.set_ylim(0, max(1.0, top) * 1.15 + 0.3)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_ylabel("tasks")
    _legend(ax)


def _panel_utilisation(ax, ts, t_mid, targets: dict) -> None:
    cpu, mem = _col(ts, "cpu_utilization"), _col(ts, "memory_utilization")
    if len(ts):
        ax.plot(t_mid, cpu, color=C_CPU, linewidth=_lw(ts, 1.6), label="CPU")
        ax.plot(t_mid, mem, color=C_MEM, linewidth=0.9, label="memory")
    else:
        _no_data(ax, "no data")
    for key, color, name in (("cpu", C_CPU, "CPU"), ("memory", C_MEM, "memory")):
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


def _panel_latency(ax, ts, t_mid, slo_p99: float | None) -> None:
    p50, p99 = _col(ts, "latency_p50_ms"), _col(ts, "latency_p99_ms")
    ax.set_yscale("log")
    finite = np.concatenate([p50[np.isfinite(p50) & (p50 > 0)], p99[np.isfinite(p99) & (p99 > 0)]])
    if len(ts):
        ax.plot(t_mid, p99, color=C_P99, linewidth=_lw(ts, 1.6), label="p99")
        ax.plot(t_mid, p50, color=C_P50, linewidth=_lw(ts, 1.3), label="p50")
    if slo_p99 is not None:
        ax.axhline(slo_p99, color=C_SLO, linestyle="--", linewidth=1.2,
                   label=f"SLO p99 {slo_p99:g} ms", gid="slo_p99")
        over = np.isfinite(p99) & (p99 > slo_p99)
        if over.any():
            ax.fill_between(t_mid, slo_p99, np.where(over, p99, slo_p99), where=over,
                            color=C_SLO, alpha=0.15, linewidth=0, interpolate=True,
                            label="p99 over SLO")
    values = list(finite) + ([slo_p99] if slo_p99 else [])
    if values:
        lo, hi = min(values), max(values)
        ax.set_ylim(max(lo / 2.0, 0.01), hi * 2.0)
    else:
        ax.set_ylim(1, 1000)
        _no_data(ax, "no request was answered")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    ax.yaxis.set_major_formatter(FuncFormatter(_ms))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("latency (ms)")
    _legend(ax)


def _panel_errors(ax, ts, t_start, t_end, period) -> None:
    scale = 60.0 / period                         # errors per minute
    kinds = [k for k in ERROR_STYLE if k in ts and np.nansum(np.abs(_col(ts, k))) > 0]
    if not kinds and "errors" in ts and np.nansum(_col(ts, "errors")) > 0:
        kinds = ["errors"]                        # only the total is known
    if not kinds:
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=2, integer=True))
        ax.text(0.5, 0.5, "no errors", transform=ax.transAxes, ha="center", va="center",
                fontsize=12, color="#2ca02c", fontweight="bold", zorder=5,
                bbox=dict(boxstyle="round,pad=0.4", facecolor="white", edgecolor="none"))
        ax.set_ylabel("errors/min")
        return
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
    ax.yaxis.set_major_formatter(FuncFormatter(_si))
    title = "total" if per == 1 else f"total (bars: {per * period / 60.0:g}-min means)"
    ax.set_ylabel("errors/min")
    _legend(ax, title=title, title_fontsize=8.5, alignment="left")


# ------------------------------------------------------------------------ events
def _draw_events(axes, events: pd.DataFrame, t0: float) -> list:
    if events is None or not len(events) or "kind" not in events or "t_s" not in events:
        return []
    t_s = pd.to_numeric(events["t_s"], errors="coerce").to_numpy(dtype=float)
    kind = events["kind"].astype(str).to_numpy()
    if "detail" in events:
        # A policy that could not scale (at max, in cooldown) changed nothing: not worth a line.
        idle = (kind == "scaling_activity") & events["detail"].astype(str).str.startswith("not scaled").to_numpy()
        kind = np.where(idle, "", kind)
    handles = []
    for kinds, label, color, width, style, alpha in EVENT_STYLE:
        t = np.sort(t_s[np.isin(kind, kinds) & np.isfinite(t_s)])
        if not len(t):
            continue
        n = len(t)
        if n > MAX_EVENT_LINES:
            t = t[np.linspace(0, n - 1, MAX_EVENT_LINES).round().astype(int)]
            alpha, width = alpha * 0.5, width * 0.7
            label = f"{label} ({MAX_EVENT_LINES} of {n} shown)"
        elif n > 1:
            label = f"{label} ({n})"
        x = t0 + t / 86400.0
        for ax in axes:
            segments = np.stack([np.column_stack([x, np.zeros_like(x)]),
                                 np.column_stack([x, np.ones_like(x)])], axis=1)
            lc = LineCollection(segments, colors=color, linewidths=width, linestyles=style,
                                alpha=alpha, transform=ax.get_xaxis_transform(), zorder=1.5)
            lc.set_gid(f"events:{kinds[0]}")
            ax.add_collection(lc, autolim=False)
        handles.append(Line2D([], [], color=color, linewidth=max(width, 1.2), linestyle=style,
                              alpha=min(1.0, alpha + 0.2), label=label))
    return handles


# ------------------------------------------------------------------------ axis & text
def _time_axis(ax, span_s: float, maxticks: int = 14) -> None:
    """Clock times on the x axis, with dates when the run spans more than a day."""
    locator = mdates.AutoDateLocator(tz=timezone.utc, minticks=5, maxticks=maxticks)
    locator.intervald[mdates.MINUTELY] = [1, 2, 5, 10, 15, 20, 30]
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 8, 12]
    ax.xaxis.set_major_locator(locator)
    if span_s > 86400:
        fmt = mdates.DateFormatter("%b %d\n%H:%M", tz=timezone.utc)
    else:
        fmt = mdates.DateFormatter("%H:%M", tz=timezone.utc)
    ax.xaxis.set_major_formatter(fmt)


def _si(value, _pos=None) -> str:
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:g}M"
    if a >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _ms(value, _pos=None) -> str:
    if value >= 1000:
        return f"{value / 1000:g} s"
    return f"{value:g}"


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


def _subtitle(summary: dict) -> str:
    parts = []
    req = summary.get("requests") or {}
    total = req.get("total")
    errors = req.get("errors")
    n_err = sum(v for v in errors.values() if v) if isinstance(errors, dict) else errors
    if total is not None:
        parts.append(f"{_fmt_count(total)} requests")
    lat = summary.get("latency_ms") or {}
    if lat.get("p50") is not None:
        parts.append(f"p50 {_num(lat['p50'])} ms")
    if lat.get("p99") is not None:
        parts.append(f"p99 {_num(lat['p99'])} ms")
    if n_err == 0:
        parts.append("no errors")
    elif total and n_err is not None:
        parts.append(f"errors {_fmt_count(n_err)} ({_pct(n_err / total)})")
    tasks = summary.get("tasks") or {}
    if tasks.get("min_running") is not None and tasks.get("max_running") is not None:
        lo, hi = tasks["min_running"], tasks["max_running"]
        parts.append(f"tasks {lo}" if lo == hi else f"tasks {lo}–{hi}")
    cost = (summary.get("cost") or {}).get("usd")
    if cost is not None:
        parts.append(f"cost ${cost:,.2f}")
    slo = summary.get("slo") or {}
    if "met" in slo:
        parts.append("SLO met" if slo["met"] else "SLO missed")
    return "   ·   ".join(parts)


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

"""The comparison at a glance: the variants over time on one seed, and cost against SLO per seed.

    from fargatesim.plots.comparison import comparison_figure
    fig = comparison_figure(comparison)               # a matplotlib Figure
    comparison_figure(comparison, "compare.png")      # also saved as a PNG

Left, sharing a clock-time axis: the offered load, the running task count and the p99 latency
of each variant, all on the same seed (Comparison.figure_seed: the median seed by cost), so on
the same traffic. Right: one point per variant and seed, cost (USD) against minutes outside
the SLO (or the error rate), with each variant's mean and its min-max range as a cross.

Built with ``matplotlib.figure.Figure`` and the Agg canvas, never pyplot (as overview.py).
"""
from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from .axes import latency_axis, si, time_axis

__all__ = ["comparison_figure"]

FIGSIZE = (14.0, 8.6)
DPI = 110
COLORS = ("#1f77b4", "#d95f02", "#2ca02c", "#7570b3", "#e7298a", "#8c564b", "#17becf",
          "#bcbd22", "#7f7f7f", "#d62728")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
# Line styles and widths vary too, so that variants whose lines coincide stay visible: each
# later variant is drawn thinner and dashed on top of the wider ones before it.
LINESTYLES = ("-", (0, (5, 2)), (0, (6, 2, 1.5, 2)), (0, (1.5, 1.5)))
LINEWIDTHS = (3.0, 2.0, 1.5, 1.2)
SEED_SPREAD_PT = 7.0           # runs that would cover each other are this far apart (a marker)
SAME_X_FRACTION = 0.02         # of the cost axis: runs this close in cost would cover each other
C_LOAD = "#9a9a9a"
C_SLO = "#d62728"

Y_CHOICES = {
    "slo_violation_min": ("minutes outside the SLO (per run)", 1.0),
    "error_rate": ("error rate (% of requests)", 100.0),
    "p99_over_slo_min": ("minutes with p99 over the SLO (per run)", 1.0),
    "recovery_min": ("recovery from the worst stretch (min)", 1.0),
}


class ComparisonFigure(Figure):
    """A plain Figure that also shows itself in Jupyter when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
        return buf.getvalue()


def style(i: int) -> dict:
    """Colour, marker, line style and width of the i-th variant."""
    return {"color": COLORS[i % len(COLORS)], "marker": MARKERS[i % len(MARKERS)],
            "linestyle": LINESTYLES[i % len(LINESTYLES)],
            "linewidth": LINEWIDTHS[min(i, len(LINEWIDTHS) - 1)]}


def comparison_figure(comparison, path=None, *, y: str = "slo_violation_min") -> Figure:
    """Draw the comparison and return the Figure; with `path`, also save it as a PNG.

    `y`: the scatter's vertical axis, one of slo_violation_min (default), error_rate,
    p99_over_slo_min, recovery_min.
    """
    if y not in Y_CHOICES:
        raise ValueError(f"y must be one of {', '.join(Y_CHOICES)}; got {y!r}")
    variants = list(comparison.variants)
    seed = comparison.figure_seed
    ts_all = comparison.timeseries
    series = {v: ts_all[(ts_all["variant"] == v) & (ts_all["seed"] == seed)].sort_values("t_s")
              for v in variants}
    start = _start(comparison.scenarios[0])

    fig = ComparisonFigure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 2, width_ratios=[1.65, 1.0], height_ratios=[0.7, 1.0, 1.15])
    ax_load = fig.add_subplot(grid[0, 0])
    ax_tasks = fig.add_subplot(grid[1, 0], sharex=ax_load)
    ax_p99 = fig.add_subplot(grid[2, 0], sharex=ax_load)
    ax_xy = fig.add_subplot(grid[:, 1])

    t0 = mdates.date2num(start)
    span_s = 60.0
    for v in variants:
        ts = series[v]
        if len(ts):
            t = ts["t_s"].to_numpy(dtype=float)
            period = float(t[1] - t[0]) if len(t) > 1 else 60.0
            span_s = max(span_s, float(t[-1]) + period)

    _panel_load(ax_load, series, variants, t0)
    _panel_tasks(ax_tasks, series, variants, t0)
    _panel_p99(ax_p99, series, variants, t0, _slo_lines(comparison))
    for ax in (ax_load, ax_tasks, ax_p99):
        ax.set_xlim(t0, t0 + span_s / 86400.0)
        _tidy(ax)
    for ax in (ax_load, ax_tasks):
        ax.tick_params(labelbottom=False)
    time_axis(ax_p99, span_s, maxticks=12)
    ax_p99.set_xlabel("time (UTC)")
    fig.align_ylabels([ax_load, ax_tasks, ax_p99])

    _panel_scatter(ax_xy, comparison.runs, variants, y)
    _tidy(ax_xy)

    n = len(comparison.seeds)
    fig.suptitle(f"{len(variants)} variant{'s' if len(variants) != 1 else ''} x {n} seed{'s' if n != 1 else ''}"
                 f"  ·  start {start:%Y-%m-%d %H:%M} UTC",
                 fontsize=12.5, fontweight="bold", x=0.01, ha="left")
    which = (f"seed {seed} (the median seed by cost), the same traffic for every variant"
             if n > 1 else f"seed {seed}")
    ax_load.set_title(f"over time: {which}", loc="left", fontsize=10, color="#333333")
    ax_xy.set_title(f"every seed: one hollow point per run\n"
                    f"cross: mean and min-max over {n} seed{'s' if n != 1 else ''}",
                    loc="left", fontsize=10, color="#333333", linespacing=1.4)

    handles = [Line2D([], [], color=style(i)["color"], marker=style(i)["marker"],
                      linestyle=style(i)["linestyle"], linewidth=style(i)["linewidth"],
                      markersize=6, label=v)
               for i, v in enumerate(variants)]
    # One row when the labels fit, else two columns (or one), read row by row.
    width = sum(len(v) + 8 for v in variants)
    ncol = len(variants) if width <= 150 else 2 if max(len(v) for v in variants) <= 70 else 1
    rows = -(-len(handles) // ncol)
    ordered = [handles[r * ncol + c] for c in range(ncol) for r in range(rows) if r * ncol + c < len(handles)]
    fig.legend(handles=ordered, loc="outside lower center", ncol=ncol,
               fontsize=9.5, frameon=False, title="variants", title_fontsize=9.5)

    if path is not None:
        fig.savefig(Path(path), dpi=DPI, format="png", facecolor="white")
    return fig


# ------------------------------------------------------------------------ panels
def _x(ts: pd.DataFrame, t0: float, where: str) -> np.ndarray:
    t = ts["t_s"].to_numpy(dtype=float)
    period = float(t[1] - t[0]) if len(t) > 1 else 60.0
    offset = {"start": 0.0, "mid": period / 2, "end": period}[where]
    return t0 + (t + offset) / 86400.0


def _panel_load(ax, series, variants, t0) -> None:
    loads = [series[v]["offered_rps"].to_numpy(dtype=float) for v in variants]
    same = all(len(x) == len(loads[0]) and np.allclose(x, loads[0], equal_nan=True) for x in loads)
    top = 0.0
    if same and len(loads[0]):
        # The mean over each minute, drawn across that minute.
        ts = series[variants[0]]
        x = np.append(_x(ts, t0, "start"), _x(ts, t0, "end")[-1])
        y = np.append(loads[0], loads[0][-1])
        ax.fill_between(x, 0, np.nan_to_num(y), step="post", color=C_LOAD, alpha=0.35, linewidth=0)
        ax.step(x, y, where="post", color="#555555", linewidth=1.3)
        top = np.nanmax(loads[0])
    else:
        for i, v in enumerate(variants):
            if len(loads[i]):
                st = style(i)
                ax.plot(_x(series[v], t0, "mid"), loads[i], color=st["color"],
                        linestyle=st["linestyle"], linewidth=st["linewidth"] * 0.7, alpha=0.9,
                        zorder=2 + 0.1 * i)
                top = max(top, np.nanmax(loads[i]))
    ax.set_ylim(0, top * 1.15 if top > 0 else 1.0)
    # The same load for every variant needs no legend: the title says it is the same traffic.
    ax.set_ylabel("offered load\n(requests/s)")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(FuncFormatter(si))


def _panel_tasks(ax, series, variants, t0) -> None:
    top = 1.0
    for i, v in enumerate(variants):
        ts = series[v]
        if not len(ts):
            continue
        st = style(i)
        running = ts["running_count"].to_numpy(dtype=float)
        ax.step(_x(ts, t0, "end"), running, where="post", color=st["color"],
                linestyle=st["linestyle"], linewidth=st["linewidth"], alpha=0.85, zorder=2 + 0.1 * i)
        top = max(top, np.nanmax(running))
    ax.set_ylim(0, top * 1.15 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_ylabel("running tasks")


def _panel_p99(ax, series, variants, t0, slo_lines: list[float]) -> None:
    ax.set_yscale("log")
    values = []
    for i, v in enumerate(variants):
        ts = series[v]
        if not len(ts):
            continue
        st = style(i)
        p99 = ts["latency_p99_ms"].to_numpy(dtype=float)
        ax.plot(_x(ts, t0, "mid"), p99, color=st["color"], linestyle=st["linestyle"],
                linewidth=st["linewidth"], alpha=0.85, zorder=2 + 0.1 * i)
        values.extend(p99[np.isfinite(p99) & (p99 > 0)])
    for limit in slo_lines:
        ax.axhline(limit, color=C_SLO, linestyle="--", linewidth=1.2, zorder=1.5, gid="slo_p99")
        # Labelled at its right end rather than in a legend, which would sit on the lines.
        ax.annotate(f"SLO p99 {limit:g} ms", (1.0, limit), xycoords=("axes fraction", "data"),
                    xytext=(-3, 2), textcoords="offset points", ha="right", va="bottom",
                    fontsize=8.5, color=C_SLO)
        values.append(limit)
    if values:
        latency_axis(ax, max(min(values) / 2.0, 0.01), max(values) * 2.0)
    else:
        latency_axis(ax, 1, 1000)
    ax.set_ylabel("latency p99 (ms)")


def _panel_scatter(ax, runs: pd.DataFrame, variants, y: str) -> None:
    label, scale = Y_CHOICES[y]
    points = []                       # (style, x, y) of each variant's runs
    for i, v in enumerate(variants):
        rows = runs[runs["variant"] == v]
        points.append((style(i), rows["cost_usd"].to_numpy(dtype=float),
                       rows[y].to_numpy(dtype=float) * scale))
    xs_all = np.concatenate([x[np.isfinite(x) & np.isfinite(yv)] for _, x, yv in points])
    ys_all = np.concatenate([yv[np.isfinite(x) & np.isfinite(yv)] for _, x, yv in points])
    if len(xs_all):
        lo, hi = xs_all.min(), xs_all.max()
        pad = (hi - lo) * 0.12 or max(abs(hi) * 0.05, 0.01)
        ax.set_xlim(lo - pad, hi + pad)
        top = ys_all.max()
        ax.set_ylim(-0.04 * (top or 1.0), (top or 1.0) * 1.12)
    # Runs closer than this in cost, with the same y, would cover each other.
    x_tol = (ax.get_xlim()[1] - ax.get_xlim()[0]) * SAME_X_FRACTION
    for st, x, yv in points:
        ok = np.isfinite(x) & np.isfinite(yv)
        if ok.any():
            mx, my = x[ok].mean(), yv[ok].mean()
            ax.errorbar([mx], [my],
                        # max(0, ...): the mean of equal values can round a hair past them.
                        xerr=[[max(0.0, mx - x[ok].min())], [max(0.0, x[ok].max() - mx)]],
                        yerr=[[max(0.0, my - yv[ok].min())], [max(0.0, yv[ok].max() - my)]],
                        fmt=st["marker"], color=st["color"], markersize=10, markeredgecolor="black",
                        markeredgewidth=0.9, elinewidth=1.4, capsize=4, alpha=0.55, zorder=3)
        # The runs on top of their cross, hollow so that the cross shows through; runs that
        # would cover each other are spread apart vertically.
        for dy, idx in _spread(x[ok], yv[ok], x_tol):
            ax.scatter(x[ok][idx], yv[ok][idx], s=48, marker=st["marker"], facecolors="white",
                       edgecolors=st["color"], linewidths=1.6, zorder=5,
                       transform=offset_copy(ax.transData, fig=ax.figure, y=dy, units="points"))
        never = (~np.isfinite(yv)) & np.isfinite(x)
        if never.any():
            # Runs that never recovered: drawn at the top edge, pointing up.
            ax.scatter(x[never], np.full(never.sum(), 1.0), s=46, color=st["color"], marker="^",
                       transform=ax.get_xaxis_transform(), clip_on=False, zorder=5)
    ax.set_xlabel("cost per run (USD)")
    ax.set_ylabel(label)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"${v:,.2f}" if abs(v) < 100 else f"${v:,.0f}"))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.text(0.98, 0.02, "better: down and left", transform=ax.transAxes, ha="right", va="bottom",
            fontsize=8.5, color="#777777")


def _spread(x: np.ndarray, y: np.ndarray, x_tol: float) -> list[tuple[float, np.ndarray]]:
    """[(offset in points, indices)]: runs with equal y within x_tol of each other in cost are
    offset vertically, centred on their value; the others stay where they are."""
    offset = np.zeros(len(x))
    for value in np.unique(y):
        same = np.flatnonzero(y == value)
        same = same[np.argsort(x[same], kind="stable")]
        groups = np.split(same, np.flatnonzero(np.diff(x[same]) > x_tol) + 1)
        for group in groups:
            offset[group] = (np.arange(len(group)) - (len(group) - 1) / 2) * SEED_SPREAD_PT
    return [(float(d), np.flatnonzero(offset == d)) for d in np.unique(offset)]


# ------------------------------------------------------------------------ helpers
def _slo_lines(comparison) -> list[float]:
    values = []
    for s in comparison.scenarios:
        value = getattr(getattr(s, "slo", None), "latency_p99_ms", None)
        if value is not None and float(value) not in values:
            values.append(float(value))
    return values


def _start(scenario) -> datetime:
    start = getattr(scenario, "start", None) or datetime(1970, 1, 1, tzinfo=timezone.utc)
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.astimezone(timezone.utc)


def _tidy(ax) -> None:
    ax.grid(True, which="major", color="#e3e3e3", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

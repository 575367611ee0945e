"""The cost comparison at a glance: what each platform costs, coloured by whether it met the SLO.

    from fargatesim.plots.cost import cost_figure
    cost_figure(comparison, "cost.png")

Left: one bar per way of running the service (Fargate, the Spot mix, every EC2 instance type),
its cost over the simulated time (the min-max over seeds as a whisker), green when it met the
SLO on every seed, red when it missed it on any, with p99 and the minutes outside the SLO
written beside it. Right, when the scenario has jobs: each job's cost on Fargate and on Lambda,
and why Lambda cannot run a job that it cannot.

Built with ``matplotlib.figure.Figure`` and the Agg canvas, never pyplot (as overview.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..formatting import dollars, duration, number
from .comparison import ComparisonFigure

DPI = 110
C_MET = "#2ca02c"
C_MISSED = "#d62728"
C_FARGATE = "#1f77b4"
C_LAMBDA = "#ff7f0e"
C_NONE = "#bbbbbb"


def cost_figure(comparison, path=None):
    table = comparison.table
    service = table[table["section"].isin(["service", "ec2"]) & table["feasible"]]
    jobs = table[table["section"] == "job"]
    height = max(3.2, 0.42 * len(service) + 1.8, 0.42 * len(jobs) + 1.8 if len(jobs) else 0)
    fig = ComparisonFigure(figsize=(14.0 if len(jobs) else 9.5, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    if len(jobs):
        ax, ax_jobs = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1.0]})
    else:
        ax, ax_jobs = fig.subplots(1, 1), None
    span = duration(comparison.scenario.duration)
    _service_panel(ax, service, span, len(comparison.seeds))
    if ax_jobs is not None:
        _jobs_panel(ax_jobs, jobs, span)
    s = comparison.scenario
    seeds = comparison.seeds
    which = f"seed {seeds[0]}" if len(seeds) == 1 else f"mean of {len(seeds)} seeds, whiskers min-max"
    fig.suptitle(f"{s.name}: what {span} costs on each platform ({which})", fontsize=12.5,
                 fontweight="bold", x=0.01, ha="left")
    if path is not None:
        fig.savefig(Path(path), dpi=DPI, bbox_inches="tight", format="png", facecolor="white",
                    metadata={"Software": None})
    return fig


def _service_panel(ax, rows, span: str, n_seeds: int) -> None:
    labels, costs, lo, hi, colours, notes = [], [], [], [], [], []
    for _, row in rows.iterrows():
        name = row["label"] + (" (as written)" if row["as_written"] else "")
        if row["platform"] == "EC2":
            per = int(row["tasks_per_instance"])
            name += f", {per} task{'s' if per != 1 else ''} each"
        labels.append(name)
        costs.append(float(row["cost_usd"]))
        # A mean of equal costs can land a float step outside them: error bars are never negative.
        lo.append(max(0.0, float(row["cost_usd"] - row["cost_usd_min"])))
        hi.append(max(0.0, float(row["cost_usd_max"] - row["cost_usd"])))
        met = row["slo_met_runs"] == row["seeds"]
        colours.append(C_MET if met else C_MISSED)
        notes.append(f"{dollars(row['cost_usd'])}   p99 {number(row['p99_ms'], 'ms')} ms, "
                     f"{number(row['slo_violation_min'], 'min')} min outside SLO")
    y = np.arange(len(labels))[::-1]
    ax.barh(y, costs, color=colours, alpha=0.85, height=0.62,
            xerr=[lo, hi] if n_seeds > 1 else None, error_kw={"ecolor": "#333333", "capsize": 3})
    top = max(costs) if costs else 1.0
    for yi, c, note in zip(y, costs, notes):
        ax.text(c + top * 0.015, yi, note, va="center", fontsize=8.5, color="#222222")
    fargate = rows[rows["platform"] == "FARGATE"]
    if len(fargate):
        # The reference every other price is read against: on-demand Fargate.
        ax.axvline(float(fargate["cost_usd"].iloc[0]), color="#555555", linestyle="--", linewidth=1.0, zorder=0)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlim(0, top * 1.75)
    ax.set_xlabel(f"cost over {span} (USD)")
    ax.set_title("the service", loc="left", fontsize=10.5)
    ax.legend(handles=[Patch(color=C_MET, label="met the SLO"), Patch(color=C_MISSED, label="missed the SLO"),
                       Line2D([], [], color="#555555", linestyle="--", linewidth=1.0, label="FARGATE's cost")],
              loc="upper left", bbox_to_anchor=(0.0, -0.08 - 0.3 / max(len(labels), 1)), ncol=3, fontsize=8.5,
              frameon=False)
    _tidy(ax)


def _jobs_panel(ax, rows, span: str) -> None:
    labels, costs, colours, notes = [], [], [], []
    for _, row in rows.iterrows():
        labels.append(row["label"])
        feasible = bool(row["feasible"])
        costs.append(float(row["cost_usd"]) if feasible else 0.0)
        colours.append((C_FARGATE if row["platform"] == "fargate" else C_LAMBDA) if feasible else C_NONE)
        runs = int(row["runs"])
        notes.append(f"{dollars(row['cost_usd'])}, {runs:,} run{'s' if runs != 1 else ''}" if feasible
                     else f"cannot run: {_short(row['reason'])}")
    y = np.arange(len(labels))[::-1]
    ax.barh(y, costs, color=colours, alpha=0.85, height=0.62)
    top = max(costs) if max(costs, default=0) > 0 else 1.0
    for yi, c, note in zip(y, costs, notes):
        ax.text(c + top * 0.015, yi, note, va="center", fontsize=8.5, color="#222222")
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlim(0, top * 1.9)
    ax.set_xlabel(f"cost over {span} (USD)")
    ax.set_title("the jobs: a Fargate task or a Lambda invocation per run", loc="left", fontsize=10.5)
    ax.legend(handles=[Patch(color=C_FARGATE, label="Fargate"), Patch(color=C_LAMBDA, label="Lambda"),
                       Patch(color=C_NONE, label="cannot run there")],
              loc="upper left", bbox_to_anchor=(0.0, -0.08 - 0.3 / max(len(labels), 1)), ncol=3, fontsize=8.5,
              frameon=False)
    _tidy(ax)


def _short(reason: str, limit: int = 60) -> str:
    """The first clause of a reason, e.g. "needs more than Lambda's maximum memory of 10,240 MB"."""
    first = reason.split(";")[0].split(": ")[0].split(" (")[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _tidy(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)

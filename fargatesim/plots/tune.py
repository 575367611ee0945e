"""A tune at a glance: cost against minutes outside the SLO, and what each parameter does.

    from fargatesim.plots.tune import front_figure, parameter_figure
    front_figure(tuning, "front.png")          # every trial; the front, the best, the start marked
    parameter_figure(tuning, "parameters.png") # per parameter: cost and minutes outside the SLO

Trials that met the SLO (on the tune's share of seeds) are blue, the others grey. Built with
``matplotlib.figure.Figure`` and the Agg canvas, never pyplot (as overview.py).
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

MET, MISSED, BEST, START = "#1f77b4", "#b0b0b0", "#d62728", "#222222"


def front_figure(tuning, path=None) -> Figure:
    fig = Figure(figsize=(8.5, 6.0), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    done = tuning.trials[tuning.trials["state"] == "complete"]
    for met, color, label, marker in ((True, MET, "met the SLO", "o"), (False, MISSED, "missed it", "x")):
        part = done[done["slo_met"] == met]
        ax.scatter(part["slo_violation_min"], part["cost_usd"], s=22, color=color, marker=marker, label=label,
                   zorder=2)
    front = tuning.front().sort_values("slo_violation_min")
    if len(front):
        ax.step(front["slo_violation_min"], front["cost_usd"], where="post", color=MET, lw=1.0, alpha=0.6,
                label="front (cheapest for its minutes)", zorder=1)
    b = tuning.baseline
    ax.scatter([b["slo_violation_min"]], [b["cost_usd"]], s=90, marker="D", color=START, label="starting scenario",
               zorder=3)
    best = tuning.best
    if best is not None:
        ax.scatter([best["slo_violation_min"]], [best["cost_usd"]], s=220, marker="*", color=BEST, zorder=4,
                   label=f"best: trial {int(best['trial'])}, ${best['cost_usd']:.4f}")
    ax.set_xlabel("minutes outside the SLO (mean over the seeds)")
    ax.set_ylabel("cost of a run (USD, mean over the seeds)")
    _minutes_axis(ax.xaxis, ax.set_xscale, done["slo_violation_min"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    ax.set_title(f"{tuning.scenario.name}: {len(done)} trials on {len(tuning.seeds)} seeds "
                 f"({tuning.space.objective} objective)", fontsize=11)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png")
    return fig


def parameter_figure(tuning, path=None) -> Figure:
    from ..scenario.overrides import value_at
    params = tuning.space.parameters
    fig = Figure(figsize=(max(4.2 * len(params), 6.0), 6.5), dpi=110)
    FigureCanvasAgg(fig)
    axes = np.atleast_2d(fig.subplots(2, len(params), squeeze=False))
    done = tuning.trials[tuning.trials["state"] == "complete"]
    start = tuning.scenario.to_dict()
    best = tuning.best
    for j, p in enumerate(params):
        categorical = p.kind == "choice"
        order = [str(c) for c in p.choices]
        def x_of(values):
            return [order.index(str(v)) for v in values] if categorical else list(values)
        for i, (column, label) in enumerate((("cost_usd", "cost of a run (USD)"),
                                             ("slo_violation_min", "minutes outside the SLO"))):
            ax = axes[i, j]
            for met, color, marker in ((True, MET, "o"), (False, MISSED, "x")):
                part = done[done["slo_met"] == met]
                ax.scatter(x_of(part[p.key]), part[column], s=18, color=color, marker=marker, zorder=2)
            if best is not None:
                ax.scatter(x_of([best[p.key]]), [best[column]], s=160, marker="*", color=BEST, zorder=3)
            was = value_at(start, p.key)
            if was is not None and (not categorical or str(was) in order):
                ax.axvline(x_of([was])[0], color=START, ls="--", lw=1.0, label="starting value")
            if categorical:
                ax.set_xticks(range(len(order)), order, rotation=20 if max(map(len, order)) > 6 else 0)
            elif p.log:
                ax.set_xscale("log")
            if column == "slo_violation_min":
                _minutes_axis(ax.yaxis, ax.set_yscale, done[column])
            if j == 0:
                ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[1, j].set_xlabel(_short_key(p.key))
    if axes[0, 0].get_legend_handles_labels()[0]:
        axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle(f"{tuning.scenario.name}: what each parameter does (blue: met the SLO; star: the best)",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    if path is not None:
        fig.savefig(path, format="png")
    return fig


def _minutes_axis(axis, set_scale, minutes) -> None:
    """Minutes outside the SLO run from none to the whole run: a scale linear up to one minute
    and logarithmic beyond keeps both the trials that just miss and those that fail outright."""
    most = float(np.nanmax(minutes.to_numpy(dtype=float), initial=0.0)) if len(minutes) else 0.0
    if most > 30:
        set_scale("symlog", linthresh=1.0)
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        getattr(axis.axes, f"set_{axis.axis_name}lim")(-0.3, most * 1.5)
    else:
        getattr(axis.axes, f"set_{axis.axis_name}lim")(-0.05 * max(most, 10.0), None)


def _short_key(key: str) -> str:
    """The last two parts of a long key path, so that it fits under a panel."""
    parts = key.replace("[", ".[").split(".")
    return key if len(key) <= 40 else "…" + ".".join(parts[-2:]).replace(".[", "[")

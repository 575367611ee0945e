"""The backtest at a glance: simulated and recorded on shared clock-time axes.

    from fargatesim.plots.backtest import backtest_figure
    backtest_figure(backtest, "backtest.png")

Four panels, recorded in black and simulated in colour: running tasks (and the desired count,
dotted), CPU utilisation (and memory, dashed), TargetResponseTime (the mean, and the p99 dashed where ALB access
logs give it) and 5XX responses per minute. The title carries
the agreement figures (tasks within one, CPU within 5 points, scale-outs matched).
Built with ``matplotlib.figure.Figure`` and the Agg canvas, never pyplot (as overview.py).
"""
from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .axes import time_axis

RECORDED, SIMULATED = "#222222", "#1f77b4"


def backtest_figure(backtest, path=None) -> Figure:
    m, a = backtest.minutes, backtest.agreement
    fig = Figure(figsize=(12.0, 9.0), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True)
    t = m["time"].dt.tz_convert(None).to_numpy()
    panels = [("RunningTaskCount", "running tasks", 1.0), ("CPUUtilization", "utilisation (%)", 1.0),
              ("TargetResponseTime", "TargetResponseTime (ms)", 1000.0), (None, "5XX responses per minute", 1.0)]
    for ax, (metric, label, scale) in zip(axes, panels):
        if metric is None:
            for who, color in (("recorded", RECORDED), ("simulated", SIMULATED)):
                total = m[f"{who}_HTTPCode_Target_5XX_Count"].fillna(0) + m[f"{who}_HTTPCode_ELB_5XX_Count"].fillna(0)
                ax.step(t, total, where="post", color=color, lw=1.2, label=who)
            ax.set_ylim(bottom=0, top=max(1.0, ax.get_ylim()[1]))
        else:
            ax.step(t, m[f"recorded_{metric}"] * scale, where="post", color=RECORDED, lw=1.6, label="recorded")
            ax.step(t, m[f"simulated_{metric}"] * scale, where="post", color=SIMULATED, lw=1.2, label="simulated")
        if metric == "RunningTaskCount":
            ax.step(t, m["recorded_DesiredTaskCount"], where="post", color=RECORDED, lw=0.9, ls=":",
                    label="recorded desired")
            ax.step(t, m["simulated_DesiredTaskCount"], where="post", color=SIMULATED, lw=0.9, ls=":",
                    label="simulated desired")
        if metric == "CPUUtilization" and m["recorded_MemoryUtilization"].notna().any():
            ax.lines[-2].set_label("recorded CPU")
            ax.lines[-1].set_label("simulated CPU")
            for who, color in (("recorded", RECORDED), ("simulated", SIMULATED)):
                ax.step(t, m[f"{who}_MemoryUtilization"], where="post", color=color, lw=0.9, ls="--",
                        label=f"{who} memory")
        if metric == "TargetResponseTime" and "recorded_TargetResponseTime_p99" in m:
            ax.lines[-2].set_label("recorded mean")
            ax.lines[-1].set_label("simulated mean")
            for who, color in (("recorded", RECORDED), ("simulated", SIMULATED)):
                ax.step(t, m[f"{who}_TargetResponseTime_p99"] * scale, where="post", color=color, lw=0.9, ls="--",
                        label=f"{who} p99")
        if metric == "CPUUtilization":
            # headroom above the curves for the legend
            ax.set_ylim(0, max(100.0 if ax.get_ylim()[1] > 80 else 0.0, ax.get_ylim()[1] * 1.3))
        if metric == "TargetResponseTime":
            ax.set_yscale("log")
            low, high = ax.get_ylim()
            ax.set_ylim(low, high * 2.5)            # headroom above the curves for the legend
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            # of the minor ticks, label 2s and 5s only (20, 50, 200, 500 ms), or they crowd
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left" if metric in ("RunningTaskCount", "CPUUtilization", "TargetResponseTime") else "best",
                  fontsize=8,
                  frameon=False, ncol=4)
    axes[-1].set_xlabel("time (UTC)")
    time_axis(axes[-1], float(m["t_s"].iloc[-1] - m["t_s"].iloc[0]) if len(m) else 0.0)
    outs = a.get("scale_outs", {})
    fig.suptitle(f"{backtest.scenario.name}: simulated against recorded, {a['minutes']} minutes   ·   tasks within one "
                 f"{a.get('tasks_within_one', float('nan')):.0%}   ·   CPU within 5 points "
                 f"{a.get('cpu_within_5_points', float('nan')):.0%}   ·   scale-outs matched "
                 f"{outs.get('matched', 0)}/{outs.get('recorded', 0)}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    if path is not None:
        fig.savefig(path, format="png")
    return fig

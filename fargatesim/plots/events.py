"""The run's events on the overview: a lane of markers above the panels, lines across them.

Each kind of event has its marker in the lane: faults (a row per kind), scale-out / scale-in,
operator and scheduled actions, deployments, and the starts of the scenario's jobs (which
`fargatesim run` does not run). Events of one kind that would cover each other's marker share
one, labelled with their count ("×8"), so that a burst of Spot interruptions reads as one.
Faults and actions are also drawn as lines across every panel, so that their effect can be read
off each; scaling activities are not: their effect is the desired count's step in the tasks
panel, and a busy day's dozens of lines would bury the data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

MAX_EVENT_LINES = 200          # lines per kind of event; busier runs are thinned evenly
MARKER_PT = 7.2                # a lane marker's width, in points
LABEL_GAP_PT = 4.6             # from a marker's centre to its count label
LABEL_CHAR_PT = 4.6            # the width of a character of the count label
LANE_PT = 620                  # the lane's width, near enough for clustering

C_SCALING = "#7b3fb5"
C_ACTION = "#1a9e77"


@dataclass(frozen=True)
class Mark:
    key: str                   # the gid suffix of what is drawn for it
    row: str                   # the lane's row
    label: str
    color: str
    marker: str
    line: str | tuple | None   # line style across the panels; None: lane only
    dy: float = 0.0            # offset within the row, so that up and down markers do not touch


FAULTS = {
    "task_crash": Mark("fault:task_crash", "crashes", "task crash", "#d7191c", "X", "-"),
    "task_unhealthy": Mark("fault:task_unhealthy", "health", "health check failing",
                           "#8c510a", "D", (0, (4, 2))),
    "spot_interruption": Mark("fault:spot_interruption", "Spot", "Spot interruption",
                              "#01665e", "v", (0, (5, 1.5, 1.5, 1.5))),
    "memory_leak": Mark("fault:memory_leak", "crashes", "out of memory", "#e66101", "P", (0, (1, 1.5))),
    "az_outage": Mark("fault:az_outage", "zones", "zone out", "#7b3294", "s", "-"),
    "az_outage over": Mark("fault:az_outage_over", "zones", "zone back", "#7b3294", "o", ":"),
}
AZ_REBALANCING = Mark("az_rebalancing", "zones", "AZ rebalancing", "#c2a5cf", "P", None)
OTHER_FAULT = Mark("fault:other", "faults", "other fault", "#555555", "o", "-")
SCALE_OUT = Mark("scale_out", "scaling", "scale-out", C_SCALING, "^", None, 0.17)
SCALE_IN = Mark("scale_in", "scaling", "scale-in", C_SCALING, "v", None, -0.17)
SCALING = Mark("scaling", "scaling", "scaling activity", C_SCALING, "d", None)
ACTIONS = {
    "service": Mark("service", "actions", "operator action", C_ACTION, "o", "--"),
    "scheduled_action": Mark("scheduled_action", "actions", "scheduled action", C_ACTION, "s", ":"),
    "deployment": Mark("deployment", "actions", "deployment", C_ACTION, "*", "-."),
}
JOBS = Mark("jobs", "jobs", "job run, not simulated", "#6b6b6b", "o", None)
# A row per kind of fault, so that faults of different kinds at about the same time do not
# hide each other.
ROWS = ("crashes", "health", "Spot", "zones", "faults", "scaling", "actions", "jobs")


def classify(events: pd.DataFrame | None) -> list[tuple[Mark, np.ndarray]]:
    """The drawable events as (mark, sorted times in s), faults first; task, target and alarm
    state changes are left out, and so are scaling activities that changed nothing."""
    if events is None or not len(events) or "kind" not in events or "t_s" not in events:
        return []
    t_s = pd.to_numeric(events["t_s"], errors="coerce").to_numpy(dtype=float)
    kind = events["kind"].astype(str).to_numpy()
    detail = (events["detail"] if "detail" in events else pd.Series("", index=events.index))
    detail = detail.fillna("").astype(str).to_numpy()
    marks = np.full(len(events), None, dtype=object)
    for i, (k, d) in enumerate(zip(kind, detail)):
        if k == "fault":
            marks[i] = FAULTS.get(d.split(":", 1)[0].strip(), OTHER_FAULT)
        elif k == "scaling_activity" and not d.startswith("not scaled"):
            marks[i] = SCALE_OUT if d.startswith("scale-out:") else SCALE_IN if d.startswith("scale-in:") else SCALING
        elif k == "service" and d.startswith("AZ rebalancing"):
            marks[i] = AZ_REBALANCING
        elif k in ACTIONS:
            marks[i] = ACTIONS[k]
    order = [*FAULTS.values(), OTHER_FAULT, AZ_REBALANCING, SCALE_OUT, SCALE_IN, SCALING, *ACTIONS.values()]
    out = []
    for mark in order:
        t = np.sort(t_s[(marks == mark) & np.isfinite(t_s)])
        if len(t):
            out.append((mark, t))
    return out


def job_runs(scenario, span_s: float) -> list[tuple[Mark, np.ndarray]]:
    """[(JOBS, start times in s)] of the scenario's job runs within the run (a firing of a job
    with `count` starts that many), or [] without jobs."""
    jobs = getattr(scenario, "jobs", None) or ()
    if not jobs:
        return []
    from ..jobs.runs import firing_times
    t = np.sort(np.concatenate([np.repeat(firing_times(job, start=scenario.start, duration=span_s),
                                          job.count) for job in jobs]))
    return [(JOBS, t)] if len(t) else []


def lane_rows(groups) -> list[str]:
    present = {mark.row for mark, _ in groups}
    return [row for row in ROWS if row in present]


def clusters(t: np.ndarray, s_per_pt: float) -> tuple[np.ndarray, np.ndarray]:
    """(first time, count) of the markers for events at times t: an event that would touch
    the marker before it, or that marker's count label, joins it."""
    firsts, counts = [], []
    for x in t:
        if firsts and (x - firsts[-1]) / s_per_pt < _width_pt(counts[-1]):
            counts[-1] += 1
        else:
            firsts.append(x)
            counts.append(1)
    return np.array(firsts, dtype=float), np.array(counts, dtype=int)


def _width_pt(count: int) -> float:
    """How far from a marker's centre the next one's may be: past the marker and its label
    ("×12"), with a little room to spare."""
    if count == 1:
        return MARKER_PT + 0.7
    return LABEL_GAP_PT + LABEL_CHAR_PT * (len(str(count)) + 1) + MARKER_PT / 2 + 2.6


def draw_lane(ax, groups, t0: float, span_s: float) -> None:
    rows = lane_rows(groups)
    y_of = {row: len(rows) - 1 - i for i, row in enumerate(rows)}     # the first row on top
    for mark, t in groups:
        first, count = clusters(t, span_s / LANE_PT)
        x = t0 + first / 86400.0
        y = np.full(len(x), y_of[mark.row] + mark.dy)
        ax.scatter(x, y, s=MARKER_PT ** 2, marker=mark.marker, color=mark.color, edgecolors="white",
                   linewidths=0.4, zorder=3, clip_on=False, gid=f"lane:{mark.key}")
        for xi, yi, n in zip(x, y, count):
            if n > 1:
                ax.annotate(f"×{n}", (xi, yi), xytext=(LABEL_GAP_PT, 0), textcoords="offset points",
                            va="center", ha="left", fontsize=7.5, color=mark.color,
                            fontweight="bold", gid=f"count:{mark.key}")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(range(len(rows)), [rows[len(rows) - 1 - k] for k in range(len(rows))])
    ax.tick_params(axis="y", length=0, labelsize=8.5, labelcolor="#444444")
    ax.grid(True, axis="x", color="#eeeeee", linewidth=0.7)
    for k in range(len(rows) - 1):
        ax.axhline(k + 0.5, color="#e3e3e3", linewidth=0.6)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#bbbbbb")
    ax.set_gid("panel:events")


def draw_lines(axes, groups, t0: float) -> None:
    for mark, t in groups:
        if mark.line is None:
            continue
        if len(t) > MAX_EVENT_LINES:
            t = t[np.linspace(0, len(t) - 1, MAX_EVENT_LINES).round().astype(int)]
        x = t0 + t / 86400.0
        segments = np.stack([np.column_stack([x, np.zeros_like(x)]),
                             np.column_stack([x, np.ones_like(x)])], axis=1)
        for ax in axes:
            lc = LineCollection(segments, colors=mark.color, linewidths=1.1, linestyles=mark.line,
                                alpha=0.55, transform=ax.get_xaxis_transform(), zorder=1.5)
            lc.set_gid(f"events:{mark.key}")
            ax.add_collection(lc, autolim=False)


def legend_handles(groups) -> list:
    return [Line2D([], [], color=mark.color, marker=mark.marker, markersize=7,
                   markeredgecolor="white", markeredgewidth=0.4,
                   linestyle=mark.line if mark.line is not None else "none", linewidth=1.3,
                   label=f"{mark.label} ({len(t):,})")
            for mark, t in groups]

"""fargatesim.plots.overview on synthetic results (independent of the engine)."""

import pickle
import re
import struct
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from fargatesim.plots.axes import MAX_LOG_TICKS
from fargatesim.plots.comparison import comparison_figure
from fargatesim.plots.events import MAX_EVENT_LINES
from fargatesim.plots.overview import overview

ERROR_KINDS = ("elb_503", "elb_502", "target_503", "timeout_504", "reset_on_stop")
COLUMNS = (
    "t_s", "time", "offered_rps", "requests", "ok", "errors", "latency_p50_ms", "latency_p99_ms",
    "desired_count", "running_count", "pending_count", "healthy_targets", "unhealthy_targets",
    "draining_targets", "cpu_utilization", "memory_utilization", "min_capacity", "max_capacity",
    *ERROR_KINDS,
)
START = datetime(2026, 1, 5, 14, 0, tzinfo=timezone.utc)


def _iso(t_s: float, start=START) -> str:
    return (start + timedelta(seconds=float(t_s))).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timeseries(minutes=180, *, errors=True, autoscaling=True, start=START, seed=1):
    """A plausible run: 200 rps base, a spike at 40-60 min, a scale-out from 4 to 10 tasks."""
    rng = np.random.default_rng(seed)
    t = np.arange(minutes) * 60.0
    m = np.arange(minutes)
    offered = 200 + 40 * np.sin(m / minutes * 2 * np.pi) + np.where((m >= 40) & (m < 60), 600, 0)
    requests = rng.poisson(offered * 60).astype(np.int64)
    desired = np.full(minutes, 4)
    desired[m >= 44] = 7
    desired[m >= 48] = 10
    desired[m >= 120] = 8
    running = desired.copy()
    running[(m >= 44) & (m < 46)] = 4
    running[(m >= 48) & (m < 50)] = 7
    pending = desired - running
    healthy = running.copy()
    healthy[(m >= 46) & (m < 47)] = 4
    healthy[(m >= 50) & (m < 51)] = 7
    cpu = np.clip(offered / (running * 1.6) + rng.normal(0, 2, minutes), 3, 100)
    mem = 30 + 0.15 * cpu
    p50 = 20 + 0.2 * cpu + rng.normal(0, 1, minutes)
    p99 = 60 + np.where(cpu > 85, 3000 * (cpu - 85) / 15, 1.5 * cpu) + rng.normal(0, 4, minutes)
    err = {k: np.zeros(minutes, dtype=np.int64) for k in ERROR_KINDS}
    if errors:
        spike = (m >= 41) & (m < 47)
        err["elb_503"][spike] = rng.poisson(900, spike.sum())
        err["target_503"][spike] = rng.poisson(300, spike.sum())
        err["reset_on_stop"][m == 121] = 12
    n_err = sum(err.values())
    p50[m == 100] = np.nan       # a minute nobody was answered
    p99[m == 100] = np.nan
    df = pd.DataFrame({
        "t_s": t,
        "time": [_iso(x, start) for x in t],
        "offered_rps": offered,
        "requests": requests,
        "ok": requests - n_err,
        "errors": n_err,
        "latency_p50_ms": p50,
        "latency_p99_ms": p99,
        "desired_count": desired,
        "running_count": running,
        "pending_count": pending,
        "healthy_targets": healthy,
        "unhealthy_targets": running - healthy,
        "draining_targets": np.where(m == 121, 2, 0),
        "cpu_utilization": cpu,
        "memory_utilization": mem,
        "min_capacity": np.full(minutes, 2.0) if autoscaling else np.nan,
        "max_capacity": np.full(minutes, 12.0) if autoscaling else np.nan,
        **err,
    })
    return df[list(COLUMNS)]


def _events(start=START, n_tasks=300):
    rows = [
        (2520.5, "alarm_state", "TargetTracking-AlarmHigh", "OK -> ALARM"),
        (2580.0, "scaling_activity", "cpu60", "scale-out: desired 4 -> 7"),
        (2880.0, "scaling_activity", "cpu60", "scale-out: desired 7 -> 10"),
        (7200.0, "scaling_activity", "cpu60", "scale-in: desired 10 -> 8"),
        (5400.0, "fault", "task/abc", "task_crash"),
        (3600.0, "scheduled_action", "evening", "min_capacity 2 -> 3"),
        (9000.0, "service", "operator", "set-desired 8"),
        (9600.0, "deployment", "rev-2", "rolling deployment started"),
    ]
    for i in range(n_tasks):     # the many task and target state rows are not drawn
        rows.append((i * 30.0, "task_state", f"task/{i}", "PROVISIONING -> PENDING"))
        rows.append((i * 30.0 + 5, "target_state", f"task/{i}", "initial -> healthy"))
    rows.sort(key=lambda r: r[0])
    return pd.DataFrame([(t, _iso(t, start), k, s, d) for t, k, s, d in rows],
                        columns=["t_s", "time", "kind", "subject", "detail"])


def _summary(ts, name="spike-and-scale-out", seed=7):
    errors = {k: int(ts[k].sum()) for k in ERROR_KINDS}
    return {
        "scenario": name,
        "seed": seed,
        "latency_ms": {"mean": 40.0, "p50": 31.2, "p90": 95.0, "p99": 412.5, "max": 9000.0},
        "requests": {"total": int(ts["requests"].sum()), "ok": int(ts["ok"].sum()),
                     "errors": errors},
        "cost": {"usd": 1.2345},
        "slo": {"met": False},
        "tasks": {"min_running": 4, "max_running": 10, "mean_running": 6.9},
    }


def _tracking_policy(metric="ECSServiceAverageCPUUtilization", target=60.0):
    spec = None if metric is None else SimpleNamespace(predefined_metric_type=metric)
    return SimpleNamespace(
        name="cpu60", policy_type="TargetTrackingScaling",
        target_tracking_scaling_policy_configuration=SimpleNamespace(
            target_value=target, predefined_metric_specification=spec))


def make_result(*, slo_p99=250.0, errors=True, autoscaling=True, minutes=180, policies=None,
                events=None, start=START):
    ts = _timeseries(minutes, errors=errors, autoscaling=autoscaling, start=start)
    if autoscaling:
        scaling = SimpleNamespace(policies=[_tracking_policy()] if policies is None else policies)
    else:
        scaling = None
    scenario = SimpleNamespace(name="spike-and-scale-out", start=start, seed=7,
                               slo=SimpleNamespace(latency_p99_ms=slo_p99, error_rate=0.001),
                               autoscaling=scaling)
    return SimpleNamespace(timeseries=ts, events=_events(start) if events is None else events,
                           summary=_summary(ts), scenario=scenario)


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def gids(ax):
    return {a.get_gid() for a in ax.get_children() if a.get_gid()}


def texts(ax):
    return [t.get_text() for t in ax.texts]


def panel(fig, name):
    (ax,) = [ax for ax in fig.axes if ax.get_gid() == f"panel:{name}"]
    return ax


def panel_names(fig):
    return [ax.get_gid().split(":", 1)[1] for ax in fig.axes
            if (ax.get_gid() or "").startswith("panel:") and ax.get_gid() != "panel:connections"]


def tick_labels(ax, axis="y"):
    ax.figure.canvas.draw()
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    return [t.get_text() for t in ticks if t.get_text() and lo <= (t.get_position()[1] if axis == "y"
                                                                     else t.get_position()[0]) <= hi]


def legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def subtitle(fig):
    return fig.axes[0].get_title(loc="left")


def event_events(*rows, start=START):
    return pd.DataFrame([(t, _iso(t, start), k, s, d) for t, k, s, d in rows],
                        columns=["t_s", "time", "kind", "subject", "detail"])


# ------------------------------------------------------------------------ tests
def test_overview_writes_a_png_of_labelled_panels_under_an_events_lane(tmp_path):
    path = tmp_path / "o.png"
    fig = overview(make_result(), path)
    assert isinstance(fig, Figure)
    assert path.exists() and path.stat().st_size > 20_000
    width, height = png_size(path)
    assert 900 <= width <= 2200 and 900 <= height <= 1700       # ~12 x 11-13 in at 110 dpi
    assert panel_names(fig) == ["events", "load", "tasks", "utilisation", "latency", "errors"]
    data = [panel(fig, n) for n in panel_names(fig)[1:]]
    assert [ax.get_ylabel() for ax in data] == [
        "requests/s", "tasks", "utilisation (%)", "latency (ms)", "errors/min"]
    assert data[-1].get_xlabel() == "time (UTC)"
    assert panel(fig, "latency").get_yscale() == "log"
    assert all(ax.get_yscale() == "linear" for ax in data if ax is not panel(fig, "latency"))


def test_title_carries_name_seed_and_summary():
    fig = overview(make_result())
    title = fig.get_suptitle()
    assert "spike-and-scale-out" in title and "seed 7" in title
    for part in ("requests", "p99 412 ms", "errors", "%", "$1.23"):
        assert part in subtitle(fig)


def test_slo_line_only_when_set():
    with_slo = overview(make_result(slo_p99=250.0))
    lat = panel(with_slo, "latency")
    assert "slo_p99" in gids(lat)
    slo = [line for line in lat.get_lines() if line.get_gid() == "slo_p99"]
    assert slo and np.allclose(slo[0].get_ydata(), 250.0)
    assert "250" in slo[0].get_label()
    without = overview(make_result(slo_p99=None))
    assert "slo_p99" not in gids(panel(without, "latency"))
    assert not any("SLO" in line.get_label() for line in panel(without, "latency").get_lines())


def test_cpu_target_line_from_target_tracking_policy():
    fig = overview(make_result())
    target = [l for l in panel(fig, "utilisation").get_lines() if l.get_gid() == "target_cpu"]
    assert target and target[0].get_label() == "target 60 %"
    assert np.allclose(target[0].get_ydata(), 60.0)
    hires = overview(make_result(policies=[_tracking_policy(
        "ECSServiceAverageCPUUtilizationHighResolution", 45.0)]))
    assert "target_cpu" in gids(panel(hires, "utilisation"))
    for policies in ([_tracking_policy(None)],                     # customized metric
                     [_tracking_policy("ALBRequestCountPerTarget", 1000)],
                     [SimpleNamespace(policy_type="StepScaling")]):
        fig = overview(make_result(policies=policies))
        assert "target_cpu" not in gids(panel(fig, "utilisation"))
    assert "target_cpu" not in gids(panel(overview(make_result(autoscaling=False)), "utilisation"))


def test_utilisation_axis_starts_at_zero_and_reaches_100():
    lo, hi = panel(overview(make_result()), "utilisation").get_ylim()
    assert lo == 0 and hi >= 100


def test_no_errors_folds_the_errors_panel_into_a_badge(tmp_path):
    path = tmp_path / "calm.png"
    fig = overview(make_result(errors=False), path)
    assert path.exists()
    assert "errors" not in panel_names(fig)
    lat = panel(fig, "latency")
    assert any("no errors" in t for t in texts(lat))
    assert lat.get_xlabel() == "time (UTC)"                    # the bottom panel now
    assert "no errors" in subtitle(fig)


def test_error_panel_shows_only_kinds_that_occurred():
    err = panel(overview(make_result()), "errors")
    labels = legend_texts(err)
    assert len(labels) == 3
    assert any("503" in l and "ALB" in l for l in labels)
    assert not any("502" in l or "504" in l for l in labels)
    assert not any("no errors" in t for t in texts(err))


def test_events_lane_and_lines_without_state_rows():
    fig = overview(make_result())
    lane = panel(fig, "events")
    assert {g for g in gids(lane) if g.startswith("lane:")} == {
        "lane:fault:task_crash", "lane:scale_out", "lane:scale_in", "lane:scheduled_action",
        "lane:service", "lane:deployment"}
    assert [t.get_text() for t in lane.get_yticklabels()] == ["actions", "scaling", "crashes"]
    for name in ("load", "tasks", "utilisation", "latency", "errors"):
        marks = {c.get_gid(): len(c.get_segments()) for c in panel(fig, name).collections
                 if (c.get_gid() or "").startswith("events:")}
        # Faults and actions cross every panel; scaling activities stay in the lane.
        assert marks == {"events:fault:task_crash": 1, "events:service": 1,
                         "events:scheduled_action": 1, "events:deployment": 1}
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["task crash (1)", "scale-out (2)", "scale-in (1)", "operator action (1)",
                      "scheduled action (1)", "deployment (1)"]


def test_fault_kinds_are_told_apart_and_bursts_counted():
    rows = [(5000.0 + 1.5 * i, "fault", f"task/{i}", "spot_interruption: two-minute warning")
            for i in range(8)]
    rows += [(5003.0, "fault", "task/x", "task_crash: essential container exited"),
             (8000.0, "fault", "task/y", "task_unhealthy: health endpoint starts failing")]
    fig = overview(make_result(events=event_events(*rows)))
    lane = panel(fig, "events")
    marks = {c.get_gid(): c for c in lane.collections if (c.get_gid() or "").startswith("lane:")}
    spot, crash, sick = (marks[f"lane:fault:{k}"] for k in
                         ("spot_interruption", "task_crash", "task_unhealthy"))
    assert len(spot.get_offsets()) == 1                         # eight at once: one marker...
    assert "×8" in texts(lane)                                  # ...that says how many
    shapes = {tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in (spot, crash, sick)}
    colours = {tuple(c.get_facecolor()[0]) for c in (spot, crash, sick)}
    assert len(shapes) == 3 and len(colours) == 3
    # A crash among the interruptions has a row of its own, so nothing hides it.
    assert crash.get_offsets()[0][1] != spot.get_offsets()[0][1]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"task crash (1)", "health check failing (1)", "Spot interruption (8)"} <= set(labels)


def test_fault_lines_are_capped_and_every_fault_counted():
    many = event_events(*[(t, "fault", "task/a", "task_crash: x") for t in np.linspace(0, 10_700, 1500)])
    fig = overview(make_result(events=many))
    for name in ("load", "tasks", "latency"):
        (lc,) = [c for c in panel(fig, name).collections if c.get_gid() == "events:fault:task_crash"]
        assert len(lc.get_segments()) == MAX_EVENT_LINES
    lane = panel(fig, "events")
    counts = [int(t[1:]) if t.startswith("×") else 0 for t in texts(lane)]
    (markers,) = [c for c in lane.collections if c.get_gid() == "lane:fault:task_crash"]
    singles = len(markers.get_offsets()) - sum(1 for c in counts if c)
    assert sum(counts) + singles == 1500
    assert fig.legends[0].get_texts()[0].get_text() == "task crash (1,500)"


def test_without_autoscaling_or_events(tmp_path):
    result = make_result(autoscaling=False, events=pd.DataFrame(
        columns=["t_s", "time", "kind", "subject", "detail"]))
    fig = overview(result, tmp_path / "plain.png")
    assert (tmp_path / "plain.png").exists()
    assert not fig.legends
    assert "events" not in panel_names(fig)
    tasks = panel(fig, "tasks")
    assert not any("capacity" in l.get_label() for l in tasks.get_lines())
    assert tasks.get_legend().get_title().get_text() == "fixed fleet: no autoscaling"
    assert panel(overview(make_result()), "tasks").get_legend().get_title().get_text() == ""


def test_time_axis_is_clock_time_and_dates_for_long_runs(tmp_path):
    fig = overview(make_result(), tmp_path / "short.png")   # saving draws the tick labels
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert labels and all(len(l) == 5 and l[2] == ":" for l in labels)
    assert "14:00" in labels or "14:30" in labels
    fig = overview(make_result(minutes=3 * 24 * 60), tmp_path / "long.png")
    labels = [t.get_text() for t in panel(fig, "errors").get_xticklabels() if t.get_text()]
    assert any("Jan" in l for l in labels)


@pytest.mark.parametrize("p50, p99", [(20.0, 20_000.0), (0.5, 2_000.0), (30.0, 400.0)])
def test_latency_ticks_carry_one_unit_and_do_not_crowd(p50, p99):
    result = make_result(slo_p99=None)
    result.timeseries["latency_p50_ms"] = p50
    result.timeseries.loc[result.timeseries.index[::2], "latency_p99_ms"] = p99
    lat = panel(overview(result), "latency")
    labels = tick_labels(lat)
    assert lat.get_ylabel() == "latency (ms)"
    assert 2 <= len(labels) <= MAX_LOG_TICKS
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*|0\.\d+", l) for l in labels), labels
    values = [float(l.replace(",", "")) for l in labels]
    if p99 / p50 > 1000:                                          # over 3 decades: decades only
        assert all(np.log10(v) == round(np.log10(v)) for v in values), labels


def test_count_ticks_use_one_format():
    result = make_result()
    result.timeseries["elb_503"] *= 20                           # up to ~18k errors a minute
    for name in ("errors", "load"):
        labels = tick_labels(panel(overview(result), name))
        for label in labels:
            value = float(label.rstrip("kM")) * (1000 if label.endswith("k") else 1)
            assert label.endswith(("k", "M")) or value < 1000, labels


def test_draining_targets_drawn_apart_from_tasks_in_service():
    result = make_result()
    ts = result.timeseries
    m = np.arange(len(ts))
    # A replacement under load: the old tasks run on while they drain, above max capacity.
    ts.loc[(m >= 60) & (m < 65), "running_count"] = 16
    ts.loc[(m >= 60) & (m < 65), "draining_targets"] = 6
    tasks = panel(overview(result), "tasks")
    assert "draining" in gids(tasks)
    (in_service,) = [l for l in tasks.get_lines() if l.get_label() == "running, in service"]
    y = in_service.get_ydata()
    assert y[62] == 10 and y[10] == ts["running_count"][10]
    # A crashed task's target drains with no task behind it: all 8 running are in service.
    assert y[121] == 8
    assert tasks.get_ylim()[1] >= 16
    ts["draining_targets"] = 0
    calm = panel(overview(result), "tasks")
    assert "draining" not in gids(calm)
    assert [l for l in calm.get_lines() if l.get_label() == "running"]


def test_spot_split_only_for_spot_runs():
    result = make_result()
    running = result.timeseries["running_count"]
    result.timeseries["running_fargate_spot"] = running // 2
    result.timeseries["running_fargate"] = running - running // 2
    assert {"spot", "on_demand"} <= gids(panel(overview(result), "tasks"))
    result.timeseries["running_fargate_spot"] = 0
    result.timeseries["running_fargate"] = running
    assert not {"spot", "on_demand"} & gids(panel(overview(result), "tasks"))
    assert not {"spot", "on_demand"} & gids(panel(overview(make_result()), "tasks"))


def test_slo_strip_shows_even_a_single_minute_outside():
    result = make_result(errors=False, slo_p99=10_000.0)
    result.timeseries["latency_p99_ms"] = 100.0
    result.timeseries.loc[90, "latency_p99_ms"] = 20_000.0       # one minute in three hours
    fig = overview(result)
    lat = panel(fig, "latency")
    (strip,) = [c for c in lat.collections if c.get_gid() == "slo_strip"]
    fig.canvas.draw()
    (box,) = strip.get_paths()
    corners = strip.get_transform().transform(box.vertices)
    assert corners[:, 0].max() - corners[:, 0].min() >= 4       # pixels, though a minute is ~5
    assert "outside SLO (1 min)" in legend_texts(lat)
    assert "SLO missed: 1 min outside" in subtitle(fig)
    result.timeseries.loc[90, "latency_p99_ms"] = 100.0
    calm = overview(result)
    assert "slo_strip" not in gids(panel(calm, "latency"))
    assert "outside" not in subtitle(calm)


def test_p99_is_drawn_over_p50():
    lat = panel(overview(make_result()), "latency")
    z = {l.get_label(): l.get_zorder() for l in lat.get_lines()}
    assert z["p99"] > z["p50"]


def test_tasks_range_is_the_panels_with_brief_extremes_noted():
    result = make_result()
    result.summary["tasks"]["min_running"] = 3                  # between two minute samples
    assert "tasks 4–10 (briefly 3)" in subtitle(overview(result))
    assert "tasks 4–10  ·" in subtitle(overview(make_result()))


def test_websocket_run_counts_connection_attempts():
    result = make_result()
    ts = result.timeseries
    ts["connections"] = 5000.0
    ts["offered_rps"] = 10.0
    ts.loc[40:60, "requests"] = 60 * 5000                      # a reconnection storm
    result.summary["connections"] = {"sessions": 108_000, "attempts": int(ts["requests"].sum())}
    fig = overview(result)
    text = subtitle(fig)
    assert "connection attempts" in text and " requests" not in text
    assert "108.0 k sessions" in text and "% of attempts" in text
    load = panel(fig, "load")
    assert load.get_ylabel() == "per second"
    assert load.get_yscale() == "log"                          # 500 times the sessions
    assert {"connection attempts/s", "sessions opened/s"} <= set(legend_texts(load))
    assert panel(fig, "connections").get_ylabel() == "open connections"


def test_a_lone_burst_is_clipped_and_labelled():
    result = make_result()
    result.timeseries["offered_rps"] = 20.0
    result.timeseries["requests"] = 20 * 60
    result.timeseries.loc[0, "requests"] = 517 * 60
    load = panel(overview(result), "load")
    assert load.get_ylim()[1] < 100
    assert "↑ 517/s" in texts(load)
    result.timeseries.loc[0:10, "requests"] = 517 * 60         # eleven minutes: no longer a burst
    assert panel(overview(result), "load").get_ylim()[1] > 517


def test_jobs_are_noted_and_their_starts_shown():
    from fargatesim import load_scenario
    jobs = load_scenario("scenarios/nightly-etl-job.yaml").jobs   # 02:00, 02:10, 02:55 x 300
    start = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
    result = make_result(start=start, events=event_events(start=start))
    result.scenario.jobs = jobs
    fig = overview(result)
    assert "not simulated by `fargatesim run`" in subtitle(fig)
    assert "fargatesim cost" in subtitle(fig)
    lane = panel(fig, "events")
    assert [t.get_text() for t in lane.get_yticklabels()] == ["jobs"]
    assert "×300" in texts(lane)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["job run, not simulated (302)"]
    assert "not simulated" not in subtitle(overview(make_result()))


def test_step_scaling_alarm_metric_and_thresholds_from_a_run():
    import fargatesim
    scenario = fargatesim.load_scenario("scenarios/step-scaling-requests.yaml",
                                        overrides={"duration": "90m"})
    result = fargatesim.simulate(scenario)
    fig = overview(result)
    alarm = panel(fig, "alarm")
    assert panel_names(fig).index("alarm") == panel_names(fig).index("tasks") + 1
    assert alarm.get_ylabel().startswith("RequestCountPerTarget")
    assert "60 s" in alarm.get_ylabel()
    lines = {l.get_gid(): l for l in alarm.get_lines() if l.get_gid()}
    assert np.allclose(lines["threshold:requests-per-target-high"].get_ydata(), 2400)
    assert np.allclose(lines["threshold:requests-per-target-low"].get_ydata(), 1200)
    (metric,) = [l for l in alarm.get_lines() if l.get_label() == "alarm metric"]
    assert np.nanmax(metric.get_ydata()) > 2400                  # it did breach: it scaled out
    # A Result from another process has no metric store, and so no such panel.
    assert "alarm" not in panel_names(overview(pickle.loads(pickle.dumps(result))))


def test_same_input_same_bytes(tmp_path):
    overview(make_result(), tmp_path / "a.png")
    overview(make_result(), tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_latency_all_nan_does_not_break(tmp_path):
    result = make_result()
    result.timeseries["latency_p50_ms"] = np.nan
    result.timeseries["latency_p99_ms"] = np.nan
    result.summary["latency_ms"] = {"p50": None, "p99": None}
    fig = overview(result, tmp_path / "nan.png")
    assert panel(fig, "latency").get_yscale() == "log"
    assert (tmp_path / "nan.png").exists()


def test_threads_can_draw_at_once(tmp_path):
    failures = []

    def draw(i):
        try:
            overview(make_result(), tmp_path / f"t{i}.png")
        except Exception as exc:   # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert all((tmp_path / f"t{i}.png").exists() for i in range(3))


def test_does_not_touch_pyplot_state():
    import matplotlib
    backend = matplotlib.get_backend()
    overview(make_result())
    assert matplotlib.get_backend() == backend
    import sys
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_figure_renders_itself_for_jupyter():
    png = overview(make_result())._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------ comparison figure
def make_comparison(costs=None, minutes=None):
    """Three variants x three seeds; by default seed runs that share their y (minutes outside
    the SLO), and two runs of the last variant that coincide exactly."""
    variants, seeds = ["standard", "high-res", "min 12"], [1, 2, 3]
    costs = costs or {"standard": [2.08, 2.09, 2.11], "high-res": [1.94, 1.99, 2.05],
                      "min 12": [2.40, 2.40, 2.43]}
    minutes = minutes or {"standard": [13, 12, 13], "high-res": [5, 5, 5], "min 12": [12, 12, 9]}
    rows, series = [], []
    t = np.arange(120) * 60.0
    for k, v in enumerate(variants):
        for j, seed in enumerate(seeds):
            rows.append({"variant": v, "seed": seed, "cost_usd": costs[v][j],
                         "slo_violation_min": minutes[v][j], "error_rate": 0.01 * k})
            series.append(pd.DataFrame({
                "variant": v, "seed": seed, "t_s": t,
                "offered_rps": np.where((t >= 1800) & (t < 4200), 500.0, 100.0),
                "running_count": np.where(t >= 2000 + 200 * k, 40, 8),
                "latency_p99_ms": np.where((t >= 1800) & (t < 2400 + 300 * k), 11_000.0, 300.0)}))
    scenario = SimpleNamespace(start=START, slo=SimpleNamespace(latency_p99_ms=500.0))
    return SimpleNamespace(variants=variants, seeds=seeds, figure_seed=1,
                           runs=pd.DataFrame(rows), timeseries=pd.concat(series, ignore_index=True),
                           scenarios=[scenario] * 3)


def compare_axes(fig):
    by_label = {ax.get_ylabel(): ax for ax in fig.axes}
    return (by_label["offered load\n(requests/s)"], by_label["running tasks"],
            by_label["latency p99 (ms)"], by_label["minutes outside the SLO (per run)"])


def test_compare_runs_are_hollow_and_drawn_over_their_cross():
    from matplotlib.collections import PathCollection
    comparison = make_comparison()
    fig = comparison_figure(comparison)
    scatter = compare_axes(fig)[3]
    runs = [c for c in scatter.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in runs) == len(comparison.runs)
    crosses = [l for l in scatter.get_lines()] + [c for c in scatter.collections
                                                   if not isinstance(c, PathCollection)]
    assert min(c.get_zorder() for c in runs) > max(c.get_zorder() for c in crosses)
    assert all(np.allclose(c.get_facecolor()[:, :3], 1.0) for c in runs)      # hollow


def test_compare_runs_that_would_cover_each_other_are_spread():
    from matplotlib.collections import PathCollection
    fig = comparison_figure(make_comparison())
    scatter = compare_axes(fig)[3]
    fig.canvas.draw()
    shown = {}
    runs = [c for c in scatter.collections if isinstance(c, PathCollection)]
    for c in runs:
        for x, y in c.get_offset_transform().transform(c.get_offsets()):
            shown.setdefault((round(x), round(y)), 0)
            shown[(round(x), round(y))] += 1
    assert max(shown.values()) == 1                              # no run hides another
    # Runs with the same y but far apart in cost stay on their value.
    high_res = [c for c in runs if np.allclose(c.get_offsets()[:, 1], 5)]
    assert len(high_res) == 1 and len(high_res[0].get_offsets()) == 3


def test_compare_latency_ticks_carry_one_unit_and_the_slo_is_labelled_in_place():
    fig = comparison_figure(make_comparison())
    load, tasks, p99, _ = compare_axes(fig)
    labels = tick_labels(p99)
    assert labels and all(re.fullmatch(r"\d{1,3}(,\d{3})*|0\.\d+", l) for l in labels), labels
    assert p99.get_legend() is None and load.get_legend() is None
    assert "SLO p99 500 ms" in texts(p99)


def test_compare_variant_lines_are_told_apart_when_they_coincide():
    fig = comparison_figure(make_comparison())
    lines = compare_axes(fig)[1].get_lines()
    widths = [l.get_linewidth() for l in lines]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3
    assert [l.get_zorder() for l in lines] == sorted(l.get_zorder() for l in lines)


def test_compare_titles_stay_inside_the_figure(tmp_path):
    fig = comparison_figure(make_comparison(), tmp_path / "c.png")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            title = ax._left_title if loc == "left" else ax.title if loc == "center" else ax._right_title
            if title.get_text():
                box = title.get_window_extent(renderer)
                assert 0 <= box.x0 and box.x1 <= width, title.get_text()

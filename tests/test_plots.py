"""fargatesim.plots.overview on synthetic results (independent of the engine)."""

import struct
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fargatesim.plots import MAX_EVENT_LINES, overview

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


# ------------------------------------------------------------------------ tests
def test_overview_writes_a_png_of_five_labelled_panels(tmp_path):
    path = tmp_path / "o.png"
    fig = overview(make_result(), path)
    assert isinstance(fig, Figure)
    assert path.exists() and path.stat().st_size > 20_000
    width, height = png_size(path)
    assert 900 <= width <= 2200 and 900 <= height <= 1700       # ~12 x 11 in at 110 dpi
    assert len(fig.axes) == 5
    for ax in fig.axes:
        assert ax.get_ylabel().strip()
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "requests/s", "tasks", "utilisation (%)", "latency (ms)", "errors/min"]
    assert fig.axes[-1].get_xlabel() == "time (UTC)"
    assert fig.axes[3].get_yscale() == "log"
    assert all(ax.get_yscale() == "linear" for i, ax in enumerate(fig.axes) if i != 3)


def test_title_carries_name_seed_and_summary():
    fig = overview(make_result())
    title = fig.get_suptitle()
    assert "spike-and-scale-out" in title and "seed 7" in title
    subtitle = fig.axes[0].get_title(loc="left")
    for part in ("requests", "p99 412 ms", "errors", "%", "$1.23"):
        assert part in subtitle


def test_slo_line_only_when_set():
    with_slo = overview(make_result(slo_p99=250.0))
    lat = with_slo.axes[3]
    assert "slo_p99" in gids(lat)
    slo = [line for line in lat.get_lines() if line.get_gid() == "slo_p99"]
    assert slo and np.allclose(slo[0].get_ydata(), 250.0)
    assert "250" in slo[0].get_label()
    without = overview(make_result(slo_p99=None))
    assert "slo_p99" not in gids(without.axes[3])
    assert not any("SLO" in line.get_label() for line in without.axes[3].get_lines())


def test_cpu_target_line_from_target_tracking_policy():
    fig = overview(make_result())
    target = [l for l in fig.axes[2].get_lines() if l.get_gid() == "target_cpu"]
    assert target and target[0].get_label() == "target 60 %"
    assert np.allclose(target[0].get_ydata(), 60.0)
    hires = overview(make_result(policies=[_tracking_policy(
        "ECSServiceAverageCPUUtilizationHighResolution", 45.0)]))
    assert "target_cpu" in gids(hires.axes[2])
    for policies in ([_tracking_policy(None)],                     # customized metric
                     [_tracking_policy("ALBRequestCountPerTarget", 1000)],
                     [SimpleNamespace(policy_type="StepScaling")]):
        fig = overview(make_result(policies=policies))
        assert "target_cpu" not in gids(fig.axes[2])
    assert "target_cpu" not in gids(overview(make_result(autoscaling=False)).axes[2])


def test_utilisation_axis_starts_at_zero_and_reaches_100():
    ax = overview(make_result()).axes[2]
    lo, hi = ax.get_ylim()
    assert lo == 0 and hi >= 100


def test_no_errors_case(tmp_path):
    path = tmp_path / "calm.png"
    fig = overview(make_result(errors=False), path)
    assert path.exists()
    err = fig.axes[4]
    assert any("no errors" in t for t in texts(err))
    assert not [c for c in err.collections if not (c.get_gid() or "").startswith("events:")]
    assert err.get_ylabel() == "errors/min"


def test_error_panel_shows_only_kinds_that_occurred():
    err = overview(make_result()).axes[4]
    labels = [t.get_text() for t in err.get_legend().get_texts()]
    assert len(labels) == 3
    assert any("503" in l and "ALB" in l for l in labels)
    assert not any("502" in l or "504" in l for l in labels)
    assert not any("no errors" in t for t in texts(err))


def test_event_lines_across_all_panels_without_state_rows():
    fig = overview(make_result())
    for ax in fig.axes:
        marks = {c.get_gid(): len(c.get_segments()) for c in ax.collections
                 if (c.get_gid() or "").startswith("events:")}
        assert marks == {"events:scaling_activity": 3, "events:fault": 1, "events:service": 1,
                         "events:scheduled_action": 1, "events:deployment": 1}
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) == 5 and any("fault" in l for l in labels)
    assert not any("task" in l or "target" in l or "alarm" in l for l in labels)


def test_event_lines_are_capped_per_kind():
    many = pd.DataFrame({"t_s": np.linspace(0, 10_700, 1500), "time": "", "kind": "scaling_activity",
                         "subject": "p", "detail": "scale-out"})
    fig = overview(make_result(events=many))
    for ax in fig.axes:
        (lc,) = [c for c in ax.collections if c.get_gid() == "events:scaling_activity"]
        assert len(lc.get_segments()) <= MAX_EVENT_LINES
    assert "1500" in fig.legends[0].get_texts()[0].get_text()


def test_without_autoscaling_or_events(tmp_path):
    result = make_result(autoscaling=False, events=pd.DataFrame(
        columns=["t_s", "time", "kind", "subject", "detail"]))
    fig = overview(result, tmp_path / "plain.png")
    assert (tmp_path / "plain.png").exists()
    assert not fig.legends
    tasks = fig.axes[1]
    assert not any("capacity" in l.get_label() for l in tasks.get_lines())


def test_time_axis_is_clock_time_and_dates_for_long_runs(tmp_path):
    fig = overview(make_result(), tmp_path / "short.png")   # saving draws the tick labels
    labels = [t.get_text() for t in fig.axes[4].get_xticklabels() if t.get_text()]
    assert labels and all(len(l) == 5 and l[2] == ":" for l in labels)
    assert "14:00" in labels or "14:30" in labels
    fig = overview(make_result(minutes=3 * 24 * 60), tmp_path / "long.png")
    labels = [t.get_text() for t in fig.axes[4].get_xticklabels() if t.get_text()]
    assert any("Jan" in l for l in labels)


def test_latency_all_nan_does_not_break(tmp_path):
    result = make_result()
    result.timeseries["latency_p50_ms"] = np.nan
    result.timeseries["latency_p99_ms"] = np.nan
    result.summary["latency_ms"] = {"p50": None, "p99": None}
    fig = overview(result, tmp_path / "nan.png")
    assert fig.axes[3].get_yscale() == "log"
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

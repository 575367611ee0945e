"""Data-plane behaviour with expectations derived from the model (docs/fluid-model.md):
concurrency shedding, timeouts, resets on crash, ELB 503 with nothing in service, slow start,
the routing algorithms, and the pool least outstanding requests makes of its targets."""
import math

import numpy as np
import pytest

import fargatesim
from fargatesim.dataplane.app_model import AppModel
from fargatesim.dataplane.fluid import FluidDataPlane
from fargatesim.dataplane.records import TickRecords
from fargatesim.elb.target_group import RoutingView
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario.distributions import Distribution as Dist


def run(scenario):
    sim = Simulation(scenario).run()
    return sim, Result.from_simulation(sim)


# ---------------------------------------------------------------- max_concurrency
@pytest.mark.parametrize("L, N, limit, io_ms, cpu_ms", [
    (100, 2, 50, 500, 1),      # 25 in flight per task: below the limit
    (400, 2, 50, 500, 1),      # 100 wanted per task: half is shed
    (1000, 4, 30, 200, 2),
    (90, 3, 20, 1000, 1),
])
def test_max_concurrency_sheds_the_excess_as_target_503(make_scenario, L, N, limit, io_ms, cpu_ms):
    """By Little's law a task holds lambda x latency requests; with latency ~ io + cpu (tiny CPU
    load) the app can admit at most limit / latency requests/s, so the fleet sheds the share
    1 - N limit / (L (io + cpu)) as target 503s, and nothing when that is negative."""
    s = make_scenario(duration="10m", traffic=[{"constant": {"rps": L}}],
                      workload={"cpu_ms": cpu_ms, "io_ms": io_ms}, app={"max_concurrency": limit},
                      service={"desired_count": N})
    sim, r = run(s)
    req = r.summary["requests"]
    shed = req["errors"]["target_503"] / req["total"]
    expected = max(0.0, 1 - N * limit / (L * (io_ms + cpu_ms) / 1000))
    if expected == 0:
        assert req["errors"]["target_503"] == 0
    else:
        assert shed == pytest.approx(expected, abs=0.02)
    assert req["errors"]["elb_503"] == req["errors"]["timeout_504"] == 0
    # In flight per task never exceeds the limit (by more than the tick's rounding).
    assert (sim.records.inflight <= N * limit * 1.02 + 1).all()


# ---------------------------------------------------------------- timeouts
def test_timeouts_start_when_the_backlog_wait_passes_the_timeout(make_scenario):
    """One 1-vCPU task, 10 ms per request: 50 rps (50 % CPU) for 5 minutes, then 200 rps.
    The backlog then grows by 200 x 0.010 - 1 = 1 CPU-second per second, so the wait in it
    passes the 10 s timeout about 10 s into the overload; those requests are answered 504
    when their 10 s run out. From then on every request times out, 10 s after it arrived."""
    timeout, step = 10, 300
    s = make_scenario(duration="10m", traffic=[{"steps": [{"at": 0, "rps": 50}, {"at": step, "rps": 200}]}],
                      workload={"cpu_ms": 10, "timeout": timeout}, service={"desired_count": 1},
                      target_group={"health_check": {"interval": 300, "timeout": 10}})
    sim, r = run(s)
    rec = sim.records
    late = np.flatnonzero(rec.timeout_504)
    assert rec.timeout_504[: step + timeout].sum() == 0
    assert step + timeout <= late[0] <= step + 2 * timeout + 2
    # Well into the overload nothing is answered ok and each tick's arrivals time out exactly
    # `timeout` later.
    k0 = step + 6 * timeout
    assert rec.ok[k0:].sum() == 0
    assert np.array_equal(rec.timeout_504[k0 + timeout:], rec.arrivals[k0:len(rec.arrivals) - timeout])
    assert r.summary["in_flight_at_end"] == rec.arrivals[-timeout:].sum()


# ---------------------------------------------------------------- crash resets
@pytest.mark.parametrize("io_ms", [0, 2000])
def test_crash_resets_only_what_the_task_holds(make_scenario, events_of, io_ms):
    """A crash resets the requests the task holds: by Little's law 25 requests/s x ~2 s = about
    50 with 2 s of I/O, and none when requests finish within their tick (io 0, 10 ms CPU)."""
    s = make_scenario(duration="6m", traffic=[{"constant": {"rps": 100}}],
                      workload={"cpu_ms": 10, "io_ms": io_ms},
                      faults=[{"type": "task_crash", "at": 200.5, "count": 1}])
    sim, r = run(s)
    (crashed,) = {subj for t, k, subj, d in sim.events if k == "fault"}
    assert events_of(sim, "task_state", crashed, "STOPPING") == [200.5]
    reset = sim.records.reset_on_stop
    if io_ms == 0:
        assert reset.sum() == 0
    else:
        held = 100 / 4 * (io_ms / 1000)
        assert 0.5 * held <= reset.sum() <= 1.5 * held
        assert set(np.flatnonzero(reset)) <= {199, 200, 201}
    req = r.summary["requests"]
    assert req["total"] == req["ok"] + sum(req["errors"].values()) + r.summary["in_flight_at_end"]


# ---------------------------------------------------------------- nothing in service
def test_no_task_at_all_means_elb_503_for_everything(make_scenario):
    """cold_start with desired_count 0: no target is ever registered, the load balancer answers
    every request 503 itself, and the run reports that cleanly."""
    s = make_scenario(duration="5m", service={"desired_count": 0, "cold_start": True})
    r = fargatesim.simulate(s)
    req = r.summary["requests"]
    assert req["total"] > 0
    assert req["errors"]["elb_503"] == req["total"] and req["ok"] == 0
    assert r.summary["tasks"]["max_running"] == 0 and r.summary["tasks"]["task_hours"] == 0
    assert (r.timeseries["errors"] == r.timeseries["requests"]).all()


def test_hours_without_traffic_are_reported_cleanly(make_scenario):
    """No requests for the first 5 hours, then 10 per second: the quiet hours have no latency
    (NaN in the table) and the summary's percentiles come from the last hour alone."""
    s = make_scenario(duration="6h", traffic=[{"steps": [{"at": 0, "rps": 0}, {"at": "5h", "rps": 10}]}],
                      task_definition={"cpu": 256, "memory": 512}, service={"desired_count": 1})
    r = fargatesim.simulate(s)
    ts = r.timeseries
    assert ts["requests"][ts.t_s < 5 * 3600].sum() == 0
    assert ts["latency_p50_ms"][ts.t_s < 5 * 3600].isna().all()
    assert ts["latency_p50_ms"][ts.t_s >= 5 * 3600].notna().all()
    # 10 ms on a quarter vCPU at 40 % load: M/G/1-PS gives 40 ms / (1 - 0.4) ~ 67 ms.
    assert r.summary["latency_ms"]["mean"] == pytest.approx(40 / (1 - 0.4), rel=0.05)


def test_cold_start_answers_503_until_the_first_target_is_healthy(make_scenario, events_of):
    s = make_scenario(duration="5m", app={"app_start": "5s"}, service={"desired_count": 3, "cold_start": True},
                      target_group={"health_check": {"interval": 10, "timeout": 5}})
    sim, r = run(s)
    first = min(events_of(sim, "target_state", None, "initial -> healthy"))
    k = int(first)
    rec = sim.records
    assert 30 + 5 <= first <= 60 + 5 + 10
    assert np.array_equal(rec.elb_503[:k], rec.arrivals[:k])
    assert rec.elb_503[k:].sum() == 0 and rec.ok[k:].sum() > 0


def test_all_tasks_crashed_means_elb_503_until_replacements_serve(make_scenario, events_of):
    s = make_scenario(duration="6m", app={"app_start": "5s"},
                      target_group={"health_check": {"interval": 10, "timeout": 5}},
                      faults=[{"type": "task_crash", "at": 120.5, "count": 4}])
    sim, r = run(s)
    first = min(events_of(sim, "target_state", None, "initial -> healthy"))
    rec = sim.records
    assert 120.5 + 30 + 5 <= first <= 120.5 + 60 + 5 + 10
    assert rec.elb_503[:120].sum() == 0
    assert np.array_equal(rec.elb_503[121:int(first)], rec.arrivals[121:int(first)])
    assert rec.elb_503[int(first):].sum() == 0
    assert len(sim.service.tasks) == 8


# ---------------------------------------------------------------- scale-in of pending tasks
def test_scale_in_stops_tasks_that_have_not_started_first(make_scenario, events_of):
    """2 running tasks, desired 4 at 60 s, back to 2 at 75 s while the new ones still start
    (30-60 s): ECS stops the tasks not yet running, the running ones are untouched; a stopped
    task is billed only from PENDING (image pull) to STOPPED, one stopped while provisioning
    not at all."""
    s = make_scenario(duration="5m", service={"desired_count": 2},
                      actions=[{"type": "set_desired_count", "at": 60, "value": 4},
                               {"type": "set_desired_count", "at": 75, "value": 2}])
    sim, r = run(s)
    running, new = sim.service.tasks[:2], sim.service.tasks[2:]
    assert len(new) == 2
    for task in running:
        assert task.stopped_at is None and not events_of(sim, "task_state", task.id, "DEACTIVATING")
    for task in new:
        assert events_of(sim, "task_state", task.id, "STOPPING") == [75.0]
        assert not events_of(sim, "task_state", task.id, "RUNNING")
        assert not events_of(sim, "target_state", task.id)
    billed = sum(t.stopped_at - t.billing_from for t in new if t.billing_from is not None)
    assert r.summary["tasks"]["task_hours"] == pytest.approx((2 * 300 + billed) / 3600, abs=1e-4)
    assert r.summary["tasks"]["max_running"] == 2 and sim.records.errors().sum() == 0


# ---------------------------------------------------------------- slow start
def slow_start_scenario(make_scenario, slow_start):
    """One task at 60 requests/s of 1 s I/O and 10 ms CPU with max_concurrency 40 sheds about a
    third; a second task is added at 5 minutes."""
    return make_scenario(duration="15m", traffic=[{"constant": {"rps": 60}}],
                         workload={"cpu_ms": 10, "io_ms": 1000},
                         task_definition={"startup": {"distribution": "uniform", "low": "30s", "high": "40s"}},
                         app={"max_concurrency": 40}, service={"desired_count": 1},
                         target_group={"slow_start": slow_start, "health_check": {"interval": 10, "timeout": 5}},
                         actions=[{"type": "set_desired_count", "at": "5m", "value": 2}])


def record_routing(sim):
    """Wrap the data plane's advance to keep, per tick, the share of requests each slot got."""
    shares = {}
    advance = sim.dataplane.advance

    def recording(k_end, view, **options):
        k0 = sim.dataplane.k
        n = min(k_end, sim.n_ticks) - k0
        if n > 0:
            w = np.asarray(view.weights(k0, n), dtype=float)
            total = w.sum(axis=1, keepdims=True)
            p = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
            for i in range(n):
                shares[k0 + i] = dict(zip(view.slots.tolist(), p[i].tolist()))
        return advance(k_end, view, **options)

    sim.dataplane.advance = recording
    return shares


def old_task_sheds_until(w_grid, L=60.0, io=1.0, c=0.010, limit=40.0):
    """Smallest new-target weight w at which the old task (share 1 / (1 + w)) holds no more
    than `limit`: lambda (io + c / (1 - rho)) <= limit, the M/G/1-PS response time of the
    model (K = 1 core of 1 vCPU)."""
    lam = L / (1 + w_grid)
    held = lam * (io + c / (1 - lam * c))
    return w_grid[np.argmax(held <= limit)]


@pytest.mark.parametrize("slow_start", [0, 300])
def test_slow_start_gives_the_new_target_a_rising_share(make_scenario, events_of, slow_start):
    sim = Simulation(slow_start_scenario(make_scenario, slow_start))
    shares = record_routing(sim)
    sim.run()
    healthy = events_of(sim, "target_state", "task-0001", "initial -> healthy")
    assert len(healthy) == 1
    h = int(np.ceil(healthy[0]))
    new = np.array([shares[k].get(1, 0.0) for k in range(h, h + 400)])
    shed = sim.records.target_503
    assert shed[h - 60:h].sum() > 0                      # one task alone sheds
    if slow_start == 0:
        assert new == pytest.approx(0.5)                 # an equal share at once
        assert shed[h + 1:].sum() == 0
        return
    # Slow start: below the average share just after turning healthy, rising linearly to it.
    assert new[0] < 0.1 and new[30] < new[60] < new[120] < 0.5
    assert np.all(np.diff(new[:slow_start]) >= -1e-12)
    assert new[slow_start + 1:] == pytest.approx(0.5)
    weight = new / (1 - new)                             # new target's weight vs the old one's 1
    assert weight[150] == pytest.approx(150 / slow_start, abs=0.02)
    # The old task keeps shedding until its share falls enough, then stops.
    w_star = old_task_sheds_until(np.linspace(0, 1, 10001))
    last = np.flatnonzero(shed)[-1]
    assert last - h == pytest.approx(w_star * slow_start, abs=10)
    assert shed[h:h + 60].sum() > shed[h + 60:h + 120].sum() > 0


# ---------------------------------------------------------------- routing algorithms
def test_routing_algorithms_conserve_and_load_tasks_alike(make_scenario, check_accounting):
    """weighted_random draws a multinomial split, round_robin a deterministic one; with equal
    targets both give every task the same expected load, so the CPU and the answered count
    agree. least_outstanding_requests splits the counts like round_robin, so every task does
    the same work, but the fluid engine queues the serving targets as one pool of m x K cores
    (docs/fluid-model.md): the same requests and CPU, shorter latencies, fewer requests held."""
    base = dict(duration="20m", traffic=[{"constant": {"rps": 150}}],
                workload={"cpu_ms": {"distribution": "exponential", "mean": 20}, "io_ms": 20},
                faults=[{"type": "task_crash", "at": 400.5, "count": 1}])
    results = {}
    for algorithm in ("round_robin", "weighted_random", "least_outstanding_requests"):
        sim, r = run(make_scenario(target_group={"load_balancing_algorithm_type": algorithm}, **base))
        check_accounting(sim, r)
        results[algorithm] = (sim, r)
    rr, wr, lor = (results[a][1].summary for a in ("round_robin", "weighted_random", "least_outstanding_requests"))
    assert rr["requests"]["total"] == wr["requests"]["total"]       # same arrivals stream
    assert wr["cpu_utilization"]["mean"] == pytest.approx(rr["cpu_utilization"]["mean"], abs=1)
    assert wr["requests"]["ok"] == pytest.approx(rr["requests"]["ok"], rel=0.01)
    # Least outstanding requests: the same stream and the same work. No backlog builds here (75 %
    # CPU on 4 tasks; after the crash 3 tasks at exactly their capacity), so the work is done in
    # the same ticks and the CPU series is round robin's.
    rr_rec, lor_rec = results["round_robin"][0].records, results["least_outstanding_requests"][0].records
    assert lor["requests"]["total"] == rr["requests"]["total"]
    assert np.array_equal(lor_rec.cpu_used, rr_rec.cpu_used)
    assert lor["cpu_utilization"] == rr["cpu_utilization"]
    # ... queued as one M/M/4 station (moved a little towards round robin by the share of
    # outstanding requests waiting on I/O) instead of four Erlang-4/M/1 ones: every latency
    # figure is lower (measured: mean 69 vs 92 ms, p50 43 vs 50, p99 390 vs 637), and so, by
    # Little's law, is what the tasks hold, which the crash resets.
    for q in ("mean", "p50", "p90", "p99"):
        assert lor["latency_ms"][q] < 0.9 * rr["latency_ms"][q], q
    assert lor_rec.inflight.mean() < 0.8 * rr_rec.inflight.mean()     # measured 10.3 vs 13.7
    assert lor["requests"]["errors"]["reset_on_stop"] <= rr["requests"]["errors"]["reset_on_stop"]
    assert lor["requests"]["ok"] >= rr["requests"]["ok"]


def _two_targets_and_a_draining_one(algorithm, rps, backlogs, ticks=20):
    """The fluid data plane alone: three 1-vCPU tasks, 10 ms of CPU per request, the first two
    in service, the third draining (weight 0), starting with the given backlogs (CPU-seconds)."""
    app = AppModel(task_cpu_units=1024, task_memory_mb=2048, sidecar_cpu_units=0, base_memory_mb=0,
                   memory_mb_per_request=0, max_concurrency=math.inf, cpu_dist=Dist.constant(10),
                   io_dist=Dist.constant(0), timeout_s=60.0)
    rec = TickRecords(ticks)
    dp = FluidDataPlane(app=app, tick=1.0, arrivals=np.full(ticks, rps, dtype=np.int64),
                        rates=np.full(ticks, float(rps)), algorithm=algorithm,
                        rng=np.random.default_rng(0), records=rec)
    for slot, backlog in enumerate(backlogs):
        dp.ensure_slot(slot)
        dp.backlog[slot] = backlog
    view = RoutingView(np.arange(3), [True] * 3, [1.0, 1.0, 0.0], [np.nan] * 3, 0.0, 1.0, 2)
    paths, checks = [], []
    for k in range(ticks):                   # tick by tick, to read each tick's state
        dp.advance(k + 1, view)
        paths.append(dp.backlog[:3].copy())
        checks.append(dp.health_response[:3].copy())
    return dp, rec, np.array(paths), np.array(checks)


def test_least_outstanding_requests_sends_the_work_where_the_backlog_is_least():
    """A task holding 6 CPU-seconds of backlog and one holding none, both in service, 1 CPU-second
    of work a second for the two: round robin gives each half, so the loaded one drains at
    0.5 a second (12 s) while the other idles half the time. Least outstanding requests sends
    everything to the empty one, which takes it at exactly its capacity, while the loaded one
    drains at its full capacity without new arrivals (6 s): the fluid limit of
    join-the-shortest-queue, no backlog built on one target while another idles. A draining
    target (weight 0) is outside the pool and drains the same under both."""
    rr, rr_rec, rr_b, _ = _two_targets_and_a_draining_one("round_robin", 100, [6.0, 0.0, 3.0])
    lor, lor_rec, lor_b, hc = _two_targets_and_a_draining_one("least_outstanding_requests", 100,
                                                              [6.0, 0.0, 3.0])
    assert rr_b[:, 0] == pytest.approx(np.maximum(0.0, 6.0 - 0.5 * np.arange(1, 21)))
    assert lor_b[:, 0] == pytest.approx(np.maximum(0.0, 6.0 - 1.0 * np.arange(1, 21)))
    assert (rr_b[:, 1] == 0).all() and (lor_b[:, 1] == 0).all()
    assert np.array_equal(lor_b[:, 2], rr_b[:, 2])                        # the draining target
    assert lor_b[:, 2] == pytest.approx(np.maximum(0.0, 3.0 - np.arange(1, 21)))
    # New requests never queue under least outstanding requests (all go to the empty task);
    # under round robin half of them queue behind the backlog.
    assert (lor_rec.lat_w_sum == 0).all()
    assert rr_rec.lat_w_sum[:12].min() > 0
    # The loaded task's own health check still sees its backlog (overload fails health checks),
    # for as long as it holds one; the empty task's answers at once.
    assert hc[:7, 0] == pytest.approx([5.5, 4.5, 3.5, 2.5, 1.5, 0.5, 0.0], abs=0.01)
    assert hc[:, 1] == pytest.approx(np.zeros(20), abs=0.01)
    # The same work in all, done sooner; every request accounted for.
    assert lor_rec.cpu_used.sum() == pytest.approx(rr_rec.cpu_used.sum())
    assert lor_rec.cpu_used.sum() == pytest.approx((20 * 1.0 + 6 + 3) * 1024)
    for dp, rec in ((rr, rr_rec), (lor, lor_rec)):
        assert rec.arrivals.sum() == rec.ok.sum() + rec.errors().sum() + dp.in_flight_total()


def test_least_outstanding_requests_levels_the_backlogs_under_overload():
    """Overloaded (3 CPU-seconds a second for two 1-vCPU tasks), the empty task gets all the work
    until its backlog meets the loaded one's: after one tick (6 - 1, 0 + 3 - 1) = (5, 2), after
    two both at (5 - 1 + 2 + 3 - 1) / 2 = 4, from then on equal shares and both grow by 0.5 a
    second. Round robin leaves them 6 CPU-seconds apart for good."""
    _, rec, b, _ = _two_targets_and_a_draining_one("least_outstanding_requests", 300, [6.0, 0.0, 0.0])
    assert b[0, :2] == pytest.approx([5.0, 2.0])
    assert b[1:, 0] == pytest.approx(b[1:, 1])
    assert b[1:, 0] == pytest.approx(4.0 + 0.5 * np.arange(19))
    assert rec.cpu_used == pytest.approx(np.full(20, 2 * 1024.0))          # no capacity idles
    _, _, b, _ = _two_targets_and_a_draining_one("round_robin", 300, [6.0, 0.0, 0.0])
    assert b[:, 0] - b[:, 1] == pytest.approx(np.full(20, 6.0))


def test_least_outstanding_requests_through_a_scale_out_under_overload(make_scenario, check_accounting):
    """A whole run that takes the pool through its transients: a spike overloads two tasks, two
    more join while the first two hold a backlog (the new ones take the work until the levels
    meet), a crash, timeouts and concurrency shedding. Every request ends once, and the same
    seed gives the same records and events."""
    s = make_scenario(duration="15m", traffic=[{"constant": {"rps": 120}},
                                               {"spike": {"at": 240, "peak_rps": 150, "rise": 0,
                                                          "hold": 150, "decay": 0}}],
                      workload={"cpu_ms": {"distribution": "exponential", "mean": 10}, "io_ms": 200,
                                "timeout": "8s"},
                      app={"max_concurrency": 500},
                      service={"desired_count": 2},
                      task_definition={"startup": {"distribution": "uniform", "low": "20s", "high": "30s"}},
                      target_group={"load_balancing_algorithm_type": "least_outstanding_requests",
                                    "deregistration_delay": 30,
                                    "health_check": {"interval": 10, "timeout": 9,
                                                     "unhealthy_threshold": 10}},
                      faults=[{"type": "task_crash", "at": 600.5, "count": 1}],
                      actions=[{"type": "set_desired_count", "at": 250, "value": 4}])
    runs = []
    for _ in range(2):
        sim = Simulation(s)
        levelled = []
        level_shares = sim.dataplane._level_shares

        def recording(p, pool, rates, b0, _inner=level_shares, _seen=levelled):
            _seen.append(int(pool.sum()))
            return _inner(p, pool, rates, b0)

        sim.dataplane._level_shares = recording
        sim.run()
        runs.append((sim, Result.from_simulation(sim), levelled))
    (sim, r, levelled), (sim2, _, _) = runs
    check_accounting(sim, r)
    assert 4 in levelled                                   # the new tasks joined a backlogged pool
    errors = r.summary["requests"]["errors"]
    assert min(errors["target_503"], errors["timeout_504"], errors["reset_on_stop"]) > 0
    for name, arr in sim.records.arrays():
        assert np.array_equal(arr, getattr(sim2.records, name)), name
    assert sim.events == sim2.events


def test_a_crash_resets_its_requests_at_the_crash_not_before():
    """What the task held is reset in the tick of the crash, so the per-minute errors never
    come before the fault that caused them."""
    from fargatesim.engine import Simulation
    from fargatesim.scenario import scenario_from_dict
    at = 1800.0
    sim = Simulation(scenario_from_dict({
        "name": "crash-tick", "duration": "1h", "seed": 5,
        "traffic": [{"constant": {"rps": 200}}],
        "workload": {"cpu_ms": 20, "io_ms": 200},
        "task_definition": {"cpu": 1024, "memory": 2048,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 4},
        "faults": [{"type": "task_crash", "at": at, "count": 1}],
    })).run()
    resets = sim.records.reset_on_stop
    crash_tick = int(at / sim.tick)
    assert resets.sum() > 0
    assert resets[:crash_tick].sum() == 0 and resets[crash_tick] == resets.sum()

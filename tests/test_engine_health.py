"""Target health checks: when a broken task is marked unhealthy, when its replacement serves,
the grace period, and the load balancer failing open when every target is unhealthy.

Timing rules (fargatesim/elb/health_checks.py's stated assumption): the load balancer checks
all targets at the multiples of `interval`, a new target first at the next such instant.
"""
import math

import pytest

from fargatesim.engine import Simulation

# interval, unhealthy_threshold, healthy_threshold, initial_health_checks, app_start, startup low/high, fault at
HEALTH_CASES = [
    (30, 2, 5, 1, 10, 30, 60, 20 * 60 + 7),    # the ALB defaults
    (10, 3, 2, 1, 0, 20, 40, 5 * 60 + 3),
    (5, 5, 3, 2, 5, 10, 20, 7 * 60 + 1),
    (60, 2, 3, 3, 8, 60, 90, 4 * 60 + 30),
    (15, 4, 2, 2, 3, 45, 46, 6 * 60 + 11),
]


def health_scenario(make_scenario, interval, unhealthy, healthy, initial, app_start, low, high, **changes):
    return make_scenario(
        task_definition={"startup": {"distribution": "uniform", "low": low, "high": high}},
        app={"app_start": app_start},
        target_group={"initial_health_checks": initial, "deregistration_delay": 30,
                      "health_check": {"interval": interval, "timeout": 2,
                                       "healthy_threshold": healthy, "unhealthy_threshold": unhealthy}},
        **changes)


def single(times):
    assert len(times) == 1, times
    return times[0]


@pytest.mark.parametrize("interval, unhealthy, healthy, initial, app_start, low, high, at", HEALTH_CASES)
def test_unhealthy_task_is_marked_and_replaced_in_time(make_scenario, events_of, interval, unhealthy,
                                                       healthy, initial, app_start, low, high, at):
    """A task broken at T fails every check from the first instant after T, so it turns unhealthy
    at that instant + (threshold - 1) intervals: (threshold-1)*interval < mark - T <= threshold*interval.
    Its replacement is launched at the mark, runs after its start-up time (low..high), and turns
    healthy after app_start plus initial_health_checks passing checks:
    RUNNING + app_start + (initial - 1) * interval <= healthy <= RUNNING + app_start + initial * interval.
    The broken task is then drained (replaced), not before."""
    s = health_scenario(make_scenario, interval, unhealthy, healthy, initial, app_start, low, high,
                        duration=at + unhealthy * interval + high + app_start + (initial + 2) * interval + 60,
                        faults=[{"type": "task_unhealthy", "at": at, "count": 1}])
    sim = Simulation(s).run()
    (_, _, broken, _), = [e for e in sim.events if e[1] == "fault"]

    mark = single(events_of(sim, "target_state", broken, "healthy -> unhealthy"))
    assert (unhealthy - 1) * interval < mark - at <= unhealthy * interval
    assert mark == pytest.approx(math.ceil(at / interval) * interval + (unhealthy - 1) * interval)

    launched = [(t, subj) for t, k, subj, d in sim.events
                if k == "task_state" and d == f"PROVISIONING (replaces unhealthy {broken})"]
    assert len(launched) == 1
    launched_at, replacement = launched[0]
    assert launched_at == pytest.approx(mark)

    running = single(events_of(sim, "task_state", replacement, "RUNNING"))
    assert low - 1e-6 <= running - mark <= high + 1e-6
    serving = single(events_of(sim, "target_state", replacement, "initial -> healthy"))
    ready = running + app_start
    assert ready + (initial - 1) * interval - 1e-6 <= serving <= ready + initial * interval + 1e-6
    assert serving - mark <= high + app_start + initial * interval + 1e-6
    assert serving % interval == pytest.approx(0, abs=1e-6) or serving % interval == pytest.approx(interval)

    assert single(events_of(sim, "task_state", broken, "DEACTIVATING")) == pytest.approx(serving)
    assert single(events_of(sim, "target_state", broken, "unhealthy -> draining")) == pytest.approx(serving)
    # Nobody else was touched: the other tasks stay healthy and running all along.
    others = {t.id for t in sim.service.tasks} - {broken, replacement}
    assert len(others) == 3
    for task in sim.service.tasks:
        if task.id in others:
            assert [st.value for _, st in task.history] == ["RUNNING"]


@pytest.mark.parametrize("grace", [0, 120, 600])
def test_replacement_waits_for_the_grace_period(make_scenario, events_of, grace):
    """Cold start: tasks start RUNNING at r0 (30..60 s). One breaks at 153 s and turns unhealthy
    at 170 s (checks every 10 s, 2 failures). The scheduler ignores unhealthy targets until
    r0 + health_check_grace_period_seconds, so the replacement is launched at
    max(unhealthy mark, r0 + grace)."""
    s = health_scenario(make_scenario, 10, 2, 2, 1, 5, 30, 60, duration="15m",
                        service={"desired_count": 3, "cold_start": True,
                                 "health_check_grace_period_seconds": grace},
                        faults=[{"type": "task_unhealthy", "at": 153, "count": 1}])
    sim = Simulation(s).run()
    (_, _, broken, _), = [e for e in sim.events if e[1] == "fault"]
    r0 = single(events_of(sim, "task_state", broken, "RUNNING"))
    mark = single(events_of(sim, "target_state", broken, "healthy -> unhealthy"))
    assert mark == pytest.approx(170)
    launched = single(events_of(sim, "task_state", None, f"PROVISIONING (replaces unhealthy {broken})"))
    assert launched == pytest.approx(max(mark, r0 + grace))
    if grace == 600:
        assert launched > mark + 60       # the grace period really held it back
    # Until the replacement is healthy the broken task keeps running, unhealthy.
    task = next(t for t in sim.service.tasks if t.id == broken)
    deactivating = single(events_of(sim, "task_state", broken, "DEACTIVATING"))
    assert deactivating > launched
    assert [st.value for t, st in task.history if t < deactivating] == ["PROVISIONING", "PENDING",
                                                                        "ACTIVATING", "RUNNING"]


def test_replacement_of_a_task_started_by_set_desired_count_waits_for_grace(make_scenario, events_of):
    """A task added by set_desired_count at 60 s is RUNNING at 60 + (30..60) s; broken right
    after it turns healthy, it is replaced only once its 400 s grace period is over."""
    s = health_scenario(make_scenario, 10, 2, 2, 1, 0, 30, 60, duration="15m",
                        service={"desired_count": 1, "health_check_grace_period_seconds": 400},
                        actions=[{"type": "set_desired_count", "at": 60, "value": 2}],
                        faults=[{"type": "task_unhealthy", "at": 0, "count": 1}])
    # The fault at 0 hits the steady task (past its grace): it is replaced at its mark (20 s).
    sim = Simulation(s).run()
    first = single(events_of(sim, "target_state", "task-0000", "healthy -> unhealthy"))
    assert first == pytest.approx(20)
    assert single(events_of(sim, "task_state", None, "PROVISIONING (replaces unhealthy task-0000)")) == \
        pytest.approx(first)

    s2 = health_scenario(make_scenario, 10, 2, 2, 1, 0, 30, 60, duration="15m",
                         service={"desired_count": 1, "health_check_grace_period_seconds": 400},
                         actions=[{"type": "set_desired_count", "at": 60, "value": 2}],
                         faults=[{"type": "task_unhealthy", "at": 135, "count": 2}])
    sim = Simulation(s2).run()
    r_new = single(events_of(sim, "task_state", "task-0001", "RUNNING"))
    assert 90 <= r_new <= 120
    mark_new = single(events_of(sim, "target_state", "task-0001", "healthy -> unhealthy"))
    assert mark_new == pytest.approx(150)
    assert single(events_of(sim, "task_state", None, "PROVISIONING (replaces unhealthy task-0001)")) == \
        pytest.approx(r_new + 400)
    # The steady task broke at the same time and is past its grace: replaced at once.
    assert single(events_of(sim, "task_state", None, "PROVISIONING (replaces unhealthy task-0000)")) == \
        pytest.approx(150)


def test_load_balancer_fails_open_when_every_target_is_unhealthy(make_scenario, events_of):
    """Three tasks all break at 123 s and are all unhealthy at 140 s (10 s checks, 2 failures).
    Their replacements need 6-7 minutes to start. Meanwhile every target is unhealthy but its
    app still answers, so the load balancer routes to all of them: every request is served,
    none gets an ELB 503 (or any other error)."""
    s = health_scenario(make_scenario, 10, 2, 2, 1, 5, 360, 420, duration="12m",
                        service={"desired_count": 3},
                        faults=[{"type": "task_unhealthy", "at": 123, "count": 3}])
    sim = Simulation(s).run()
    marks = [single(events_of(sim, "target_state", f"task-000{i}", "healthy -> unhealthy")) for i in range(3)]
    assert marks == pytest.approx([140, 140, 140])
    first_running = min(t for t in events_of(sim, "task_state", None, "RUNNING") if t > 0)
    assert first_running >= 140 + 360
    window = slice(141, int(first_running))
    rec = sim.records
    assert rec.arrivals[window].sum() > 30000
    assert (rec.ok[window] > 0).all()
    assert rec.elb_503[window].sum() == 0
    assert rec.errors()[window].sum() == 0
    # cpu 10 ms at 33 requests/s per task: answered within the tick they arrive in.
    assert (rec.ok[window] == rec.arrivals[window]).all()
    at_200 = [c for t, c in sim.snapshots if t <= 200][-1]
    assert at_200["healthy_targets"] == 0 and at_200["unhealthy_targets"] == 3


"""Deregistration: a target leaving service drains for deregistration_delay while its task keeps
running (DEACTIVATING) and billed, receives no new requests, and lets what it holds finish."""
import numpy as np
import pytest

import fargatesim
from fargatesim.ecs.task import TaskState
from fargatesim.engine import Simulation
from fargatesim.results import Result

SCALE_IN_AT = 300.0
L, CPU_S, IO_S = 100, 0.010, 2.0


def scale_in(make_scenario, delay, *, stop_timeout=30, io_ms=IO_S * 1000, duration="15m"):
    """4 steady tasks, 100 requests/s of 10 ms CPU and io_ms of I/O; 4 -> 2 tasks at 300 s."""
    return make_scenario(duration=duration, traffic=[{"constant": {"rps": L}}],
                         workload={"cpu_ms": CPU_S * 1000, "io_ms": io_ms},
                         service={"desired_count": 4, "stop_timeout": stop_timeout},
                         target_group={"deregistration_delay": delay},
                         actions=[{"type": "set_desired_count", "at": SCALE_IN_AT, "value": 2}])


def state_at(task, t):
    """The task's state at time t from its history (the last change at or before t)."""
    states = [st for when, st in task.history if when <= t]
    return states[-1] if states else None


@pytest.mark.parametrize("delay", [30, 240])
def test_draining_target_keeps_its_task_running_and_billed(make_scenario, events_of, delay):
    sim = Simulation(scale_in(make_scenario, delay)).run()
    result = Result.from_simulation(sim)
    stopped = [t for t in sim.service.tasks if t.stopped_at is not None]
    assert len(stopped) == 2 and len(sim.service.tasks) == 4
    end = sim.n_ticks * sim.tick

    for task in stopped:
        assert events_of(sim, "task_state", task.id, "DEACTIVATING (scale-in)") == [SCALE_IN_AT]
        assert events_of(sim, "target_state", task.id, "healthy -> draining") == [SCALE_IN_AT]
        assert events_of(sim, "target_state", task.id, "draining -> unused") == [pytest.approx(SCALE_IN_AT + delay)]
        # DEACTIVATING for the whole delay, then stopping; never back to RUNNING.
        for t in np.arange(SCALE_IN_AT, SCALE_IN_AT + delay, 1.0):
            assert state_at(task, t) is TaskState.DEACTIVATING, t
        assert state_at(task, SCALE_IN_AT + delay) is TaskState.STOPPING
        assert task.history[-1][1] is TaskState.STOPPED
        # Billed from the start until STOPPED, which is after the drain.
        assert task.billing_from == 0.0
        assert task.stopped_at >= SCALE_IN_AT + delay
        assert task.stopped_at - (SCALE_IN_AT + delay) <= 30 + 60   # stop_timeout + ENI detach

    billed_s = sum((t.stopped_at if t.stopped_at is not None else end) - t.billing_from for t in sim.service.tasks)
    assert result.summary["tasks"]["task_hours"] == pytest.approx(billed_s / 3600, abs=1e-4)
    assert result.summary["tasks"]["task_hours"] >= (2 * end + 2 * (SCALE_IN_AT + delay)) / 3600 - 1e-4

    # The per-tick table shows the drain: 4 running (2 of them draining), 2 healthy; counts
    # are the values at each tick's end.
    ts = result.timeseries_at("tick")
    during = ts[(ts.t_s >= SCALE_IN_AT) & (ts.t_s + 1 <= SCALE_IN_AT + delay)]
    assert len(during) == delay
    assert (during.draining_targets == 2).all() and (during.healthy_targets == 2).all()
    assert (during.running_count == 4).all() and (during.desired_count == 2).all()
    after = ts[ts.t_s >= SCALE_IN_AT + delay + 60]
    assert len(after) > 0
    assert (after.draining_targets == 0).all() and (after.running_count == 2).all()

    # Draining tasks get no new work but their capacity still counts: the CPU utilisation of
    # the service is L c / (4 v) during the drain and L c / (2 v) once they are gone.
    assert during.cpu_utilization.to_numpy() == pytest.approx(100 * L * CPU_S / 4, abs=1)
    assert after.cpu_utilization.to_numpy() == pytest.approx(100 * L * CPU_S / 2, abs=1)

    # Draining lets the held requests (2 s each) finish: nothing is reset, nothing refused.
    assert sim.records.errors().sum() == 0
    assert result.summary["requests"]["ok"] + result.summary["in_flight_at_end"] == result.summary["requests"]["total"]


def test_no_drain_means_stop_right_away(make_scenario, events_of):
    """deregistration_delay: 0 goes straight to STOPPING at the scale-in."""
    sim = Simulation(scale_in(make_scenario, 0, io_ms=0)).run()
    for task in (t for t in sim.service.tasks if t.stopped_at is not None):
        assert events_of(sim, "task_state", task.id, "STOPPING") == [SCALE_IN_AT]
        assert state_at(task, SCALE_IN_AT) is TaskState.STOPPING
    assert sim.records.errors().sum() == 0


def test_sigterm_lets_held_requests_finish_within_stop_timeout(make_scenario, events_of):
    """With no deregistration delay the task gets SIGTERM at the scale-in while each of its
    requests still needs up to 2 s of I/O. stop_timeout (30 s) is the time the app has to
    finish what it holds (ECS: SIGKILL only after stop_timeout), so every held request is
    answered: no reset_on_stop, and the containers stay up until the last one is done (>= 2 s)."""
    sim = Simulation(scale_in(make_scenario, 0, stop_timeout=30)).run()
    rec = sim.records
    held = round(L / 4 * (IO_S + CPU_S))            # per stopped task, by Little's law
    reset = int(rec.reset_on_stop.sum())
    assert reset == 0, (f"{reset} of about {2 * held} held requests reset although each needed "
                        f"about {IO_S:g} s and stop_timeout is 30 s")
    for task in (t for t in sim.service.tasks if t.stopped_at is not None):
        stopping = events_of(sim, "task_state", task.id, "STOPPING")[0]
        deprovisioning = events_of(sim, "task_state", task.id, "DEPROVISIONING")[0]
        assert deprovisioning - stopping >= IO_S


def test_requests_longer_than_stop_timeout_are_reset(make_scenario):
    """The other side of stop_timeout: requests needing 5 s of I/O cannot finish within a
    2 s stop_timeout, so what the two stopped tasks hold when they are killed is reset."""
    sim = Simulation(scale_in(make_scenario, 0, stop_timeout=2, io_ms=5000, duration="8m")).run()
    reset = int(sim.records.reset_on_stop.sum())
    # Each stopped task held about 25 req/s x 5 s; at most 2 s of that can finish.
    assert 2 * 25 * 2 <= reset <= 2 * 25 * 5 * 1.3
    r = fargatesim.Result.from_simulation(sim)
    total = r.summary["requests"]
    assert total["total"] == total["ok"] + sum(total["errors"].values()) + r.summary["in_flight_at_end"]

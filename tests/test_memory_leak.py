"""The memory_leak fault: MemoryUtilization climbs at the leak's rate, a full task is killed
(OutOfMemoryError) and replaced, a steady service's kills are staggered (ecs/out_of_memory.py,
dataplane/memory_leak.py)."""
from __future__ import annotations

import numpy as np
import pytest

from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import ScenarioError, scenario_from_dict

MEMORY, BASE, RATE = 1024, 300, 120.0          # MiB, MiB, MiB per hour
LIFETIME_S = (MEMORY - BASE) / RATE * 3600      # 6.03 h from start to out of memory


def scenario(*, desired=4, duration="14h", engine="fluid", rate=RATE, rps=40, **extra):
    return scenario_from_dict({
        "name": "leak", "duration": duration, "seed": 2, "engine": engine,
        "traffic": [{"constant": {"rps": rps}}],
        "workload": {"cpu_ms": 20},
        "task_definition": {"cpu": 512, "memory": MEMORY, "container_definitions": [
            {"name": "web", "port_mappings": [{"container_port": 80}], "base_memory_mb": BASE}]},
        "service": {"desired_count": desired},
        "faults": [{"type": "memory_leak", "mb_per_hour": rate}],
        **extra,
    })


def run(**kw):
    sim = Simulation(scenario(**kw)).run()
    return sim, Result.from_simulation(sim)


def oom_events(sim):
    return [(t, subject) for t, kind, subject, detail in sim.events
            if kind == "fault" and detail.startswith("memory_leak: out of memory")]


def test_a_task_is_killed_when_its_memory_is_full_and_replaced():
    sim, _ = run()
    kills = oom_events(sim)
    by_id = {t.id: t for t in sim.service.tasks}
    started_here = [(t, by_id[s]) for t, s in kills if by_id[s].running_at >= 0]
    assert started_here, "no task lived a whole lifetime inside the run"
    for t, task in started_here:
        assert t - task.running_at == pytest.approx(LIFETIME_S, abs=1e-6)
    for _, subject in kills:
        task = by_id[subject]
        assert task.stop_code == "EssentialContainerExited" and "OutOfMemoryError" in task.stop_reason
    # Each kill is followed by a replacement, so the service is whole again.
    assert all(t.stopped_at is not None for _, s in kills for t in [by_id[s]])
    assert len([t for t in sim.service.tasks if t.live]) == 4


def test_a_steady_service_has_been_leaking_its_kills_are_staggered():
    sim, _ = run()
    first = sorted(t for t, s in oom_events(sim) if s in {f"task-{i:04d}" for i in range(4)})
    assert len(first) == 4 and first[-1] < LIFETIME_S
    assert min(np.diff(first)) > 60                  # not one storm of kills


def test_memory_utilisation_climbs_at_the_leak_rate():
    sim, result = run(desired=1, duration="12h", rps=10)
    mem = result.timeseries["memory_utilization"].to_numpy()
    kills = [t for t, _ in oom_events(sim)]
    climb = np.diff(mem)
    # Away from the kills, each minute adds RATE / 60 MiB of the task's MEMORY.
    quiet = np.ones(len(climb), dtype=bool)
    for t in kills:
        k = int(t // 60)
        quiet[max(0, k - 2):k + 3] = False
    assert quiet.sum() > 500
    assert climb[quiet] == pytest.approx(100 * RATE / 60 / MEMORY, rel=1e-3)
    assert mem.max() <= 100.0


def test_the_request_engine_counts_the_same_leak():
    _, fluid = run(desired=2, duration="2h", rps=10)
    _, exact = run(desired=2, duration="2h", engine="requests", rps=10)
    np.testing.assert_allclose(exact.timeseries["memory_utilization"], fluid.timeseries["memory_utilization"],
                               atol=0.2)


def test_without_the_fault_memory_stays_flat_and_nothing_is_killed():
    s = scenario().to_dict()
    s["faults"] = []
    sim = Simulation(scenario_from_dict(s)).run()
    mem = Result.from_simulation(sim).timeseries["memory_utilization"]
    assert mem.max() - mem.min() < 0.5 and not oom_events(sim)


def test_every_request_is_accounted_for_through_the_kills():
    sim, _ = run(desired=3, duration="8h", rate=400.0)
    r = sim.records
    assert int(r.arrivals.sum()) == int(r.ok.sum() + r.errors().sum()) + sim.in_flight_at_end
    assert int(r.reset_on_stop.sum()) > 0            # a kill drops what the task held


def test_the_leak_must_be_positive():
    with pytest.raises(ScenarioError) as info:
        scenario(rate=0)
    assert info.value.path == "faults[0].mb_per_hour" and "0" in info.value.message

"""Property: any small scenario accounts for every request exactly and keeps its invariants.

Random traffic (constant, spike, ramp, steps), Fargate sizes, concurrency limits, timeouts
short enough for 504s, crashes, broken health endpoints, desired-count changes, every routing
algorithm, slow start, Poisson or deterministic arrivals, ticks of 0.5 to 2 s.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fargatesim.ecs.task import ORDER, TaskState
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import FARGATE_SIZES, scenario_from_dict

SIZES = [(c, m) for c, mems in FARGATE_SIZES.items() if c <= 4096 for m in mems[:: max(1, len(mems) // 3)]]
rps = st.floats(0, 400, allow_nan=False).map(lambda x: round(x, 1))


@st.composite
def traffic_component(draw, duration):
    kind = draw(st.sampled_from(["constant", "spike", "ramp", "steps"]))
    if kind == "constant":
        return {"constant": {"rps": draw(rps)}}
    if kind == "spike":
        return {"spike": {"at": draw(st.integers(0, duration)), "peak_rps": draw(rps),
                          "rise": draw(st.integers(0, 300)), "hold": draw(st.integers(0, 600)),
                          "decay": draw(st.integers(0, 300))}}
    if kind == "ramp":
        start = draw(st.integers(0, duration))
        return {"ramp": {"from_rps": draw(rps), "to_rps": draw(rps), "start": start,
                         "end": start + draw(st.integers(1, duration))}}
    times = sorted(draw(st.sets(st.integers(0, duration), min_size=1, max_size=4)))
    return {"steps": [{"at": t, "rps": draw(rps)} for t in times]}


@st.composite
def scenarios(draw):
    duration = draw(st.integers(10, 40)) * 60
    cpu, memory = draw(st.sampled_from(SIZES))
    interval = draw(st.sampled_from([5, 10, 30]))
    algorithm = draw(st.sampled_from(["round_robin", "least_outstanding_requests", "weighted_random"]))
    slow_start = 0 if algorithm == "least_outstanding_requests" else draw(st.sampled_from([0, 0, 30, 120]))
    cpu_ms = draw(st.one_of(
        st.integers(1, 60),
        st.builds(lambda m: {"distribution": "exponential", "mean": m}, st.integers(1, 60)),
        st.builds(lambda m, cv: {"distribution": "lognormal", "mean": m, "cv": cv},
                  st.integers(1, 60), st.sampled_from([0.5, 1.0, 2.0]))))
    low = draw(st.integers(5, 60))
    app = {"name": "app", "port_mappings": [{"container_port": 8080}],
           "app_start": draw(st.integers(0, 20)),
           "base_memory_mb": draw(st.integers(0, memory // 4)),
           "max_concurrency": draw(st.one_of(st.none(), st.integers(1, 300)))}
    containers = [app]
    side = draw(st.integers(0, cpu // 4))
    if side:
        containers.append({"name": "sidecar", "essential": False, "base_cpu_units": side})
    faults = draw(st.lists(st.one_of(
        st.builds(lambda at, n: {"type": "task_crash", "at": at, "count": n},
                  st.integers(0, duration), st.integers(1, 3)),
        st.builds(lambda mtbf: {"type": "task_crash", "mtbf": mtbf}, st.integers(300, 7200)),
        st.builds(lambda at, n: {"type": "task_unhealthy", "at": at, "count": n},
                  st.integers(0, duration), st.integers(1, 3)),
        st.builds(lambda at, d, z: {"type": "az_outage", "at": at, "duration": d, "zone": z},
                  st.integers(0, duration), st.integers(1, duration), st.integers(1, 3)),
        # From a task's whole life in the run to a kill every minute or so.
        st.builds(lambda rate: {"type": "memory_leak", "mb_per_hour": rate},
                  st.sampled_from([500, 5000, 50000]))), max_size=3))
    actions = draw(st.lists(st.builds(lambda at, v: {"type": "set_desired_count", "at": at, "value": v},
                                      st.integers(0, duration), st.integers(0, 6)), max_size=3))
    return {
        "name": "prop",
        "duration": duration,
        "seed": draw(st.integers(0, 2**32 - 1)),
        "tick": draw(st.sampled_from([1, 1, 0.5, 2])),
        "arrivals": draw(st.sampled_from(["poisson", "deterministic"])),
        "traffic": draw(st.lists(traffic_component(duration), min_size=1, max_size=3)),
        "workload": {"cpu_ms": cpu_ms, "io_ms": draw(st.sampled_from([0, 5, 50, 800, 3000])),
                     "memory_mb_per_request": draw(st.sampled_from([0, 0.5, 2])),
                     "timeout": draw(st.integers(1, 30))},
        "task_definition": {"cpu": cpu, "memory": memory,
                            "startup": {"distribution": "uniform", "low": low,
                                        "high": low + draw(st.integers(1, 60))},
                            "container_definitions": containers},
        "service": {"desired_count": draw(st.integers(0, 5)), "cold_start": draw(st.booleans()),
                    "health_check_grace_period_seconds": draw(st.sampled_from([0, 30, 120])),
                    "deployment_maximum_percent": draw(st.sampled_from([100, 150, 200])),
                    "stop_timeout": draw(st.integers(2, 60))},
        "target_group": {"load_balancing_algorithm_type": algorithm, "slow_start": slow_start,
                         "deregistration_delay": draw(st.sampled_from([0, 5, 60, 300])),
                         "initial_health_checks": draw(st.integers(1, 3)),
                         "health_check": {"interval": interval,
                                          "timeout": draw(st.integers(2, interval - 1)),
                                          "healthy_threshold": draw(st.integers(2, 5)),
                                          "unhealthy_threshold": draw(st.integers(2, 5))}},
        "faults": faults,
        "actions": actions,
    }


# No explain phase: it re-runs failing examples under a tracer, which takes minutes here.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])
@given(data=scenarios())
def test_every_request_is_accounted_for(data, check_accounting):
    scenario = scenario_from_dict(data)
    sim = Simulation(scenario).run()          # raises SimulationError if its own check breaks
    result = Result.from_simulation(sim)
    check_accounting(sim, result)
    rec = sim.records

    # The load balancer answers 503 itself exactly when no target is in service.
    none_in_service = rec.in_service == 0
    assert np.array_equal(rec.elb_503[none_in_service], rec.arrivals[none_in_service])
    assert (rec.elb_503[~none_in_service] == 0).all()

    # Work and capacity: never more CPU or memory used than the running tasks have.
    assert (rec.cpu_used <= rec.cpu_capacity * (1 + 1e-9) + 1e-9).all()
    assert (rec.cpu_used >= 0).all()
    cpu = result.timeseries["cpu_utilization"].dropna()
    assert ((cpu >= -1e-9) & (cpu <= 100 + 1e-6)).all()

    # Latency of ok requests never passes the timeout (those are 504s).
    lat = result.summary["latency_ms"]
    if lat["max"] is not None:
        assert lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"] * 1.01
        assert lat["max"] <= scenario.workload.timeout * 1000 * 1.01

    # Tasks go through their lifecycle forwards, and are billed from PENDING until STOPPED.
    end = sim.n_ticks * sim.tick
    for task in sim.service.tasks:
        times = [t for t, _ in task.history]
        states = [ORDER.index(st) for _, st in task.history]
        assert times == sorted(times) and states == sorted(states), task.history
        if task.stopped_at is not None:
            assert task.history[-1] == (task.stopped_at, TaskState.STOPPED)
            if task.billing_from is not None:
                assert task.billing_from <= task.stopped_at
        reached_pending = any(st in (TaskState.PENDING, TaskState.RUNNING) for _, st in task.history)
        assert (task.billing_from is not None) == reached_pending
    billed = sum(min(t.stopped_at if t.stopped_at is not None else end, end) - max(0.0, t.billing_from)
                 for t in sim.service.tasks if t.billing_from is not None)
    assert result.summary["tasks"]["task_hours"] == pytest.approx(billed / 3600, abs=1e-4)

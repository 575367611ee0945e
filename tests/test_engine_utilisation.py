"""The utilisation law: CPU and memory utilisation follow from the offered load, per the
summary and per the CloudWatch metric store built on a finished simulation."""
import numpy as np
import pytest

import fargatesim
from fargatesim.cloudwatch.metrics import MetricStore
from fargatesim.engine import Simulation

TOLERANCE = 2.0   # percentage points

# (requests/s, mean CPU ms, tasks, task cpu, task memory, sidecar base_cpu_units, CPU demand, arrivals)
CASES = [
    (100, 20, 4, 1024, 2048, 0, {"distribution": "exponential", "mean": 20}, "poisson"),
    (20, 10, 2, 256, 512, 0, 10, "poisson"),
    (5, 4, 1, 256, 512, 0, {"distribution": "lognormal", "mean": 4, "cv": 1.0}, "poisson"),
    (20, 10, 2, 256, 512, 40, {"distribution": "lognormal", "mean": 10, "cv": 1.0}, "poisson"),
    (30, 25, 3, 512, 1024, 64, {"distribution": "exponential", "mean": 25}, "deterministic"),
    (150, 15, 5, 1024, 2048, 20, {"distribution": "lognormal", "mean": 15, "cv": 2.0}, "deterministic"),
    (400, 25, 6, 2048, 4096, 100, {"distribution": "gamma", "mean": 25, "cv": 1.5}, "poisson"),
]
IDS = [f"L{c[0]}-c{c[1]}ms-N{c[2]}-cpu{c[3]}-side{c[5]}-{c[7]}" for c in CASES]


def expected_cpu(L, c_ms, N, cpu, side):
    """CloudWatch's ECS CPUUtilization is the CPU units the tasks' containers use over the units
    the tasks reserve. The app containers use L * c vCPU in all (L * c * 1024 units), each
    sidecar its base_cpu_units all the time, and N tasks reserve N * cpu units, so

        U = 100 * L * c / (N * v) + 100 * base_cpu_units / cpu,   v = cpu / 1024 (task vCPU).

    Dividing the app's work by the app's share only, L * c / (N * (cpu - base) / 1024), would
    be the app container's own utilisation, not the service metric; the cases with a 256 or
    512 unit task and a sidecar tell the two apart by more than the tolerance (8 and 5 points).
    """
    return 100 * L * c_ms / 1000 / (N * cpu / 1024) + 100 * side / cpu


def scenario(make_scenario, L, N, cpu, mem, side, cpu_ms, arrivals):
    return make_scenario(duration="20m", traffic=[{"constant": {"rps": L}}], arrivals=arrivals,
                         workload={"cpu_ms": cpu_ms},
                         task_definition={"cpu": cpu, "memory": mem}, sidecar_cpu=side,
                         service={"desired_count": N})


@pytest.mark.parametrize("L, c_ms, N, cpu, mem, side, cpu_ms, arrivals", CASES, ids=IDS)
def test_mean_cpu_utilisation_follows_the_utilisation_law(make_scenario, L, c_ms, N, cpu, mem, side,
                                                          cpu_ms, arrivals):
    """summary cpu_utilization.mean == 100 L c / (N v) + 100 base / cpu within 2 points
    (see expected_cpu for why the sidecar adds base/cpu rather than shrinking v)."""
    expected = expected_cpu(L, c_ms, N, cpu, side)
    assert expected < 95, "a case must stay below saturation for the law to hold"
    r = fargatesim.simulate(scenario(make_scenario, L, N, cpu, mem, side, cpu_ms, arrivals))
    assert r.summary["tasks"]["min_running"] == r.summary["tasks"]["max_running"] == N
    assert r.summary["cpu_utilization"]["mean"] == pytest.approx(expected, abs=TOLERANCE)
    # Constant load on a fixed fleet: no period strays from the law either.
    assert r.timeseries["cpu_utilization"].to_numpy() == pytest.approx(expected, abs=TOLERANCE)


@pytest.mark.parametrize("L, c_ms, N, cpu, mem, side, cpu_ms, arrivals", CASES[::2], ids=IDS[::2])
def test_cloudwatch_cpu_utilisation_follows_the_utilisation_law(make_scenario, L, c_ms, N, cpu, mem, side,
                                                                cpu_ms, arrivals):
    """AWS/ECS CPUUtilization from the engine's CloudWatch metric store (what scaling policies
    and alarms read): Average, Minimum and Maximum of every 1-minute period equal the law's
    value, since the load and the fleet are constant."""
    sim = Simulation(scenario(make_scenario, L, N, cpu, mem, side, cpu_ms, arrivals)).run()
    store = sim.metrics
    assert isinstance(store, MetricStore)
    periods = int(sim.n_ticks * sim.tick // 60)
    expected = expected_cpu(L, c_ms, N, cpu, side)
    for statistic in ("Average", "Minimum", "Maximum"):
        values = store.datapoints("AWS/ECS", "CPUUtilization", 60, statistic, 0, periods)
        assert len(values) == periods
        assert values == pytest.approx(expected, abs=TOLERANCE), statistic
    healthy = store.datapoints("AWS/ApplicationELB", "HealthyHostCount", 60, "Minimum", 0, periods)
    assert (healthy == N).all()
    count = store.datapoints("AWS/ApplicationELB", "RequestCount", 60, "Sum", 0, periods)
    assert count.sum() == sim.records.arrivals[: periods * 60].sum()


def test_memory_utilisation_follows_littles_law(make_scenario):
    """Memory = base_memory_mb per task + memory_mb_per_request x requests in flight, and by
    Little's law the service holds L x (mean latency) requests: 20 rps waiting 1 s on I/O hold
    about 20 requests of 10 MiB each, plus 2 x 100 MiB base, over 2 x 512 MiB."""
    s = make_scenario(duration="20m", traffic=[{"constant": {"rps": 20}}],
                      workload={"cpu_ms": 5, "io_ms": 1000, "memory_mb_per_request": 10},
                      task_definition={"cpu": 256, "memory": 512}, app={"base_memory_mb": 100},
                      service={"desired_count": 2})
    r = fargatesim.simulate(s)
    mean_latency_s = r.summary["latency_ms"]["mean"] / 1000
    assert mean_latency_s > 1.0
    expected = 100 * (2 * 100 + 10 * 20 * mean_latency_s) / (2 * 512)
    assert r.summary["memory_utilization"]["mean"] == pytest.approx(expected, abs=TOLERANCE)
    assert np.nanmax(r.timeseries["memory_utilization"]) <= 100

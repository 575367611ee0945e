"""The request engine against queueing theory: M/M/1 and M/M/c (Erlang C) with FCFS servers,
M/M/1 with processor sharing.

Each check runs the whole simulator (constant Poisson traffic, one steady-state task, no faults,
1-second ticks) with exponential CPU demand of mean 1 ms on one full vCPU (mu = 1000/s per core).
A 1-vCPU task is one core (M/M/1), a 4-vCPU task four (M/M/4). FCFS inside the task is the
engine's DISCIPLINE switch (discipline="fcfs"); the default discipline, processor sharing, is
checked against M/M/1-PS. Tolerance: 3 % of the theoretical value.

How many requests: the sample mean of M/M/1 waiting times has relative standard deviation
sqrt((2 + 5 rho - 4 rho^2 + rho^3) / (rho N)) / (1 - rho) (its asymptotic variance,
Daley 1968 / Whitt 1989), so N is chosen per load to put 3 % at about three standard deviations
or more: 2 M requests at 0.5 (sd 0.4 %), 3 M at 0.8 (0.6 %), 20 M at 0.95 (0.9 %); M/M/4 and
PS were sized from batch means of long runs the same way.
"""
from __future__ import annotations

import numpy as np
import pytest

from fargatesim.dataplane.queueing import erlang_c, mmc_mean_wait
from fargatesim.dataplane.requests import RequestDataPlane
from fargatesim.engine import Simulation
from fargatesim.scenario import scenario_from_dict

MU = 1000.0          # per core: exponential CPU demand of mean 1 ms
TOLERANCE = 0.03
SIZES = {1: (1024, 2048), 4: (4096, 8192)}     # cores -> Fargate (cpu units, memory MiB)


def queue(servers: int, rho: float, requests: float, discipline: str, seed: int = 11):
    """Run one task of `servers` cores at per-core load rho until about `requests` arrived;
    return the log of ok latencies (and waits before the CPU phase)."""
    lam = rho * servers * MU
    cpu, memory = SIZES[servers]
    scenario = scenario_from_dict({
        "name": f"mm{servers}-{discipline}-{rho}",
        "duration": int(np.ceil(requests / lam)),
        "seed": seed,
        "tick": 1,
        "traffic": [{"constant": {"rps": lam}}],
        "arrivals": "poisson",
        "workload": {"cpu_ms": {"distribution": "exponential", "mean": 1000.0 / MU},
                     "io_ms": 0, "timeout": "60s"},
        "task_definition": {"cpu": cpu, "memory": memory, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 8080}]}]},
        "service": {"desired_count": 1},
    })
    # The request engine, with FCFS or PS: a discipline no scenario key sets.
    def factory(engine, **kw):
        return RequestDataPlane(**kw, discipline=discipline, keep_waits=True)

    sim = Simulation(scenario, dataplane=factory).run()
    assert isinstance(sim.dataplane, RequestDataPlane)
    rec = sim.records
    assert rec.errors().sum() == 0          # nothing refused, nothing timed out
    assert sim.dataplane.app.cores == servers and sim.dataplane.app.core_speed == 1.0
    return lam, sim.dataplane.latencies


@pytest.mark.parametrize("servers, rho, requests", [
    (1, 0.5, 2e6), (1, 0.8, 3e6), (1, 0.95, 20e6),
    (4, 0.5, 4e6), (4, 0.8, 6e6), (4, 0.95, 25e6),
])
def test_fcfs_matches_erlang_c(servers, rho, requests):
    lam, log = queue(servers, rho, requests, "fcfs")
    waits = log.waits.astype(float)
    assert len(waits) >= 0.99 * requests
    mean_wait = mmc_mean_wait(lam, MU, servers)
    p_wait = float(erlang_c(servers, rho))
    assert waits.mean() == pytest.approx(mean_wait, rel=TOLERANCE)
    assert (waits > 0).mean() == pytest.approx(p_wait, rel=TOLERANCE)
    # The response time is the wait plus the service time.
    assert log.latencies.astype(float).mean() == pytest.approx(mean_wait + 1 / MU, rel=TOLERANCE)


@pytest.mark.parametrize("rho, requests", [(0.5, 2e6), (0.8, 4e6), (0.95, 20e6)])
def test_processor_sharing_mean_response(rho, requests):
    lam, log = queue(1, rho, requests, "ps")
    assert log.latencies.astype(float).mean() == pytest.approx(1 / (MU - lam), rel=TOLERANCE)
    assert not log.waits.any()                 # under PS every request starts at once


def test_processor_sharing_on_four_cores_has_the_mmc_mean_response():
    # For exponential demand the number in system of M/M/4-PS and M/M/4-FCFS is the same chain.
    lam, log = queue(4, 0.8, 6e6, "ps")
    assert log.latencies.astype(float).mean() == pytest.approx(
        mmc_mean_wait(lam, MU, 4) + 1 / MU, rel=TOLERANCE)

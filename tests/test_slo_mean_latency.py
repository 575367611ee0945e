"""slo.latency_mean_ms: each minute's mean latency (timeseries.csv's latency_mean_ms) against
queueing theory, and the SLO judged on it.

A fixed fleet behind weighted_random routing (equal weights: a random task per request) splits
Poisson traffic into independent Poisson streams, one per task, so each task of two 1-vCPU
cores with exponential CPU demand is an M/M/2 queue. Processor sharing over the cores leaves
the number in the task the birth-death process of FCFS M/M/2, so by Little's law the mean
latency is Erlang C's: the mean wait plus the mean demand. The formula is written out here in
its textbook form, not taken from the simulator's own queueing module.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from fargatesim import simulate
from fargatesim.scenario import scenario_from_dict

MU = 100.0              # per core: exponential CPU demand of mean 10 ms on one full vCPU
CORES = 2               # a 2-vCPU task


def erlang_c_mean_latency(rate: float, mu: float, c: int) -> float:
    """Mean time in system of M/M/c (seconds): P(wait) = C(c, a), W = C / (c mu - lambda)."""
    a = rate / mu
    rho = a / c
    top = a ** c / math.factorial(c) / (1 - rho)
    wait_probability = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return wait_probability / (c * mu - rate) + 1 / mu


def fleet(tasks: int, rps: float, slo_ms: float | None = None, minutes: int = 20) -> dict:
    data = {
        "name": f"fleet-{tasks}", "duration": f"{minutes}m", "seed": 3, "engine": "requests",
        "traffic": [{"constant": {"rps": rps}}], "arrivals": "poisson",
        "workload": {"cpu_ms": {"distribution": "exponential", "mean": 1000 / MU}, "io_ms": 0, "timeout": "60s"},
        "task_definition": {"cpu": 2048, "memory": 4096, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 8080}]}]},
        "service": {"desired_count": tasks},
        "target_group": {"load_balancing_algorithm_type": "weighted_random"},
    }
    if slo_ms is not None:
        data["slo"] = {"latency_mean_ms": slo_ms}
    return data


@pytest.mark.parametrize("tasks, rps", [(3, 420.0), (4, 660.0)])
def test_the_mean_latency_of_a_fleet_is_erlang_cs(tasks, rps):
    result = simulate(scenario_from_dict(fleet(tasks, rps, minutes=30)))
    expected_ms = erlang_c_mean_latency(rps / tasks, MU, CORES) * 1000
    assert result.summary["latency_ms"]["mean"] == pytest.approx(expected_ms, rel=0.04)
    # Each minute's mean, weighted by its answers, is the run's mean.
    ts = result.timeseries
    assert np.average(ts["latency_mean_ms"], weights=ts["ok"]) == pytest.approx(result.summary["latency_ms"]["mean"],
                                                                                   rel=1e-3)


def test_the_mean_latency_slo_counts_the_minutes_above_it():
    scenario = scenario_from_dict(fleet(3, 420.0, slo_ms=1.0, minutes=5))      # far below any minute's mean
    slo = simulate(scenario).summary["slo"]
    assert slo["latency_mean_ms_violation_minutes"] == 5 and slo["met"] is False
    scenario = scenario_from_dict(fleet(3, 420.0, slo_ms=1000.0, minutes=5))   # far above
    slo = simulate(scenario).summary["slo"]
    assert slo["latency_mean_ms_violation_minutes"] == 0 and slo["met"] is True
    assert simulate(scenario_from_dict(fleet(3, 420.0, minutes=5))).summary["slo"].get(
        "latency_mean_ms_violation_minutes") is None

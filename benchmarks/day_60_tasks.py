"""A day of a 60-task service, with crashes and a flash crowd: how long does it take?

The service of issue 13's first figure: 60 tasks behind round robin (a fixed fleet, so the
crashed tasks are replaced by the service scheduler), a diurnal day at a mean of 1,000
requests/s with peak-to-trough 3, a 5-minute flash crowd of +800 requests/s, lognormal CPU
demand (mean 20 ms, cv 1.0) plus 10 ms of I/O, and each task crashing once every 12 hours on
average. The same day at 10,000 requests/s, each request ten times cheaper, does exactly the
same control-plane work: the ratio of the two is what the request rate costs.

Prints the best of --repeat wall times (simulation + results), the ratio, and what a plain
SimPy model with one process per request would need for the same requests, measured in the
same run.

    .venv/bin/python benchmarks/day_60_tasks.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fargatesim  # noqa: E402
from fargatesim.engine import Simulation  # noqa: E402
from fargatesim.results import Result  # noqa: E402
from fargatesim.scenario import scenario_from_dict  # noqa: E402
from plain_simpy import requests_per_second  # noqa: E402


def day(mean_rps: float) -> dict:
    scale = mean_rps / 1000.0          # the flash crowd and the demand scale with the rate
    return {
        "name": f"day-60-tasks-{int(mean_rps)}rps",
        "duration": "1d",
        "seed": 11,
        "traffic": [
            {"diurnal": {"mean_rps": mean_rps, "peak_to_trough": 3, "peak_at": "14:00"}},
            {"spike": {"at": "10h", "peak_rps": 800 * scale, "rise": "30s", "hold": "5m", "decay": "30s"}},
        ],
        "workload": {"cpu_ms": {"distribution": "lognormal", "mean": 20.0 / scale, "cv": 1.0},
                     "io_ms": 10, "timeout": "30s"},
        "task_definition": {"cpu": 1024, "memory": 2048, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 8080}], "app_start": "5s"}]},
        "service": {"desired_count": 60, "health_check_grace_period_seconds": 60},
        "target_group": {"load_balancing_algorithm_type": "round_robin", "deregistration_delay": 30},
        "faults": [{"type": "task_crash", "mtbf": "12h"}],
    }


def timed(mean_rps: float, repeat: int) -> tuple[float, Result]:
    scenario = scenario_from_dict(day(mean_rps))
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = Result.from_simulation(Simulation(scenario).run())
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args()
    print(f"fargatesim {fargatesim.__version__}: a day of 60 tasks with crashes, fluid engine, "
          f"best of {args.repeat}")
    seconds = {}
    for rps in (1000.0, 10000.0):
        seconds[rps], result = timed(rps, args.repeat)
        s = result.summary
        crashes = int((result.events["kind"] == "fault").sum())
        print(f"  {rps:>8,.0f} req/s mean: {s['requests']['total']:>13,} requests, {crashes} faults, "
              f"p99 {s['latency_ms']['p99']} ms: {seconds[rps]:.2f} s")
    print(f"  ratio 10,000 / 1,000 req/s: {seconds[10000.0] / seconds[1000.0]:.2f}")
    yard = requests_per_second()
    total = result.summary["requests"]["total"] / 10
    print(f"plain SimPy, one process per request, same run: {yard:,.0f} requests/s simulated, so the "
          f"1,000 req/s day would take about {total / yard / 60:.0f} minutes "
          f"({total / yard / seconds[1000.0]:,.0f} x the simulator)")


if __name__ == "__main__":
    main()

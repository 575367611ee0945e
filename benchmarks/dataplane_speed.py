"""How fast is a simulated day, and does it depend on the request rate?

A 24-hour diurnal scenario at a mean of 1,000 requests/s on 10 to 60 tasks (CPU target
tracking follows the traffic), then the same day at 10,000 requests/s with each request
ten times cheaper (so the control plane does exactly the same thing). Prints the wall time of
each, their ratio, and what a plain SimPy model with one process per request would need.

    .venv/bin/python benchmarks/dataplane_speed.py [--repeat 3]
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
    cpu_ms = 20.0 * 1000.0 / mean_rps
    base = {
        "name": f"bench-{int(mean_rps)}rps",
        "duration": "1d",
        "seed": 5,
        "traffic": [{"diurnal": {"mean_rps": mean_rps, "peak_to_trough": 5, "peak_at": "14:00"}}],
        "workload": {"cpu_ms": {"distribution": "lognormal", "mean": cpu_ms, "cv": 1.0},
                     "io_ms": 10, "timeout": "30s", "memory_mb_per_request": 0.5},
        "task_definition": {"cpu": 1024, "memory": 2048, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 8080}], "app_start": "5s",
             "base_memory_mb": 300, "max_concurrency": 400}]},
        "service": {"desired_count": 10, "health_check_grace_period_seconds": 60},
        "target_group": {"deregistration_delay": 60},
    }
    # CPU target tracking keeps the fleet between 10 and 60 tasks as the day goes.
    base["autoscaling"] = {"min_capacity": 10, "max_capacity": 60, "policies": [{
        "name": "cpu-60", "policy_type": "TargetTrackingScaling",
        "target_tracking_scaling_policy_configuration": {
            "target_value": 60, "scale_out_cooldown": 60, "scale_in_cooldown": 300,
            "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}]}
    return base


def timed(mean_rps: float, repeat: int) -> tuple[float, float, Result]:
    scenario = scenario_from_dict(day(mean_rps))
    best_sim = best_all = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim = Simulation(scenario).run()
        t1 = time.perf_counter()
        result = Result.from_simulation(sim)
        t2 = time.perf_counter()
        best_sim, best_all = min(best_sim, t1 - t0), min(best_all, t2 - t0)
    return best_sim, best_all, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args()
    print(f"fargatesim {fargatesim.__version__}: one simulated day, fluid engine, best of {args.repeat}")
    rows = {}
    for rps in (1000.0, 10000.0):
        sim_s, all_s, result = timed(rps, args.repeat)
        s = result.summary
        rows[rps] = all_s
        print(f"  {rps:>8,.0f} req/s mean: {s['requests']['total']:>13,} requests, "
              f"{s['tasks']['min_running']}-{s['tasks']['max_running']} tasks, "
              f"CPU mean {s['cpu_utilization']['mean']} %: "
              f"{sim_s:.2f} s simulating + results = {all_s:.2f} s")
    print(f"  ratio 10,000 / 1,000 req/s: {rows[10000.0] / rows[1000.0]:.2f}")
    yard = requests_per_second()
    total = 86400 * 1000
    print(f"plain SimPy, one process per request: {yard:,.0f} requests/s simulated, "
          f"so a day at 1,000 req/s ({total / 1e6:.1f} M requests) takes about "
          f"{total / yard / 60:.0f} minutes, and at 10,000 req/s about {10 * total / yard / 3600:.1f} hours")


if __name__ == "__main__":
    main()

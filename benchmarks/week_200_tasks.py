"""A week of a large service: how long, how much memory, and the per-tick table of it.

Seven days of a service at a mean of 5,000 requests/s (diurnal, peak-to-trough 3), scaled by
CPU target tracking between 50 and 200 tasks, each task crashing once every 12 hours on
average. Prints the best of --repeat wall times (simulation + results), the process's peak
resident memory (ru_maxrss, the high-water mark of every run so far), the time to write the
week's per-tick timeseries (`fargatesim run --resolution tick`), and what a plain SimPy model
with one process per request would need for the same requests, measured in the same run.

    .venv/bin/python benchmarks/week_200_tasks.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fargatesim  # noqa: E402
from fargatesim.engine import Simulation  # noqa: E402
from fargatesim.results import Result  # noqa: E402
from fargatesim.scenario import scenario_from_dict  # noqa: E402
from plain_simpy import requests_per_second  # noqa: E402

WEEK = {
    "name": "week-200-tasks",
    "duration": "7d",
    "seed": 13,
    "traffic": [{"diurnal": {"mean_rps": 5000, "peak_to_trough": 3, "peak_at": "14:00"}}],
    "workload": {"cpu_ms": {"distribution": "lognormal", "mean": 12.0, "cv": 1.0}, "io_ms": 10,
                 "timeout": "30s"},
    "task_definition": {"cpu": 1024, "memory": 2048, "container_definitions": [
        {"name": "app", "port_mappings": [{"container_port": 8080}], "app_start": "5s"}]},
    "service": {"desired_count": 100, "health_check_grace_period_seconds": 60},
    "target_group": {"deregistration_delay": 30},
    "faults": [{"type": "task_crash", "mtbf": "12h"}],
    "autoscaling": {"min_capacity": 50, "max_capacity": 200, "policies": [{
        "name": "cpu-60", "policy_type": "TargetTrackingScaling",
        "target_tracking_scaling_policy_configuration": {
            "target_value": 60, "scale_out_cooldown": 60, "scale_in_cooldown": 300,
            "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}]},
}


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    args = parser.parse_args()
    print(f"fargatesim {fargatesim.__version__}: a week of 50-200 tasks at 5,000 req/s, fluid engine, "
          f"best of {args.repeat}")
    scenario = scenario_from_dict(WEEK)
    best, result = math.inf, None
    for _ in range(args.repeat):
        result = None       # the peak is one run's: the previous run is not kept alive beside it
        t0 = time.perf_counter()
        result = Result.from_simulation(Simulation(scenario).run())
        best = min(best, time.perf_counter() - t0)
    s = result.summary
    print(f"  {s['requests']['total']:,} requests, {s['tasks']['min_running']}-{s['tasks']['max_running']} tasks, "
          f"{s['scaling']['scale_out']} scale-outs, {s['scaling']['scale_in']} scale-ins: {best:.2f} s, "
          f"peak resident memory {peak_rss_mb():,.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result.save(tmp, resolution="tick", plot=False)
        written = time.perf_counter() - t0
        size = (Path(tmp) / "timeseries.csv").stat().st_size
    print(f"  per-tick timeseries ({scenario.duration / scenario.tick:,.0f} rows, {size / 1e6:,.0f} MB): "
          f"written in {written:.1f} s; peak resident memory now {peak_rss_mb():,.0f} MB")
    yard = requests_per_second()
    total = s["requests"]["total"]
    print(f"plain SimPy, one process per request, same run: {yard:,.0f} requests/s simulated, so the week "
          f"would take about {total / yard / 3600:.1f} hours ({total / yard / best:,.0f} x the simulator)")


if __name__ == "__main__":
    main()

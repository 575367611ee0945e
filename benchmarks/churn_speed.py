"""How fast is a day whose routing changes every few seconds?

scenarios/checkout-api.yaml meets a flash crowd beyond its max_capacity at 10:00. Run on
half-vCPU tasks (twice as many of them, as the scenario was sized before its tasks grew to
1 vCPU), overloaded tasks queue past the health check's timeout, fail their checks, are
replaced and drain, and the target group changes many times a minute (hundreds of tasks
launched). Each change cuts back what the data plane computed ahead.
Prints the wall time of the day with the engine's adaptive look-ahead and with a fixed
ten-minute one, and how many stretches the data plane computed in each.

    .venv/bin/python benchmarks/churn_speed.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import fargatesim.engine as engine
from fargatesim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "checkout-api.yaml"
# On 1 vCPU a task's queue (max_concurrency 200) drains within the 6 s health-check timeout;
# on half a vCPU it does not, which is the churn this benchmark is about.
HALF_VCPU = {"task_definition.cpu": 512, "task_definition.memory": 1024, "service.desired_count": 12}


def timed(adaptive: bool) -> tuple[float, int, int]:
    engine.ADAPTIVE_LOOKAHEAD = adaptive
    sim = engine.Simulation(load_scenario(SCENARIO, overrides=HALF_VCPU))
    calls = 0
    advance = sim.dataplane.advance

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return advance(*args, **kwargs)

    sim.dataplane.advance = counted
    t0 = time.perf_counter()
    sim.run()
    return time.perf_counter() - t0, calls, len(sim.service.tasks)


def main() -> int:
    adaptive, n_adaptive, tasks = timed(True)
    fixed, n_fixed, _ = timed(False)
    print(f"{SCENARIO.name} on half-vCPU tasks: a day, {tasks} tasks launched in all")
    fixed_label = f"fixed {engine.LOOKAHEAD_S:g} s look-ahead"
    print(f"  {'adaptive look-ahead':<26}{adaptive:6.1f} s  ({n_adaptive:,} stretches)")
    print(f"  {fixed_label:<26}{fixed:6.1f} s  ({n_fixed:,} stretches)")
    print(f"  {'speed-up':<26}{fixed / adaptive:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

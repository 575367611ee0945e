"""How long a simulated day of a websocket service takes, and what makes it slower.

Connections are simulated one by one (each has its own session length and task), so the cost
grows with the number of connection attempts, unlike the HTTP data plane's. A day of clients
who are served costs seconds; a day of clients locked out and retrying every 5 s (CPU target
tracking at 50 % on scenarios/websocket-cpu-target-tracking.yaml) is 165 million attempts.

    .venv/bin/python benchmarks/websocket_speed.py
"""
from __future__ import annotations

import time
from pathlib import Path

from fargatesim.engine import Simulation
from fargatesim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TT = "autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value"

CASES = (
    ("step scaling on connections per task", "websocket-step-scaling-connections", {}),
    ("  the same, 10x the sessions (max 400 tasks)", "websocket-step-scaling-connections",
     {"traffic[0].diurnal.mean_rps": 120, "autoscaling.max_capacity": 400, "service.desired_count": 100}),
    ("CPU target tracking at 20 %", "websocket-cpu-target-tracking", {TT: 20}),
    ("CPU target tracking at 50 % (clients locked out)", "websocket-cpu-target-tracking", {}),
)


def main() -> None:
    print(f"{'a day of':<48} {'attempts':>13} {'peak open':>11} {'seconds':>8}  {'attempts/s':>11}")
    for label, name, changes in CASES:
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=changes)
        t0 = time.perf_counter()
        sim = Simulation(scenario).run()
        seconds = time.perf_counter() - t0
        attempts = int(sim.records.arrivals.sum())
        print(f"{label:<48} {attempts:>13,} {sim.records.inflight.max():>11,.0f} {seconds:>8.1f}  "
              f"{attempts / seconds:>11,.0f}")


if __name__ == "__main__":
    main()

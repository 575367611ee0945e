"""What a predictive policy's simulated history costs: the scenario's own traffic over the days
before its start, run with the fluid engine at one-minute ticks before the run begins. Printed
for each shipped predictive scenario: the days simulated, the wall time, the hours kept, and the
run itself beside it.

    .venv/bin/python benchmarks/predictive_history_speed.py
"""
from __future__ import annotations

import time
from pathlib import Path

from fargatesim.engine import Simulation, simulated_history
from fargatesim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def main() -> None:
    print(f"{'scenario':32} {'history':>9} {'simulated in':>13} {'hours':>6} {'run':>9} {'run in':>8}")
    for path in sorted(SCENARIOS.glob("predictive-*.yaml")):
        s = load_scenario(path)
        policy = next(p for p in s.autoscaling.policies if p.policy_type == "PredictiveScaling")
        cfg = policy.predictive_scaling_policy_configuration
        t0 = time.perf_counter()
        history = simulated_history(s, cfg)
        history_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        Simulation(s).run()
        run_s = time.perf_counter() - t0     # the run builds its own history too
        print(f"{s.name:32} {cfg.history.days:>6} d {history_s:>11.2f} s {len(history.load):>6} "
              f"{s.duration / 86400:>7g} d {run_s:>6.1f} s")


if __name__ == "__main__":
    main()

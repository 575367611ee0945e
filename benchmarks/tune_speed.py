"""How many trials a minute `fargatesim tune` runs on this machine: the checkout day, 3 seeds.

The reference scenario (scenarios/checkout-api.yaml: a weekday of diurnal traffic with a flash
crowd, CPU target tracking, a step policy and a business-hours floor) tuned over its CPU
target value and its business-hours minimum capacity, on seeds 0..2, serially and with
--jobs 2 (and more when the machine has the cores). Each trial is three simulated days; a
configuration drawn twice is not run again, so the figure counts trials that ran.

    .venv/bin/python benchmarks/tune_speed.py [--trials 12]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import fargatesim

REPO = Path(__file__).resolve().parent.parent
SPACE = {"parameters": {
    "autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value": {"low": 30, "high": 85},
    "autoscaling.scheduled_actions[0].scalable_target_action.min_capacity": {"low": 2, "high": 30, "integer": True},
}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    args = parser.parse_args()
    scenario = fargatesim.load_scenario(REPO / "scenarios" / "checkout-api.yaml")
    cores = os.cpu_count() or 1
    print(f"checkout-api, a simulated day a run, 3 seeds a trial, {args.trials} trials; {cores} cores")
    for jobs in sorted({1, 2, cores}):
        with tempfile.TemporaryDirectory() as folder:
            t0 = time.perf_counter()
            result = fargatesim.tune(scenario, SPACE, seeds=3, trials=args.trials, jobs=jobs,
                                     storage=Path(folder) / "tune.journal")
            took = time.perf_counter() - t0
        ran = int((result.trials["state"] == "complete").sum() - result.trials["same_as"].notna().sum())
        runs = 3 * (ran + 1)                      # and the starting scenario's
        print(f"  --jobs {jobs}: {ran} trials ran ({runs} simulated days) in {took:.1f} s: "
              f"{ran / took * 60:.1f} trials a minute, {runs / took:.2f} runs a second")


if __name__ == "__main__":
    main()

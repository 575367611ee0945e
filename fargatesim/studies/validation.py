"""Experiments that compare the simulator with published AWS measurements.

AWS measured CPU target tracking with default settings reacting to a sudden load step: the
scale-out is triggered 363 s after the step with 60-second metrics and 86 s after it with
20-second (high-resolution) metrics (aws/containers-roadmap#2113, 2026-09-15). The scenario
here steps the load from L to 4L (CPU 20 % to 80 % against a 50 % target) after an hour of
steady load, at a random instant within a minute.
"""
from __future__ import annotations

import numpy as np

from ..engine import Simulation
from ..scenario import scenario_from_dict

AWS_SCALE_OUT_SECONDS = {"ECSServiceAverageCPUUtilization": 363.0,
                         "ECSServiceAverageCPUUtilizationHighResolution": 86.0}


def step_scenario(metric_type: str, step_at: float, seed: int = 1) -> dict:
    """A service at 20 % CPU on 10 tasks whose load quadruples at `step_at`."""
    return {
        "name": "scale-out-timing",
        "duration": step_at + 900,
        "seed": seed,
        "traffic": [{"constant": {"rps": 100}},
                    {"steps": [{"at": step_at, "rps": 300}]}],
        "workload": {"cpu_ms": {"distribution": "exponential", "mean": 20}, "timeout": "30s"},
        "task_definition": {"cpu": 1024, "memory": 2048, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 8080}]}]},
        "service": {"desired_count": 10},
        "autoscaling": {"min_capacity": 10, "max_capacity": 100, "policies": [{
            "name": "cpu-50", "policy_type": "TargetTrackingScaling",
            "target_tracking_scaling_policy_configuration": {
                "target_value": 50, "predefined_metric_specification": {"predefined_metric_type": metric_type}},
        }]},
    }


def first_scale_out_delay(metric_type: str, step_at: float, seed: int = 1):
    """Seconds from the step to the first scale-out, and the finished Simulation."""
    sim = Simulation(scenario_from_dict(step_scenario(metric_type, step_at, seed))).run()
    outs = [d.t for d in sim.scalable_target.decisions if d.kind == "scale-out" and d.t >= step_at]
    if not outs:
        raise RuntimeError(f"no scale-out after a step at {step_at} s")
    return outs[0] - step_at, sim


def scale_out_delays(metric_type: str, steps: int, seed: int = 1) -> list[float]:
    """Delays for `steps` load steps placed at random within a minute, after an hour."""
    rng = np.random.default_rng(seed)
    return [first_scale_out_delay(metric_type, 3600 + float(rng.uniform(0, 60)), seed)[0]
            for _ in range(steps)]

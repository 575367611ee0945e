"""Slow start: a target that turns healthy gets a linearly rising share of requests.

ALB rules (ALB guide, "Slow start mode"): a target enters slow start when it becomes healthy,
if at least one other healthy target is not in slow start (targets registered into an empty
group do not enter it); it leaves when the duration ends or it turns unhealthy.
"""
from __future__ import annotations

import numpy as np

# The load balancer sends a new target a small share from the first moment rather than none.
MIN_SHARE = 0.02


def enters_slow_start(duration: float, other_healthy_not_ramping: int) -> bool:
    return duration > 0 and other_healthy_not_ramping > 0


def ramp(times: np.ndarray, started: float, duration: float) -> np.ndarray:
    """Weight of a target in slow start at `times` (1 once the ramp is over)."""
    return np.clip((times - started) / duration, MIN_SHARE, 1.0)

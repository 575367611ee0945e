"""Target group health checks.

Assumption (not documented by AWS, named once here): the load balancer checks all targets of a
group at the same instants, every `interval` seconds from t = 0, and a newly registered target
gets its first check at the next such instant. A check passes when the task is running, its app
has started, no fault breaks its health endpoint, and the response (queueing included) comes
back within the check's timeout, so an overloaded task can fail its checks.
"""
from __future__ import annotations

from operator import attrgetter

import numpy as np

from .target import Target, TargetState


def next_state(target: Target, passed: bool, *, initial_checks: int, healthy_threshold: int,
               unhealthy_threshold: int) -> TargetState:
    """Apply one check result to the target's consecutive counters; return its new state."""
    if passed:
        target.passes, target.fails = target.passes + 1, 0
    else:
        target.passes, target.fails = 0, target.fails + 1
    state = target.state
    if state is TargetState.INITIAL:
        if target.passes >= initial_checks:
            return TargetState.HEALTHY
        if target.fails >= unhealthy_threshold:
            return TargetState.UNHEALTHY
    elif state is TargetState.HEALTHY:
        if target.fails >= unhealthy_threshold:
            return TargetState.UNHEALTHY
    elif state is TargetState.UNHEALTHY:
        if target.passes >= healthy_threshold:
            return TargetState.HEALTHY
    return state


def check_passes(target: Target, now: float, response_time_s: float, timeout_s: float) -> bool:
    task = target.task
    return (task.app_answers(now) and not task.failing_health
            and response_time_s <= timeout_s)



# What one check instant reads of each target and its task, gathered in one pass.
TARGET_COLUMNS = attrgetter("state", "registered_at", "fails", "task.slot", "task.state",
                            "task.unreachable", "task.app_ready_at", "task.failing_health")


def checks_pass(answers: np.ndarray, failing, response_times_s: np.ndarray, timeout_s: float) -> np.ndarray:
    """check_passes for many targets at once (they share their check instants): whether their
    apps answer (ecs.task.answering), whether a fault breaks their health endpoint, and the
    response times."""
    return answers & ~np.array(failing, dtype=bool) & (response_times_s <= timeout_s)

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

from ..ecs.task import ANSWERING, Task
from .target import Target, TargetState

_TASK_ANSWERS = attrgetter("state", "unreachable", "app_ready_at")


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


def apps_answer(tasks: list[Task], now: float) -> np.ndarray:
    """Task.app_answers for many tasks at once."""
    if not tasks:
        return np.zeros(0, dtype=bool)
    states, unreachable, ready_at = zip(*map(_TASK_ANSWERS, tasks))
    return _answering(states, unreachable, ready_at, now)


def checks_pass(task_states, unreachable, ready_at, failing, now: float, response_times_s: np.ndarray,
                timeout_s: float) -> np.ndarray:
    """check_passes for many targets at once (they share their check instants), from their
    tasks' columns (sequences, one item per target)."""
    return (_answering(task_states, unreachable, ready_at, now) & ~np.array(failing, dtype=bool)
            & (response_times_s <= timeout_s))


def _answering(states, unreachable, ready_at, now: float) -> np.ndarray:
    up = np.fromiter(map(ANSWERING.__contains__, states), dtype=bool, count=len(states))
    # None (the app has not started) becomes nan, which no instant reaches.
    return up & ~np.array(unreachable, dtype=bool) & (now >= np.array(ready_at, dtype=float))

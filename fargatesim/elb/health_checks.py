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

_TASK_HEALTH = attrgetter("state", "unreachable", "app_ready_at", "failing_health")


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


def apps_answer(tasks: list[Task], now: float) -> np.ndarray:
    """Task.app_answers for many tasks at once."""
    return _answering(tasks, now)[0]


def checks_pass(tasks: list[Task], now: float, response_times_s: np.ndarray, timeout_s: float) -> np.ndarray:
    """check_passes for the targets of many tasks at once (they share their check instants)."""
    answers, failing = _answering(tasks, now)
    return answers & ~failing & (response_times_s <= timeout_s)


def _answering(tasks: list[Task], now: float) -> tuple[np.ndarray, np.ndarray]:
    if not tasks:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    states, unreachable, ready_at, failing = zip(*map(_TASK_HEALTH, tasks))
    up = np.fromiter(map(ANSWERING.__contains__, states), dtype=bool, count=len(tasks))
    # None (the app has not started) becomes nan, which no instant reaches.
    ready = now >= np.array(ready_at, dtype=float)
    return up & ~np.array(unreachable, dtype=bool) & ready, np.array(failing, dtype=bool)

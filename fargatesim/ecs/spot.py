"""Fargate Spot interruptions (ECS developer guide, "AWS Fargate capacity providers").

When AWS needs Spot capacity back it sends a two-minute warning: a task state change event
(stopCode TerminationNotice, "Your Spot Task was interrupted.") and SIGTERM to the task. The
service scheduler then launches a replacement (Service.reclaim has the stop and the
replacement). The stopped task carries stopCode SpotInterruption.

AWS publishes no interruption rate. A scenario gives one per running Spot task-hour, and each
running FARGATE_SPOT task is interrupted after an exponential time of that mean, independently
of the others: interruptions form a Poisson process whose rate follows the Spot tasks running.
Spot capacity itself is taken as always available: replacements on FARGATE_SPOT start at once
(AWS: "if capacity is available").
"""
from __future__ import annotations

from ..clock import at
from .task import TaskState

WARNING_S = 120.0    # from the warning until AWS reclaims the capacity
REASON = "Your Spot Task was interrupted."


def install_spot_interruptions(env, service, fault, rng, record_event) -> None:
    if fault.rate_per_task_hour is not None:
        if fault.rate_per_task_hour > 0:
            mean_s = 3600.0 / fault.rate_per_task_hour
            service.on_running.append(lambda task: _interrupt_later(env, service, task, mean_s, rng, record_event))
    else:
        env.process(at(env, fault.at, lambda: _interrupt_some(env, service, fault.count, rng, record_event)))


def _interrupt_later(env, service, task, mean_s, rng, record_event) -> None:
    if not task.spot:
        return      # no draw for on-demand tasks: a run without Spot draws nothing from the stream

    def wait():
        yield env.timeout(float(rng.exponential(mean_s)))
        interrupt(env, service, task, record_event)
    env.process(wait())


def _interrupt_some(env, service, count, rng, record_event) -> None:
    spot = [t for t in service.tasks if t.spot and t.state is TaskState.RUNNING and not t.stop_requested]
    if not spot:
        return
    idx = rng.choice(len(spot), size=min(count, len(spot)), replace=False)
    for i in sorted(idx):
        interrupt(env, service, spot[i], record_event)


def interrupt(env, service, task, record_event) -> None:
    """The two-minute warning for one Spot task, and what follows it."""
    if task.state not in (TaskState.RUNNING, TaskState.DEACTIVATING):
        return      # stopped, or already stopping, before AWS needed its capacity
    record_event(env.now, "fault", task.id,
                 f"spot_interruption: two-minute warning (stopCode TerminationNotice: {REASON}); "
                 f"SIGTERM now, capacity reclaimed within {WARNING_S:g} s")
    service.reclaim(task, f"TerminationNotice: {REASON}", stop_code="SpotInterruption")

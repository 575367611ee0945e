"""Scheduled actions as they run: at each firing time, set the target's min and max."""
from __future__ import annotations

from datetime import timedelta

from ..clock import until
from .schedule import schedule_times


def install_scheduled_actions(env, target, actions, *, start, duration: float) -> list[tuple[float, str]]:
    """Start one process per scheduled action; returns the (t, name) firings planned."""
    end = start + timedelta(seconds=duration)
    planned = []
    for action in actions:
        times = schedule_times(action.schedule, action.timezone, start, end,
                               start_time=action.start_time, end_time=action.end_time)
        offsets = [(t - start).total_seconds() for t in times]
        planned += [(t, action.name) for t in offsets]
        env.process(_fire(env, target, action, offsets))
    return sorted(planned)


def _fire(env, target, action, offsets):
    bounds = action.scalable_target_action
    for t in offsets:
        yield until(env, t)
        target.set_bounds(action.name, bounds.min_capacity, bounds.max_capacity)

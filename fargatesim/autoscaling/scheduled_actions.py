"""Scheduled actions as they run: at each firing time, set the target's min and max; and the
actions that would never fire within a run, found before it so that the user hears of them."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..clock import until
from ..scenario import ScenarioWarning
from .schedule import UTC, _at_time, _zone, schedule_times


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


def never_firing(scenario) -> list[ScenarioWarning]:
    """One ScenarioWarning per scheduled action of `scenario` that does not fire within its run,
    saying why (after the end, before the start, a time that does not exist in its zone, a cron
    that matches no minute of the run, a start_time/end_time window outside it)."""
    if scenario.autoscaling is None or not scenario.autoscaling.scheduled_actions:
        return []
    start = scenario.start
    # The span the engine simulates: the duration in whole ticks (engine.Simulation.n_ticks).
    end = start + timedelta(seconds=math.ceil(scenario.duration / scenario.tick - 1e-9) * scenario.tick)
    span = f"{_utc(start)} to {_utc(end)} UTC"
    out = []
    for i, action in enumerate(scenario.autoscaling.scheduled_actions):
        if schedule_times(action.parsed_schedule, action.timezone, start, end,
                          start_time=action.start_time, end_time=action.end_time):
            continue
        key, reason = _why_not(action, start, end)
        out.append(ScenarioWarning(f"scheduled action {action.name!r} never fires within the run ({span}): {reason}; "
                                   "it changes nothing", file=scenario.source,
                                   path=f"autoscaling.scheduled_actions[{i}].{key}"))
    return out


def _why_not(action, start: datetime, end: datetime) -> tuple[str, str]:
    """(the key to blame, why) for an action that fires nowhere in [start, end)."""
    if action.start_time is not None and action.start_time >= end:
        return "start_time", f"its start_time, {_utc(action.start_time)} UTC, is not before the run's end"
    if action.end_time is not None and action.end_time < start:
        return "end_time", f"its end_time, {_utc(action.end_time)} UTC, is before the run's start"
    parsed = action.parsed_schedule
    if parsed.kind == "at":
        instants = _at_time(parsed.at, _zone(action.timezone))
        if not instants:
            return "schedule", f"{action.schedule} does not exist in {action.timezone} (a daylight saving change skips it)"
        when = instants[0]
        side = ("before the run's start" if when < start else "after the run's end" if when >= end
                else "outside its start_time to end_time window")
        local = "" if action.timezone == "UTC" else f" in {action.timezone}, {_utc(when)} UTC,"
        return "schedule", f"{action.schedule}{local} is {side}"
    if parsed.kind == "cron":
        window = " within its start_time to end_time window" if action.start_time or action.end_time else ""
        local = "" if action.timezone == "UTC" else f" in {action.timezone}"
        return "schedule", f"{action.schedule}{local} matches no minute of the run{window}"
    return "schedule", f"{action.schedule} has no firing time between its start_time and end_time within the run"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

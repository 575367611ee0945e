"""Offered request rate over time: the sum of the scenario's traffic components.

Each kind has two functions of t (seconds after the scenario start):
  rate(c, t, start)      the instantaneous rate, requests/s;
  requests(c, t, start)  an antiderivative of it: requests offered from a fixed origin to t.

`rate_curve` turns the antiderivative into the exact mean rate over each tick,
(F((k+1)*tick) - F(k*tick)) / tick, so breakpoints inside a tick (a spike at 10.5 s, a step at
an odd second, a trace bin of 100 s against 7 s ticks, the Saturday midnight in a 1 h tick) are
all weighted exactly, in a handful of array operations whatever the number of ticks.

Diurnal shape. With u the UTC time of day of start + t, in seconds:
    rate = mean_rps * w(day) * (1 + a * cos(2*pi * (u - peak_at) / 86400)),
    a = (peak_to_trough - 1) / (peak_to_trough + 1),
so the mean over a UTC calendar day is mean_rps * w(day), the peak is at peak_at, and
max/min = (1 + a) / (1 - a) = peak_to_trough. w(day) is weekend_factor on Saturdays and
Sundays (UTC calendar days of start + t) and 1 on weekdays; it switches at UTC midnight, so the
mean over a whole week is mean_rps * (5 + 2 * weekend_factor) / 7.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import numpy as np

from .piecewise import constant_integral, constant_rate, linear_integral, linear_rate
from .trace import load_trace

DAY = 86_400.0
_OMEGA = 2 * math.pi / DAY

Component = Any  # duck-typed: a frozen object with .kind and that kind's attributes


# --------------------------------------------------------------------------- constant

def _constant_rate(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    return np.full_like(t, float(c.rps))


def _constant_requests(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    return float(c.rps) * t


# --------------------------------------------------------------------------- diurnal

def _utc(start: datetime) -> datetime:
    # A naive start is taken to be UTC, as the scenario file's "...Z" times are.
    return start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start.astimezone(timezone.utc)


def _diurnal_frame(c: Component, t: np.ndarray, start: datetime):
    """Day number since start's UTC midnight, time into that day, and the day's weekend factor."""
    start = _utc(start)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    u = (start - midnight).total_seconds() + t
    day = np.floor(u / DAY)
    into_day = u - day * DAY
    weekday = (start.weekday() + day.astype(np.int64)) % 7  # Monday is 0
    factor = np.where(weekday >= 5, float(c.weekend_factor), 1.0)
    return day, into_day, factor, start.weekday()


def _amplitude(c: Component) -> float:
    # Written as 1 - 2/(p+1) rather than (p-1)/(p+1) so that an infinite ratio gives 1, not nan.
    return 1.0 - 2.0 / (float(c.peak_to_trough) + 1.0)


def _diurnal_rate(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    _, into_day, factor, _ = _diurnal_frame(c, t, start)
    wave = 1.0 + _amplitude(c) * np.cos(_OMEGA * (into_day - float(c.peak_at)))
    return float(c.mean_rps) * factor * wave


def _diurnal_requests(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    day, into_day, factor, first_weekday = _diurnal_frame(c, t, start)
    w = float(c.weekend_factor)
    # Whole days before `day`: every full week contributes 5 + 2w day-weights, and the days
    # of the part week before `day` are looked up from a table of running sums.
    weights = [w if (first_weekday + k) % 7 >= 5 else 1.0 for k in range(7)]
    part_week = np.concatenate(([0.0], np.cumsum(weights)))
    day_i = day.astype(np.int64)
    whole_days = (day_i // 7) * (5 + 2 * w) + part_week[day_i % 7]
    phase = _OMEGA * (into_day - float(c.peak_at))
    within = into_day + _amplitude(c) / _OMEGA * (np.sin(phase) - math.sin(-_OMEGA * float(c.peak_at)))
    return float(c.mean_rps) * (whole_days * DAY + factor * within)


# --------------------------------------------------------------------------- spike

def _spike_knots(c: Component) -> tuple[np.ndarray, np.ndarray]:
    at, rise, hold, decay = float(c.at), float(c.rise), float(c.hold), float(c.decay)
    xs = np.array([at, at + rise, at + rise + hold, at + rise + hold + decay])
    ys = np.array([0.0, float(c.peak_rps), float(c.peak_rps), 0.0])
    return xs, ys


def _spike_rate(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    return linear_rate(t, *_spike_knots(c))


def _spike_requests(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    return linear_integral(t, *_spike_knots(c))


# --------------------------------------------------------------------------- ramp

def _ramp_knots(c: Component) -> tuple[np.ndarray, np.ndarray]:
    return np.array([float(c.start), float(c.end)]), np.array([float(c.from_rps), float(c.to_rps)])


def _ramp_rate(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    return linear_rate(t, *_ramp_knots(c))


def _ramp_requests(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    return linear_integral(t, *_ramp_knots(c))


# --------------------------------------------------------------------------- steps

def _step_knots(c: Component) -> tuple[np.ndarray, np.ndarray]:
    # A stable sort keeps the later of two steps at the same instant in force.
    steps = sorted(c.steps, key=lambda s: float(s.at))
    return np.array([float(s.at) for s in steps]), np.array([float(s.rps) for s in steps])


def _steps_rate(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    if not c.steps:
        return np.zeros_like(t)
    return constant_rate(t, *_step_knots(c), before=0.0)


def _steps_requests(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    if not c.steps:
        return np.zeros_like(t)
    return constant_integral(t, *_step_knots(c), before=0.0)


# --------------------------------------------------------------------------- trace

def _trace_rate(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    trace = load_trace(c.file)
    return float(c.scale) * trace.rate_at(float(c.offset) + t, loop=bool(c.loop))


def _trace_requests(c: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    trace = load_trace(c.file)
    return float(c.scale) * trace.requests_before(float(c.offset) + t, loop=bool(c.loop))


# --------------------------------------------------------------------------- dispatch

Curve = Callable[[Component, np.ndarray, datetime], np.ndarray]

KINDS: dict[str, tuple[Curve, Curve]] = {
    "constant": (_constant_rate, _constant_requests),
    "diurnal": (_diurnal_rate, _diurnal_requests),
    "spike": (_spike_rate, _spike_requests),
    "ramp": (_ramp_rate, _ramp_requests),
    "steps": (_steps_rate, _steps_requests),
    "trace": (_trace_rate, _trace_requests),
}


def _curves_of(component: Component) -> tuple[Curve, Curve]:
    kind = getattr(component, "kind", None)
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown traffic component kind {kind!r}; expected one of {', '.join(KINDS)}") from None


def rate_of(component: Component, t: np.ndarray, start: datetime) -> np.ndarray:
    """Rate of one component, requests/s, at instants t (seconds after `start`)."""
    rate, _ = _curves_of(component)
    return rate(component, np.asarray(t, dtype=float), start)


def requests_between(component: Component, t0: np.ndarray, t1: np.ndarray, start: datetime) -> np.ndarray:
    """Requests one component offers between t0 and t1 (seconds after `start`): the exact integral."""
    _, requests = _curves_of(component)
    return requests(component, np.asarray(t1, dtype=float), start) - requests(
        component, np.asarray(t0, dtype=float), start
    )


def tick_count(duration: float, tick: float) -> int:
    """ceil(duration / tick), forgiving the rounding in e.g. 86400 / 0.1."""
    if not tick > 0:
        raise ValueError(f"tick must be > 0 seconds, got {tick!r}")
    if not duration >= 0:
        raise ValueError(f"duration must be >= 0 seconds, got {duration!r}")
    return int(math.ceil(round(duration / tick, 9)))


def _smoothed_trace(component: Component, edges: np.ndarray, start: datetime, smooth: float,
                    tick: float) -> np.ndarray:
    """Per-tick rate of a trace averaged over a centred window of `smooth` seconds.

    A trace scaled up by a large factor turns each recorded request into `scale` simultaneous
    ones; many more users would instead arrive independently, around the same mean rate. The
    window estimates that mean rate before scaling, so the arrivals drawn from it keep the
    trace's shape without multiplying its one-second noise.
    """
    half = smooth / 2
    _, requests = _curves_of(component)
    return (requests(component, edges[:-1] + tick / 2 + half, start)
            - requests(component, edges[:-1] + tick / 2 - half, start)) / smooth


def rate_curve(components: Iterable[Component], *, start: datetime, duration: float, tick: float,
               origin: float = 0.0) -> np.ndarray:
    """Mean offered rate over each tick [origin + k*tick, origin + (k+1)*tick), summed over the
    components (`origin` < 0: the same traffic before the start, as predictive scaling's
    simulated history reads it).

    Length ceil(duration / tick); the last tick is averaged over its full width even where it
    runs past `duration`. Each mean is exact (a difference of the component's integral).
    """
    n = tick_count(duration, tick)
    edges = origin + np.arange(n + 1, dtype=float) * tick  # k*tick, not a running sum, so no drift
    total = np.zeros(n)
    for component in components:
        if getattr(component, "kind", None) == "constant":
            total += float(component.rps)  # exact, where a difference of rps*t would round
            continue
        _, requests = _curves_of(component)
        smooth = float(getattr(component, "smooth", 0.0) or 0.0)
        if smooth > 0:
            total += _smoothed_trace(component, edges, start, smooth, tick)
            continue
        total += np.diff(requests(component, edges, start)) / tick
    # Differences of large running totals can round a true 0 to -1e-13; rates are never negative.
    np.maximum(total, 0.0, out=total)
    return total

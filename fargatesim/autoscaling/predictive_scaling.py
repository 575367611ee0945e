"""Predictive scaling's clock: when forecasts are issued, which hour's capacity is in force, and
the rules that bound it (docs/aws-behaviour.md, section 11.1).

- A forecast needs at least MIN_HISTORY_S (24 hours) of the load metric; it reads up to the
  last 14 days, and gives the load and the capacity for each of the next FORECAST_HOURS (48)
  clock hours. It is issued anew every REFRESH_S (6 hours).
- Each hour's capacity is in force from the start of the hour less scheduling_buffer_time
  (0-3600 s, 300 by default) until the next hour's takes over.
- The capacity of an hour is the forecast load over what one task carries at the target:
  ceil(load / (target_value x per-task unit)).
- It only raises capacity: a forecast that falls does not scale in.
- HonorMaxCapacity: never above the scalable target's maximum. IncreaseMaxCapacity: the maximum
  rises to the capacity plus max_capacity_buffer percent of it whenever that is above it, and
  stays risen ("does not automatically decrease back to the original maximum").

The policy itself (what it recommends to the scalable target) lives with the other policies;
this module is the part a simpy clock can test rule by rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

HOUR_S = 3600.0
MIN_HISTORY_S = 24 * HOUR_S
FORECAST_HOURS = 48
REFRESH_S = 6 * HOUR_S
HISTORY_HOURS = 14 * 24


@dataclass(frozen=True)
class Forecast:
    issued_s: float                 # when it was issued (simulation seconds)
    first_hour_s: float             # the start of its first hour
    load: np.ndarray                # per hour, in the load metric's unit
    capacity: np.ndarray            # per hour, tasks (before the maximum's rules); NaN: not known

    def hour_index(self, t: float, buffer_s: float) -> int | None:
        """The hour whose capacity is in force at t: the latest hour that began, less the
        buffer, at or before t; None outside the forecast."""
        k = math.floor((t + buffer_s - self.first_hour_s) / HOUR_S)
        return k if 0 <= k < len(self.capacity) else None


@dataclass
class PredictiveClock:
    target_value: float
    per_task: float | None          # what one task carries per unit of the scaling metric, in the
                                    # load's unit; None: not known yet (no capacity forecast)
    forecaster: object              # .forecast(history, hours) -> array of hours
    buffer_s: float = 300.0
    breach: str = "HonorMaxCapacity"
    max_buffer_pct: float = 0.0
    history: list = field(default_factory=list)      # hourly load, oldest first, ending at history_end_s
    history_end_s: float = 0.0      # a clock hour's start, in simulation seconds
    forecasts: list = field(default_factory=list)
    raised_max: int | None = None

    def record_hour(self, load: float) -> None:
        """The load of the hour that just ended (the run keeps learning, as AWS does)."""
        self.history.append(float(load))
        self.history_end_s += HOUR_S

    def history_s(self) -> float:
        return len(self.history) * HOUR_S

    def due(self, now: float) -> bool:
        """Whether a forecast is to be issued now: enough history, and none for REFRESH_S."""
        if self.history_s() < MIN_HISTORY_S:
            return False
        return not self.forecasts or now - self.forecasts[-1].issued_s >= REFRESH_S - 1e-9

    def issue(self, now: float) -> Forecast:
        # Forecast hours are clock hours, in phase with the history's.
        first = self.history_end_s + math.ceil((now - self.history_end_s) / HOUR_S - 1e-9) * HOUR_S
        # The hours between the last of the history and the first forecast hour are forecast too.
        skip = max(0, round((first - self.history_end_s) / HOUR_S))
        load = np.asarray(self.forecaster.forecast(np.asarray(self.history[-HISTORY_HOURS:]),
                                                   FORECAST_HOURS + skip), dtype=float)[skip:]
        if self.per_task is None or not self.per_task > 0:
            capacity = np.full(len(load), np.nan)
        else:
            capacity = np.ceil(np.maximum(load, 0) / (self.target_value * self.per_task) - 1e-9)
        forecast = Forecast(now, first, load, capacity)
        self.forecasts.append(forecast)
        return forecast

    def capacity_at(self, t: float) -> int | None:
        """The forecast capacity in force at t, from the latest forecast that covers t."""
        for forecast in reversed(self.forecasts):
            if forecast.issued_s > t + 1e-9:
                continue
            k = forecast.hour_index(t, self.buffer_s)
            if k is not None:
                capacity = forecast.capacity[k]
                return int(capacity) if np.isfinite(capacity) else None
        return None

    def bounded(self, capacity: int, max_capacity: int) -> tuple[int, int]:
        """(the capacity the policy asks for, the maximum in force), by the breach rule."""
        current_max = max(max_capacity, self.raised_max or 0)
        if self.breach == "IncreaseMaxCapacity":
            # "The upper limit is determined by the forecasted capacity and MaxCapacityBuffer":
            # capacity 50 with a buffer of 10 against a maximum of 40 makes the maximum 55.
            wanted = math.ceil(capacity * (1 + self.max_buffer_pct / 100) - 1e-9)
            if wanted > current_max:
                self.raised_max = current_max = wanted
        return min(capacity, current_max), current_max

"""A predictive scaling policy as it runs: it learns the load hour by hour, forecasts on the
PredictiveClock's schedule and, in ForecastAndScale mode, holds the capacity of the hour in force.

What it does to the scalable target (docs/aws-behaviour.md, section 11.1):
- It raises the desired count to the forecast capacity in force when that is above it ("if the
  forecast expects an increase in load, predictive scaling will increase the capacity"); it never
  asks for fewer tasks.
- The capacity in force is a floor for every other policy's scale-in: a scale-in goes no lower,
  and none happens while the floor is at or above the desired count ("scale-in needs every
  policy ready": each computes its own capacity, the largest wins).
- Its scale-outs are like scheduled actions, not dynamic policies: no cooldown holds them back
  and they start none.
- HonorMaxCapacity keeps the capacity at the maximum; IncreaseMaxCapacity raises the maximum.
ForecastOnly runs forecast and record, and change nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from .predictive_metrics import HourlyReader, known_per_task, learned_per_task, load_unit
from .predictive_scaling import HISTORY_HOURS, HOUR_S, REFRESH_S, PredictiveClock
from .scalable_target import Recommendation


@dataclass
class History:
    """Hourly values before the run: oldest first, the last hour ending at end_s (simulation
    seconds, a clock hour's start, at or before 0). scaling and capacity may be NaN (unknown)."""
    load: list
    scaling: list
    capacity: list
    end_s: float
    source: str = "none"


@dataclass
class HourRecord:
    start_s: float
    load: float
    scaling: float
    capacity: float


@dataclass
class PredictiveScalingPolicy:
    name: str
    cfg: object                       # scenario PredictiveScalingConfig
    target: object                    # ScalableTarget
    service: object
    store: object                     # MetricStore
    forecaster: object
    history: History
    metric_delay: float
    record_event: object
    start: datetime
    clock: PredictiveClock = None
    hours: list = field(default_factory=list)     # the run's own hours, as recorded

    def __post_init__(self):
        spec = self.cfg.metric
        self.reader = HourlyReader(spec, self.store)
        self.known = known_per_task(spec)
        self.clock = PredictiveClock(
            target_value=float(spec.target_value), per_task=self.known, forecaster=self.forecaster,
            buffer_s=float(self.cfg.scheduling_buffer_time), breach=self.cfg.max_capacity_breach_behavior,
            max_buffer_pct=float(self.cfg.max_capacity_buffer or 0), history=[float(v) for v in self.history.load],
            history_end_s=float(self.history.end_s))
        self._learn()
        self.next_hour_s = float(self.history.end_s)     # the start of the next hour to record
        self.scale = self.cfg.mode == "ForecastAndScale"

    # ------------------------------------------------------------------ learning
    def _learn(self) -> None:
        if self.known is not None:
            return
        # Over the hours a forecast reads: the last 14 days.
        keep = max(1, min(len(self.clock.history), HISTORY_HOURS))
        load = (list(self.history.load) + [h.load for h in self.hours])[-keep:]
        scaling = (list(self.history.scaling) + [h.scaling for h in self.hours])[-keep:]
        capacity = (list(self.history.capacity) + [h.capacity for h in self.hours])[-keep:]
        self.clock.per_task = learned_per_task(load, scaling, capacity)

    def _record_due_hours(self, now: float) -> None:
        while self.next_hour_s + HOUR_S + self.metric_delay <= now + 1e-9:
            start = self.next_hour_s
            load, scaling, capacity = self.reader.hour(start, start + HOUR_S)
            self.hours.append(HourRecord(start, load, scaling, capacity))
            # An hour without a datapoint (no requests at all) had no load.
            self.clock.record_hour(load if math.isfinite(load) else 0.0)
            self.next_hour_s = start + HOUR_S
            self._learn()

    # ------------------------------------------------------------------ the loop
    def run(self, env):
        while True:
            now = env.now
            self._record_due_hours(now)
            if self.clock.due(now):
                forecast = self.clock.issue(now)
                peak = np.nanmax(forecast.capacity) if np.isfinite(forecast.capacity).any() else None
                self.record_event(now, "forecast", self.name,
                                  f"forecast for the next {len(forecast.load)} hours from {len(self.clock.history)} "
                                  f"hours of history: load up to {np.max(forecast.load):.4g} {load_unit(self.cfg.metric)}"
                                  + (f", capacity up to {int(peak)} tasks" if peak is not None else
                                     ", capacity not known yet (no hour to learn the scaling metric from)"))
            if self.scale:
                self._apply(now)
            yield env.timeout(max(self._next_wake(now) - now, 0.0))

    def _next_wake(self, now: float) -> float:
        wakes = [self.next_hour_s + HOUR_S + self.metric_delay]
        if self.clock.forecasts:
            wakes.append(self.clock.forecasts[-1].issued_s + REFRESH_S)
        # The next instant an hour's capacity comes into force.
        phase = self.clock.history_end_s - self.clock.buffer_s
        wakes.append(phase + (math.floor((now - phase) / HOUR_S + 1e-9) + 1) * HOUR_S)
        return min(w for w in wakes if w > now + 1e-9)

    def _apply(self, now: float) -> None:
        forecast = self.clock.capacity_at(now)
        if forecast is None:
            self.target.set_floor(self.name, None)
            return
        capacity, max_in_force = self.clock.bounded(forecast, self.target.max_capacity)
        if max_in_force > self.target.max_capacity:
            self.target.raise_max(self.name, max_in_force,
                                  f"IncreaseMaxCapacity: forecast {forecast} tasks + {self.cfg.max_capacity_buffer} %")
        self.target.set_floor(self.name, capacity)
        if capacity > self.target.desired:
            self.target.recommend(Recommendation(
                policy=self.name, capacity=capacity, base=self.service.running_count(),
                why=f"forecast capacity {forecast} for the hour from "
                    f"{self._clock_time(self._hour_in_force(now)):%H:%M}"
                    + (f" (max_capacity {max_in_force})" if capacity < forecast else ""),
                scale_out_cooldown=0, scale_in_cooldown=0, direction="out", cooldowns=False))

    def _hour_in_force(self, now: float) -> float:
        phase = self.clock.history_end_s
        return phase + math.floor((now + self.clock.buffer_s - phase) / HOUR_S + 1e-9) * HOUR_S

    def _clock_time(self, t: float) -> datetime:
        return self.start + timedelta(seconds=t)

    # ------------------------------------------------------------------ results
    def forecast_rows(self, end_s: float) -> list[dict]:
        """One row per clock hour of the run: the forecast in force for it (the latest issued
        before the hour's capacity came into force) beside what the hour measured."""
        measured = {h.start_s: h for h in self.hours}
        rows = []
        t = float(self.history.end_s)
        while t < end_s - 1e-9:
            if t + HOUR_S > 0:
                load_f = capacity_f = issued = None
                # The capacity of hour t is taken at t - buffer (at the start, at once).
                when = max(t - self.clock.buffer_s, 0.0)
                for forecast in reversed(self.clock.forecasts):
                    k = forecast.hour_index(t, 0.0)
                    if forecast.issued_s <= when + 1e-9 and k is not None:
                        load_f, capacity_f, issued = forecast.load[k], forecast.capacity[k], forecast.issued_s
                        break
                h = measured.get(t)
                rows.append({"policy": self.name, "hour_s": t, "load_forecast": load_f,
                             "capacity_forecast": capacity_f, "load": h.load if h else None,
                             "capacity": h.capacity if h else None, "forecast_issued_s": issued})
            t += HOUR_S
        return rows

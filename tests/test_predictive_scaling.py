"""Predictive scaling's documented rules, one at a time, on a simpy clock; and the default
forecaster against a history that repeats exactly."""
from __future__ import annotations

import numpy as np
import pytest
import simpy

from fargatesim.autoscaling.forecaster import SeasonalForecaster
from fargatesim.autoscaling.predictive_scaling import (FORECAST_HOURS, HOUR_S, MIN_HISTORY_S, REFRESH_S,
                                                        PredictiveClock)


class Ramp:
    """A forecaster whose forecast for hour k ahead is 10 x (k + len(history)): easy to check."""

    def forecast(self, history, hours):
        return 10.0 * (np.arange(1, hours + 1) + len(history))


def run(clock: PredictiveClock, hours: float, load=lambda h: 100.0, step_s: float = 60.0) -> list:
    """Drive the clock as the policy does: record each hour's load as it ends, look for a due
    forecast every step; return (t, capacity in force) each step."""
    env = simpy.Environment()
    seen = []

    def hourly():
        while True:
            yield env.timeout(HOUR_S)
            clock.record_hour(load(len(clock.history)))

    def look():
        while True:
            if clock.due(env.now):
                clock.issue(env.now)
            seen.append((env.now, clock.capacity_at(env.now)))
            yield env.timeout(step_s)

    env.process(hourly())
    env.process(look())
    env.run(until=hours * HOUR_S)
    return seen


def test_the_first_forecast_comes_only_after_24_hours_of_history():
    clock = PredictiveClock(target_value=50, per_task=1.0, forecaster=Ramp())
    run(clock, 30)
    assert clock.forecasts[0].issued_s == pytest.approx(MIN_HISTORY_S)
    # With history from before the run (as a scenario's history gives it), at once.
    early = PredictiveClock(target_value=50, per_task=1.0, forecaster=Ramp(), history=[100.0] * 24)
    run(early, 1)
    assert early.forecasts[0].issued_s == 0


def test_forecasts_are_refreshed_every_6_hours_for_the_next_48():
    clock = PredictiveClock(target_value=50, per_task=1.0, forecaster=Ramp(), history=[100.0] * 24)
    run(clock, 25)
    issued = [f.issued_s for f in clock.forecasts]
    assert np.diff(issued).tolist() == [REFRESH_S] * (len(issued) - 1) and issued[0] == 0
    assert all(len(f.capacity) == FORECAST_HOURS for f in clock.forecasts)
    # A refresh reads the hours the run added: the later forecast knows 6 more hours.
    assert clock.forecasts[1].load[0] == 10 * (1 + 24 + 6)


@pytest.mark.parametrize("buffer_s", [0, 300, 1800])
def test_each_hours_capacity_is_in_force_from_its_start_less_the_buffer(buffer_s):
    clock = PredictiveClock(target_value=1, per_task=1.0, forecaster=Ramp(), history=[1.0] * 24, buffer_s=buffer_s)
    seen = dict(run(clock, 5, step_s=60))
    first = clock.forecasts[0]
    for hour in (2, 3, 4):
        start = hour * HOUR_S
        before, at = start - buffer_s - 60, start - buffer_s
        # The forecast's hour k begins at first_hour_s + k hours.
        k = int((start - first.first_hour_s) / HOUR_S)
        assert seen[at] == first.capacity[k]
        assert seen[before] == first.capacity[k - 1]


def test_capacity_is_the_load_over_what_a_task_carries_at_the_target():
    clock = PredictiveClock(target_value=60, per_task=1024 / 100, forecaster=Ramp(), history=[1.0] * 24)
    forecast = clock.issue(0.0)
    # CPU units used over 60 % of a 1,024-unit task: ceil(load / 614.4)
    np.testing.assert_array_equal(forecast.capacity, np.ceil(forecast.load / 614.4).astype(int))


def test_honor_max_capacity_and_increase_max_capacity():
    honor = PredictiveClock(target_value=1, per_task=1.0, forecaster=Ramp())
    assert honor.bounded(50, 40) == (40, 40)
    increase = PredictiveClock(target_value=1, per_task=1.0, forecaster=Ramp(), breach="IncreaseMaxCapacity",
                               max_buffer_pct=10)
    # AWS's example: a forecast of 50 with a buffer of 10 % against a maximum of 40 makes it 55.
    assert increase.bounded(50, 40) == (50, 55)
    # The raised maximum stays: it does not fall back to 40 when the forecast does.
    assert increase.bounded(20, 40) == (20, 55)
    # Well under the maximum, nothing is raised.
    assert PredictiveClock(1, 1.0, Ramp(), breach="IncreaseMaxCapacity", max_buffer_pct=10).bounded(30, 40) == (30, 40)
    # A buffer of 0: the maximum becomes the forecast itself.
    assert PredictiveClock(1, 1.0, Ramp(), breach="IncreaseMaxCapacity").bounded(50, 40) == (50, 50)


def test_the_default_forecaster_is_exact_on_a_history_that_repeats():
    hours = np.arange(21 * 24 + 48)
    weekly = 130 + 60 * np.sin(2 * np.pi * hours / 24) + np.where((hours // 24) % 7 >= 5, -40, 0)
    daily = 100 + 60 * np.sin(2 * np.pi * hours / 24)
    f = SeasonalForecaster()
    for series, history in ((daily, 24), (daily, 72), (daily, 14 * 24), (weekly, 14 * 24), (weekly, 21 * 24)):
        forecast = f.forecast(series[:history], 48)
        truth = series[history:history + 48]
        assert np.max(np.abs(forecast - truth) / truth) < 0.05, history
    # Not yet two weeks of a weekly pattern: the day's pattern only, which misses the weekend.
    forecast = f.forecast(weekly[:4 * 24], 48)
    assert np.max(np.abs(forecast - weekly[96:144]) / weekly[96:144]) > 0.05

"""The load forecast of predictive scaling: hourly values of the load metric, ahead.

AWS does not publish its model ("analyzing metric data from up to the past 14 days to identify
patterns"), so the simulator ships a documented default and takes a user's own in its place:

    class MyForecaster:
        def forecast(self, history, hours):          # history: hourly load, oldest first
            return np.repeat(history[-24:].mean(), hours)

named in the policy as `forecaster: "mymodule:MyForecaster"` (found as custom policies are).

The default, SeasonalForecaster, decomposes the last 14 days (at most) with statsmodels' STL
into a trend and a pattern: the week's (which holds the day's) once two weeks are there, the
day's from two days, and from one day (the least AWS forecasts from) it repeats that day.
Ahead, the trend stays where it ended (the forecast is of the pattern, not of growth) and the
pattern repeats its last cycle. On a history that repeats exactly, it forecasts exactly.
"""
from __future__ import annotations

import warnings

import numpy as np

DAY, WEEK = 24, 168
HISTORY_HOURS = 14 * DAY          # "up to the past 14 days"


class SeasonalForecaster:
    """Trend + daily (+ weekly) pattern, each carried forward from its last cycle."""

    def forecast(self, history, hours: int) -> np.ndarray:
        load = np.asarray(history, dtype=float)[-HISTORY_HOURS:]
        if len(load) < DAY:
            raise ValueError(f"expected at least {DAY} hours of history; got {len(load)}")
        if np.ptp(load) == 0:
            return np.full(hours, load[-1])
        ahead = np.arange(1, hours + 1)
        if len(load) < 2 * DAY:
            # One day: that day again.
            return np.clip(load[len(load) - DAY + (ahead - 1) % DAY], 0, None)
        from statsmodels.tsa.seasonal import STL
        # Two weeks hold two of each hour of the week: the pattern of the week (which holds the
        # day's) is then fitted; before that, the day's.
        period = WEEK if len(load) >= 2 * WEEK else DAY
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")           # statsmodels' convergence chatter
            fit = STL(load, period=period, robust=True).fit()
        # The same hour of the last cycle: hour n + k repeats hour n + k - period.
        pattern = np.asarray(fit.seasonal)[len(load) - period + (ahead - 1) % period]
        return np.clip(np.asarray(fit.trend)[-1] + pattern, 0, None)


class CheckedForecaster:
    """A user's forecaster, its failures and its answers told as the policy's (one
    SimulationError naming the policy, the time and the user's lines)."""

    def __init__(self, obj, *, label: str, in_user_code):
        self.obj, self.label, self.in_user_code = obj, label, in_user_code

    def forecast(self, history, hours: int) -> np.ndarray:
        from ..errors import SimulationError
        from .policy_failure import call_user_code
        answer = call_user_code(lambda: self.obj.forecast(np.array(history, dtype=float), hours),
                                policy=self.label, during="failed in forecast", in_user_code=self.in_user_code)
        try:
            values = np.asarray(answer, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            values = None
        if values is None or len(values) != hours or not np.isfinite(values).all() or (values < 0).any():
            shown = repr(answer)
            raise SimulationError(f"the forecaster of predictive policy {self.label}: forecast(history, {hours}) returned "
                                  f"{shown if len(shown) <= 80 else shown[:77] + '...'}; expected {hours} finite "
                                  "numbers >= 0, the load of each hour ahead")
        return values

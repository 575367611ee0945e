"""How wrong is predictive scaling's default forecaster on real traffic? Hourly MAPE on the
shipped traces (a week each: NASA's web server in July 1995 and ClarkNet's in August 1995).

As AWS does, a forecast is issued every 6 hours once 24 hours of history are there, reading at
most the last 14 days and forecasting the next 48 hours; each is compared with what came, hour
by hour, as long as the trace lasts. Printed: the mean absolute percentage error over every
forecast hour, over the first 6 hours ahead (those a forecast is in force for before the next
replaces it); and beside them, the same for the plainest forecast there is, each hour as it was
24 hours before.

    .venv/bin/python benchmarks/forecaster_error.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fargatesim.autoscaling.forecaster import SeasonalForecaster
from fargatesim.autoscaling.predictive_scaling import FORECAST_HOURS, HISTORY_HOURS

TRACES = Path(__file__).resolve().parent.parent / "scenarios" / "traces"


def hourly(name: str) -> np.ndarray:
    trace = pd.read_csv(TRACES / name)
    hours = (trace["time_s"] // 3600).astype(int)
    return trace.groupby(hours)["requests"].sum().to_numpy(dtype=float)


def main() -> None:
    forecaster = SeasonalForecaster()
    print("trace                               hours  forecasts  MAPE 1-48 h ahead  MAPE 1-6 h ahead"
          "  (same hour yesterday: 1-48 h, 1-6 h)")
    for name in ("nasa-1995-07-10-week-1s.csv", "clarknet-1995-08-28-week-100s.csv"):
        load = hourly(name)
        errors, first_six, naive, naive_six = [], [], [], []
        issues = range(24, len(load) - 1, 6)
        for now in issues:
            forecast = forecaster.forecast(load[max(0, now - HISTORY_HOURS):now], FORECAST_HOURS)
            came = load[now:now + FORECAST_HOURS]
            ape = np.abs(forecast[:len(came)] - came) / np.maximum(came, 1.0)
            yesterday = load[now - 24 + np.arange(FORECAST_HOURS) % 24][:len(came)]
            plain = np.abs(yesterday - came) / np.maximum(came, 1.0)
            errors.extend(ape)
            first_six.extend(ape[:6])
            naive.extend(plain)
            naive_six.extend(plain[:6])
        print(f"{name:36} {len(load):5d}  {len(issues):9d}  {np.mean(errors):17.1%}  {np.mean(first_six):16.1%}"
              f"  ({np.mean(naive):.1%}, {np.mean(naive_six):.1%})")


if __name__ == "__main__":
    main()

"""Predictive scaling on the overview: each hour's forecast load against the load it measured
(a panel of its own, in the load metric's unit), and the forecast capacity on the tasks panel.

Drawn from Result.forecast (forecast.csv): a ForecastOnly run shows what ForecastAndScale would
have held, so a user can judge the forecast before letting it scale, as AWS's console graphs do.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from .axes import si

C_ACTUAL = "#4d4d4d"
C_FORECAST = "#8e44ad"
UNITS = {"ECSServiceCPUUtilization": "CPU, task-%", "ECSServiceTotalCPUUtilization": "CPU, task-%",
         "ECSServiceMemoryUtilization": "memory, task-%", "ECSServiceTotalMemoryUtilization": "memory, task-%",
         "ALBRequestCount": "requests/hour", "TotalALBRequestCount": "requests/hour"}


def forecast_frame(result) -> pd.DataFrame | None:
    frame = getattr(result, "forecast", None)
    return frame if frame is not None and len(frame) else None


def _hours(frame: pd.DataFrame, t0: float) -> np.ndarray:
    return t0 + frame["t_s"].to_numpy(dtype=float) / 86400.0


def _steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour-long steps: each value held from its hour's start to the next hour's."""
    return np.append(x, x[-1] + 1 / 24), np.append(y, y[-1])


def load_unit(scenario, policy: str) -> str:
    cfg = next((p.predictive_scaling_policy_configuration for p in getattr(scenario.autoscaling, "policies", ())
                if p.name == policy), None) if scenario is not None and scenario.autoscaling else None
    spec = cfg.metric if cfg is not None else None
    predefined = spec and (spec.predefined_metric_pair_specification or spec.predefined_load_metric_specification)
    return UNITS.get(predefined.predefined_metric_type, "load") if predefined else "load metric per hour"


def panel_forecast(ax, result, t0: float, legend) -> None:
    """Forecast load (dashed) against measured load, per clock hour, for each predictive policy."""
    frame = forecast_frame(result)
    for i, (policy, rows) in enumerate(frame.groupby("policy", sort=False)):
        x = _hours(rows, t0)
        label = "" if frame["policy"].nunique() == 1 else f" ({policy})"
        ax.step(*_steps(x, rows["load"].to_numpy(dtype=float)), where="post", color=C_ACTUAL, linewidth=1.4,
                label=f"load measured{label}")
        ax.step(*_steps(x, rows["load_forecast"].to_numpy(dtype=float)), where="post", color=C_FORECAST,
                linewidth=1.6, linestyle=(0, (4, 2)), label=f"load forecast{label}")
        if i == 0:
            ax.set_ylabel(load_unit(getattr(result, "scenario", None), policy))
    ax.yaxis.set_major_formatter(FuncFormatter(si))
    ax.set_ylim(bottom=0)
    legend(ax, title="predictive scaling")


def draw_capacity(ax, result, t0: float) -> None:
    """The forecast capacity per hour, on the tasks panel."""
    frame = forecast_frame(result)
    if frame is None:
        return
    for policy, rows in frame.groupby("policy", sort=False):
        capacity = rows["capacity_forecast"].to_numpy(dtype=float)
        if not np.isfinite(capacity).any():
            continue
        # In force from each hour's start less the buffer; drawn from the hour's start.
        ax.step(*_steps(_hours(rows, t0), capacity), where="post", color=C_FORECAST, linewidth=1.3,
                linestyle=(0, (4, 2)), label="forecast capacity")


__all__ = ["panel_forecast", "draw_capacity", "forecast_frame"]

"""Which minutes of a run were outside its SLO: one rule for the overview figure, the
comparison's figures and its table alike."""
from __future__ import annotations

import numpy as np
import pandas as pd


def minutes_outside_slo(ts: pd.DataFrame, slo) -> tuple[np.ndarray, float]:
    """Per row of the per-minute table: was it outside the SLO? And the row length in seconds.

    Outside: p99 above slo.latency_p99_ms or the mean above slo.latency_mean_ms (when set; a
    minute without answers has neither and is not outside on latency), or errors above slo.error_rate x requests of the minute (with
    no error-rate SLO: any error).
    """
    n = len(ts)
    t = ts["t_s"].to_numpy(dtype=float)
    period = float(t[1] - t[0]) if n >= 2 else 60.0
    bad = np.zeros(n, dtype=bool)
    for column in ("latency_p99_ms", "latency_mean_ms"):
        limit_ms = getattr(slo, column, None)
        if limit_ms is not None:
            latency = ts[column].to_numpy(dtype=float)
            bad |= np.nan_to_num(latency, nan=-np.inf) > limit_ms
    rate = getattr(slo, "error_rate", None)
    errors = ts["errors"].to_numpy(dtype=float)
    requests = ts["requests"].to_numpy(dtype=float)
    bad |= errors > (rate or 0.0) * requests
    return bad, period

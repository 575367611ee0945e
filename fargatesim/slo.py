"""Which minutes of a run were outside its SLO: one rule for the overview figure, the
comparison's figures and its table alike."""
from __future__ import annotations

import numpy as np
import pandas as pd


def minutes_outside_slo(ts: pd.DataFrame, slo) -> tuple[np.ndarray, float]:
    """Per row of the per-minute table: was it outside the SLO? And the row length in seconds.

    Outside: p99 above slo.latency_p99_ms (when set; a minute without answers has no p99 and
    is not outside on latency), or errors above slo.error_rate x requests of the minute (with
    no error-rate SLO: any error).
    """
    n = len(ts)
    t = ts["t_s"].to_numpy(dtype=float)
    period = float(t[1] - t[0]) if n >= 2 else 60.0
    bad = np.zeros(n, dtype=bool)
    limit_ms = getattr(slo, "latency_p99_ms", None)
    if limit_ms is not None:
        p99 = ts["latency_p99_ms"].to_numpy(dtype=float)
        bad |= np.nan_to_num(p99, nan=-np.inf) > limit_ms
    rate = getattr(slo, "error_rate", None)
    errors = ts["errors"].to_numpy(dtype=float)
    requests = ts["requests"].to_numpy(dtype=float)
    bad |= errors > (rate or 0.0) * requests
    return bad, period

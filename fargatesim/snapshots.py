"""The control plane's counts over time, as the engine records them.

The engine appends `(t, counts)` whenever a count (desired, running, healthy targets, ...)
changes; CloudWatch's sampled metrics and the results' per-minute table both read them back
at arbitrary instants.
"""
from __future__ import annotations

import numpy as np


def step_values(snapshots, times: np.ndarray, key: str) -> np.ndarray:
    """Value of a control-plane count at each of `times` (the last snapshot at or before)."""
    t = np.array([s[0] for s in snapshots])
    v = np.array([np.nan if s[1][key] is None else s[1][key] for s in snapshots], dtype=float)
    idx = np.searchsorted(t, times, side="right") - 1
    return np.where(idx >= 0, v[np.maximum(idx, 0)], np.nan)

"""Latency percentiles of the request engine: exact, from every ok request's own latency.

The request engine keeps, for every request answered ok, the tick its response was sent in and
its latency (`LatencyLog`, attached to the records as `rec.ok_latencies`; 12 bytes a request).
The functions here have the signatures of `latency.py`'s and fall back to them for records
without a log (the fluid engine), so results and CloudWatch code can call this module for both
engines. Percentiles interpolate linearly between order statistics (numpy's default method).
"""
from __future__ import annotations

import numpy as np

from . import latency as _fluid

ATTR = "ok_latencies"


class LatencyLog:
    """Growing arrays (tick of the response, latency in seconds[, time before the CPU phase
    started]) in the order responses were sent, so ticks never decrease."""

    def __init__(self, keep_waits: bool = False, capacity: int = 1024):
        # Zeroed memory is mapped lazily: reserving room for every request of the run costs
        # only what is written.
        capacity = max(int(capacity), 1024)
        self._tick = np.zeros(capacity, np.int32)
        self._lat = np.zeros(capacity, np.float32)
        self._wait = np.zeros(capacity, np.float32) if keep_waits else None
        self.n = 0

    def append(self, ticks, lat, wait=None) -> None:
        k = len(ticks)
        if self.n + k > len(self._tick):
            cap = max(2 * len(self._tick), self.n + k)
            self._tick = _grown(self._tick, self.n, cap)
            self._lat = _grown(self._lat, self.n, cap)
            if self._wait is not None:
                self._wait = _grown(self._wait, self.n, cap)
        self._tick[self.n:self.n + k] = ticks
        self._lat[self.n:self.n + k] = lat
        if self._wait is not None and wait is not None:
            self._wait[self.n:self.n + k] = wait
        self.n += k

    def mark(self) -> int:
        return self.n

    def rewind(self, n: int) -> None:
        self.n = n

    def since(self, n: int):
        return self._tick[n:self.n], self._lat[n:self.n].astype(float)

    @property
    def ticks(self) -> np.ndarray:
        return self._tick[:self.n]

    @property
    def latencies(self) -> np.ndarray:
        return self._lat[:self.n]

    @property
    def waits(self) -> np.ndarray:
        """Time between arrival and the start of the CPU phase (FCFS queueing delay; 0 for PS)."""
        if self._wait is None:
            raise ValueError("waits were not kept (keep_waits=False)")
        return self._wait[:self.n]

    def in_ticks(self, start: int, stop: int):
        t = self.ticks
        i0, i1 = np.searchsorted(t, [start, stop], side="left")
        return t[i0:i1], self.latencies[i0:i1]


def _grown(a: np.ndarray, n: int, cap: int) -> np.ndarray:
    b = np.empty(cap, dtype=a.dtype)
    b[:n] = a[:n]
    return b


def _log(rec) -> LatencyLog | None:
    return getattr(rec, ATTR, None)


def _quantiles_sorted(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, quantiles):
    """Linear-interpolation quantiles of consecutive sorted segments of `values`."""
    out = np.full((len(counts), len(quantiles)), np.nan)
    live = counts > 0
    if not live.any():
        return out
    s, c = starts[live], counts[live]
    for j, q in enumerate(quantiles):
        pos = q * (c - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, c - 1)
        frac = pos - lo
        v_lo, v_hi = values[s + lo], values[s + hi]
        out[live, j] = v_lo + frac * (v_hi - v_lo)
    return out


def grouped_percentiles(rec, app, group_of_tick: np.ndarray, n_groups: int,
                        quantiles=(0.5, 0.9, 0.99), sl: slice = slice(None)) -> np.ndarray:
    """Percentiles (seconds) of ok latency per group of ticks; NaN for groups with none."""
    log = _log(rec)
    if log is None:
        return _fluid.grouped_percentiles(rec, app, group_of_tick, n_groups, quantiles, sl)
    start, stop, _ = sl.indices(len(rec.lat_n))
    ticks, lat = log.in_ticks(start, stop)
    group = np.asarray(group_of_tick)[ticks - start].astype(np.int64)
    lat = lat.astype(float)
    if n_groups == 1:
        values = np.sort(lat)
        counts = np.array([len(values)])
    else:
        values, counts = _sorted_by_group(group, lat, _scale(lat), 0, n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return _quantiles_sorted(values, starts, counts, quantiles)


def _scale(lat: np.ndarray) -> float:
    """A bound above every latency of `lat`, for _sorted_by_group."""
    return float(lat.max()) * 1.0001 + 1e-9 if len(lat) else 1.0


def _sorted_by_group(group: np.ndarray, lat: np.ndarray, scale: float, first: int, n_groups: int):
    """Latencies sorted by group, then latency, and the count of each of the groups
    first .. first + n_groups - 1: one sort of group + latency / scale. The latencies come back
    rounded by the sum, so a part of the groups sorted with the same scale and the same group
    numbers gives the same values as the whole."""
    key = np.sort(group + lat / scale)
    g = np.floor(key).astype(np.int64)
    values = (key - g) * scale
    return values, np.bincount(g - first, minlength=n_groups)


def tick_percentiles(rec, app, quantiles=(0.5, 0.99), sl: slice = slice(None)) -> np.ndarray:
    """Percentiles (seconds) of ok latency for every tick of `sl` on its own, the same for a
    slice as in the whole run's table."""
    log = _log(rec)
    if log is None:
        return _fluid.tick_percentiles(rec, app, quantiles, sl)
    n = len(rec.lat_n)
    start, stop, _ = sl.indices(n)
    if (start, stop) == (0, n):
        return grouped_percentiles(rec, app, np.arange(n), n, quantiles)
    stop = max(start, stop)
    if n == 1:      # the whole run is one group: grouped_percentiles sorts without a scale
        return grouped_percentiles(rec, app, np.arange(n), n, quantiles)[start:stop]
    # The whole run's table sorts every latency of the run with one scale, from its largest
    # (the largest of the float32 log is the largest of its float64 copy).
    scale = _scale(log.in_ticks(0, n)[1])
    ticks, lat = log.in_ticks(start, stop)
    values, counts = _sorted_by_group(ticks.astype(np.int64), lat.astype(float), scale, start, stop - start)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return _quantiles_sorted(values, starts, counts, quantiles)


def mean_latency(rec, app, sl: slice = slice(None)) -> float:
    log = _log(rec)
    if log is None:
        return _fluid.mean_latency(rec, app, sl)
    start, stop, _ = sl.indices(len(rec.lat_n))
    _, lat = log.in_ticks(start, stop)
    return float(lat.astype(float).mean()) if len(lat) else float("nan")


def mean_latency_by_group(rec, app, t0: int, per: int, n: int) -> np.ndarray:
    """Mean ok latency (seconds) of n consecutive groups of `per` ticks from tick t0."""
    log = _log(rec)
    if log is None:
        return _fluid.mean_latency_by_group(rec, app, t0, per, n)
    ticks, lat = log.in_ticks(t0, t0 + n * per)
    g = (ticks - t0) // per
    count = np.bincount(g, minlength=n)
    total = np.bincount(g, weights=lat.astype(float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def max_latency(rec, app) -> float:
    """The largest latency of an ok request."""
    log = _log(rec)
    if log is None:
        return _fluid.max_latency(rec, app)
    return float(log.latencies.max()) if log.n else float("nan")

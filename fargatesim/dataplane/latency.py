"""Latency percentiles from the fluid model's per-tick state.

A request answered ok at tick k took io + wait_k + X (1 + D) / s, with X its CPU demand (the
workload's distribution), io its I/O time, s the core speed and D its own excess slowdown from
sharing the core, whose mean is m_k s - 1 (m_k the tick's mean slowdown): under processor
sharing a request's response depends on the others present, not only on the mean
(AppModel.cpu_phase_s, docs/fluid-model.md). Each tick therefore contributes a small known
distribution, represented by a quantile grid of the CPU phase X (1 + D) / s (and of io when it
varies) weighted by the tick's ok count. Percentiles of any group of ticks are read from a
log-spaced histogram of those points (relative resolution about 0.5 %), so the cost depends on
the number of ticks, not on the number of requests. Points beyond the timeout are excluded:
those requests were answered 504, not ok.
"""
from __future__ import annotations

import numpy as np

from .app_model import PHASE_MASS, AppModel

_LO, _BINS_PER_DECADE = 1e-4, 400
_CHUNK = 4096   # ticks per histogram pass, to bound memory
_GROUP_BLOCK = 512   # groups with a histogram at once (9 MB of bins)


def _tick_state(rec, sl: slice):
    n = rec.lat_n[sl].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(n > 0, rec.lat_m_sum[sl] / n, 0.0)
        w = np.where(n > 0, rec.lat_w_sum[sl] / n, 0.0)
    return n, m, w


def _compress(group, n, m, w):
    """Merge ticks of a group whose slowdown (to 0.2 %) and wait (to 1 ms) agree.

    Steady stretches have nearly the same state tick after tick; merging them first makes the
    percentile pass cost per distinct state rather than per tick.
    """
    live = n > 0
    group, n, m, w = group[live], n[live], m[live], w[live]
    qm = np.round(np.log(np.maximum(m, 1e-12)) / 2e-3).astype(np.int64)
    # Waits past the key's range (2^21 ms) share its last value; bounding them first keeps a
    # wait of 1e16 s and more (a queue that grew for a year at a thousand times its capacity)
    # from overflowing the int64 cast.
    qw = np.round(np.minimum(w, 1e9) / 1e-3).astype(np.int64)
    span = 1 << 21
    keys = (group * span + np.clip(qm + span // 2, 0, span - 1)) * span + np.clip(qw, 0, span - 1)
    uniq, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    k = len(uniq)
    nn = np.bincount(inv, weights=n, minlength=k)
    mm = np.bincount(inv, weights=n * m, minlength=k) / nn
    ww = np.bincount(inv, weights=n * w, minlength=k) / nn
    return group[first], nn, mm, ww


def _points(rec, app: AppModel, sl: slice):
    return _state_points(app, *_tick_state(rec, sl))


def _state_points(app: AppModel, n, m, w):
    phase = app.cpu_phase_s(m)
    io_pts, io_mass = app.io_grid_s()
    values = (w[:, None, None] + phase[:, :, None] + io_pts[None, None, :])
    weights = n[:, None, None] * PHASE_MASS[None, :, None] * io_mass[None, None, :]
    points = phase.shape[1] * len(io_pts)
    values = values.reshape(len(n), points)
    weights = weights.reshape(len(n), points)
    weights = np.where(values <= app.timeout_s, weights, 0.0)
    return values, weights


def _edges(timeout_s: float) -> np.ndarray:
    decades = np.log10(max(timeout_s, 1.0) * 1.01 / _LO)
    return _LO * 10 ** (np.arange(int(np.ceil(decades * _BINS_PER_DECADE)) + 1) / _BINS_PER_DECADE)


def _bin_of(values: np.ndarray, nb: int) -> np.ndarray:
    with np.errstate(divide="ignore"):
        b = np.floor((np.log10(np.maximum(values, _LO)) - np.log10(_LO)) * _BINS_PER_DECADE)
    return np.clip(b, 0, nb - 1).astype(np.int64)


def grouped_percentiles(rec, app: AppModel, group_of_tick: np.ndarray, n_groups: int,
                        quantiles=(0.5, 0.9, 0.99), sl: slice = slice(None)) -> np.ndarray:
    """Percentiles (seconds) of ok latency per group of ticks; NaN for groups with none."""
    start, stop, _ = sl.indices(len(rec.lat_n))
    groups = np.asarray(group_of_tick)[:max(stop - start, 0)]
    if len(groups) and not (np.all(groups[1:] >= groups[:-1]) and groups[0] >= 0 and groups[-1] < n_groups):
        return _unordered_percentiles(rec, app, groups, n_groups, quantiles, start, stop)
    edges = _edges(app.timeout_s)
    nb = len(edges) - 1
    out = np.full((n_groups, len(quantiles)), np.nan)
    # Groups follow the ticks, so a group is complete once a chunk of ticks has passed it: only
    # the groups of one chunk hold a histogram at a time (a week of minutes at once would take
    # 10,080 groups of 2,193 bins with a 30 s timeout, 180 MB, plus as much again for its
    # cumulative sums). A group's bins still add its chunks' sums in chunk order, so the
    # percentiles are those of the one histogram to the last bit.
    carried = None                  # the histogram of the group the previous chunk ended in
    for c0 in range(start, stop, _CHUNK * 4):
        c1 = min(stop, c0 + _CHUNK * 4)
        chunk_groups = groups[c0 - start:c1 - start]
        g, n, m, w = _compress(chunk_groups, *_tick_state(rec, slice(c0, c1)))
        values, weights = _state_points(app, n, m, w)
        b = _bin_of(values, nb)
        first, last = int(chunk_groups[0]), int(chunk_groups[-1])
        following = int(groups[c1 - start]) if c1 < stop else None
        # _compress returns its states sorted by group: each block of groups is one slice.
        for r0 in range(first, last + 1, _GROUP_BLOCK):
            r1 = min(last + 1, r0 + _GROUP_BLOCK)
            e0, e1 = np.searchsorted(g, [r0, r1])
            hist = np.bincount(((g[e0:e1] - r0)[:, None] * nb + b[e0:e1]).ravel(),
                               weights=weights[e0:e1].ravel(), minlength=(r1 - r0) * nb)
            hist = hist.reshape(r1 - r0, nb)
            if carried is not None and r0 == first:
                hist[0] += carried
                carried = None
            if following == r1 - 1:
                carried = hist[-1].copy()
                hist = hist[:-1]
            out[r0:r0 + len(hist)] = _hist_percentiles(hist, edges, quantiles)
    return out


def _unordered_percentiles(rec, app: AppModel, groups: np.ndarray, n_groups: int, quantiles,
                           start: int, stop: int) -> np.ndarray:
    """grouped_percentiles for groups in any order: one histogram for every group at once."""
    edges = _edges(app.timeout_s)
    nb = len(edges) - 1
    hist = np.zeros(n_groups * nb)
    for c0 in range(start, stop, _CHUNK * 4):
        c1 = min(stop, c0 + _CHUNK * 4)
        g, n, m, w = _compress(groups[c0 - start:c1 - start], *_tick_state(rec, slice(c0, c1)))
        values, weights = _state_points(app, n, m, w)
        b = _bin_of(values, nb)
        hist += np.bincount((g[:, None] * nb + b).ravel(), weights=weights.ravel(),
                            minlength=n_groups * nb)
    return _hist_percentiles(hist.reshape(n_groups, nb), edges, quantiles)


def _hist_percentiles(hist: np.ndarray, edges: np.ndarray, quantiles) -> np.ndarray:
    """Percentiles of each row of a histogram over `edges`, log-interpolated in their bin."""
    n_groups = len(hist)
    out = np.full((n_groups, len(quantiles)), np.nan)
    if not n_groups:
        return out
    cdf = np.cumsum(hist, axis=1)
    total = cdf[:, -1]
    for j, q in enumerate(quantiles):
        target = q * total
        idx = np.argmax(cdf >= target[:, None] - 1e-12 * total[:, None], axis=1)
        below = np.where(idx > 0, cdf[np.arange(n_groups), idx - 1], 0.0)
        inbin = hist[np.arange(n_groups), idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.clip(np.where(inbin > 0, (target - below) / inbin, 0.5), 0.0, 1.0)
        lo, hi = np.log(edges[idx]), np.log(edges[idx + 1])
        out[:, j] = np.where(total > 0, np.exp(lo + frac * (hi - lo)), np.nan)
    return out


def tick_percentiles(rec, app: AppModel, quantiles=(0.5, 0.99), sl: slice = slice(None)) -> np.ndarray:
    """Percentiles (seconds) of ok latency for every tick of `sl` on its own (rows of a few
    points): each row depends on its own tick only, so any slice gives the whole run's rows."""
    start, stop, _ = sl.indices(len(rec.lat_n))
    out = np.full((max(stop - start, 0), len(quantiles)), np.nan)
    for c0 in range(start, stop, _CHUNK):
        values, weights = _points(rec, app, slice(c0, min(stop, c0 + _CHUNK)))
        order = np.argsort(values, axis=1)
        v = np.take_along_axis(values, order, axis=1)
        cw = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
        total = cw[:, -1:]
        for j, q in enumerate(quantiles):
            idx = np.argmax(cw >= q * total - 1e-12 * total, axis=1)
            out[c0 - start:c0 - start + len(v), j] = np.where(total[:, 0] > 0, v[np.arange(len(v)), idx], np.nan)
    return out


def mean_latency(rec, app: AppModel, sl: slice = slice(None)) -> float:
    n = rec.lat_n[sl]
    if n.sum() == 0:
        return float("nan")
    return float((n * app.io_mean_s + rec.lat_w_sum[sl] + rec.lat_m_sum[sl] * app.cpu_mean_s).sum()
                 / n.sum())


def mean_latency_by_group(rec, app: AppModel, t0: int, per: int, n: int) -> np.ndarray:
    """Mean ok latency (seconds) of n consecutive groups of `per` ticks from tick t0."""
    sl = slice(t0, t0 + n * per)
    count = rec.lat_n[sl].reshape(n, per).sum(axis=1)
    total = (rec.lat_n[sl] * app.io_mean_s + rec.lat_w_sum[sl]
             + rec.lat_m_sum[sl] * app.cpu_mean_s).reshape(n, per).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def max_latency(rec, app: AppModel) -> float:
    """The largest latency the model gives an ok request (its grid's top point)."""
    top = -np.inf
    n_ticks = len(rec.lat_n)
    for c0 in range(0, n_ticks, _CHUNK * 4):
        c1 = min(n_ticks, c0 + _CHUNK * 4)
        _, n, m, w = _compress(np.zeros(c1 - c0, dtype=np.int64), *_tick_state(rec, slice(c0, c1)))
        values, weights = _state_points(app, n, m, w)
        live = weights > 0
        if live.any():
            top = max(top, float(values[live].max()))
    return top if np.isfinite(top) else float("nan")

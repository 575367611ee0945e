"""Piecewise-linear and piecewise-constant functions of time, and their exact integrals.

Tick means are computed as differences of an antiderivative, so every breakpoint that falls
inside a tick (a spike starting at 10.5 s with 1 s ticks, a step at 1h with 7 s ticks) is
weighted exactly, with no sub-sampling and no Python loop over ticks.

All functions are right-continuous: at a breakpoint the value of the segment that starts there
applies. That makes zero-length segments (a spike with rise 0, two steps at the same instant)
well defined: they have no width and no area.
"""

from __future__ import annotations

import numpy as np


def _segment(t: np.ndarray, xs: np.ndarray) -> np.ndarray:
    # Index of the last knot at or before t (-1 before the first); with side="right" a
    # zero-width segment is never selected.
    return np.searchsorted(xs, t, side="right") - 1


def linear_rate(t: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Linear interpolation through knots (xs, ys); ys[0] before xs[0], ys[-1] after xs[-1]."""
    t = np.asarray(t, dtype=float)
    i = np.clip(_segment(t, xs), 0, len(xs) - 2)
    x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
    width = x1 - x0
    frac = np.divide(t - x0, width, out=np.zeros_like(t), where=width > 0)
    inside = y0 + (y1 - y0) * np.clip(frac, 0.0, 1.0)
    return np.where(t < xs[0], ys[0], np.where(t >= xs[-1], ys[-1], inside))


def linear_integral(t: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Integral of `linear_rate` from xs[0] to t (negative for t < xs[0])."""
    t = np.asarray(t, dtype=float)
    widths = np.diff(xs)
    cum = np.concatenate(([0.0], np.cumsum(widths * (ys[:-1] + ys[1:]) / 2)))
    i = np.clip(_segment(t, xs), 0, len(xs) - 2)
    y_t = linear_rate(t, xs, ys)
    inside = cum[i] + (t - xs[i]) * (ys[i] + y_t) / 2
    before = ys[0] * (t - xs[0])
    after = cum[-1] + ys[-1] * (t - xs[-1])
    return np.where(t < xs[0], before, np.where(t >= xs[-1], after, inside))


def constant_rate(t: np.ndarray, xs: np.ndarray, vs: np.ndarray, before: float = 0.0) -> np.ndarray:
    """vs[i] on [xs[i], xs[i+1]), vs[-1] from xs[-1] on, `before` ahead of xs[0]."""
    t = np.asarray(t, dtype=float)
    i = _segment(t, xs)
    return np.where(i < 0, before, vs[np.maximum(i, 0)])


def constant_integral(t: np.ndarray, xs: np.ndarray, vs: np.ndarray, before: float = 0.0) -> np.ndarray:
    """Integral of `constant_rate` from xs[0] to t (negative for t < xs[0])."""
    t = np.asarray(t, dtype=float)
    cum = np.concatenate(([0.0], np.cumsum(np.diff(xs) * vs[:-1])))
    i = _segment(t, xs)
    j = np.maximum(i, 0)
    return np.where(i < 0, before * (t - xs[0]), cum[j] + vs[j] * (t - xs[j]))

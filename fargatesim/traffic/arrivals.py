"""Request arrivals per tick, drawn from a rate curve in one vectorised call.

The cost depends on the number of ticks only, never on the request rate: a tick at 10,000
requests/s is one Poisson draw, like a tick at 10 requests/s.
"""

from __future__ import annotations

import numpy as np

ARRIVAL_KINDS = ("poisson", "deterministic")

# A running total that rounding left just short of an integer counts as reaching it, so that
# 10 ticks of 0.1 requests give 1 request although 0.1 summed ten times is 0.9999999999999999.
# Summing k terms in sequence errs by at most about k * eps * total; only the fractional parts
# are summed in floating point (whole requests add up exactly as integers), which keeps that
# slack far below one request even for a week at 10,000 requests/s.
_ABS_TOLERANCE = 1e-9
_EPS = float(np.finfo(float).eps)


def sample_arrivals(rates: np.ndarray, tick: float, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Requests arriving in each tick, as int64.

    poisson:       independent Poisson counts with mean rate * tick.
    deterministic: no randomness; the running total of counts after tick k is
                   floor(integral of the rate up to the end of tick k), so it never drifts.
    """
    if not tick > 0:
        raise ValueError(f"tick must be > 0 seconds, got {tick!r}")
    expected = np.asarray(rates, dtype=float) * tick
    invalid = ~(np.isfinite(expected) & (expected >= 0))  # NaN fails both comparisons
    if invalid.any():
        bad = int(np.flatnonzero(invalid)[0])
        raise ValueError(f"rates must be finite and >= 0, got {expected[bad] / tick!r} at tick {bad}")
    if kind == "poisson":
        return rng.poisson(expected).astype(np.int64, copy=False)
    if kind == "deterministic":
        return _deterministic(expected)
    raise ValueError(f"unknown arrivals kind {kind!r}; expected one of {', '.join(ARRIVAL_KINDS)}")


def _deterministic(expected: np.ndarray) -> np.ndarray:
    whole = np.floor(expected)
    whole_total = np.cumsum(whole.astype(np.int64))
    fraction_total = np.cumsum(expected - whole)  # x - floor(x) is exact in floating point
    slack = _ABS_TOLERANCE + 2 * _EPS * np.arange(1, len(expected) + 1) * fraction_total
    reached = whole_total + np.floor(fraction_total + slack).astype(np.int64)
    return np.diff(reached, prepend=np.int64(0))

"""How the load balancer splits each tick's arriving requests across its targets.

Routing works on whole requests: every arrival goes to exactly one target (or to none, when
no target is in service, and then the load balancer answers 503 itself).

- round_robin: each target's share is its weight (equal weights, or the slow-start ramp);
  the fractional remainders are handed out one request at a time starting from a pointer that
  rotates every tick, so no target is favoured over time.
- least_outstanding_requests: the counts are split like round_robin (AWS forbids slow start
  with it, so weights are equal): identical targets get the same share of the work. What the
  algorithm changes is the queueing, which the data plane models: the fluid engine queues the
  serving targets as one pool, and gives the work to the least loaded while their backlogs
  differ, by passing shares other than the weights here (fluid.FluidDataPlane._pool,
  _level_shares; docs/fluid-model.md); the request engine routes each request to the target
  with the fewest outstanding. The websocket data plane routes connections like round_robin.
- weighted_random: a multinomial draw with the weights as probabilities.
"""
from __future__ import annotations

import numpy as np

ALGORITHMS = ("round_robin", "least_outstanding_requests", "weighted_random")


def shares(weights: np.ndarray) -> np.ndarray:
    """Normalise per-tick weights (n, m) to probabilities; rows of zeros stay zero."""
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weights / np.where(total > 0, total, 1.0), 0.0)


def split_equal(arrivals: np.ndarray, routed: np.ndarray, first_tick: int) -> np.ndarray:
    """Round robin over the `routed` targets (a boolean row, same every tick)."""
    n, k = len(arrivals), int(routed.sum())
    base, extra = np.divmod(arrivals, k)
    pointer = (first_tick + np.arange(n)) % k
    rank = np.arange(k)
    sub = base[:, None] + (((rank[None, :] - pointer[:, None]) % k) < extra[:, None])
    out = np.zeros((n, len(routed)), dtype=np.int64)
    out[:, routed] = sub
    return out


def splits_equally(p: np.ndarray) -> bool:
    """Whether split_largest_remainder hands the shares p (n, m) to split_equal."""
    first = p[0]
    routed = first > 0
    return bool(routed.any() and (p == first).all() and np.ptp(first[routed]) < 1e-12)


def split_largest_remainder(arrivals: np.ndarray, p: np.ndarray, first_tick: int) -> np.ndarray:
    """Integer split of arrivals (n,) by shares p (n, m) preserving every row's total."""
    n, m = p.shape
    if splits_equally(p):
        return split_equal(arrivals, p[0] > 0, first_tick)
    expected = arrivals[:, None] * p
    base = np.floor(expected)
    remainder = (arrivals - base.sum(axis=1)).round().astype(np.int64)
    frac = expected - base
    cols = np.arange(m)
    pointer = (first_tick + np.arange(n)) % m
    # The rotating pointer breaks ties between equal remainders without favouring low indices.
    key = frac - 1e-9 * ((cols[None, :] - pointer[:, None]) % m)
    key = np.where(p > 0, key, -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(cols, (n, m)), axis=1)
    return base.astype(np.int64) + (rank < remainder[:, None])


def split_arrivals(algorithm: str, arrivals: np.ndarray, p: np.ndarray, first_tick: int,
                   rng: np.random.Generator) -> np.ndarray:
    if algorithm == "weighted_random":
        routed = p.sum(axis=1) > 0
        out = np.zeros(p.shape, dtype=np.int64)
        if routed.any():
            pv = p[routed]
            pv = pv / pv.sum(axis=1, keepdims=True)
            out[routed] = rng.multinomial(arrivals[routed], pv)
        return out
    return split_largest_remainder(arrivals, p, first_tick)

"""Routing splits whole requests and never loses or invents one."""
import numpy as np
from hypothesis import given, settings, strategies as st

from fargatesim.elb.routing import shares, split_arrivals, split_largest_remainder


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40),
       st.lists(st.floats(0, 1), min_size=1, max_size=12),
       st.sampled_from(["round_robin", "least_outstanding_requests", "weighted_random"]))
def test_split_preserves_every_request(arrivals, weights, algorithm):
    a = np.array(arrivals)
    w = np.broadcast_to(np.array(weights), (len(a), len(weights)))
    p = shares(w)
    out = split_arrivals(algorithm, np.where(p.sum(1) > 0, a, 0), p, 7, np.random.default_rng(1))
    routed = p.sum(1) > 0
    assert (out.sum(1) == np.where(routed, a, 0)).all()
    assert (out >= 0).all()
    assert (out[:, np.array(weights) == 0] == 0).all()


def test_round_robin_equal_targets_differ_by_at_most_one_per_tick_and_balance_over_time():
    a = np.full(1000, 7)
    p = np.full((1000, 3), 1 / 3)
    out = split_largest_remainder(a, p, 0)
    assert (out.max(1) - out.min(1) <= 1).all()
    totals = out.sum(0)
    assert totals.max() - totals.min() <= 1


def test_slow_start_share_follows_weights():
    a = np.full(100, 1000)
    p = shares(np.tile([1.0, 1.0, 0.5], (100, 1)))
    out = split_largest_remainder(a, p, 0)
    assert abs(out[:, 2].sum() / a.sum() - 0.2) < 1e-3

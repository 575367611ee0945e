"""What of a computed stretch can be kept when the control plane cuts it short.

The engine computes the data plane ahead (engine.LOOKAHEAD_S); a change of routing at tick k
inside the stretch makes the ticks from k on wrong, and the data plane restores the stretch's
start and computes [k0, k) again with the old routing. The per-cell values of that shorter
block (split, backlog, load, slowdown, latency) are the first rows of the long one's whenever
every choice the block made from the whole block is the one the shorter block makes and no
random draw was taken; then only the accounting (row sums, pending requests, the state at k)
is done again on those rows, and routing and solving are skipped. The accounting is redone
rather than kept because it also leaves the state at k and the requests still pending, which
are the shorter block's. Sums over the targets are sums over the distinct columns
(columns.py), so the shorter block must find the same columns for its sums to be the same.
"""
from __future__ import annotations

import numpy as np

from ..elb.routing import splits_equally
from .columns import column_key, distinct_columns, row_key


class StretchCut:
    """What a round-robin stretch of the fluid data plane keeps for a cut."""

    def __init__(self, *, p, lam_p, ca2, b0, load0, cols, routed, unserved,
                 ok, state: dict, inverse, timeouts, rates=None, row_ca2=None):
        self.p, self.lam_p, self.ca2, self.b0, self.load0 = p, lam_p, ca2, b0, load0
        self.cols = cols
        # One row of shares (p None): the block's rates and its one row of arrival variability.
        self.rates, self.row_ca2 = rates, row_ca2
        self.routed, self.unserved = routed, unserved
        self.ok, self.state, self.inverse, self.timeouts = ok, state, inverse, timeouts

    def prefix_exact(self, kk: int) -> bool:
        """Whether rows [0, kk) are what a stretch of kk ticks would compute."""
        p, ca2 = self.p, self.ca2
        if p is None:
            # One row of shares for the block: every row is the same choice, but for whether
            # there is traffic at all (fluid._advance_round_robin offers every target nothing
            # in a block without any): a silent start of a block with traffic may find fewer
            # kinds of targets, and then sums over them in another order.
            if self.rates is None or self.rates[:kk].any() or not self.rates.any():
                return True
            cols, inverse = distinct_columns(row_key(self.b0, self.load0, np.zeros(len(self.b0)), self.row_ca2))
            return _same_columns(cols, inverse, self.cols, self.inverse)
        # Equal rows stay equal over fewer rows: only a block that split unequally can differ.
        if not splits_equally(p) and splits_equally(p[:kk]):
            return False
        # SlowdownTable interpolates one table when ca2 is uniform, else evaluates the formula.
        if not _uniform(ca2) and _uniform(ca2[:kk]):
            return False
        if isinstance(self.cols, slice):
            return True     # equal columns stay equal over fewer rows
        # The sums over the targets are sums over the distinct columns in their order: they
        # only match if the shorter block finds the same columns.
        cols, inverse = distinct_columns(column_key(self.b0, self.load0, self.lam_p[:kk], ca2[:kk]))
        return _same_columns(cols, inverse, self.cols, self.inverse)

    def rows(self, kk: int):
        """ok, the solved state and the timeouts of rows [0, kk)."""
        state = {name: None if value is None else value[:kk] for name, value in self.state.items()}
        return (self.ok.head(kk), state,
                None if self.timeouts is None else self.timeouts[:kk])


def _same_columns(cols, inverse, kept_cols, kept_inverse) -> bool:
    if isinstance(cols, slice) or isinstance(kept_cols, slice):
        return isinstance(cols, slice) and isinstance(kept_cols, slice)
    return np.array_equal(cols, kept_cols) and np.array_equal(inverse, kept_inverse)


def _uniform(a: np.ndarray) -> bool:
    return bool((a == a.flat[0]).all())


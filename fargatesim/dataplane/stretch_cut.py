"""What of a computed stretch can be kept when the control plane cuts it short.

The engine computes the data plane ahead (engine.LOOKAHEAD_S); a change of routing at tick k
inside the stretch makes the ticks from k on wrong, and the data plane restores the stretch's
start and computes [k0, k) again with the old routing. The per-cell values of that shorter
block (split, backlog, load, slowdown, latency) are the first rows of the long one's whenever
every choice the block made from the whole block is the one the shorter block makes and no
random draw was taken; then only the accounting (row sums, pending requests, the state at k)
is done again on those rows, and routing and solving are skipped. The row sums are redone
rather than kept because numpy may order a sum over a broadcast array by the array's shape.
"""
from __future__ import annotations

import numpy as np

from ..elb.routing import splits_equally


class StretchCut:
    """What a round-robin stretch of the fluid data plane keeps for a cut."""

    def __init__(self, *, p, lam_p, ca2, b0, load0, one_column: bool, routed, unserved,
                 ok, state: dict, timeouts):
        self.p, self.lam_p, self.ca2, self.b0, self.load0 = p, lam_p, ca2, b0, load0
        self.one_column = one_column
        self.routed, self.unserved = routed, unserved
        self.ok, self.state, self.timeouts = ok, state, timeouts

    def prefix_exact(self, kk: int) -> bool:
        """Whether rows [0, kk) are what a stretch of kk ticks would compute."""
        p, ca2 = self.p, self.ca2
        # Equal rows stay equal over fewer rows: only a block that split unequally can differ.
        if not splits_equally(p) and splits_equally(p[:kk]):
            return False
        # SlowdownTable interpolates one table when ca2 is uniform, else evaluates the formula.
        if not _uniform(ca2) and _uniform(ca2[:kk]):
            return False
        if self.one_column:
            return True     # equal columns stay equal over fewer rows
        # Columns solved apart come back gathered, equal ones broadcast: the row sums only
        # match if the shorter block also finds them different.
        return not (_same_columns(self.b0[None, :]) and _same_columns(self.load0[None, :])
                    and _same_columns(self.lam_p[:kk]) and _same_columns(ca2[:kk]))

    def rows(self, kk: int):
        """ok, the solved state and the timeouts of rows [0, kk)."""
        return (self.ok[:kk], {name: value[:kk] for name, value in self.state.items()},
                None if self.timeouts is None else self.timeouts[:kk])


def _uniform(a: np.ndarray) -> bool:
    return bool((a == a.flat[0]).all())


def _same_columns(a: np.ndarray) -> bool:
    return bool((a == a[:, :1]).all())

"""The requests each target of a block got, as the accounting needs them.

Most blocks only need sums: per tick, over all targets or over the targets of each distinct
column (columns.py). Round robin over equal targets hands each tick's arrivals out in a known
pattern (elb.routing.split_equal: every routed target gets the quotient, and the remainder
goes one each to the targets from a rotating pointer on), so those sums follow from the
pattern in a cost that does not grow with the fleet. The per-target table is only built when
a draw or a late answer needs it, and is then the one split_equal builds.
"""
from __future__ import annotations

import numpy as np

from ..elb.routing import split_equal


class CellSplit:
    """Counts given per target, (n, m)."""

    def __init__(self, cells: np.ndarray):
        self._cells = cells

    def cells(self) -> np.ndarray:
        return self._cells

    def total(self) -> np.ndarray:
        return self._cells.sum(axis=1)

    def column_sums(self, inverse: np.ndarray, c: int) -> np.ndarray:
        """Sums over the targets of each column, (n, c)."""
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(c))
        return np.add.reduceat(self._cells[:, order], starts, axis=1)

    def head(self, kk: int) -> "CellSplit":
        return CellSplit(self._cells[:kk])


class RoundRobinSplit:
    """Round robin over the `routed` targets, counting what the `serving` ones got.

    Target j's count in tick i is what split_equal gives it if it is serving, else 0 (the
    load balancer's 502s are `unserved`).
    """

    def __init__(self, arrivals: np.ndarray, routed: np.ndarray, serving: np.ndarray, first_tick: int):
        self.arrivals, self.routed, self.serving = arrivals, routed, serving
        self.first_tick = first_tick
        self._k = int(routed.sum())
        self._cells = self._unserved = None

    def cells(self) -> np.ndarray:
        if self._cells is None:
            if self._k:
                self._cells = split_equal(self.arrivals, self.routed, self.first_tick) * self.serving[None, :]
            else:
                self._cells = np.zeros((len(self.arrivals), len(self.routed)), dtype=np.int64)
        return self._cells

    def _sums(self, members: np.ndarray) -> np.ndarray:
        """Per tick, what the targets of each row of `members` (g, m) bool got, (n, g)."""
        n = len(self.arrivals)
        if not self._k:
            return np.zeros((n, len(members)), dtype=np.int64)
        by_rank = members[:, self.routed]                            # (g, k): ranks among routed
        size = by_rank.sum(axis=1)
        if ((size == 0) | (size == self._k)).all():
            # Each row holds every routed target or none: all the arrivals or nothing.
            return self.arrivals[:, None] * (size == self._k)[None, :]
        by_rank = by_rank.astype(np.int64)
        base, extra = np.divmod(self.arrivals, self._k)
        pointer = (self.first_tick + np.arange(n)) % self._k
        below = np.zeros((len(members), self._k + 1), dtype=np.int64)
        np.cumsum(by_rank, axis=1, out=below[:, 1:])                  # members of rank < x
        # The remainder goes to ranks pointer, pointer + 1, ... (extra of them), wrapping at k.
        end = pointer + extra
        wrapped = np.maximum(end - self._k, 0)
        extra = (below[:, np.minimum(end, self._k)] - below[:, pointer] + below[:, wrapped]).T
        return base[:, None] * size[None, :] + extra

    def total(self) -> np.ndarray:
        # Every arrival goes to a routed target, serving or not, when there is one.
        if not self._k:
            return np.zeros_like(self.arrivals)
        return self.arrivals - self.unserved()

    def unserved(self) -> np.ndarray:
        if self._unserved is None:
            lost = self.routed & ~self.serving
            # Every routed target serving (the common case): _sums' count of none of them.
            self._unserved = self._sums(lost[None, :])[:, 0] if lost.any() else self.arrivals * 0
        return self._unserved

    def column_sums(self, inverse: np.ndarray, c: int) -> np.ndarray:
        members = (inverse[None, :] == np.arange(c)[:, None]) & self.serving[None, :]
        return self._sums(members)

    def head(self, kk: int) -> "RoundRobinSplit":
        return RoundRobinSplit(self.arrivals[:kk], self.routed, self.serving, self.first_tick)

"""Targets that behave alike share one column of the fluid data plane's state.

Targets with the same offered load, arrival variability, backlog and smoothed load (and, in a
least-outstanding-requests pool, the same cores) go through the same queue: the data plane
solves each distinct column once (usually one: round robin over equal tasks) and sums over the
targets as sums over the columns, each weighted by its targets.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


def column_key(b0, load0, lam_p, ca2, cores=None) -> np.ndarray:
    """What tells targets apart, one column per target: backlog, smoothed load, offered rate per
    tick, and the arrival variability and cores when they differ between targets."""
    parts = [b0[None, :], load0[None, :], lam_p]
    if not (ca2 == ca2[:, :1]).all():
        parts.append(ca2)
    if cores is not None and not (cores == cores[0]).all():
        parts.append(cores[None, :])
    return np.vstack(parts)


def row_key(b0, load0, lam, ca2) -> np.ndarray:
    """column_key for a block whose offered rates are rate x `lam` (one value per target) and
    whose arrival variability `ca2` is one row: the same targets are equal, in a key whose size
    does not grow with the block."""
    parts = [b0, load0, lam]
    if not (ca2 == ca2[0]).all():
        parts.append(ca2)
    return np.vstack(parts)


def distinct_columns(key: np.ndarray):
    """The distinct columns of `key` and, per column, which of them it equals.

    Returns (cols, inverse): cols a slice (every column equal) or the index of the first column
    of each distinct value, in the order they first appear; inverse an int array with an entry
    per column of key. The order depends only on which columns are equal, so a block of fewer
    rows that finds the same columns equal sums over them in the same order.
    """
    same = (key == key[:, :1]).all(axis=0)
    if same.all():
        return slice(0, 1), np.zeros(key.shape[1], dtype=np.int64)
    # Usually a few kinds of targets (serving, starting, draining): peel them off one by one.
    inverse = np.zeros(key.shape[1], dtype=np.int64)
    reps, rest = [0], ~same
    while len(reps) < _PEELED:
        j = int(rest.argmax())
        same = (key == key[:, j:j + 1]).all(axis=0) & rest
        if not same[j]:
            break                   # a column unequal to itself (NaN): leave it to the general way
        inverse[same] = len(reps)
        reps.append(j)
        rest &= ~same
        if not rest.any():
            return np.array(reps), inverse
    # Group by a random projection, then check the grouping exactly; fall back to pairwise
    # comparison in the (practically impossible) case of a clash. The projection is summed row
    # by row, the same operations for every column, so equal columns project to equal floats
    # (a matrix product may round two equal columns differently and split them).
    weights = _projection(key.shape[0])
    projection = (key * weights[:, None]).sum(axis=0)
    _, reps, inverse = np.unique(projection, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if (key == key[:, reps][:, inverse]).all():
        order = np.argsort(reps)
        relabel = np.empty(len(reps), dtype=np.int64)
        relabel[order] = np.arange(len(reps))
        return reps[order], relabel[inverse]
    reps_list: list[int] = []
    inverse = np.empty(key.shape[1], dtype=np.int64)
    for j in range(key.shape[1]):
        if reps_list:
            same = (key[:, reps_list] == key[:, j:j + 1]).all(axis=0)
            if same.any():
                inverse[j] = int(np.argmax(same))
                continue
        inverse[j] = len(reps_list)
        reps_list.append(j)
    return np.array(reps_list), inverse


# Up to this many distinct columns are found by comparison; more by projection.
_PEELED = 8


@lru_cache(maxsize=64)
def _projection(rows: int) -> np.ndarray:
    weights = np.random.default_rng(0).random(rows)
    weights.flags.writeable = False
    return weights

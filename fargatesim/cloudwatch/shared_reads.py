"""The metrics read by the alarms due at one instant, each computed once.

Target tracking's two alarms read one metric at the same instant, over ranges that end at the
same period; computed once over the wider range, the narrower is a slice of it. A period's
value is computed from its own ticks only, so it is the same whatever range it was computed in.

Only while the records cannot change: the evaluator drops it before an alarm's actions run.
Not kept from one instant to the next, even for periods long closed: a rewind of the fluid data
plane computes the cut stretch again as a shorter block, which can change records of ticks
before the rewind point (ok and 504 counts, latency sums) back to the stretch's start, so a
datapoint already visible may still change.
"""
from __future__ import annotations

import numpy as np


class SharedReads:
    """A metric store's datapoints, as MetricStore.datapoints gives them; a range that an
    earlier request covered (same metric and statistic, same end, an earlier or equal start)
    is not computed again."""

    def __init__(self, store):
        self.store = store
        self._done: dict[tuple, tuple[int, np.ndarray]] = {}

    def datapoints(self, namespace: str, metric: str, period: float, statistic: str,
                   first: int, stop: int) -> np.ndarray:
        key = (namespace, metric, period, statistic, stop)
        done = self._done.get(key)
        if done is not None and done[0] <= first:
            return done[1][first - done[0]:].copy()
        values = np.asarray(self.store.datapoints(namespace, metric, period, statistic, first, stop))
        self._done[key] = (first, values.copy())
        return values

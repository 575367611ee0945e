"""Memory an application leaks while it runs (the memory_leak fault).

Each task's app holds `rate` MiB more every second from the moment it started; what it leaked
counts in MemoryUtilization like any resident memory, and when the task's memory is full the
container is killed (ecs/out_of_memory.py). Leaks are per task, so the data plane keeps when
each slot's began; a slot that never leaked is left out.
"""
from __future__ import annotations

import numpy as np


class MemoryLeak:
    def __init__(self, rate_mb_per_s: float):
        self.rate = float(rate_mb_per_s)
        self._since = np.full(0, np.nan)      # per slot; NaN: never leaked

    def __bool__(self) -> bool:
        return self.rate > 0

    def start(self, slot: int, t: float) -> None:
        """The app of `slot` has leaked since time t (earlier than now for a task already running)."""
        if slot >= len(self._since):
            self._since = np.concatenate([self._since, np.full(slot + 1 - len(self._since), np.nan)])
        self._since[slot] = float(t)

    def mb(self, slots: np.ndarray, k0: int, n: int, tick: float) -> np.ndarray | float:
        """MiB leaked by the apps of `slots` together, at the middle of each tick of [k0, k0 + n)."""
        if not self.rate or not len(slots):
            return 0.0
        slots = np.asarray(slots)
        since = self._since[slots[slots < len(self._since)]]
        since = since[np.isfinite(since)]
        if not len(since):
            return 0.0
        t = (k0 + np.arange(n) + 0.5) * tick
        return self.rate * np.clip(t[:, None] - since[None, :], 0.0, None).sum(axis=1)

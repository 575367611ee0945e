"""Per-tick records the data plane writes and CloudWatch and the results read."""
from __future__ import annotations

import numpy as np

COUNTS = ("arrivals", "ok", "elb_503", "elb_502", "target_503", "timeout_504", "reset_on_stop")
ERROR_KINDS = ("elb_503", "elb_502", "target_503", "timeout_504", "reset_on_stop")
FLOATS = (
    "offered_rps",     # the traffic model's rate (requests/s) over the tick
    "lat_n",           # requests answered ok, by arrival tick (weights of the latency model)
    "lat_m_sum",       # sum over those of the slowdown factor (s of response per CPU-s)
    "lat_w_sum",       # sum over those of the time spent behind a backlog (s)
    "cpu_used",        # CPU units busy, summed over running tasks (sidecars included)
    "cpu_capacity",    # CPU units of the running tasks
    "mem_used",        # MiB resident, summed over running tasks
    "mem_capacity",    # MiB of the running tasks
    "inflight",        # requests in flight in the tasks (Little's law on the fluid model)
    "in_service",      # targets the load balancer counts as in service (RequestCountPerTarget)
)


class TickRecords:
    """One numpy array per series, indexed by tick."""

    def __init__(self, n_ticks: int):
        self.n_ticks = n_ticks
        for name in COUNTS:
            setattr(self, name, np.zeros(n_ticks, dtype=np.int64))
        for name in FLOATS:
            setattr(self, name, np.zeros(n_ticks, dtype=float))

    def arrays(self):
        return [(name, getattr(self, name)) for name in COUNTS + FLOATS]

    def errors(self) -> np.ndarray:
        return sum(getattr(self, k) for k in ERROR_KINDS)

"""What one platform makes of one job's runs: one row of the comparison table."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

# Counts that do not apply to a platform (a Fargate task has no cold start in Lambda's sense: every
# task starts from nothing) are None, shown as <NA> in the table and null in JSON.


@dataclass(frozen=True)
class PlatformOutcome:
    job: str
    platform: str
    feasible: bool
    reason: str  # why the platform cannot run the job as asked; "" when it can
    runs: int  # runs asked for
    completed: int | None  # runs that ran to the end
    dropped: int | None  # runs never started (a throttled Lambda event older than its maximum age)
    throttled: int | None  # runs refused for lack of concurrency at least once before they started
    cold_starts: int | None
    vcpu: float  # what the platform gives a run
    memory_mb: int
    architecture: str
    billed_s: float  # total billed time of all runs
    compute_usd: float  # vCPU and memory (Fargate) or GB-seconds (Lambda)
    request_usd: float
    storage_usd: float  # Fargate ephemeral storage above the included 20 GiB
    cost_usd: float
    usd_per_run: float  # per completed run
    start_delay_s: float  # mean time from a run's firing until its code runs
    makespan_s: float  # the longest time from a firing until the last of its runs has ended

    def as_dict(self) -> dict:
        """JSON-able and rounded for reading: NaN becomes None."""
        out = {}
        for key, value in asdict(self).items():
            if isinstance(value, float):
                value = None if math.isnan(value) else round(value, _DECIMALS.get(key, 6))
            out[key] = value
        return out


# Dollar totals keep the price table's 6 decimals; a run's cost needs more, times need milliseconds.
_DECIMALS = {"usd_per_run": 9, "vcpu": 4, "billed_s": 3, "start_delay_s": 3, "makespan_s": 3}


COLUMNS = tuple(PlatformOutcome.__dataclass_fields__)
NAN = float("nan")


def not_run(job, platform: str, runs: int, reason: str, *, vcpu: float, memory_mb: int) -> PlatformOutcome:
    """The row of a platform that cannot run the job at all: the reason, and no figures."""
    return PlatformOutcome(
        job=job.name, platform=platform, feasible=False, reason=reason, runs=runs, completed=None, dropped=None,
        throttled=None, cold_starts=None, vcpu=vcpu, memory_mb=memory_mb, architecture=job.architecture,
        billed_s=NAN, compute_usd=NAN, request_usd=NAN, storage_usd=NAN, cost_usd=NAN, usd_per_run=NAN,
        start_delay_s=NAN, makespan_s=NAN,
    )


def makespan(fired_at: np.ndarray, ended_at: np.ndarray) -> float:
    """The longest time from a firing to the end of its last run; runs that never ran (NaN) are left out."""
    ran = ~np.isnan(ended_at)
    if not ran.any():
        return NAN
    firings, group = np.unique(fired_at[ran], return_inverse=True)
    last = np.full(firings.size, -np.inf)
    np.maximum.at(last, group, ended_at[ran])
    return float(np.max(last - firings))


def mean_or_nan(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else NAN

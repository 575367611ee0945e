"""The runs of a job: when each one is asked for, and the random times it takes on each platform.

Every random quantity is drawn once per run, whether or not a platform uses it (a warm Lambda
start ignores its cold-start draw), so changing one platform's settings never reshuffles the other
platform's numbers, and both platforms replay the same durations.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from fargatesim.autoscaling.schedule import schedule_times
from fargatesim.scenario.jobs import Job

# Job streams hang off the scenario seed under this key, away from the engine's streams (which
# are the seed's first children), and under the job's name rather than its position, so that
# adding or reordering jobs leaves the other jobs' draws alone.
_JOBS_SPAWN_KEY = 0x6A6F6273  # "jobs"
_STREAMS = ("duration", "startup", "cold_start")


@dataclass(frozen=True)
class JobRuns:
    """One row per run, sorted by firing time; times are seconds from the start of the scenario."""

    job: Job
    fired_at: np.ndarray  # when the run was asked for (RunTask call / asynchronous Invoke)
    duration: np.ndarray  # the work itself, at the job's Fargate size
    startup: np.ndarray  # Fargate PROVISIONING..RUNNING
    cold_start: np.ndarray  # Lambda Init, paid only by runs that get a new execution environment

    def __len__(self) -> int:
        return int(self.fired_at.size)

    @property
    def firings(self) -> np.ndarray:
        """The distinct firing times; each fires `count` runs."""
        return np.unique(self.fired_at)


def firing_times(job: Job, *, start: datetime, duration: float) -> np.ndarray:
    """Seconds from `start` at which the job fires within [0, duration).

    A schedule fires as a scheduled scaling action would (rate() from the start of the scenario,
    at() and cron() in the job's time zone); a job without one fires once, at `at`.
    """
    if job.schedule is None:
        return np.array([job.at] if job.at < duration else [], dtype=float)
    times = schedule_times(job.parsed_schedule, job.timezone, start, start + timedelta(seconds=duration))
    return np.array([(t - start).total_seconds() for t in times], dtype=float)


def draw_runs(job: Job, *, start: datetime, duration: float, seed: int) -> JobRuns:
    """The runs the job asks for while the scenario lasts, with their random times; same seed, same runs.

    A run asked for before the end of the scenario runs to completion even if it ends after it.
    """
    fired = np.repeat(firing_times(job, start=start, duration=duration), job.count)
    n = fired.size
    name_key = zlib.crc32(job.name.encode("utf-8"))
    sequences = np.random.SeedSequence(seed, spawn_key=(_JOBS_SPAWN_KEY, name_key)).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(seq) for name, seq in zip(_STREAMS, sequences)}
    return JobRuns(
        job=job,
        fired_at=fired,
        duration=job.duration.sample(rng["duration"], n),
        startup=job.startup.sample(rng["startup"], n),
        cold_start=job.lambda_.cold_start.sample(rng["cold_start"], n),
    )

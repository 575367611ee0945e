"""A job's runs as Fargate tasks (RunTask), billed as AWS bills a task.

Each run is a task of the job's size: PROVISIONING..RUNNING takes the run's start-up time, the
container works for the run's duration and exits, and the task is STOPPED after deprovisioning.
Billing runs "from the time you start to download your container image until the Amazon ECS task
terminates, rounded up to the nearest second", with a one-minute minimum, on the vCPU and memory
requested (AWS Fargate pricing page): here from the image pull, which starts when the ENI is
attached (the same split of the start-up time as the service's tasks, ecs/timings.py), to STOPPED.

Not modelled: Fargate's quotas on running vCPUs and on the task launch rate; every run starts when
it is asked for.
"""

from __future__ import annotations

import numpy as np

from fargatesim.cost.fargate import billed_seconds, task_charge
from fargatesim.cost.prices import PriceTable
from fargatesim.ecs.timings import DEPROVISIONING_S, PROVISIONING_SHARE

from .outcome import PlatformOutcome, makespan, mean_or_nan
from .runs import JobRuns

PLATFORM = "fargate"


def billed_lengths(runs: JobRuns) -> np.ndarray:
    """Seconds each run's task is billed for, before rounding: image pull to STOPPED.

    A job's container exits on its own, so STOPPING takes no stop timeout; DEPROVISIONING (the ENI
    detach) is still billed.
    """
    pulling_to_running = runs.startup * (1.0 - PROVISIONING_SHARE)
    return pulling_to_running + runs.duration + DEPROVISIONING_S


def fargate_outcome(runs: JobRuns, prices: PriceTable) -> PlatformOutcome:
    job = runs.job
    lengths = billed_lengths(runs)
    billed = billed_seconds(lengths, prices.fargate_rate(job.architecture).minimum_s)
    # Once each run is rounded up and given its minimum, the charge is linear in billed seconds: the
    # runs' total is the charge for their summed billed seconds (a million runs in one call).
    total = float(billed.sum())
    cost = task_charge(total, vcpu=job.vcpu, memory_gib=job.memory_gib, prices=prices,
                       architecture=job.architecture, ephemeral_gib=job.ephemeral_storage.size_in_gib)
    n = len(runs)
    usd, storage = (cost.usd, cost.storage_usd) if n else (0.0, 0.0)  # no runs: not even a minimum
    return PlatformOutcome(
        job=job.name,
        platform=PLATFORM,
        feasible=True,
        reason="",
        runs=n,
        completed=n,
        dropped=0,
        throttled=0,
        cold_starts=None,
        vcpu=job.vcpu,
        memory_mb=job.memory,
        architecture=job.architecture,
        billed_s=total,
        compute_usd=usd - storage,
        request_usd=0.0,
        storage_usd=storage,
        cost_usd=usd,
        usd_per_run=usd / n if n else float("nan"),
        start_delay_s=mean_or_nan(runs.startup),
        makespan_s=makespan(runs.fired_at, runs.fired_at + runs.startup + runs.duration),
    )

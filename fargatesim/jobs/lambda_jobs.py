"""The same runs replayed on Lambda: can it run them, how many cold starts and throttles, what it costs.

The function (Lambda developer guide and pricing page, as cited):
- memory: lambda.memory_size, or else the larger of the memory that buys the job's vCPU ("1,769 MB
  = one vCPU", configuration-function-common) and the job's own memory. Lambda allows 128-10,240 MB
  (gettingstarted-limits); a job that needs more cannot run there. With fewer vCPUs than the
  Fargate task (a memory_size set lower) a run takes longer in proportion: the work is taken to
  be CPU-bound, the cautious reading; more vCPUs are not taken to make it faster.
- timeout: 900 s at most (gettingstarted-limits), and the function is taken to be set to it. A run
  that would take longer cannot run there; Init does not count against the timeout.

Each run is an asynchronous invocation (what EventBridge schedules and fan-out Invokes use):
- A run gets an idle execution environment if one is warm, the most recently used first, and a
  new one otherwise: a cold start, which adds the run's Init time (`cold_start`, an assumption:
  AWS documents no typical value, only its 10 s limit). An environment idle for longer than
  `keep_warm` has been shut down (AWS does not document when; an assumption).
- Concurrency (runs in flight) is limited to reserved_concurrent_executions, or else the account's
  quota (1,000 by default), and a function adds at most 1,000 execution environments every 10
  seconds (scaling-behavior). A run beyond either limit is throttled: "Lambda returns the event to
  the queue and attempts to run the function again for up to 6 hours by default. The retry
  interval increases exponentially from 1 second after the first attempt to a maximum of 5
  minutes" (invocation-async-error-handling). Here the retries come 1, 2, 4, ... s apart, at most
  300 s; an event older than maximum_event_age_in_seconds is dropped. Lambda's further slowing of
  retries when its queue is long is not modelled, so the delays are lower bounds.
- Billing: per invocation, on the configured memory, rounded up to the millisecond (1 ms billing
  since December 2020), plus the request fee. A cold start's Init is billed with its invocation:
  AWS bills the Init phase for every runtime since 1 August 2025 (AWS Compute Blog, "AWS Lambda
  standardizes billing for INIT Phase"). Throttled attempts and dropped events are not billed.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np

from fargatesim.cost.lambda_pricing import (
    LAMBDA_MB_PER_VCPU,
    LAMBDA_MEMORY_MAX_MB,
    LAMBDA_SCALING_ENVIRONMENTS,
    LAMBDA_SCALING_PERIOD_S,
    LAMBDA_TIMEOUT_MAX_S,
    lambda_charge,
    lambda_memory_for_vcpu,
    lambda_vcpu,
)
from fargatesim.cost.prices import PriceTable
from fargatesim.scenario.jobs import Job

from .outcome import NAN, PlatformOutcome, makespan, mean_or_nan, not_run
from .runs import JobRuns

PLATFORM = "lambda"
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 300.0

# Event kinds in the replay's queue; at equal times an environment is freed before an attempt
# looks for one.
_FREED, _ATTEMPT = 0, 1


@dataclass(frozen=True)
class LambdaFunction:
    """The function a job would run on, and why it cannot ("" when it can, as far as memory goes)."""

    memory_mb: int
    vcpu: float
    slowdown: float  # run time on Lambda / run time at the job's Fargate size
    reason: str


def lambda_function(job: Job) -> LambdaFunction:
    settings = job.lambda_
    if settings.memory_size is not None:
        memory = settings.memory_size
        reason = ""
    else:
        for_cpu = lambda_memory_for_vcpu(job.vcpu).requested_mb
        wanted = max(for_cpu, job.memory)
        memory = min(wanted, LAMBDA_MEMORY_MAX_MB)
        reason = _memory_reason(job, wanted, for_cpu)
    vcpu = lambda_vcpu(memory)
    # A function too small for the job has no run time of its own: its runs are judged at the job's size.
    slowdown = 1.0 if reason else max(1.0, job.vcpu / vcpu)
    return LambdaFunction(memory_mb=memory, vcpu=vcpu, slowdown=slowdown, reason=reason)


def _memory_reason(job: Job, wanted: int, for_cpu: int) -> str:
    limit = LAMBDA_MEMORY_MAX_MB
    if wanted <= limit:
        return ""
    parts = []
    if job.memory > limit:
        parts.append(f"the job's memory is {job.memory:,} MB ({job.memory - limit:,} MB over)")
    if for_cpu > limit:
        whose = "its" if parts else "the job's"
        parts.append(f"{whose} {job.vcpu:g} vCPU take {for_cpu:,} MB at {LAMBDA_MB_PER_VCPU:,} MB per vCPU "
                     f"({for_cpu - limit:,} MB over)")
    return (f"needs more than Lambda's maximum memory of {limit:,} MB: {' and '.join(parts)}; "
            "set lambda.memory_size if the work fits in less")


def timeout_reason(run_s: np.ndarray, function: LambdaFunction) -> str:
    """Why runs of these lengths cannot run on Lambda, or ""."""
    over = run_s > LAMBDA_TIMEOUT_MAX_S
    k = int(over.sum())
    if not k:
        return ""
    longest = float(run_s.max())
    verb = "takes" if k == 1 else "take"
    at = f" at {function.vcpu:.2f} vCPU" if function.slowdown > 1 else ""
    return (f"{k:,} of {run_s.size:,} runs {verb} longer{at} than Lambda's maximum timeout of {LAMBDA_TIMEOUT_MAX_S} s "
            f"(the longest {longest:,.0f} s, {longest - LAMBDA_TIMEOUT_MAX_S:,.0f} s over)")


@dataclass(frozen=True)
class LambdaReplay:
    """What happened to each run; times in seconds from the start of the scenario, NaN if it never ran."""

    started_at: np.ndarray  # the invocation that ran (Init starts here on a cold start)
    ended_at: np.ndarray
    cold: np.ndarray  # got a new execution environment
    throttled: np.ndarray  # refused at least once before it ran (or was dropped)
    dropped: np.ndarray  # still throttled when older than maximum_event_age_in_seconds
    throttles: int  # refused attempts, all runs together (what the Throttles metric counts)


def replay(
    fired_at: np.ndarray,
    run_s: np.ndarray,
    init_s: np.ndarray,
    *,
    concurrency: int,
    keep_warm: float,
    max_event_age: float,
    scaling_environments: int = LAMBDA_SCALING_ENVIRONMENTS,
    scaling_period: float = LAMBDA_SCALING_PERIOD_S,
) -> LambdaReplay:
    """Replay asynchronous invocations (fired_at sorted) against execution environments and limits."""
    fired, run, init = (np.asarray(a, dtype=float).tolist() for a in (fired_at, run_s, init_s))
    n = len(fired)
    nan = float("nan")
    started, ended = [nan] * n, [nan] * n
    cold, throttled, dropped = [False] * n, [False] * n, [False] * n
    throttles = 0
    # First attempts come from `fired` in order; the heap holds retries and environments coming free.
    # Both are (time, kind, run, attempt) tuples, so ties resolve the same way wherever they wait.
    heap: list[tuple[float, int, int, int]] = []
    next_run = 0
    busy = 0
    idle: deque[float] = deque()  # when each idle environment became idle, oldest first
    created: deque[float] = deque()  # creation times within the last scaling period
    while next_run < n or heap:
        if next_run < n and (not heap or (fired[next_run], _ATTEMPT, next_run, 0) < heap[0]):
            t, kind, i, attempt = fired[next_run], _ATTEMPT, next_run, 0
            next_run += 1
        else:
            t, kind, i, attempt = heapq.heappop(heap)
        if kind == _FREED:
            busy -= 1
            idle.append(t)
            continue
        if t - fired[i] > max_event_age:
            dropped[i] = True
            continue
        while idle and t - idle[0] > keep_warm:
            idle.popleft()
        while created and t - created[0] >= scaling_period:
            created.popleft()
        if busy < concurrency and (idle or len(created) < scaling_environments):
            if idle:
                idle.pop()
                end = t + run[i]
            else:
                created.append(t)
                cold[i] = True
                end = t + init[i] + run[i]
            busy += 1
            started[i], ended[i] = t, end
            heapq.heappush(heap, (end, _FREED, i, 0))
        else:
            throttled[i] = True
            throttles += 1
            retry_in = min(RETRY_FIRST_S * 2.0**attempt, RETRY_MAX_S)
            heapq.heappush(heap, (t + retry_in, _ATTEMPT, i, attempt + 1))
    return LambdaReplay(
        started_at=np.array(started), ended_at=np.array(ended), cold=np.array(cold, dtype=bool),
        throttled=np.array(throttled, dtype=bool), dropped=np.array(dropped, dtype=bool), throttles=throttles,
    )


def lambda_outcome(runs: JobRuns, prices: PriceTable) -> PlatformOutcome:
    job = runs.job
    function = lambda_function(job)
    run_s = runs.duration * function.slowdown
    reason = "; ".join(r for r in (function.reason, timeout_reason(run_s, function)) if r)
    if reason:
        return not_run(job, PLATFORM, len(runs), reason, vcpu=function.vcpu, memory_mb=function.memory_mb)
    settings = job.lambda_
    rep = replay(runs.fired_at, run_s, runs.cold_start, concurrency=settings.concurrency_limit,
                 keep_warm=settings.keep_warm, max_event_age=settings.maximum_event_age_in_seconds)
    ran = ~rep.dropped
    init_s = np.where(rep.cold, runs.cold_start, 0.0)
    completed = int(ran.sum())
    charge = lambda_charge(completed, run_s[ran] * 1000.0, function.memory_mb, prices=prices,
                           architecture=job.architecture, init_ms=init_s[ran] * 1000.0)
    n_dropped = int(rep.dropped.sum())
    reason = ""
    if n_dropped:
        verb = "was" if n_dropped == 1 else "were"
        reason = (f"{n_dropped:,} of {len(runs):,} runs {verb} dropped, throttled for longer than "
                  f"maximum_event_age_in_seconds ({settings.maximum_event_age_in_seconds:,} s)")
    return PlatformOutcome(
        job=job.name,
        platform=PLATFORM,
        feasible=not n_dropped,
        reason=reason,
        runs=len(runs),
        completed=completed,
        dropped=n_dropped,
        throttled=int(rep.throttled.sum()),
        cold_starts=int(rep.cold.sum()),
        vcpu=function.vcpu,
        memory_mb=function.memory_mb,
        architecture=job.architecture,
        billed_s=charge["billed_ms"] / 1000.0,
        compute_usd=charge["duration_usd"],
        request_usd=charge["request_usd"],
        storage_usd=0.0,
        cost_usd=charge["usd"],
        usd_per_run=charge["usd"] / completed if completed else NAN,
        start_delay_s=mean_or_nan((rep.started_at - runs.fired_at + init_s)[ran]),
        makespan_s=makespan(runs.fired_at, rep.ended_at),
    )

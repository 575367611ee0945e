"""AWS Lambda limits and billing, for comparing a Fargate service with the same work on Lambda.

Duration is billed per invocation, rounded up to the next millisecond (no minimum since December
2020), on the configured memory. Since 1 August 2025 the Init phase of a cold start is billed like
the invocation it precedes, for every runtime and package type (AWS Compute Blog, "AWS Lambda
standardizes billing for INIT Phase"); before that, ZIP functions on managed runtimes got it free.
The free tier is not modelled: the comparison is about marginal cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .prices import PriceTable

# Limits of standard functions, as the Lambda developer guide documents them.
LAMBDA_TIMEOUT_DEFAULT_S = 3
LAMBDA_TIMEOUT_MAX_S = 900
LAMBDA_MEMORY_DEFAULT_MB = 128
LAMBDA_MEMORY_MIN_MB = 128
LAMBDA_MEMORY_MAX_MB = 10_240
LAMBDA_MB_PER_VCPU = 1_769
LAMBDA_ACCOUNT_CONCURRENCY = 1_000
# Each function may add this many execution environments per scaling period (current docs; the
# 2022 docs described a regional burst followed by +500 per minute instead).
LAMBDA_SCALING_ENVIRONMENTS = 1_000
LAMBDA_SCALING_PERIOD_S = 10
# The Init phase of a new execution environment may take this long (Lambda developer guide,
# lambda-runtime-environment); it does not count against the function's timeout.
LAMBDA_INIT_MAX_S = 10

# Durations arrive as floats (e.g. 28.000000000000004 ms); a millisecond is not billed for noise.
_CLOCK_TOLERANCE_MS = 1e-6
_ROUND = 6


class LambdaMemory(int):
    """Memory in MB, usable as an int, that remembers whether the request exceeded Lambda's maximum.

    above_max is True when the vCPU asked for needs more than LAMBDA_MEMORY_MAX_MB, i.e. the
    function gets fewer vCPUs than requested.
    """

    above_max: bool
    requested_mb: int

    def __new__(cls, mb: int, *, requested_mb: int, above_max: bool) -> LambdaMemory:
        obj = super().__new__(cls, mb)
        obj.requested_mb = requested_mb
        obj.above_max = above_max
        return obj


def lambda_memory_for_vcpu(vcpu: float) -> LambdaMemory:
    """Memory setting that buys `vcpu` vCPUs (CPU scales with memory: 1,769 MB = 1 vCPU).

    Rounded up so the function gets at least the CPU share asked for, then clamped to
    128..10,240 MB; the result's above_max flag says when the clamp cut the CPU short.
    """
    if not (math.isfinite(vcpu) and vcpu > 0):
        raise ValueError(f"vcpu must be positive, got {vcpu!r}")
    requested = math.ceil(vcpu * LAMBDA_MB_PER_VCPU - 1e-9)
    mb = min(max(requested, LAMBDA_MEMORY_MIN_MB), LAMBDA_MEMORY_MAX_MB)
    return LambdaMemory(mb, requested_mb=requested, above_max=requested > LAMBDA_MEMORY_MAX_MB)


def lambda_vcpu(memory_mb: float) -> float:
    """The vCPU share a function with `memory_mb` gets (the inverse of lambda_memory_for_vcpu)."""
    return memory_mb / LAMBDA_MB_PER_VCPU


def lambda_charge(
    invocations: int,
    duration_ms: float | Sequence[float] | np.ndarray,
    memory_mb: int,
    *,
    prices: PriceTable,
    architecture: str = "X86_64",
    init_ms: float | Sequence[float] | np.ndarray = 0.0,
) -> dict[str, float]:
    """Cost of `invocations` Lambda invocations at `memory_mb`.

    duration_ms is either one duration that every invocation takes, or one duration per invocation
    (then its length must equal `invocations`). Each invocation is rounded up to the millisecond
    separately, which is why a mean duration would underbill. init_ms (same shapes; 0 for a warm
    start) is the Init phase of a cold start: it is billed with its invocation, the sum rounded up
    once, as the REPORT line's single Billed Duration shows, but only duration_ms is held to the
    900 s timeout.

    Returns usd, request_usd, duration_usd, invocations, billed_ms (total), gb_seconds.
    """
    if invocations < 0 or int(invocations) != invocations:
        raise ValueError(f"invocations must be a whole number >= 0, got {invocations!r}")
    if not LAMBDA_MEMORY_MIN_MB <= memory_mb <= LAMBDA_MEMORY_MAX_MB:
        raise ValueError(
            f"Lambda memory must be {LAMBDA_MEMORY_MIN_MB}..{LAMBDA_MEMORY_MAX_MB} MB, got {memory_mb}"
        )
    durations = _per_call(duration_ms, invocations, "durations")
    inits = _per_call(init_ms, invocations, "init durations")
    for name, values in (("durations", durations), ("init durations", inits)):
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"{name} must be finite and not negative")
    if np.any(durations > LAMBDA_TIMEOUT_MAX_S * 1000):
        raise ValueError(f"a Lambda invocation cannot run longer than {LAMBDA_TIMEOUT_MAX_S} s")
    per_call_ms = np.ceil(durations + inits - _CLOCK_TOLERANCE_MS)
    if per_call_ms.size == 1:
        billed_ms = float(per_call_ms[0]) * invocations  # one duration for all, or a single call
    else:
        billed_ms = float(per_call_ms.sum())

    gb_seconds = memory_mb / 1024 * billed_ms / 1000
    duration_usd = gb_seconds * prices.lambda_gb_second(architecture)
    request_usd = invocations * prices.lambda_request_usd
    return {
        "usd": round(duration_usd + request_usd, _ROUND),
        "request_usd": round(request_usd, _ROUND),
        "duration_usd": round(duration_usd, _ROUND),
        "invocations": int(invocations),
        "billed_ms": int(billed_ms),
        "gb_seconds": round(gb_seconds, _ROUND),
    }


def _per_call(values, invocations: int, name: str) -> np.ndarray:
    """One value per invocation, or a single value (as a length-1 array) that all of them share."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        return array.reshape(1)
    if array.shape != (invocations,):
        raise ValueError(f"got {array.size} {name} for {invocations} invocations")
    return array

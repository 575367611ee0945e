"""Fargate billing, the way AWS bills it.

A task is billed from the start of its image pull until it is STOPPED, per second rounded up, with a
one-minute minimum (platform-dependent, see FargateRate.minimum_s), on the vCPU and memory it
REQUESTED, whatever it used. Memory is priced per "GB" of the task's memory setting, which AWS
counts as MiB / 1024, so memory_gib here is the task definition's memory in MiB divided by 1024.
Ephemeral storage costs extra only above the 20 GiB every task gets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .prices import PriceTable, normalise_architecture, normalise_os

SECONDS_PER_HOUR = 3600.0
# Durations come from float clock arithmetic (e.g. 0.7 + 0.3 + 60 = 61.00000000000001); without a
# tolerance such noise would be billed as a whole extra second.
_CLOCK_TOLERANCE_S = 1e-6
_ROUND = 6


@dataclass(frozen=True)
class TaskCharge:
    usd: float
    vcpu_usd: float
    memory_usd: float
    storage_usd: float
    billed_seconds: int


def billed_seconds(seconds, minimum_s: int = 60):
    """Seconds AWS bills for a run of `seconds`: rounded up to the second, at least `minimum_s`.

    Works on floats and on numpy arrays.
    """
    return np.maximum(np.ceil(np.asarray(seconds, dtype=float) - _CLOCK_TOLERANCE_S), minimum_s)


def task_charge(
    seconds: float,
    *,
    vcpu: float,
    memory_gib: float,
    prices: PriceTable,
    architecture: str = "X86_64",
    ephemeral_gib: float = 20,
    spot: bool = False,
    operating_system: str = "LINUX",
) -> TaskCharge:
    """Charge for one task billed for `seconds` (image pull start to STOPPED)."""
    _check_task(seconds, vcpu, memory_gib, ephemeral_gib, prices)
    rates = _combo_rates(prices, normalise_os(operating_system), normalise_architecture(architecture), spot)
    billed, vcpu_usd, memory_usd, storage_usd = (
        float(x) for x in _charges(seconds, vcpu, memory_gib, ephemeral_gib, *rates, prices=prices)
    )
    return TaskCharge(
        usd=vcpu_usd + memory_usd + storage_usd,
        vcpu_usd=vcpu_usd,
        memory_usd=memory_usd,
        storage_usd=storage_usd,
        billed_seconds=int(billed),
    )


def _charges(
    seconds, vcpu, memory_gib, ephemeral_gib, vcpu_rate, gb_rate, minimum_s, mult, storage_mult, *, prices
):
    """The billing formula, shared by task_charge (scalars) and service_cost (arrays)."""
    billed = billed_seconds(seconds, minimum_s)
    hours = billed / SECONDS_PER_HOUR
    vcpu_usd = vcpu * vcpu_rate * hours * mult
    memory_usd = memory_gib * gb_rate * hours * mult
    included = prices.fargate_ephemeral_included_gib
    extra_gib = np.maximum(0.0, np.asarray(ephemeral_gib, dtype=float) - included)
    storage_usd = extra_gib * prices.fargate_ephemeral_gb_hour * hours * storage_mult
    return billed, vcpu_usd, memory_usd, storage_usd


# Positional layout of a task tuple for service_cost; trailing fields may be omitted.
TASK_FIELDS = (
    "billed_from_s",
    "billed_to_s",
    "vcpu",
    "memory_gib",
    "architecture",
    "ephemeral_gib",
    "spot",
    "operating_system",
)
_TASK_DEFAULTS = {"architecture": "X86_64", "ephemeral_gib": 20.0, "spot": False, "operating_system": "LINUX"}
_RESULT_KEYS = (
    "usd",
    "fargate_vcpu_usd",
    "fargate_memory_usd",
    "fargate_storage_usd",
    "fargate_spot_usd",
    "task_hours",
    "billed_task_hours",
)


def service_cost(tasks: Iterable[Any], prices: PriceTable) -> dict[str, float]:
    """Total Fargate cost of a service's tasks.

    Each task is a tuple in TASK_FIELDS order or an object with those attributes (the last four
    optional: X86_64, 20 GiB, on-demand, LINUX). billed_to_s must be set: close still-running tasks
    at the end of the simulation first.

    Returns usd, fargate_vcpu_usd, fargate_memory_usd, fargate_storage_usd, fargate_spot_usd (the
    part of usd billed at Spot prices), task_hours (actual) and billed_task_hours (after rounding
    and minimums), rounded to 6 decimals.
    """
    rows = [_task_row(t) for t in tasks]
    if not rows:
        return {k: 0.0 for k in _RESULT_KEYS}
    cols = dict(zip(TASK_FIELDS, zip(*rows)))
    start = np.asarray(cols["billed_from_s"], dtype=float)
    end = np.asarray(cols["billed_to_s"], dtype=float)
    vcpu = np.asarray(cols["vcpu"], dtype=float)
    memory = np.asarray(cols["memory_gib"], dtype=float)
    ephemeral = np.asarray(cols["ephemeral_gib"], dtype=float)
    spot = np.asarray(cols["spot"], dtype=bool)
    seconds = end - start
    _check_arrays(seconds, vcpu, memory, ephemeral, prices)

    # Rates depend on a handful of (platform, spot) combinations: look each up once, then index.
    combos: dict[tuple[str, str, bool], int] = {}
    codes = np.fromiter(
        (
            combos.setdefault((normalise_os(o), normalise_architecture(a), bool(s)), len(combos))
            for o, a, s in zip(cols["operating_system"], cols["architecture"], spot)
        ),
        dtype=np.intp,
        count=len(rows),
    )
    per_combo = np.array([_combo_rates(prices, *combo) for combo in combos])
    billed, vcpu_usd, memory_usd, storage_usd = _charges(
        seconds, vcpu, memory, ephemeral, *per_combo[codes].T, prices=prices
    )
    total = vcpu_usd + memory_usd + storage_usd
    result = {
        "usd": total.sum(),
        "fargate_vcpu_usd": vcpu_usd.sum(),
        "fargate_memory_usd": memory_usd.sum(),
        "fargate_storage_usd": storage_usd.sum(),
        "fargate_spot_usd": total[spot].sum(),
        "task_hours": seconds.sum() / SECONDS_PER_HOUR,
        "billed_task_hours": billed.sum() / SECONDS_PER_HOUR,
    }
    return {k: round(float(v), _ROUND) for k, v in result.items()}


# The Fargate capacity providers: on-demand and Spot, told apart by a task's `spot` field.
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
_PROVIDER_KEYS = ("task_hours", "billed_task_hours", "usd")


def cost_by_capacity_provider(tasks: Iterable[Any], prices: PriceTable) -> dict[str, dict[str, float]]:
    """service_cost's task_hours, billed_task_hours and usd for FARGATE and FARGATE_SPOT apart.

    Both providers are always there (zeros when no task ran on one), so that summaries of runs
    with and without Spot have the same keys.
    """
    rows = [_task_row(t) for t in tasks]
    spot_at = TASK_FIELDS.index("spot")
    out = {}
    for provider in CAPACITY_PROVIDERS:
        mine = [r for r in rows if bool(r[spot_at]) == (provider == "FARGATE_SPOT")]
        total = service_cost(mine, prices)
        out[provider] = {k: total[k] for k in _PROVIDER_KEYS}
    return out


def _combo_rates(prices: PriceTable, os_name: str, arch: str, spot: bool) -> tuple[float, ...]:
    rate = prices.fargate_rate(arch, os_name)
    mult = prices.fargate_spot_multiplier(arch, os_name) if spot else 1.0
    storage_mult = mult if prices.fargate_spot_discounts_storage else 1.0
    return (rate.vcpu_hour_total, rate.gb_hour, rate.minimum_s, mult, storage_mult)


def _task_row(task: Any) -> tuple:
    if isinstance(task, (tuple, list)):
        if not 4 <= len(task) <= len(TASK_FIELDS):
            raise ValueError(f"a task tuple needs 4 to {len(TASK_FIELDS)} fields {TASK_FIELDS}, got {task!r}")
        values = dict(zip(TASK_FIELDS, task))
    else:
        values = {f: getattr(task, f, _TASK_DEFAULTS.get(f)) for f in TASK_FIELDS}
    for f, default in _TASK_DEFAULTS.items():
        if values.get(f) is None:
            values[f] = default
    if values["billed_from_s"] is None or values["billed_to_s"] is None:
        raise ValueError(f"task {task!r} has no billing start or end")
    return tuple(values[f] for f in TASK_FIELDS)


def _check_task(seconds, vcpu, memory_gib, ephemeral_gib, prices: PriceTable) -> None:
    arrays = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (seconds, vcpu, memory_gib, ephemeral_gib))
    _check_arrays(*arrays, prices)


def _check_arrays(seconds, vcpu, memory, ephemeral, prices: PriceTable) -> None:
    if not np.all(np.isfinite(seconds)) or np.any(seconds < 0):
        raise ValueError("billed duration must be finite and not negative (billed_to_s >= billed_from_s)")
    if np.any(~(vcpu > 0)) or np.any(~(memory > 0)):
        raise ValueError("vcpu and memory_gib must be positive")
    if np.any(~(ephemeral >= 0)) or np.any(ephemeral > prices.fargate_ephemeral_max_gib):
        raise ValueError(f"ephemeral_gib must be within 0..{prices.fargate_ephemeral_max_gib:g}")

"""EC2 on-demand billing: one instance, and the instances of a launch_type EC2 service's cluster.

Linux on-demand instances are billed per second with a one-minute minimum, like Fargate tasks
("Every time you start your Linux instance, Amazon EC2 charges a one-minute minimum for instance
usage, and thereafter charges per second", EC2 API reference, StartInstances), while the
instance is running: not while pending, shutting down or terminated (EC2 user guide, instance
lifecycle). The tasks on an instance cost nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .fargate import SECONDS_PER_HOUR, billed_seconds
from .prices import PriceTable


@dataclass(frozen=True)
class InstanceCharge:
    instance_type: str
    usd: float
    billed_seconds: int


def instance_charge(seconds: float, instance_type: str, prices: PriceTable) -> InstanceCharge:
    """Charge for one Linux on-demand instance running for `seconds`."""
    if not seconds >= 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    instance = prices.ec2_instance(instance_type)
    billed = int(billed_seconds(seconds, prices.ec2_minimum_s))
    return InstanceCharge(
        instance_type=instance.name,
        usd=instance.usd_hour * billed / SECONDS_PER_HOUR,
        billed_seconds=billed,
    )


# A cluster's figures in summary.json's cost.ec2; the same keys, zero, for a service on Fargate.
CLUSTER_KEYS = ("instance_type", "instances", "peak_instances", "mean_instances", "instance_hours",
                "billed_instance_hours", "usd", "task_hours")
_ROUND = 6


def cluster_cost(instances: Iterable, end: float, prices: PriceTable, *, task_hours: float = 0.0,
                 instance_type: str | None = None) -> dict:
    """What a cluster's instances cost over [0, end]: each billed from its launch (or from 0 for one
    running before) until it is terminated (or `end`), per second with the one-minute minimum.

    `instances`: objects with instance_type, launched_at and terminated_at (None while running).
    Also the number launched, the most in the group at once and the time-weighted mean.
    AWS bills an instance from the running state; the seconds it spends pending after its launch
    are billed here too (a slight overstatement: AWS documents no typical pending time).
    """
    spans = []
    for i in instances:
        start = max(0.0, float(i.launched_at))
        stop = min(float(end), float(i.terminated_at) if i.terminated_at is not None else float(end))
        if stop >= start:
            spans.append((i.instance_type, start, stop))
    usd = billed = seconds = 0.0
    for name, start, stop in spans:
        charge = instance_charge(stop - start, name, prices)
        usd += charge.usd
        billed += charge.billed_seconds
        seconds += stop - start
    return {
        "instance_type": instance_type,
        "instances": len(spans),
        "peak_instances": _peak(spans),
        "mean_instances": round(seconds / end, 3) if end > 0 else 0.0,
        "instance_hours": round(seconds / SECONDS_PER_HOUR, _ROUND),
        "billed_instance_hours": round(billed / SECONDS_PER_HOUR, _ROUND),
        "usd": round(usd, _ROUND),
        "task_hours": round(float(task_hours), _ROUND),
    }


def _peak(spans) -> int:
    # An instance terminated at the instant another launches is not counted with it.
    edges = sorted([(start, 1) for _, start, _ in spans] + [(stop, -1) for _, _, stop in spans],
                   key=lambda e: (e[0], e[1]))
    peak = level = 0
    for _, change in edges:
        level += change
        peak = max(peak, level)
    return peak

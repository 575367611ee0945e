"""EC2 on-demand billing, the baseline a Fargate service is compared against.

Linux on-demand instances are billed per second with a one-minute minimum, like Fargate tasks.
"""

from __future__ import annotations

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

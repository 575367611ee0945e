"""Faults injected into the simulated service."""

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from .errors import Invalid
from .fields import Duration, Model, NonNegativeFloat, PositiveDuration, PositiveFloat, PositiveInt, typed_item


class TaskCrashFault(Model):
    """An essential container exits: at random (`mtbf`, mean time between failures) or at `at`."""

    type: Literal["task_crash"] = "task_crash"
    mtbf: PositiveDuration | None = None
    at: Duration | None = None
    count: PositiveInt = 1  # tasks that crash at `at`

    @model_validator(mode="after")
    def _one_trigger(self):
        if (self.mtbf is None) == (self.at is None):
            given = "both" if self.mtbf is not None else "neither"
            raise Invalid(f"expected exactly one of mtbf (random crashes) and at (a crash at that time); got {given}")
        if self.mtbf is not None and self.count != 1:
            raise Invalid(f"expected count 1 with mtbf (random crashes come one at a time); got {self.count}", "count")
        return self


class TaskUnhealthyFault(Model):
    """`count` running tasks start failing their health checks at `at`."""

    type: Literal["task_unhealthy"] = "task_unhealthy"
    at: Duration
    count: PositiveInt = 1


class SpotInterruptionFault(Model):
    """AWS takes Fargate Spot capacity back: each running FARGATE_SPOT task is interrupted at
    random (`rate_per_task_hour`), or `count` of them are at `at`. Other tasks are never hit."""

    type: Literal["spot_interruption"] = "spot_interruption"
    rate_per_task_hour: NonNegativeFloat | None = None  # 0 is allowed: no interruptions, for comparisons
    at: Duration | None = None
    count: PositiveInt = 1  # Spot tasks interrupted at `at`

    @model_validator(mode="after")
    def _one_trigger(self):
        if (self.rate_per_task_hour is None) == (self.at is None):
            given = "both" if self.at is not None else "neither"
            raise Invalid("expected exactly one of rate_per_task_hour (random interruptions) and at "
                          f"(an interruption at that time); got {given}")
        if self.rate_per_task_hour is not None and self.count != 1:
            raise Invalid("expected count 1 with rate_per_task_hour (random interruptions come one at a time); "
                          f"got {self.count}", "count")
        return self


class AzOutageFault(Model):
    """Availability Zone `zone` (numbered 1 to service.availability_zones) is cut off from `at`
    for `duration`: its tasks are unreachable and nothing new is placed there (ecs/az_outage.py)."""

    type: Literal["az_outage"] = "az_outage"
    at: Duration
    duration: PositiveDuration
    zone: PositiveInt = 1


class MemoryLeakFault(Model):
    """Every task's app leaks `mb_per_hour` MiB for as long as it runs; a task whose memory is
    full is killed (OutOfMemoryError) and replaced (ecs/out_of_memory.py)."""

    type: Literal["memory_leak"] = "memory_leak"
    mb_per_hour: PositiveFloat


FAULT_TYPES = ("task_crash", "task_unhealthy", "spot_interruption", "az_outage", "memory_leak")

Fault = Annotated[
    Union[TaskCrashFault, TaskUnhealthyFault, SpotInterruptionFault, AzOutageFault, MemoryLeakFault],
    Field(discriminator="type"),
    typed_item(*FAULT_TYPES, what="fault"),
]

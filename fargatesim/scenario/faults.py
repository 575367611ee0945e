"""Faults injected into the simulated service."""

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from .errors import Invalid
from .fields import Duration, Model, PositiveDuration, PositiveInt, typed_item


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


FAULT_TYPES = ("task_crash", "task_unhealthy")

Fault = Annotated[
    Union[TaskCrashFault, TaskUnhealthyFault],
    Field(discriminator="type"),
    typed_item(*FAULT_TYPES, planned=("spot_interruption", "az_outage", "memory_leak"), what="fault"),
]

"""A target in a target group and its health states (ALB guide, "Target health status")."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..ecs.task import Task


class TargetState(str, Enum):
    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DRAINING = "draining"
    UNUSED = "unused"


# States in which the load balancer still runs health checks against the target.
CHECKED = (TargetState.INITIAL, TargetState.HEALTHY, TargetState.UNHEALTHY)


@dataclass(eq=False)
class Target:
    task: Task
    registered_at: float
    state: TargetState = TargetState.INITIAL
    passes: int = 0            # consecutive passing checks
    fails: int = 0             # consecutive failing checks
    slow_start_from: float | None = None   # set when the target enters slow start

    @property
    def slot(self) -> int:
        return self.task.slot

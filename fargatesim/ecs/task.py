"""An ECS task and its lifecycle states (ECS developer guide, "Task lifecycle")."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter

import numpy as np


class TaskState(str, Enum):
    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"


ORDER = list(TaskState)
# States in which the task's containers exist and use CPU and memory.
CONTAINERS_UP = {TaskState.RUNNING, TaskState.DEACTIVATING, TaskState.STOPPING}
# States the service counts towards its desired count (not yet told to stop).
LIVE = {TaskState.PROVISIONING, TaskState.PENDING, TaskState.ACTIVATING, TaskState.RUNNING}
# States in which the app can answer requests and health checks (once started).
ANSWERING = frozenset({TaskState.RUNNING, TaskState.DEACTIVATING})


@dataclass(eq=False)
class Task:
    slot: int                      # index in the data plane's per-task arrays
    zone: int
    created_at: float
    state: TaskState = TaskState.PROVISIONING
    billing_from: float | None = None   # image pull starts (PENDING)
    running_at: float | None = None
    app_ready_at: float | None = None
    stopped_at: float | None = None
    stop_requested: bool = False
    stop_reason: str = ""
    failing_health: bool = False   # a fault makes its health endpoint fail
    unreachable: bool = False      # its Availability Zone is out (az_outage)
    revision: int = 1              # of the task definition it runs
    capacity_provider: str = "FARGATE"
    stop_code: str = ""            # ECS's stopCode when it says more than the reason (SpotInterruption)
    replacing: "Task | None" = None   # the unhealthy task this one replaces
    history: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"task-{self.slot:04d}"

    @property
    def spot(self) -> bool:
        """Billed at the Fargate Spot price and exposed to Spot interruptions."""
        return self.capacity_provider == "FARGATE_SPOT"

    @property
    def live(self) -> bool:
        return self.state in LIVE and not self.stop_requested

    def app_answers(self, now: float) -> bool:
        return (self.state in ANSWERING and not self.unreachable
                and self.app_ready_at is not None and now >= self.app_ready_at)


_ANSWER_FIELDS = attrgetter("state", "unreachable", "app_ready_at")


def apps_answer(tasks: list[Task], now: float) -> np.ndarray:
    """Task.app_answers for many tasks at once."""
    if not tasks:
        return np.zeros(0, dtype=bool)
    return answering(*zip(*map(_ANSWER_FIELDS, tasks)), now)


def answering(states, unreachable, ready_at, now: float) -> np.ndarray:
    """Task.app_answers from the tasks' fields (sequences, one item per task)."""
    up = np.fromiter(map(ANSWERING.__contains__, states), dtype=bool, count=len(states))
    # None (the app has not started) becomes nan, which no instant reaches.
    return up & ~np.array(unreachable, dtype=bool) & (now >= np.array(ready_at, dtype=float))


class TasksUp(tuple):
    """A service's tasks with containers up (CONTAINERS_UP), in slot order, with what the load
    balancer's routing view reads of them as columns: `slots`, and `answers_from`, the instant
    each app answers from (its app_ready_at; NaN when it does not answer at all: stopping, or
    its zone out). The view is rebuilt at most control events, and reading three fields of
    every task each time was most of its cost; the service keeps these as tasks change.

    Never changed once made (a view keeps the arrays): a change makes a new one."""

    slots: np.ndarray
    answers_from: np.ndarray

    def __new__(cls, tasks=(), slots=None, answers_from=None):
        self = super().__new__(cls, tasks)
        if slots is None:
            slots = np.fromiter((t.slot for t in self), dtype=np.int64, count=len(self))
            answers_from = np.fromiter(map(_answers_from, self), dtype=float, count=len(self))
        slots.flags.writeable = answers_from.flags.writeable = False
        self.slots, self.answers_from = slots, answers_from
        return self

    def answering(self, now: float) -> np.ndarray:
        """apps_answer(self, now)."""
        return now >= self.answers_from

    def updated(self, task: Task) -> "TasksUp":
        """After `task` changed state or reachability."""
        slots, answers_from = self.slots, self.answers_from
        i = int(slots.searchsorted(task.slot))
        present = i < len(self) and self[i] is task
        if task.state not in CONTAINERS_UP:
            if not present:
                return self
            return TasksUp(self[:i] + self[i + 1:], np.concatenate((slots[:i], slots[i + 1:])),
                           np.concatenate((answers_from[:i], answers_from[i + 1:])))
        if not present:
            return TasksUp(self[:i] + (task,) + self[i:],
                           np.concatenate((slots[:i], np.array([task.slot], dtype=np.int64), slots[i:])),
                           np.concatenate((answers_from[:i], [_answers_from(task)], answers_from[i:])))
        value = _answers_from(task)
        if value == answers_from[i] or (value != value and answers_from[i] != answers_from[i]):
            return self
        answers_from = answers_from.copy()
        answers_from[i] = value
        return TasksUp(self, slots, answers_from)


def _answers_from(task: Task) -> float:
    if task.state in ANSWERING and not task.unreachable and task.app_ready_at is not None:
        return float(task.app_ready_at)
    return np.nan

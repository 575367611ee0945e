"""Tasks on EC2 container instances: what an instance offers, where a task goes, how many instances.

What an instance offers (ECS developer guide, "Reserving Amazon ECS Linux container instance
memory"): the agent registers the CPU of every vCPU (1,024 units each) and the memory the
operating system reports, less ECS_RESERVED_MEMORY. The OS reports less than the installed
memory ("an m4.large instance has 8 GiB of installed memory ... 7985 MiB" in AWS's example of
`free`): the platform and the kernel keep about 2.5 %, a share AWS gives no rule for, so it is a
(sim) key, `os_memory_overhead`.

Where a task goes: `binpack` on memory (ECS developer guide, "task placement strategies"): "a
task is placed on the instance with the least amount of remaining memory but still enough to run
the task"; it must fit the instance's remaining CPU too. Ties go to the instance registered
first. On scale-in "the container instance with the most available resources left after the
task terminates has its task terminated": a task that has no instance yet goes first (it holds
nothing), then the task on the instance with the most memory left, the newest on a tie.

How many instances: cluster auto scaling counts the instances that tasks waiting for capacity
need with the same binpack arithmetic (ECS developer guide, "cluster auto scaling", managed
scale-out behaviour).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# ECS registers 1,024 CPU units per vCPU of a container instance.
CPU_UNITS_PER_VCPU = 1024
# Task CPU on the EC2 launch type may be at most 10 vCPU (ECS developer guide, "Task size").
EC2_TASK_CPU_MAX = 10240
# (sim) Share of the installed memory the OS and platform keep: AWS's m4.large example registers
# 7,985 of 8,192 MiB (2.5 %).
DEFAULT_OS_MEMORY_OVERHEAD = 0.025


@dataclass(frozen=True)
class Capacity:
    """CPU units and MiB: what an instance registers, what a task reserves, or what is left."""

    cpu: int
    memory: int

    def holds(self, demand: "Capacity") -> bool:
        return demand.cpu <= self.cpu and demand.memory <= self.memory

    def minus(self, demand: "Capacity") -> "Capacity":
        return Capacity(self.cpu - demand.cpu, self.memory - demand.memory)

    def how_many(self, demand: "Capacity") -> int:
        """Tasks of size `demand` that fit into this much room."""
        return min(self.cpu // demand.cpu, self.memory // demand.memory)


def registered_capacity(vcpu: int, memory_gib: float, *, os_memory_overhead: float = DEFAULT_OS_MEMORY_OVERHEAD,
                        reserved_memory: int = 0) -> Capacity:
    """What the ECS agent registers for an instance of `vcpu` vCPUs and `memory_gib` GiB installed."""
    installed_mib = memory_gib * 1024
    reported = math.floor(installed_mib * (1.0 - os_memory_overhead) + 1e-9)
    return Capacity(cpu=vcpu * CPU_UNITS_PER_VCPU, memory=max(0, reported - reserved_memory))


def binpack_choice(free: Sequence[Capacity], demand: Capacity) -> int | None:
    """Index of the instance a task goes to (least memory left that still holds it), or None."""
    best = None
    for i, room in enumerate(free):
        if room.holds(demand) and (best is None or room.memory < free[best].memory):
            best = i
    return best


def instances_needed(waiting: Iterable[Capacity], launching: Sequence[Capacity], new: Capacity) -> tuple[int, int]:
    """(launching instances used, new instances needed) to hold the tasks waiting for capacity.

    The waiting tasks are packed, in order and by binpack, first into the room of instances
    already launching, then into as many new instances of capacity `new` as it takes. A task that
    fits no new instance is not counted (cluster auto scaling excludes what the instance type
    cannot run; the scenario refuses such a task before it runs).
    """
    rooms = list(launching)
    opened = [False] * len(rooms)
    fresh = 0
    for demand in waiting:
        i = binpack_choice(rooms, demand)
        if i is None:
            if not new.holds(demand):
                continue
            rooms.append(new)
            opened.append(True)
            fresh += 1
            i = len(rooms) - 1
        rooms[i] = rooms[i].minus(demand)
        opened[i] = True
    used = sum(1 for k in range(len(launching)) if opened[k])
    return used, fresh

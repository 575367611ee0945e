"""The Fargate size of a task definition that gives none.

A task definition written for the EC2 launch type may leave the task's cpu and memory out and
size its containers only; Fargate requires a task size from its table (FARGATE_SIZES). The
smallest size that holds the containers' own cpu and memory (their hard limit, else their
reservation) is what the task would need to register for Fargate.
"""
from __future__ import annotations

from ..scenario import FARGATE_SIZES


def fargate_size(cpu, memory, containers: list[dict]) -> tuple[int, int, str | None]:
    """(cpu units, MiB, a note saying how they were chosen, or None when the task gave both)."""
    given_cpu, given_memory = _number(cpu), _number(memory)
    if given_cpu is not None and given_memory is not None:
        return given_cpu, given_memory, None
    need_cpu = given_cpu or sum(_number(c.get("cpu")) or 0 for c in containers)
    need_memory = given_memory or sum(_number(c.get("memory")) or _number(c.get("memoryReservation")) or 0
                                      for c in containers)
    for size_cpu, memories in FARGATE_SIZES.items():
        if size_cpu < need_cpu:
            continue
        fitting = [m for m in memories if m >= need_memory]
        if fitting:
            note = (f"the task definition gives no task-level {'cpu' if given_cpu is None else ''}"
                    f"{' and ' if given_cpu is None and given_memory is None else ''}"
                    f"{'memory' if given_memory is None else ''} (Fargate requires both): the smallest Fargate "
                    f"size that holds its containers' {need_cpu} CPU units and {need_memory} MiB, "
                    f"cpu {size_cpu} and memory {fitting[0]}")
            return size_cpu, fitting[0], note
    largest = max(FARGATE_SIZES)
    return largest, max(FARGATE_SIZES[largest]), (f"the containers ask for {need_cpu} CPU units and {need_memory} MiB, "
                                                   "more than any Fargate task has: the largest size")


def _number(value) -> int | None:
    """The API gives task cpu and memory as strings ("256", "1 vCPU", "0.5 GB"); containers as numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().lower()
    for unit, scale in (("vcpu", 1024), ("gb", 1024)):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * scale)
    return int(float(text))

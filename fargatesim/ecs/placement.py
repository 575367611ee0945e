"""Where a new task goes and which task stops first (ECS developer guide, "Replica" services).

Fargate spreads a service's tasks across Availability Zones: a new task goes to the zone with
the fewest of the service's tasks, and scale-in stops a task in the zone with the most. Within
a zone, tasks that have not started running yet stop first, then the newest.
"""
from __future__ import annotations

from collections import Counter

from .task import Task, TaskState


def zone_for_new_task(live: list[Task], zones: int) -> int:
    counts = Counter(t.zone for t in live)
    return min(range(zones), key=lambda z: (counts[z], z))


def tasks_to_stop(live: list[Task], how_many: int) -> list[Task]:
    chosen: list[Task] = []
    pool = list(live)
    for _ in range(min(how_many, len(pool))):
        counts = Counter(t.zone for t in pool)
        busiest = max(counts.values())
        in_busiest = [t for t in pool if counts[t.zone] == busiest]
        victim = min(in_busiest, key=lambda t: (t.state is TaskState.RUNNING, -t.created_at, -t.slot))
        chosen.append(victim)
        pool.remove(victim)
    return chosen

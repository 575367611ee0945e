"""Where a new task goes and which task stops first (ECS developer guide, "Replica" services).

Fargate spreads a service's tasks across Availability Zones: a new task goes to the zone with
the fewest of the service's tasks, and scale-in stops a task in the zone with the most. Within
a zone, tasks that have not started running yet stop first, then the newest.

With a capacity provider strategy, scale-in first picks the provider that gives up a task
(capacity_providers.Strategy.provider_to_shrink), then the zone among that provider's tasks:
the strategy's base is a documented minimum, the zone spread a best effort.
"""
from __future__ import annotations

from collections import Counter

from .capacity_providers import Strategy
from .task import Task, TaskState


def zone_for_new_task(tasks: list[Task], zones: int, out=frozenset()) -> int:
    """The zone with the fewest of `tasks`, among those not `out` (an az_outage); if every zone
    is out, the task goes where it would have gone and waits there with the others."""
    return zone_with_fewest(Counter(t.zone for t in tasks), zones, out)


def zone_with_fewest(counts: Counter, zones: int, out=frozenset()) -> int:
    """zone_for_new_task from the tasks' count per zone."""
    usable = [z for z in range(zones) if z not in out] or list(range(zones))
    return min(usable, key=lambda z: (counts[z], z))


def tasks_to_stop(live: list[Task], how_many: int, strategy: Strategy | None = None) -> list[Task]:
    chosen: list[Task] = []
    pool = list(live)
    for _ in range(min(how_many, len(pool))):
        candidates = pool
        if strategy is not None:
            provider = strategy.provider_to_shrink(Counter(t.capacity_provider for t in pool))
            candidates = [t for t in pool if t.capacity_provider == provider]
        counts = Counter(t.zone for t in pool)
        busiest = max(counts[t.zone] for t in candidates)
        in_busiest = [t for t in candidates if counts[t.zone] == busiest]
        victim = min(in_busiest, key=lambda t: (t.state is TaskState.RUNNING, -t.created_at, -t.slot))
        chosen.append(victim)
        pool.remove(victim)
    return chosen

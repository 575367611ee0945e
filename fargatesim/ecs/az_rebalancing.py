"""Availability Zone rebalancing (ECS developer guide, "Balancing an Amazon ECS service across
Availability Zones").

When the service's tasks are unevenly spread over its zones, ECS starts tasks in the zones with
the fewest and stops tasks in the zones with the most. The model moves one task at a time per
free place: a task in the busiest zone is marked to go, a new one starts in the emptiest zone,
and the old one stops once the new one is healthy, as an unhealthy task is replaced
(replacement first, within deployment_maximum_percent).

Assumptions, named once: ECS checks the spread every CHECK_INTERVAL_S seconds; zones count as
balanced when they differ by at most one task; zones out of service (az_outage) are left out of
the count; no rebalancing runs during a deployment.
"""
from __future__ import annotations

from collections import Counter

from .placement import zone_for_new_task
from .task import TaskState

CHECK_INTERVAL_S = 60.0


def zone_counts(service) -> Counter:
    """Tasks per available zone that count towards the desired count."""
    counted = service.counted_by_zone()
    return Counter({z: counted[z] for z in range(service.cfg.availability_zones) if z not in service.impaired_zones})


def rebalance_process(env, service, record_event):
    while True:
        yield env.timeout(CHECK_INTERVAL_S)
        if not service.deploying:
            rebalance_once(env, service, record_event)


def balanced(counts: Counter) -> bool:
    return len(counts) < 2 or max(counts.values()) - min(counts.values()) <= 1


def rebalance_once(env, service, record_event) -> int:
    """Start the moves the spread calls for now; returns how many were started."""
    # The common case, zones already balanced, from the counted tasks per zone the service keeps:
    # the loop below would stop at its first test of the spread anyway (the emptiest zone is
    # the least counted of the available ones), and its other tests only read.
    if balanced(zone_counts(service)):
        return 0
    moved = 0
    while service.room_for_one_more():
        counts = zone_counts(service)
        if len(counts) < 2:
            break
        busiest = max(counts, key=lambda z: (counts[z], -z))
        emptiest = zone_for_new_task(service.counted(), service.cfg.availability_zones, service.impaired_zones)
        if counts[busiest] - counts[emptiest] <= 1:
            break
        candidates = [t for t in service.counted() if t.zone == busiest and t.state is TaskState.RUNNING]
        if not candidates:
            break
        victim = max(candidates, key=lambda t: (t.created_at, t.slot))   # the newest goes
        if moved == 0:
            spread = ", ".join(f"{counts[z]} in zone {z + 1}" for z in sorted(counts))
            record_event(env.now, "service", service.cfg.name, f"AZ rebalancing: {spread}")
        service.move_to_zone(victim, emptiest)
        moved += 1
    return moved

"""Rolling deployments (the ECS deployment controller, aws-behaviour.md 4.4 and 9.12).

A new revision replaces every task of the old one, within two bounds of the desired count:
deployment_maximum_percent (rounded down) caps the tasks starting or running, and
deployment_minimum_healthy_percent (rounded up) is the floor of healthy tasks. Old tasks stop
(gracefully: their targets drain) only while the healthy ones stay above the floor; new ones
start while there is room under the cap. With the defaults, 100 and 200, a whole new set starts
first and the old one stops as the new tasks turn healthy; with 50 and 100, half the old tasks
stop first to make room.

Assumptions: the scheduler re-plans every SCHEDULER_CYCLE_S; tasks being stopped (draining)
no longer count towards the cap. Application Auto Scaling suspends scale-in while a
deployment runs (the service's `deploying` flag).
"""
from __future__ import annotations

import math

from ..elb.target import TargetState

SCHEDULER_CYCLE_S = 5.0


def rolling_update(env, service, record_event):
    service.revision += 1
    rev = service.revision
    cfg = service.cfg
    service.deploying = True
    record_event(env.now, "deployment", cfg.name,
                 f"started: revision {rev}, rolling update (minimum healthy "
                 f"{cfg.deployment_minimum_healthy_percent} %, maximum {cfg.deployment_maximum_percent} %)")
    while True:
        live = service.live()
        old = [t for t in live if t.revision < rev]
        new = [t for t in live if t.revision == rev]
        desired = service.desired_count
        if not old and len(new) >= desired and all(_healthy(service, t) for t in new):
            break   # steady state: the new revision's tasks all serve
        cap = math.floor(desired * cfg.deployment_maximum_percent / 100)
        floor = math.ceil(desired * cfg.deployment_minimum_healthy_percent / 100)
        healthy = {t for t in live if _healthy(service, t)}
        spare = len(healthy) - floor
        # Old tasks that are not serving go first: stopping them costs no healthy capacity.
        for task in sorted(old, key=lambda t: (t in healthy, t.created_at)):
            if task not in healthy:
                service.stop_task(task, f"deployment of revision {rev}")
            elif spare > 0:
                service.stop_task(task, f"deployment of revision {rev}")
                spare -= 1
        remaining = sum(1 for t in service.live())
        for _ in range(max(0, min(desired - len(new), cap - remaining))):
            service.launch()
        yield env.timeout(SCHEDULER_CYCLE_S)
    service.deploying = False
    record_event(env.now, "deployment", cfg.name, f"completed: revision {rev}, {len(new)} tasks")
    service.reconcile()


def _healthy(service, task) -> bool:
    target = service.tg.targets.get(task)
    return target is not None and target.state is TargetState.HEALTHY

"""An Availability Zone outage: one zone of the service is cut off for a while.

AWS describes what its services do in an impaired zone only in outline, so the model is built
from the documented pieces, and each assumption is named here once:

- From `at` for `duration` the zone's tasks are unreachable. The load balancer's health checks
  to them fail, requests routed to them fail at the load balancer (counted as elb_502: no
  answer from the target; AWS would log some as 504 after its 10 s connection timeout), and
  what they held when the zone failed is lost (reset_on_stop).
- Their targets turn unhealthy after unhealthy_threshold failed checks, like any failing
  target, and ECS replaces them as it replaces unhealthy tasks: replacement first, within
  deployment_maximum_percent (aws-behaviour.md section 4). Until then routing still sends them
  their share; the load balancer fails open only when no target anywhere is healthy.
- ECS places no task in the impaired zone while it is out (Fargate launches only where it can
  reach); a task still starting there when the zone fails never starts, and is replaced.
- When the zone is back, its tasks that are still running answer again. With
  service.availability_zone_rebalancing ENABLED, ECS then moves tasks back until the zones
  differ by at most one (az_rebalancing.py).
"""
from __future__ import annotations

from ..clock import at
from .task import CONTAINERS_UP, TaskState

_STARTING = (TaskState.PROVISIONING, TaskState.PENDING, TaskState.ACTIVATING)


def install_az_outage(env, service, fault, record_event) -> None:
    zone = fault.zone - 1           # the scenario numbers zones from 1
    env.process(at(env, fault.at, lambda: _zone_fails(env, service, zone, fault, record_event)))
    env.process(at(env, fault.at + fault.duration, lambda: _zone_returns(env, service, zone, record_event)))


def _zone_fails(env, service, zone: int, fault, record_event) -> None:
    # Outages of one zone may overlap: the zone is back when the last of them ends.
    service.impaired_zones[zone] = service.impaired_zones.get(zone, 0) + 1
    here = [t for t in service.active() if t.zone == zone]
    cut_off = [t for t in here if t.state in CONTAINERS_UP and not t.unreachable]
    starting = [t for t in here if t.state in _STARTING and not t.stop_requested]
    record_event(env.now, "fault", f"zone {zone + 1}",
                 f"az_outage: zone {zone + 1} unreachable for {fault.duration:g} s "
                 f"({len(cut_off)} tasks cut off, {len(starting)} starting)")
    for task in cut_off:
        service.cut_off(task)
    for task in starting:
        service.stop_task(task, f"zone {zone + 1} unavailable")
    service.reconcile(cause=f"zone {zone + 1} unavailable")


def _zone_returns(env, service, zone: int, record_event) -> None:
    service.impaired_zones[zone] -= 1
    if service.impaired_zones[zone]:
        record_event(env.now, "fault", f"zone {zone + 1}",
                     f"az_outage over: zone {zone + 1} still out (another outage of it goes on)")
        return
    del service.impaired_zones[zone]
    back = 0
    for task in service.active():
        if task.zone == zone and task.unreachable:
            task.unreachable = False
            back += task.state in CONTAINERS_UP
    record_event(env.now, "fault", f"zone {zone + 1}",
                 f"az_outage over: zone {zone + 1} reachable again ({back} tasks answer again)")
    service.touch()

"""How much each AWS setting an import leaves out would change what the simulator reports.

An imported scenario lists the settings it dropped at its top, those that would move latency,
errors, task counts or cost first, so that a user reads what the simulation misses before what
it merely does not care about (identifiers, networking, IAM, tags, logging). Each entry names
the setting as the AWS API does (in snake_case, which is also Terraform's name), with why it
matters; a setting that is not listed here changes nothing the simulator measures.

Ranks: 1 changes which tasks run or whether scaling happens at all; 2 changes how requests are
served (latency, errors); 3 changes cost or start-up times; 9 no effect on what is simulated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NO_EFFECT = 9


@dataclass(frozen=True)
class Dropped:
    """One setting of the input that the scenario does not hold."""

    where: str          # the section it belonged to, as the scenario names it (service, alarms[2], ...)
    setting: str        # its name, AWS's in snake_case
    value: Any
    rank: int = NO_EFFECT
    why: str = ""


# setting -> (rank, why it matters). The rank applies when the setting is on (or not AWS's
# default): an ECS deployment controller, a circuit breaker that is off, stickiness that is off,
# are dropped with no effect (`effective` below says which values count as off).
IMPACT: dict[str, tuple[int, str]] = {
    "suspended_state": (1, "scaling is suspended: Application Auto Scaling does not act on the suspended "
                           "directions, while the simulation scales"),
    "predictive_scaling_policy": (1, "a PredictiveScaling policy the simulator cannot read"),
    "policy": (1, "a scaling policy the simulator cannot run: the simulation scales without it"),
    "alarm": (1, "an alarm the simulator cannot evaluate: the step policies it invokes never act"),
    "actions_enabled": (1, "the alarm's actions are disabled: it never invokes its policies (written without "
                           "alarm_actions)"),
    "deployment_controller": (1, "deployments are not rolling ECS deployments (CODE_DEPLOY or EXTERNAL blue/green); "
                                 "the simulator replaces tasks as the ECS controller does"),
    "deployment_circuit_breaker": (1, "a failing deployment is stopped and rolled back; the simulator keeps "
                                      "replacing failed tasks"),
    "deployment_alarms": (1, "CloudWatch alarms that stop and roll back a deployment"),
    "strategy": (1, "a blue/green or linear deployment strategy; the simulator deploys rolling"),
    "capacity_provider_strategy": (1, "capacity providers other than FARGATE and FARGATE_SPOT (EC2 Auto Scaling "
                                      "groups); the simulation runs every task on Fargate"),
    "launch_type": (1, "a launch type the simulator does not model; the simulation runs the tasks on Fargate"),
    "restart_policy": (1, "ECS restarts an exited container in place instead of replacing the task"),
    "container_health_check": (1, "ECS replaces a task whose essential container fails its health check; only "
                                  "the target group's health check is simulated"),
    "target_group_elsewhere": (2, "the target group is not in this input (another configuration makes it): "
                                  "its health check, deregistration delay and routing take AWS's defaults"),
    "deployment_configuration": (1, "a blue/green or linear deployment strategy; the simulator deploys rolling"),
    "target_group_protocol": (1, "not an Application Load Balancer's target group (TCP, TLS, UDP or GENEVE): "
                                 "the simulation routes and checks health as an ALB does"),
    "load_balancers": (2, "more target groups than one: the simulation sends all requests through the first"),
    "stickiness": (2, "requests of one client stick to one target, which evens load out less"),
    "load_balancing_anomaly_mitigation": (2, "weighted_random sends fewer requests to targets with more errors"),
    "load_balancing_cross_zone_enabled": (2, "off: each zone's load balancer node serves only its zone's targets"),
    "protocol_version": (2, "HTTP/2 or gRPC between the load balancer and its targets"),
    "container_cpu": (2, "the container's own CPU share; the simulation lets the serving container use the "
                         "task's CPU"),
    "container_memory": (2, "a container above its own memory limit is killed; the simulation holds the task's "
                            "memory as one pool"),
    "memory_reservation": (3, "soft memory limit of the container"),
    "depends_on": (3, "containers start in order, which lengthens start-up"),
    "start_timeout": (3, "how long ECS waits for a container's dependencies to start"),
    "service_connect_configuration": (2, "a Service Connect proxy runs in each task and shares its CPU and memory"),
    "extended_statistic": (1, "a percentile statistic, which alarms here cannot read"),
    "threshold_metric_id": (1, "an anomaly-detection band as the threshold"),
    "region": (3, "no price table ships for this region: costs use us-east-1's prices"),
    "udp_port_mappings": (3, "UDP ports: the load balancer sends HTTP to the TCP port"),
    "health_check_matcher_grpc": (2, "gRPC health check codes; the simulated check expects HTTP codes 200"),
}


def dropped(where: str, setting: str, value: Any, *, key: str | None = None, why: str | None = None) -> Dropped:
    """`setting` of `where`, ranked by IMPACT[key or setting] when its value is on."""
    rank, reason = IMPACT.get(key or setting, (NO_EFFECT, ""))
    if not effective(setting, value):
        rank, reason = NO_EFFECT, ""
    return Dropped(where, setting, value, rank, why if why is not None else reason)


def effective(setting: str, value: Any) -> bool:
    """Whether a dropped value changes anything: off switches and AWS's defaults do not."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]        # Terraform's block of one element
    if setting in ("load_balancing_cross_zone_enabled", "actions_enabled"):
        return value in ("false", False)    # AWS's default is on
    if value in (None, False, "", [], {}, "off", "false", "DISABLED"):
        return False
    if setting == "deployment_controller":
        kind = value.get("type") if isinstance(value, dict) else value
        return kind not in (None, "ECS")
    if setting in ("deployment_circuit_breaker", "stickiness", "deployment_alarms", "restart_policy",
                   "service_connect_configuration"):
        return _enabled(value)
    if setting == "suspended_state":
        return isinstance(value, dict) and any(v is True or v == "true" for v in value.values())
    if setting == "strategy":
        return value != "ROLLING"
    if setting == "deployment_configuration":      # Terraform's block: {strategy, bake_time, ...}
        return isinstance(value, dict) and value.get("strategy") not in (None, "ROLLING")
    if setting in ("protocol", "target_group_protocol"):
        return value not in ("HTTP", "HTTPS")
    if setting == "protocol_version":
        return value not in ("HTTP1",)
    return True


def _enabled(value: Any) -> bool:
    if isinstance(value, list):
        return any(_enabled(v) for v in value)
    if isinstance(value, dict):
        for key in ("enable", "enabled"):
            if key in value:
                return value[key] is True or value[key] == "true"
        return bool(value)
    return bool(value)


def by_impact(items: list[Dropped]) -> list[Dropped]:
    """Highest impact first; within a rank, in the order of the scenario's sections."""
    return sorted(items, key=lambda d: d.rank)


def unexpected(error: Exception) -> str:
    """What was wrong with an input that was not shaped as expected, for the one-line message."""
    if isinstance(error, KeyError):
        return f"it has no {error.args[0]!r}"
    return f"{type(error).__name__}: {error}"


def foreign_dimensions(dimensions: dict, service: str | None, cluster: str | None) -> list[str]:
    """The dimensions of an alarm's metric that name another ECS service or cluster than the
    imported one: the simulator publishes its metrics for the imported service only, so such an
    alarm watches this service's figures where AWS's watches another's."""
    found = []
    for key, mine in (("ServiceName", service), ("ClusterName", cluster)):
        value = dimensions.get(key)
        if mine is not None and value is not None and value != mine:
            found.append(f"{key}={value}")
    return found

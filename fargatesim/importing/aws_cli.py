"""`fargatesim import aws DIR`: one ECS service from the AWS CLI's describe outputs.

The documents are linked as AWS links them: the service names its task definition (ARN) and its
target groups (loadBalancers); Application Auto Scaling names the service by resource id
(service/CLUSTER/SERVICE); a step scaling policy is invoked by the alarms whose actions hold its
ARN. Target tracking's own alarms (TargetTracking-*) are skipped: the simulator builds them from
the policy, as AWS does. Everything else in the folder (other services' policies, alarms and
target groups, as `describe-*` lists them for a whole account) is left alone.
"""
from __future__ import annotations

import re
from typing import Any

from ..scenario import ScenarioError
from ..scenario.task import snake_case
from .aws_documents import Document, Folder, attributes, read_folder
from .aws_scaling import AwsScaling
from .impact import dropped, unexpected
from .region import pricing_section
from .scenario_text import Imported, scenario_name
from .task_definition import task_definition_section

_TASK_DEFINITION = re.compile(r"(?:arn:[^:]+:ecs:[^:]*:[^:]*:task-definition/)?(?P<family>[^:/]+):(?P<revision>\d+)")


def import_aws(folder: str, *, service: str | None = None, command: str | None = None) -> Imported:
    """The service in `folder` (the one named `service`, by name or ARN, when there are several)."""
    found = read_folder(folder)
    importer = _Import(found, service, command or f"fargatesim import aws {folder}")
    try:
        return importer.run()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        # A document recognised by its top-level key but not shaped as the AWS CLI prints it.
        where = importer.current.path if importer.current else found.path
        raise ScenarioError(f"expected the AWS CLI's JSON output of a describe call, as it prints it; this one is "
                            f"not shaped like it ({unexpected(e)})", file=str(where)) from None


class _Import(AwsScaling):
    def __init__(self, found: Folder, wanted: str | None, command: str):
        self.found = found
        self.wanted = wanted
        self.command = command
        self.dropped: list = []
        self.notes: list[str] = []
        self.read: list[str] = []
        self.current: Document | None = None
        self.unevaluated: set[str] = set()     # step policies invoked only by alarms left out
        self.service_name: str | None = None
        self.cluster_name: str | None = None

    def fail(self, message: str, document: Document | None = None, path: str = "") -> ScenarioError:
        if self.found.skipped:
            message += f" (files not read: {', '.join(self.found.skipped)})"
        return ScenarioError(message, file=str(document.path) if document else str(self.found.path), path=path)

    def used(self, document: Document) -> None:
        self.current = document
        if document.path.name not in self.read:
            self.read.append(document.path.name)

    def drop(self, where: str, item: dict, keys, *, prefix: dict | None = None) -> None:
        """Each key of `item` not in `keys` is dropped (named in snake_case)."""
        for key, value in item.items():
            if key not in keys:
                name = snake_case(key)
                self.dropped.append(dropped(where, name, value, key=(prefix or {}).get(name)))

    # ------------------------------------------------------------------ the service
    def run(self) -> Imported:
        doc, svc = self.service()
        self.used(doc)
        self.service_name = svc["serviceName"]
        self.cluster_name = _resource_id(svc).split("/")[1]
        sections: dict[str, Any] = {"name": scenario_name(svc["serviceName"])}
        task_doc, task = self.task_definition(svc)
        self.used(task_doc)
        sections["task_definition"] = self.task_section(task)
        sections["service"] = self.service_section(svc, sections["task_definition"])
        target_group, idle_timeout = self.target_group(svc)
        if target_group is not None:
            sections["target_group"] = target_group
        resource = _resource_id(svc)
        scaling, policies = self.autoscaling(resource)
        if scaling is not None:
            sections["autoscaling"] = scaling
            alarms = self.alarms(policies)
            if alarms:
                sections["alarms"] = alarms
        sections["pricing"] = pricing_section(svc.get("serviceArn", ""), self.dropped, self.notes)
        if self.found.skipped:
            self.notes.append("not AWS CLI outputs the importer reads, so not read: " + ", ".join(self.found.skipped))
        return Imported(self.command, f"ECS service {svc.get('serviceArn') or svc['serviceName']}", self.read,
                        sections, idle_timeout, self.dropped, self.notes)

    def service(self) -> tuple[Document, dict]:
        services = [(d, s) for d, s in self.found.items("services", "services") if "serviceName" in s]
        if self.wanted is not None:
            chosen = [(d, s) for d, s in services if self.wanted in (s.get("serviceName"), s.get("serviceArn"))]
            if not chosen:
                names = ", ".join(s["serviceName"] for _, s in services) or "none"
                raise self.fail(f"expected --service to name a service of the folder's describe-services outputs "
                                f"({names}); got {self.wanted!r}")
            if len({s.get("serviceArn") for _, s in chosen}) > 1:
                raise self.fail(f"expected --service to name one service; {self.wanted!r} names "
                                f"{', '.join(str(s.get('serviceArn')) for _, s in chosen)}: give its ARN")
            return chosen[0]
        if not services:
            failures = [f"{f.get('arn')} ({f.get('reason')})" for _, f in self.found.items("services", "failures")]
            raise self.fail("expected a service in the describe-services outputs; they hold none"
                            + (f": AWS reported {', '.join(failures)}" if failures else ""))
        if len(services) != 1:
            names = ", ".join(s.get("serviceArn") or s["serviceName"] for _, s in services) or "none"
            raise self.fail(f"expected one service in the describe-services outputs, or --service NAME to choose; "
                            f"found {len(services)}: {names}")
        return services[0]

    def service_section(self, svc: dict, task: dict) -> dict:
        out: dict[str, Any] = {"name": svc["serviceName"], "desired_count": svc.get("desiredCount", 0)}
        strategy = svc.get("capacityProviderStrategy") or []
        launch_type = svc.get("launchType")
        if strategy:
            if all(item.get("capacityProvider") in ("FARGATE", "FARGATE_SPOT") for item in strategy):
                out["capacity_provider_strategy"] = [
                    {"capacity_provider": i["capacityProvider"], "base": i.get("base", 0), "weight": i.get("weight", 0)}
                    for i in strategy]
            else:
                self.dropped.append(dropped("service", "capacity_provider_strategy", strategy))
        elif launch_type in ("FARGATE", "EC2"):
            out["launch_type"] = launch_type
        elif launch_type is not None:
            self.dropped.append(dropped("service", "launch_type", launch_type))
        else:
            self.notes.append("the service names neither a launch type nor a capacity provider strategy (the "
                              "cluster's default strategy applies, which these outputs do not show): simulated on "
                              "Fargate")
        deployment = svc.get("deploymentConfiguration") or {}
        out["deployment_maximum_percent"] = deployment.get("maximumPercent", 200)
        out["deployment_minimum_healthy_percent"] = deployment.get("minimumHealthyPercent", 100)
        for key, value in deployment.items():
            if key not in ("maximumPercent", "minimumHealthyPercent"):
                name = {"alarms": "deployment_alarms"}.get(key, snake_case(key))
                self.dropped.append(dropped("service", name, value))
        out["health_check_grace_period_seconds"] = svc.get("healthCheckGracePeriodSeconds", 0)
        # A service that never set it is treated as DISABLED (ECS API, UpdateService); ENABLED is
        # the default of a service created with it unset, which a described service is not.
        out["availability_zone_rebalancing"] = svc.get("availabilityZoneRebalancing") or "DISABLED"
        primary = next((d for d in svc.get("deployments") or [] if d.get("status") == "PRIMARY"), {})
        if primary.get("serviceConnectConfiguration"):
            self.dropped.append(dropped("service", "service_connect_configuration",
                                        primary["serviceConnectConfiguration"]))
        balancers = svc.get("loadBalancers") or []
        if balancers:
            first = balancers[0]
            if "containerName" in first and "containerPort" in first:
                out["load_balancer"] = {"container_name": first["containerName"],
                                        "container_port": first["containerPort"]}
            if len(balancers) > 1:
                self.dropped.append(dropped("service", "load_balancers", balancers[1:]))
        if launch_type == "EC2" and not strategy:
            self.notes.append("launch type EC2: the cluster's instances are not in these outputs, so the scenario's "
                              "service.ec2 keeps the simulator's defaults (m5.large, ...)")
        taken = {"serviceName", "desiredCount", "capacityProviderStrategy", "launchType", "deploymentConfiguration",
                 "healthCheckGracePeriodSeconds", "availabilityZoneRebalancing", "loadBalancers"}
        self.drop("service", svc, taken)
        return out

    # ------------------------------------------------------------------ the task definition
    def task_definition(self, svc: dict) -> tuple[Document, dict]:
        wanted = svc.get("taskDefinition")
        definitions = [(d, d.data["taskDefinition"]) for d in self.found.of("task_definition")]
        for doc, task in definitions:
            if _same_task_definition(wanted, task):
                return doc, task
        have = ", ".join(_family_revision(t) for _, t in definitions) or "none"
        raise self.fail(f"expected the output of `aws ecs describe-task-definition --task-definition {wanted}` "
                        f"among the folder's files (the service runs it); the folder has task definitions: {have}")

    def task_section(self, task: dict) -> dict:
        section = task_definition_section(task.get("family", "app"), task.get("cpu"), task.get("memory"),
                                          task.get("runtimePlatform") or {},
                                          (task.get("ephemeralStorage") or {}).get("sizeInGiB"),
                                          task.get("containerDefinitions") or [], self.dropped, self.notes)
        self.drop("task_definition", task,
                  {"family", "cpu", "memory", "runtimePlatform", "ephemeralStorage", "containerDefinitions"})
        return section

    # ------------------------------------------------------------------ the load balancer
    def target_group(self, svc: dict) -> tuple[dict | None, float | None]:
        balancers = svc.get("loadBalancers") or []
        arn = balancers[0].get("targetGroupArn") if balancers else None
        if arn is None:
            classic = balancers[0].get("loadBalancerName") if balancers else None
            self.notes.append((f"the service is behind the Classic Load Balancer {classic}" if classic else
                               "the service has no load balancer") + "; the simulation puts its tasks behind an ALB "
                              "target group, with AWS's defaults")
            return None, None
        groups = [(d, g) for d, g in self.found.items("target_groups", "TargetGroups") if g.get("TargetGroupArn") == arn]
        if not groups:
            raise self.fail(f"expected the output of `aws elbv2 describe-target-groups --target-group-arns {arn}` "
                            f"among the folder's files (the service's load balancer sends requests to it)")
        doc, group = groups[0]
        self.used(doc)
        check = {"path": group.get("HealthCheckPath", "/"),
                 "interval": group.get("HealthCheckIntervalSeconds", 30),
                 "timeout": group.get("HealthCheckTimeoutSeconds", 6),
                 "healthy_threshold": group.get("HealthyThresholdCount", 5),
                 "unhealthy_threshold": group.get("UnhealthyThresholdCount", 2)}
        matcher = group.get("Matcher") or {}
        if "HttpCode" in matcher:
            check["matcher"] = matcher["HttpCode"]
        elif matcher:
            self.dropped.append(dropped("target_group.health_check", "matcher", matcher, key="health_check_matcher_grpc"))
        out: dict[str, Any] = {}
        taken = {"HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount",
                 "UnhealthyThresholdCount", "Matcher"}
        self.drop("target_group", group, taken, prefix={"protocol": "target_group_protocol"})
        out.update(self.target_group_attributes())
        out["health_check"] = check
        return out, self.idle_timeout()

    def target_group_attributes(self) -> dict:
        docs = self.found.of("target_group_attributes")
        if not docs:
            self.notes.append("no describe-target-group-attributes output: deregistration delay, slow start and the "
                              "routing algorithm take AWS's defaults (300 s, off, round_robin)")
            return {"load_balancing_algorithm_type": "round_robin", "deregistration_delay": 300, "slow_start": 0}
        doc = self._one(docs, "describe-target-group-attributes", "target group")
        self.used(doc)
        attrs = attributes(doc)
        out = {"load_balancing_algorithm_type": attrs.get("load_balancing.algorithm.type", "round_robin"),
               "deregistration_delay": int(attrs.get("deregistration_delay.timeout_seconds", 300)),
               "slow_start": int(attrs.get("slow_start.duration_seconds", 0))}
        stickiness = {k.removeprefix("stickiness."): v for k, v in attrs.items() if k.startswith("stickiness.")}
        if stickiness:
            self.dropped.append(dropped("target_group", "stickiness", stickiness))
        for key, value in attrs.items():
            if key in ("load_balancing.algorithm.type", "deregistration_delay.timeout_seconds",
                       "slow_start.duration_seconds") or key.startswith("stickiness."):
                continue
            name = {"load_balancing.algorithm.anomaly_mitigation": "load_balancing_anomaly_mitigation",
                    "load_balancing.cross_zone.enabled": "load_balancing_cross_zone_enabled"}.get(key, key)
            self.dropped.append(dropped("target_group", name, value))
        return out

    def idle_timeout(self) -> float | None:
        docs = self.found.of("load_balancer_attributes")
        if not docs:
            self.notes.append("no describe-load-balancer-attributes output: the requests' timeout is AWS's default "
                              "idle timeout, 60 s")
            return 60.0
        doc = self._one(docs, "describe-load-balancer-attributes", "load balancer")
        self.used(doc)
        attrs = attributes(doc)
        for key, value in attrs.items():
            if key != "idle_timeout.timeout_seconds":
                self.dropped.append(dropped("load_balancer", key, value))
        return float(attrs.get("idle_timeout.timeout_seconds", 60))

    def _one(self, docs: list[Document], command: str, of: str) -> Document:
        if len(docs) > 1:
            raise self.fail(f"expected one output of `aws elbv2 {command}` (its output does not say which {of} it "
                            f"describes, so it must be the service's); found {len(docs)}: "
                            f"{', '.join(d.path.name for d in docs)}")
        return docs[0]


def _resource_id(svc: dict) -> str:
    """service/CLUSTER/SERVICE, as Application Auto Scaling names an ECS service."""
    cluster = (svc.get("clusterArn") or "default").rsplit("/", 1)[-1]
    return f"service/{cluster}/{svc['serviceName']}"


def _same_task_definition(wanted: str | None, task: dict) -> bool:
    if not wanted:
        return False
    if wanted == task.get("taskDefinitionArn"):
        return True
    m = _TASK_DEFINITION.fullmatch(wanted)
    return m is not None and (m["family"], int(m["revision"])) == (task.get("family"), task.get("revision"))


def _family_revision(task: dict) -> str:
    return f"{task.get('family')}:{task.get('revision')}"

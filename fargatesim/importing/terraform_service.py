"""`fargatesim import terraform PLAN.json`: one aws_ecs_service and what fronts and scales it.

Terraform's arguments are the scenario's keys (the format follows the AWS provider), so most
values carry over as they are; what differs is Terraform's JSON: nested blocks are lists of one
element, numbers the provider keeps as strings ("256", "30", a step bound "" when unset), the
container definitions one JSON string, and a null where the configuration leaves an argument out
and the provider sends nothing, so that AWS's default applies.
"""
from __future__ import annotations

import json
from typing import Any

from ..scenario import ScenarioError
from .impact import dropped, unexpected
from .region import pricing_section, region_of
from .scenario_text import Imported, scenario_name
from .task_definition import task_definition_section
from .terraform_plan import Plan, Resource, given, number, read_plan
from .terraform_scaling import TerraformScaling

TARGET_GROUPS = ("aws_lb_target_group", "aws_alb_target_group")
LISTENERS = ("aws_lb_listener", "aws_alb_listener")
RULES = ("aws_lb_listener_rule", "aws_alb_listener_rule")
BALANCERS = ("aws_lb", "aws_alb")
# Where a listener or a rule names the target groups it forwards to.
_FORWARDS = {"aws_lb_listener": ("default_action",), "aws_alb_listener": ("default_action",),
             "aws_lb_listener_rule": ("action",), "aws_alb_listener_rule": ("action",)}


def import_terraform(file: str, *, address: str | None = None, command: str | None = None) -> Imported:
    importer = None
    try:
        plan = read_plan(file)
        importer = _Import(plan, address, command or f"fargatesim import terraform {file}")
        return importer.run()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        # A resource whose values are not shaped as the AWS provider writes them.
        where = f" at {importer.current}" if importer and importer.current else ""
        raise ScenarioError(f"expected `terraform show -json` output as Terraform writes it; the resource{where} is "
                            f"not shaped like the AWS provider's ({unexpected(e)})", file=str(file)) from None


class _Import(TerraformScaling):
    def __init__(self, plan: Plan, wanted: str | None, command: str):
        self.plan = plan
        self.wanted = wanted
        self.command = command
        self.dropped: list = []
        self.notes: list[str] = []
        self.read: list[str] = []
        self.current: str | None = None
        self.placeholders: list[str] = []
        self.unevaluated: set[str] = set()     # step policies invoked only by alarms left out
        self.service_name: str | None = None
        self.cluster: str | None = None

    def fail(self, message: str, path: str = "") -> ScenarioError:
        return ScenarioError(message, file=self.plan.file, path=path)

    def used(self, resource: Resource) -> None:
        self.current = resource.address
        if resource.address not in self.read:
            self.read.append(resource.address)

    def drop(self, where: str, resource: Resource, taken, *, keys: dict | None = None) -> None:
        for key, value in given(resource.values, taken).items():
            self.dropped.append(dropped(where, key, value, key=(keys or {}).get(key)))

    # ------------------------------------------------------------------ the service
    def run(self) -> Imported:
        service = self.service()
        self.used(service)
        name = service.values.get("name") or service.address.rsplit(".", 1)[-1]
        self.service_name, self.cluster = name, self.cluster_name(service)
        sections: dict[str, Any] = {"name": scenario_name(name)}
        task = self.one(self.task_definitions(service), service, "task_definition", "aws_ecs_task_definition")
        sections["task_definition"] = self.task_definition(task, service)
        sections["service"] = self.service_section(service, name)
        group = self.target_group(service)
        idle_timeout = None
        if group is not None:
            sections["target_group"] = self.target_group_section(group)
            idle_timeout = self.idle_timeout(group)
        scaling, policies = self.autoscaling(service, name)
        if scaling is not None:
            sections["autoscaling"] = scaling
            alarms = self.alarms(policies)
            if alarms:
                sections["alarms"] = alarms
        sections["pricing"] = pricing_section(service.values.get("id"), self.dropped, self.notes,
                                              region=self.region(service))
        return Imported(self.command, f"Terraform resource {service.address}", self.read, sections, idle_timeout,
                        self.dropped, self.notes, self.placeholders)

    def region(self, service: Resource) -> str | None:
        """From an ARN the plan knows (a state knows them all), else the AWS provider's region."""
        for resource in [service, *self.plan.resources]:
            for key in ("arn", "id"):
                value = resource.values.get(key)
                if isinstance(value, str) and region_of(value):
                    return region_of(value)
        providers = self.plan.config_providers
        for provider in providers.values():
            expression = (provider.get("expressions") or {}).get("region") or {}
            region = expression.get("constant_value")
            for ref in expression.get("references") or []:
                if ref.startswith("var.") and region is None:
                    region = self.plan.variables.get(ref.removeprefix("var."))
            if provider.get("name") == "aws" and isinstance(region, str):
                return region
        return None

    def service(self) -> Resource:
        services = self.plan.of_type("aws_ecs_service")
        if self.wanted is not None:
            chosen = [s for s in services if self.wanted == s.address] or \
                [s for s in services if self.wanted == s.base]
            if not chosen:
                raise self.fail(f"expected --address to name an aws_ecs_service of the plan "
                                f"({', '.join(s.address for s in services) or 'it has none'}); got {self.wanted!r}",
                                "--address")
            if len(chosen) > 1:
                raise self.fail(f"expected --address to name one instance; {self.wanted!r} has "
                                f"{len(chosen)}: {', '.join(s.address for s in chosen)}", "--address")
            return chosen[0]
        if len(services) != 1:
            raise self.fail(f"expected one aws_ecs_service in the plan, or --address to choose one; found "
                            f"{len(services)}{': ' if services else ''}{', '.join(s.address for s in services)}")
        return services[0]

    def task_definitions(self, service: Resource) -> list[Resource]:
        """The service's task definition: by ARN, family or family:revision (as a state has
        them), else by reference."""
        found = self.plan.linked(service, ("task_definition",), ("aws_ecs_task_definition",),
                                 keys=("arn", "arn_without_revision", "family"))
        wanted = service.values.get("task_definition")
        if not found and isinstance(wanted, str) and ":" in wanted:
            family, _, revision = wanted.rsplit("/", 1)[-1].rpartition(":")
            found = [t for t in self.plan.of_type("aws_ecs_task_definition")
                     if t.values.get("family") == family and str(t.values.get("revision")) == revision]
        return found

    def one(self, found: list[Resource], source: Resource, key: str, kind: str) -> Resource:
        if not found:
            raise self.fail(f"expected the {kind} that {source.address}.{key} names among the plan's resources; "
                            f"it is not there (a data source, or a resource of another configuration), so the "
                            f"scenario cannot be written without it")
        return found[0]

    def service_section(self, service: Resource, name: str) -> dict:
        v = service.values
        out: dict[str, Any] = {"name": name, "desired_count": number(v.get("desired_count"), 0)}
        strategy = v.get("capacity_provider_strategy") or []
        if strategy:
            if all(item.get("capacity_provider") in ("FARGATE", "FARGATE_SPOT") for item in strategy):
                out["capacity_provider_strategy"] = [
                    {"capacity_provider": i["capacity_provider"], "base": number(i.get("base"), 0),
                     "weight": number(i.get("weight"), 0)} for i in strategy]
            else:
                self.dropped.append(dropped("service", "capacity_provider_strategy", strategy))
        elif v.get("launch_type") in ("FARGATE", "EC2"):
            out["launch_type"] = v["launch_type"]
            if v["launch_type"] == "EC2":
                self.notes.append("launch type EC2: the cluster's instances are not in the service's resources, so "
                                  "the scenario's service.ec2 keeps the simulator's defaults (m5.large, ...)")
        elif v.get("launch_type"):
            self.dropped.append(dropped("service", "launch_type", v["launch_type"]))
        else:
            self.notes.append("the service names neither a launch type nor a capacity provider strategy (the "
                              "cluster's default strategy applies): simulated on Fargate")
        out["deployment_maximum_percent"] = number(v.get("deployment_maximum_percent"), 200)
        out["deployment_minimum_healthy_percent"] = number(v.get("deployment_minimum_healthy_percent"), 100)
        out["health_check_grace_period_seconds"] = number(v.get("health_check_grace_period_seconds"), 0)
        # Unset, AWS enables it on a service it creates (a plan) and keeps a service that never
        # set it DISABLED (a state): ECS API, CreateService and UpdateService.
        out["availability_zone_rebalancing"] = v.get("availability_zone_rebalancing") or \
            ("DISABLED" if self.plan.is_state else "ENABLED")
        balancers = v.get("load_balancer") or []
        if balancers and balancers[0].get("container_name"):
            out["load_balancer"] = {"container_name": balancers[0]["container_name"],
                                    "container_port": number(balancers[0].get("container_port"))}
        if len(balancers) > 1:
            self.dropped.append(dropped("service", "load_balancer", balancers[1:], key="load_balancers"))
        taken = {"name", "desired_count", "capacity_provider_strategy", "launch_type", "deployment_maximum_percent",
                 "deployment_minimum_healthy_percent", "health_check_grace_period_seconds",
                 "availability_zone_rebalancing", "load_balancer"}
        self.drop("service", service, taken, keys={"alarms": "deployment_alarms"})
        return out

    # ------------------------------------------------------------------ the task definition
    def containers_unknown(self, task: Resource, service: Resource) -> list[dict]:
        """A plan does not know container definitions built from values AWS assigns (a queue's
        URL, a load balancer's DNS name): the one container the service's load balancer names
        stands in for them, marked as a placeholder."""
        balancer = ((service.values.get("load_balancer") or [{}])[0]) or {}
        name = balancer.get("container_name") or task.values.get("family") or "app"
        port = number(balancer.get("container_port"), 80)
        self.placeholders.append("task_definition.container_definitions")
        self.notes.append(f"{task.address}.container_definitions is known only after apply (it is built from values "
                          f"AWS assigns): the scenario has the one container {name!r} (port {port}"
                          f"{', the load balancer' + chr(39) + 's' if balancer.get('container_name') else ', a stand-in'}"
                          f") in its place; import the state after apply (`terraform show -json`) for the real ones")
        return [{"name": name, "essential": True, "portMappings": [{"containerPort": port}]}]

    def task_definition(self, task: Resource, service: Resource) -> dict:
        self.used(task)
        v = task.values
        text = v.get("container_definitions")
        if isinstance(text, str):
            try:
                containers = json.loads(text)
            except ValueError as e:
                raise self.fail(f"expected {task.address}.container_definitions to be JSON; it is not: {e}") from None
        else:
            containers = self.containers_unknown(task, service)
        platform = (v.get("runtime_platform") or [{}])[0] or {}
        section = task_definition_section(
            v.get("family") or "app", v.get("cpu"), v.get("memory"),
            {"cpuArchitecture": platform.get("cpu_architecture"),
             "operatingSystemFamily": platform.get("operating_system_family")},
            ((v.get("ephemeral_storage") or [{}])[0] or {}).get("size_in_gib"),
            containers if isinstance(containers, list) else [], self.dropped, self.notes)
        self.drop("task_definition", task, {"family", "cpu", "memory", "runtime_platform", "ephemeral_storage",
                                            "container_definitions"})
        return section

    # ------------------------------------------------------------------ the load balancer
    def target_group(self, service: Resource) -> Resource | None:
        if not service.values.get("load_balancer") and not self.plan.references(service, ("load_balancer",)):
            self.notes.append("the service has no load balancer; the simulation still puts its tasks behind an ALB "
                              "target group, with AWS's defaults")
            return None
        found = self.plan.linked(service, ("load_balancer", 0, "target_group_arn"), TARGET_GROUPS)
        if not found:
            # A shared load balancer's target group, made by another configuration (a variable,
            # remote state, a literal ARN): its settings are not in this input.
            arn = ((service.values.get("load_balancer") or [{}])[0] or {}).get("target_group_arn")
            self.dropped.append(dropped("target_group", "target_group_arn", arn or "(from outside the plan)",
                                        key="target_group_elsewhere"))
            return None
        if len({r.address for r in found}) > 1:
            self.notes.append(f"{service.address}.load_balancer names one of {', '.join(r.address for r in found)}, "
                              f"which the plan cannot tell apart: took {found[0].address}")
        return found[0]

    def target_group_section(self, group: Resource) -> dict:
        self.used(group)
        v = group.values
        check = (v.get("health_check") or [{}])[0] or {}
        health = {"path": check.get("path") or "/", "interval": number(check.get("interval"), 30),
                  "timeout": number(check.get("timeout"), 6),
                  "healthy_threshold": number(check.get("healthy_threshold"), 5),
                  "unhealthy_threshold": number(check.get("unhealthy_threshold"), 2),
                  "matcher": check.get("matcher") or "200"}
        for key, value in given(check, set(health)).items():
            self.dropped.append(dropped("target_group.health_check", key, value))
        out = {"load_balancing_algorithm_type": v.get("load_balancing_algorithm_type") or "round_robin",
               "deregistration_delay": number(v.get("deregistration_delay"), 300),
               "slow_start": number(v.get("slow_start"), 0),
               "health_check": health}
        self.drop("target_group", group, {"load_balancing_algorithm_type", "deregistration_delay", "slow_start",
                                          "health_check"}, keys={"protocol": "target_group_protocol"})
        return out

    def idle_timeout(self, group: Resource) -> float:
        for kind in (*LISTENERS, *RULES):
            for forwarder in self.plan.of_type(kind):
                action = _FORWARDS[kind]
                targets = (self.plan.linked(forwarder, (*action, "target_group_arn"), TARGET_GROUPS)
                           + self.plan.linked(forwarder, (*action, "forward", "target_group", "arn"), TARGET_GROUPS))
                if group.address not in {t.address for t in targets}:
                    continue
                listener = forwarder
                if kind in RULES:
                    listeners = self.plan.linked(forwarder, ("listener_arn",), LISTENERS)
                    if not listeners:
                        continue
                    listener = listeners[0]
                balancers = self.plan.linked(listener, ("load_balancer_arn",), BALANCERS)
                if balancers:
                    self.used(balancers[0])
                    return float(number(balancers[0].values.get("idle_timeout"), 60))
        self.notes.append("no aws_lb in the plan forwards to the target group: the requests' timeout is AWS's "
                          "default idle timeout, 60 s")
        return 60.0

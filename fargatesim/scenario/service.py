"""The ECS service (aws_ecs_service) and its ALB target group (aws_lb_target_group)."""

import re
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from .distributions import Distribution
from .errors import Invalid, did_you_mean, shown
from .autoscaling import TaskCount  # 0 to the ECS quota of tasks per service, as scaling sets it
from .fields import DurationDistribution, Fraction, Model, choice, integer, seconds

CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# AWS's limit on the entries of one strategy (CapacityProviderStrategyItem, ECS API reference).
MAX_STRATEGY_ITEMS = 6


class CapacityProviderStrategyItem(Model):
    """One entry of a capacity provider strategy (CapacityProviderStrategyItem in the ECS API)."""

    capacity_provider: choice(*CAPACITY_PROVIDERS, what="capacity_provider")
    base: integer(ge=0, le=100000) = 0    # tasks that run on this provider first, at a minimum
    weight: integer(ge=0, le=1000) = 0    # its share of the tasks beyond the base


# (sim) From an instance's launch until its container agent has registered it with the cluster.
# AWS documents no figure; its default instanceWarmupPeriod of 300 s is meant to be "large
# enough for the EC2 instance to launch and start the Amazon ECS agent".
DEFAULT_INSTANCE_STARTUP = Distribution.uniform(120.0, 240.0)


class Ec2Capacity(Model):
    """The EC2 instances a launch_type EC2 service runs on: one Auto Scaling group of one instance
    type, scaled by ECS cluster auto scaling (managed scaling with managed termination protection).

    Keys follow Terraform: instance_type (aws_launch_template), min_size and max_size
    (aws_autoscaling_group), target_capacity, instance_warmup_period and the scaling step sizes
    (aws_ecs_capacity_provider managed_scaling), ecs_reserved_memory (the agent's
    ECS_RESERVED_MEMORY); the model is in fargatesim/ecs/ec2_cluster.py.
    """

    instance_type: str = "m5.large"
    min_size: integer(ge=0, le=10000) = 0
    max_size: integer(ge=0, le=10000) = 100
    # Percent of the instances that tasks should use; below 100 keeps empty instances spare.
    target_capacity: integer(ge=1, le=100) = 100
    instance_warmup_period: seconds(ge=0, le=10000) = 300
    minimum_scaling_step_size: integer(ge=1, le=10000) = 1
    maximum_scaling_step_size: integer(ge=1, le=10000) = 10000
    ecs_reserved_memory: integer(ge=0) = 0  # MiB the agent keeps from tasks on every instance
    # (sim) keys
    instance_startup: DurationDistribution = DEFAULT_INSTANCE_STARTUP
    os_memory_overhead: Fraction = 0.025  # share of installed memory the OS reports as missing
    # placed on an instance until RUNNING; None: the task definition's startup less its ENI share
    task_startup: DurationDistribution | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.min_size > self.max_size:
            raise Invalid(f"expected min_size <= max_size ({self.max_size}); got {self.min_size}", "min_size")
        if self.minimum_scaling_step_size > self.maximum_scaling_step_size:
            raise Invalid(f"expected minimum_scaling_step_size <= maximum_scaling_step_size "
                          f"({self.maximum_scaling_step_size}); got {self.minimum_scaling_step_size}",
                          "minimum_scaling_step_size")
        if self.os_memory_overhead >= 1:
            raise Invalid(f"expected a fraction below 1; got {self.os_memory_overhead:g}", "os_memory_overhead")
        return self


class LoadBalancer(Model):
    """The service's load balancer entry (loadBalancers in the ECS API, Terraform's
    load_balancer block): which container, on which port, the target group sends requests to.
    The target group itself is the scenario's target_group."""

    container_name: str = Field(min_length=1)
    container_port: integer(ge=1, le=65535)


class Service(Model):
    # The ECS API's plural name; Terraform's block is load_balancer.
    aliases: ClassVar[dict[str, str]] = {"load_balancers": "load_balancer"}

    name: str = Field("app", min_length=1)  # the scenario fills in its own name
    desired_count: TaskCount = 1
    launch_type: choice("FARGATE", "EC2", planned=("EXTERNAL",), what="launch_type") = "FARGATE"
    # launch_type EC2 only: the instances the tasks run on (defaults when not given)
    ec2: Ec2Capacity | None = None
    # Empty: every task on FARGATE, as launch_type FARGATE does.
    capacity_provider_strategy: tuple[CapacityProviderStrategyItem, ...] = ()
    health_check_grace_period_seconds: seconds(ge=0) = 0
    deployment_minimum_healthy_percent: integer(ge=0, le=100) = 100
    deployment_maximum_percent: integer(ge=100) = 200
    # ECS moves tasks back into balance across zones (the default for services created since
    # June 2025); it acts after an az_outage
    availability_zone_rebalancing: Literal["ENABLED", "DISABLED"] = "ENABLED"
    # The container the load balancer sends requests to; without it, the one container with
    # port_mappings (then a sidecar may not publish ports)
    load_balancer: LoadBalancer | None = None
    # (sim) keys
    availability_zones: integer(ge=1, le=6) = 3
    stop_timeout: seconds(ge=2, le=120) = 30  # SIGTERM..SIGKILL; in AWS a container setting
    cold_start: bool = False  # start at t=0 with no tasks and launch desired_count of them

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        balancer = data.get("load_balancer")
        if isinstance(balancer, (list, tuple)):
            # A block list, as Terraform writes it: the simulator models one target group.
            if len(balancer) != 1:
                raise Invalid(f"expected one load balancer entry (the scenario models one target group); "
                              f"got {len(balancer)}", "load_balancer")
            data = {**data, "load_balancer": balancer[0]}
        # AWS takes a launch type or a strategy, not both. launch_type FARGATE is let through
        # beside a strategy because it is this format's default: a loaded scenario writes it back
        # (Scenario.to_dict), and refusing it would refuse every variant made from that dict.
        strategy = data.get("capacity_provider_strategy")
        launch_type = data.get("launch_type")
        if strategy and launch_type is not None and launch_type != "FARGATE":
            raise Invalid(
                f"expected no launch_type (or FARGATE) with a capacity_provider_strategy: AWS takes one or the "
                f"other; got {shown(launch_type)}",
                "launch_type",
            )
        # launch_type EC2 alone takes the ec2 block's defaults; an ec2 block needs launch_type EC2.
        if launch_type == "EC2" and data.get("ec2") is None:
            data = {**data, "ec2": {}}
        if data.get("ec2") is not None and launch_type != "EC2":
            raise Invalid(f"expected launch_type: EC2 with an ec2 block (it describes the instances EC2 tasks run "
                          f"on); got launch_type {launch_type or 'FARGATE'!r}. Remove ec2, or set launch_type: EC2",
                          "ec2")
        return data

    @model_validator(mode="after")
    def _strategy_rules(self):
        """AWS's rules for a capacity provider strategy (CapacityProviderStrategyItem)."""
        items = self.capacity_provider_strategy
        where = "capacity_provider_strategy"
        if len(items) > MAX_STRATEGY_ITEMS:
            raise Invalid(f"expected at most {MAX_STRATEGY_ITEMS} capacity providers (AWS's limit); got {len(items)}",
                          where)
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.capacity_provider in seen:
                raise Invalid(f"expected each capacity provider once; {item.capacity_provider} is also "
                              f"{where}[{seen[item.capacity_provider]}]", where, i, "capacity_provider")
            seen[item.capacity_provider] = i
        with_base = [i for i, item in enumerate(items) if item.base > 0]
        if len(with_base) > 1:
            first, second = with_base[:2]
            raise Invalid(f"expected a base on one capacity provider at most (AWS allows only one); "
                          f"{items[first].capacity_provider} already has base {items[first].base}, "
                          f"got base {items[second].base}", where, second, "base")
        if len(items) > 1 and not any(item.weight > 0 for item in items):
            raise Invalid("expected a weight > 0 on at least one capacity provider: with several, AWS places "
                          "no task on a provider of weight 0 (and refuses a strategy whose weights are all 0)",
                          where)
        return self

    @property
    def uses_spot(self) -> bool:
        """Whether any task can land on FARGATE_SPOT."""
        several = len(self.capacity_provider_strategy) > 1
        return any(item.capacity_provider == "FARGATE_SPOT" and (item.base > 0 or item.weight > 0 or not several)
                   for item in self.capacity_provider_strategy)


_MATCHER = re.compile(r"\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*")


class TargetGroupHealthCheck(Model):
    path: str = Field("/", min_length=1, max_length=1024)
    interval: seconds(ge=5, le=300) = 30
    timeout: seconds(ge=2, le=120) = 6
    healthy_threshold: integer(ge=2, le=10) = 5
    unhealthy_threshold: integer(ge=2, le=10) = 2
    matcher: str = "200"

    @model_validator(mode="after")
    def _consistent(self):
        if not self.path.startswith("/"):
            raise Invalid(f"expected a path starting with '/'; got {self.path!r}", "path")
        if self.timeout >= self.interval:
            raise Invalid(f"expected timeout < interval ({self.interval} s); got {self.timeout}", "timeout")
        codes = re.split(r"[,-]", self.matcher)
        if not _MATCHER.fullmatch(self.matcher) or not all(200 <= int(c) <= 499 for c in codes):
            raise Invalid(
                f"expected HTTP codes from 200 to 499 such as '200', '200,202' or '200-299'; got {self.matcher!r}",
                "matcher",
            )
        return self


class TargetGroup(Model):
    load_balancing_algorithm_type: Literal["round_robin", "least_outstanding_requests", "weighted_random"] = (
        "round_robin"
    )
    deregistration_delay: seconds(ge=0, le=3600) = 300
    slow_start: seconds(ge=0) = 0  # 0 = off, otherwise 30..900
    health_check: TargetGroupHealthCheck = TargetGroupHealthCheck()
    # (sim) passing checks a newly registered target needs; AWS's ALB guide says one
    initial_health_checks: integer(ge=1, le=10) = 1

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        # `enabled` is accepted as not simulated (it changes nothing when true); false is what
        # CreateTargetGroup refuses for an ECS service's targets (docs/aws-behaviour.md 5.1).
        check = data.get("health_check")
        if isinstance(check, dict) and check.get("enabled") is False:
            raise Invalid("expected enabled: true (or no enabled): the health checks of instance and IP targets "
                          "cannot be turned off, only a Lambda target's; got false", "health_check", "enabled")
        return data

    @model_validator(mode="after")
    def _consistent(self):
        if not (self.slow_start == 0 or 30 <= self.slow_start <= 900):
            raise Invalid(f"expected 0 (off) or a duration from 30 to 900 seconds; got {self.slow_start}", "slow_start")
        if self.slow_start and self.load_balancing_algorithm_type == "least_outstanding_requests":
            raise Invalid(
                "expected slow_start: 0 with least_outstanding_requests (AWS does not combine them); "
                f"got {self.slow_start}",
                "slow_start",
            )
        return self


def spot_platform_problem(service: Service, task_definition, pricing) -> Invalid | None:
    """Why the strategy cannot run this task definition on FARGATE_SPOT, or None.

    Fargate Spot runs only some platforms (Linux/X86_64 in the ECS developer guide of 2023); the
    region's price table lists them, since it must price every Spot task anyway. The problem
    names its key from the top of the scenario, for a cross-section check to raise.
    """
    from ..cost.prices import PriceTable   # prices are data; loaded only when Spot is asked for

    if not service.uses_spot:
        return None
    try:
        platforms = PriceTable.load(pricing.region, pricing).fargate_spot_platforms
    except ValueError:
        return None     # an unknown region is reported where the prices are used
    platform = (f"{task_definition.runtime_platform.operating_system_family}/"
                f"{task_definition.runtime_platform.cpu_architecture}")
    if platform in platforms:
        return None
    i = next(i for i, item in enumerate(service.capacity_provider_strategy)
             if item.capacity_provider == "FARGATE_SPOT")
    return Invalid(f"expected a task definition that Fargate Spot runs ({', '.join(platforms)}); "
                   f"task_definition.runtime_platform is {platform}",
                   "service", "capacity_provider_strategy", i, "capacity_provider")


def ec2_capacity_problem(service: Service, task_definition, pricing) -> Invalid | None:
    """Why the service's tasks cannot run on its EC2 instance type, or None.

    The instance type must have a price in the region's table (the run bills it), the task
    definition's CPU architecture, and room for at least one task after the OS and the agent's
    reservation. The problem names its key from the top of the scenario, for a cross-section
    check to raise.
    """
    if service.launch_type != "EC2" or service.ec2 is None:
        return None
    from ..cost.prices import PriceTable   # prices are data; loaded only when EC2 is asked for
    from ..ecs.bin_packing import EC2_TASK_CPU_MAX, Capacity, registered_capacity

    ec2 = service.ec2
    where = ("service", "ec2", "instance_type")
    if task_definition.cpu > EC2_TASK_CPU_MAX:
        return Invalid(f"expected a task of at most {EC2_TASK_CPU_MAX} CPU units on the EC2 launch type (10 vCPU, "
                       f"AWS's limit for a task); task_definition.cpu is {task_definition.cpu}", *where)
    try:
        prices = PriceTable.load(pricing.region, pricing)
    except ValueError:
        return None     # an unknown region is reported where the prices are used
    types = prices.ec2_instances
    if ec2.instance_type not in types:
        return Invalid(f"expected an instance type with an on-demand price in {prices.region}: "
                       f"{', '.join(sorted(types))}; got {ec2.instance_type!r}"
                       f"{did_you_mean(ec2.instance_type, types)}", *where)
    arch = task_definition.runtime_platform.cpu_architecture
    demand = Capacity(task_definition.cpu, task_definition.memory)

    def room(t):
        return registered_capacity(t.vcpu, t.memory_gib, os_memory_overhead=ec2.os_memory_overhead,
                                   reserved_memory=ec2.ecs_reserved_memory)

    fitting = sorted(n for n, t in types.items() if t.architecture == arch and room(t).holds(demand))
    hint = f"; types that fit: {', '.join(fitting)}" if fitting else "; no priced type fits it"
    chosen = types[ec2.instance_type]
    if chosen.architecture != arch:
        return Invalid(f"expected an instance type of the task definition's CPU architecture {arch}; "
                       f"{chosen.name} is {chosen.architecture}{hint}", *where)
    offered = room(chosen)
    if not offered.holds(demand):
        return Invalid(f"expected an instance type with room for one task ({demand.cpu} CPU units, "
                       f"{demand.memory:,} MiB); {chosen.name} registers {offered.cpu} CPU units and "
                       f"{offered.memory:,} MiB ({chosen.memory_gib:g} GiB less {ec2.os_memory_overhead:.1%} for the "
                       f"OS and ecs_reserved_memory {ec2.ecs_reserved_memory} MiB){hint}", *where)
    return None

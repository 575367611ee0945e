"""The whole scenario: top-level keys, SLO and pricing, and the cross-section checks.

The section models live in modules named after what they hold; they are re-exported here so
that ``from fargatesim.scenario.schema import X`` works for every model.
"""

import math
import re
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, model_validator

from .actions import ACTION_TYPES, Action, SetDesiredCountAction
from .alarms import Alarm
from .autoscaling import (
    PREDEFINED_METRICS,
    Autoscaling,
    CustomizedMetricSpecification,
    CustomPolicyConfig,
    PredefinedMetricSpecification,
    ScalableTargetAction,
    ScalingPolicy,
    ScheduledAction,
    StepAdjustment,
    StepScalingConfig,
    TargetTrackingConfig,
)
from .aws_settings import not_simulated_message
from .errors import Invalid, ScenarioError, ScenarioWarning, did_you_mean, shown
from .faults import FAULT_TYPES, Fault, TaskCrashFault, TaskUnhealthyFault
from .fields import (
    Fraction,
    Model,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveDuration,
    PositiveFloat,
    UtcDatetime,
    choice,
    duration,
)
from .jobs import Job, check_jobs
from .messages import scenario_error
from .metrics import PUBLISHED_METRICS, CloudWatchSettings, Dimension
from .overrides import apply_overrides
from .service import (
    Ec2Capacity,
    LoadBalancer,
    Service,
    TargetGroup,
    TargetGroupHealthCheck,
    ec2_capacity_problem,
    spot_platform_problem,
)
from .task import (
    FARGATE_SIZES,
    ContainerDefinition,
    ContainerHealthCheck,
    EnvironmentVariable,
    EphemeralStorage,
    PortMapping,
    RuntimePlatform,
    Secret,
    TaskDefinition,
)
from .traffic import (
    KINDS as TRAFFIC_KINDS,
    ConstantTraffic,
    DiurnalTraffic,
    RampTraffic,
    RateStep,
    SpikeTraffic,
    StepsTraffic,
    TraceTraffic,
    TrafficComponent,
    volume_problem,
)
from .workload import Workload


def _priced_region(region: str) -> str:
    # Checked here, not where the run is priced: that is after the whole simulation.
    from ..cost.prices import available_regions
    regions = available_regions()
    if region not in regions:
        raise Invalid(f"expected a region with a price table ({', '.join(regions)}; each is a file "
                      f"fargatesim/cost/prices-<region>.json); got {shown(region)}{did_you_mean(region, regions)}")
    return region


class Slo(Model):
    latency_p99_ms: PositiveFloat | None = None
    # The mean latency each minute, as the ALB's TargetResponseTime (an average) reports it.
    latency_mean_ms: PositiveFloat | None = None
    error_rate: Fraction | None = None


class Pricing(Model):
    """Prices left at None take the built-in price table's value for the region."""

    region: Annotated[str, AfterValidator(_priced_region)] = "us-east-1"
    fargate_vcpu_hour: NonNegativeFloat | None = None
    fargate_gb_hour: NonNegativeFloat | None = None
    fargate_spot_discount: Fraction | None = None
    fargate_ephemeral_gb_hour: NonNegativeFloat | None = None
    lambda_gb_second: NonNegativeFloat | None = None           # x86_64
    lambda_arm_gb_second: NonNegativeFloat | None = None
    lambda_request_per_million: NonNegativeFloat | None = None
    ec2_instance_hour: dict[str, NonNegativeFloat] | None = None  # on-demand USD per hour by type

    @model_validator(mode="after")
    def _known_instance_types(self):
        if self.ec2_instance_hour:
            from ..cost.prices import PriceTable, available_regions
            if self.region in available_regions():
                known = PriceTable.load(self.region).ec2_instances
                for name in self.ec2_instance_hour:
                    if name not in known:
                        raise Invalid(f"expected an instance type of the {self.region} price table, one of "
                                      f"{', '.join(sorted(known))}; got {shown(name)}{did_you_mean(name, known)}",
                                      "ec2_instance_hour", name)
        return self


# The name is the default results folder, results/<name> (and results/<name>-cost): one plain
# folder name, never a path out of results/. 200 characters leave room for "-cost" and more
# within the 255 bytes most file systems allow in one name.
MAX_NAME_LENGTH = 200
_FOLDER = "it names the results folder, results/<name>"


def _name(value: str) -> str:
    if value in ("", ".", ".."):
        what = {"": "nothing", ".": "'.': results/. is results itself",
                "..": "'..': results/.. is the current folder, whose files a run would overwrite"}[value]
        raise Invalid(f"expected a plain name ({_FOLDER}); got {what}")
    if any(c in value for c in "/\\\0"):
        raise Invalid(f"expected a plain name, not a path ({_FOLDER}); got {shown(value)}")
    if len(value) > MAX_NAME_LENGTH:
        raise Invalid(f"expected a name of at most {MAX_NAME_LENGTH} characters ({_FOLDER}, and file systems "
                      f"allow 255 bytes in one name); got {len(value)}")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        raise Invalid(f"expected letters, digits, '.', '_' and '-' only ({_FOLDER}); got {shown(value)}")
    return value


def _scenario_key_path(value: str) -> str:
    """A key path of the format (workload.cpu_ms, traffic), list indices left out."""
    model: Any = Scenario
    done: list[str] = []
    for key in value.split("."):
        keys = model.user_keys() if model is not None else []
        if key not in keys:
            where = ".".join(done) or "the top level"
            raise Invalid(f"expected a key path of the scenario format, e.g. traffic or workload.cpu_ms; "
                          f"{where} has no key {shown(key)}{did_you_mean(key, keys)}")
        done.append(key)
        model = _section_model(model.model_fields[_field_name(model, key)].annotation)
    return value


def _each_once(paths: tuple[str, ...]) -> tuple[str, ...]:
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise Invalid(f"expected each key path once; got {', '.join(twice)} more than once")
    return paths


def _field_name(model, key: str) -> str:
    return next(name for name, f in model.model_fields.items() if (f.alias or name) == key)


def _section_model(annotation) -> Any:
    """The section model a field holds (through Optional, tuple[...] and Annotated), or None."""
    import typing
    todo = [annotation]
    while todo:
        kind = todo.pop()
        if isinstance(kind, type) and issubclass(kind, Model):
            return kind
        todo.extend(typing.get_args(kind))
    return None


Tick = duration(gt=0, le=60)  # named here: the field `duration` hides the function in the class body
DEFAULT_START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday
# The simulated clock is a datetime, which ends with the year 9999. A run ends a day before
# that, so that its last tick and whatever looks a little past the end (the next firing of a
# schedule) still have a date.
LAST_END = datetime(9999, 12, 31, tzinfo=timezone.utc) - timedelta(days=1)
# The request engine keeps the tick of each response as a 32-bit number (dataplane/
# request_latency.py); no run has more ticks than that, whatever its engine.
MAX_TICKS = 2**31 - 1


class Scenario(Model):
    name: Annotated[str, AfterValidator(_name)]
    description: str = ""
    duration: PositiveDuration = 3600.0
    start: UtcDatetime = DEFAULT_START  # wall-clock time at t=0
    seed: NonNegativeInt = 0
    tick: Tick = 1.0
    engine: choice("fluid", "requests", what="engine") = "fluid"
    traffic: tuple[TrafficComponent, ...] = Field(min_length=1)
    arrivals: Literal["poisson", "deterministic"] = "poisson"
    workload: Workload
    task_definition: TaskDefinition
    service: Service = Service()
    target_group: TargetGroup = TargetGroup()
    autoscaling: Autoscaling | None = None
    alarms: tuple[Alarm, ...] = ()
    faults: tuple[Fault, ...] = ()
    actions: tuple[Action, ...] = ()
    jobs: tuple[Job, ...] = ()
    slo: Slo = Slo()
    pricing: Pricing = Pricing()
    cloudwatch: CloudWatchSettings = CloudWatchSettings()
    # Key paths whose values stand in for what the author has yet to say (`fargatesim import`
    # writes traffic and the workload's costs so); validate and run warn while any is listed.
    placeholders: Annotated[tuple[Annotated[str, AfterValidator(_scenario_key_path)], ...],
                            AfterValidator(_each_once)] = ()
    # set by the loader, never by the file: the file as the user named it, and its folder
    source: str | None = None
    base_dir: Path | None = None

    internal_keys: ClassVar[frozenset[str]] = frozenset({"source", "base_dir"})

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        data = dict(data)
        for key in ("source", "base_dir"):
            if info.context and info.context.get(key) is not None:
                data[key] = info.context[key]
        # Defaults that depend on other keys: the service is named after the scenario and the
        # task family after the service, unless the file says otherwise.
        service = data.get("service", {})
        # Not from an empty name: its own message says so, and copies of it would repeat it.
        named = isinstance(data.get("name"), str) and data["name"].strip()
        if isinstance(service, dict) and "name" not in service and named:
            service = data["service"] = {**service, "name": data["name"]}
        service_name = service.get("name") if isinstance(service, dict) else getattr(service, "name", None)
        task = data.get("task_definition")
        if isinstance(task, dict) and "family" not in task and isinstance(service_name, str):
            task = data["task_definition"] = {**task, "family": service_name}
        # The container the service's load balancer names is the task's served one.
        if isinstance(task, dict):
            task = data["task_definition"] = {k: v for k, v in task.items() if k != "serving_container"}
            balancer = (service.get("load_balancer", service.get("load_balancers"))
                        if isinstance(service, dict) else None)
            if isinstance(balancer, (list, tuple)) and balancer:
                balancer = balancer[0]        # more than one is the service's own error
            if isinstance(balancer, dict) and isinstance(balancer.get("container_name"), str):
                data["task_definition"] = {**task, "serving_container": balancer["container_name"]}
        return data

    @model_validator(mode="after")
    def _stop_timeout_of_the_containers(self):
        # ECS sends SIGKILL to each container after its own stopTimeout; the service-level key
        # is this format's, so a task definition's containers set it when the service does not.
        timeouts = [c.stop_timeout for c in self.task_definition.container_definitions if c.stop_timeout is not None]
        if timeouts and "stop_timeout" not in self.service.model_fields_set:
            service = self.service.model_copy(update={"stop_timeout": max(timeouts)})
            service.model_fields_set.add("stop_timeout")
            return self.model_copy(update={"service": service})
        return self

    def _check_load_balancer(self) -> None:
        if self.service.load_balancer is not None:
            _served_container(self.task_definition, self.service.load_balancer)

    @model_validator(mode="after")
    def _cross_checks(self):
        # Each group of checks stops at its own first problem (later checks of a group may
        # rest on the earlier ones); the groups are independent, so all of them are reported.
        found: list[Invalid] = []
        for group in (self._check_load_balancer, self._check_time, self._check_engine,
                      lambda: check_jobs(self.jobs, self.duration), self._check_capacity,
                      self._check_faults, self._check_alarms):
            try:
                found += group() or []
            except Invalid as e:
                found.append(e)
        if found:
            first, *more = found
            raise Invalid(first.message, *first.where, also=[*first.also, *more])
        return self

    def _check_time(self) -> None:
        if self.duration < self.tick:
            raise Invalid(f"expected a duration of at least one tick ({self.tick:g} s); got {self.duration:g} s", "duration")
        ticks = math.ceil(self.duration / self.tick - 1e-9)
        if ticks > MAX_TICKS:
            raise Invalid(f"expected at most {MAX_TICKS:,} ticks in a run (duration / tick; the request engine "
                          f"numbers them in 32 bits); {self.duration:g} s / {self.tick:g} s is {ticks:,.4g}: "
                          f"choose a larger tick or a shorter duration", "tick")
        if self.start > LAST_END - timedelta(seconds=self.duration):
            raise Invalid(f"expected a start at least the duration ({self.duration:g} s) plus a day before the end "
                          f"of the year 9999, where the calendar of the simulated clock (Python's datetime) ends; "
                          f"got {self.start.isoformat()}", "start")
        problem = volume_problem(self.traffic, ticks * self.tick)
        if problem is not None:
            raise problem

    def _check_engine(self) -> None:
        if self.workload.kind == "websocket" and self.engine == "requests":
            raise Invalid("expected engine fluid with a websocket workload (its connections are always modelled "
                          "one by one; engine requests applies to http requests); got 'requests'", "engine")

    def _check_capacity(self) -> list[Invalid]:
        return [problem for problem in (spot_platform_problem(self.service, self.task_definition, self.pricing),
                                        ec2_capacity_problem(self.service, self.task_definition, self.pricing))
                if problem is not None]

    def _check_faults(self) -> list[Invalid]:
        found = []
        for i, fault in enumerate(self.faults):
            if fault.type == "az_outage" and fault.zone > self.service.availability_zones:
                found.append(Invalid(f"expected a zone from 1 to service.availability_zones "
                                     f"({self.service.availability_zones}); got {fault.zone}", "faults", i, "zone"))
            if fault.type == "az_outage" and self.service.launch_type == "EC2":
                found.append(Invalid("expected launch_type FARGATE with az_outage (the EC2 cluster's instances "
                                     "have no zones in this model yet); got EC2", "faults", i, "type"))
        return found

    def _check_alarms(self) -> list[Invalid]:
        found = []
        seen: set[str] = set()
        for i, alarm in enumerate(self.alarms):
            if alarm.alarm_name in seen:
                found.append(Invalid(f"expected unique alarm names; got {alarm.alarm_name!r} twice",
                                     "alarms", i, "alarm_name"))
            seen.add(alarm.alarm_name)
            for key in ("alarm_actions", "ok_actions"):
                for j, action in enumerate(getattr(alarm, key)):
                    problem = self._action_problem(action)
                    if problem:
                        found.append(Invalid(problem, "alarms", i, key, j))
        return found

    def _action_problem(self, action: str) -> str | None:
        policies = {p.name: p for p in self.autoscaling.policies} if self.autoscaling else {}
        steps = [name for name, p in policies.items() if p.policy_type == "StepScaling"]
        if action in steps:
            return None
        if action in policies:
            return (
                f"expected the name of a StepScaling policy; {shown(action)} is a {policies[action].policy_type} policy, "
                "which alarms cannot invoke"
            )
        if self.autoscaling is None:
            return f"expected the name of a StepScaling policy, but there is no autoscaling section; got {shown(action)}"
        names = ", ".join(steps) or "none defined"
        return (
            f"expected the name of a StepScaling policy in autoscaling.policies ({names}); "
            f"got {shown(action)}{did_you_mean(action, steps)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (durations in seconds) that scenario_from_dict turns back into an equal scenario."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"source", "base_dir"})
        data["traffic"] = [_yaml_traffic_item(item) for item in data["traffic"]]
        return data

    def with_changes(self, changes: dict[str, Any]) -> "Scenario":
        """A new scenario with `changes` applied and validated again; this one is left as it is.

        `changes` maps key paths to values exactly as ``load_scenario(..., overrides=...)`` does,
        e.g. ``{"autoscaling.min_capacity": 4}`` or
        ``{"autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value": 50}``;
        a mapping given as a value is merged into the one there. The source file and its folder
        are kept, so relative trace files still resolve and errors still name the file. A bad
        path or value raises ScenarioError naming the key.

        The changes apply to the scenario as loaded, where defaults derived from other keys are
        already filled in: changing ``name`` does not rename ``service.name``.
        """
        if not changes:
            return self
        data = apply_overrides(self.to_dict(), dict(changes), file=self.source)
        return scenario_from_dict(data, source=self.source, base_dir=self.base_dir)


def _served_container(task_definition, balancer) -> None:
    """The service's load_balancer names a container of the task definition, and one of its
    port mappings (as CreateService requires)."""
    containers = {c.name: c for c in task_definition.container_definitions}
    container = containers.get(balancer.container_name)
    if container is None:
        raise Invalid(f"expected the name of a container of task_definition ({', '.join(containers)}); got "
                      f"{shown(balancer.container_name)}{did_you_mean(balancer.container_name, containers)}",
                      "service", "load_balancer", "container_name")
    ports = [m.container_port for m in container.port_mappings]
    if balancer.container_port not in ports:
        raise Invalid(f"expected a container_port among the port_mappings of container {container.name!r} "
                      f"({', '.join(map(str, ports)) or 'it has none'}); got {balancer.container_port}",
                      "service", "load_balancer", "container_port")


def _yaml_traffic_item(item: dict) -> dict:
    kind = item.pop("kind")
    return {kind: item["steps"] if kind == "steps" else item}


__all__ = [
    "ACTION_TYPES", "FAULT_TYPES", "FARGATE_SIZES", "PREDEFINED_METRICS", "PUBLISHED_METRICS", "TRAFFIC_KINDS",
    "Action", "Alarm", "Autoscaling", "ConstantTraffic", "ContainerDefinition", "ContainerHealthCheck",
    "CustomPolicyConfig", "CustomizedMetricSpecification", "Dimension", "DiurnalTraffic", "Ec2Capacity",
    "EnvironmentVariable",
    "EphemeralStorage", "Fault", "LoadBalancer",
    "PortMapping", "PredefinedMetricSpecification", "Pricing", "RampTraffic", "RateStep",
    "RuntimePlatform", "ScalableTargetAction", "ScalingPolicy", "Scenario", "ScheduledAction", "Secret", "Service",
    "SetDesiredCountAction", "Slo", "SpikeTraffic", "StepAdjustment", "StepScalingConfig", "StepsTraffic",
    "TargetGroup", "TargetGroupHealthCheck", "TargetTrackingConfig", "TaskCrashFault", "TaskDefinition",
    "TaskUnhealthyFault", "TraceTraffic", "TrafficComponent", "Workload",
]


def scenario_from_dict(data: Any, *, source: str | None = None, base_dir: str | Path | None = None) -> Scenario:
    """Validate plain data (as read from YAML); relative trace files are read from `base_dir`."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping of scenario keys (name, traffic, workload, task_definition, ...) at the top level; "
            f"got {type(data).__name__}",
            file=source,
        )
    base = Path(base_dir).resolve() if base_dir is not None else Path.cwd()
    context = {"user_input": True, "source": source, "base_dir": base}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise scenario_error(exc, source) from None
    if context.get("not_simulated"):
        warnings.warn(ScenarioWarning(not_simulated_message(context["not_simulated"]), file=source), stacklevel=2)
    return scenario

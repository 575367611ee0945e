"""The ECS task definition (Terraform aws_ecs_task_definition), plus simulator-only container keys."""

import json
import re
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from .aws_settings import NOT_SIMULATED
from .distributions import Distribution
from .errors import Invalid
from .fields import (
    Duration,
    DurationDistribution,
    Model,
    NonNegativeFloat,
    PositiveInt,
    choice,
    integer,
    seconds,
)

# Fargate task sizes: CPU units -> allowed memory in MiB (Linux; AWS Fargate developer guide).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

Port = integer(ge=1, le=65535)


class PortMapping(Model):
    container_port: Port
    host_port: Port | None = None
    protocol: Literal["tcp"] = "tcp"

    @model_validator(mode="after")
    def _awsvpc(self):
        # Fargate uses awsvpc networking, where the host port is the container port.
        if self.host_port is not None and self.host_port != self.container_port:
            raise Invalid(
                f"expected host_port to be omitted or equal to container_port ({self.container_port}) on Fargate; "
                f"got {self.host_port}",
                "host_port",
            )
        return self


class EnvironmentVariable(Model):
    name: str
    value: str


class Secret(Model):
    name: str
    value_from: str


class ContainerHealthCheck(Model):
    command: tuple[str, ...] = Field(min_length=1)
    interval: seconds(ge=5, le=300) = 30
    timeout: seconds(ge=2, le=60) = 5
    retries: integer(ge=1, le=10) = 3
    start_period: seconds(ge=0, le=300) = 0


class ContainerDefinition(Model):
    name: str = Field(min_length=1)
    essential: bool = True
    image: str = ""
    port_mappings: tuple[PortMapping, ...] = ()
    environment: tuple[EnvironmentVariable, ...] = ()
    secrets: tuple[Secret, ...] = ()
    health_check: ContainerHealthCheck | None = None
    cpu: integer(ge=0) | None = None
    memory: integer(ge=1) | None = None
    memory_reservation: integer(ge=1) | None = None
    # SIGTERM..SIGKILL; the task stops when its slowest container has: the longest is the
    # service's stop_timeout unless the service gives one
    stop_timeout: seconds(ge=2, le=120) | None = None
    # (sim) keys
    app_start: Duration = 0.0  # RUNNING until the app answers requests and health checks
    base_memory_mb: NonNegativeFloat = 0.0  # resident memory when idle
    base_cpu_units: NonNegativeFloat = 0.0  # CPU used all the time
    max_concurrency: PositiveInt | None = None  # in-flight requests above which the app answers 503

    @model_validator(mode="after")
    def _reservation_below_limit(self):
        if self.memory is not None and self.memory_reservation is not None and self.memory_reservation > self.memory:
            raise Invalid(
                f"expected memory_reservation <= memory ({self.memory} MiB); got {self.memory_reservation}",
                "memory_reservation",
            )
        return self


class RuntimePlatform(Model):
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    operating_system_family: choice(
        "LINUX",
        planned=("WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2022_FULL",
                 "WINDOWS_SERVER_2022_CORE"),
        what="operating_system_family",
    ) = "LINUX"


class EphemeralStorage(Model):
    size_in_gib: integer(ge=20, le=200) = 20


class FargateSize:
    """What a task definition and a job derive from their `cpu` (units) and `memory` (MiB)
    fields (no annotations here, so that the models keep their own field order)."""

    @property
    def vcpu(self) -> float:
        return self.cpu / 1024

    @property
    def memory_gib(self) -> float:
        return self.memory / 1024


class TaskDefinition(FargateSize, Model):
    # The scenario copies the service's load_balancer choice here (Scenario._prepare).
    hidden_keys: ClassVar[frozenset[str]] = frozenset({"serving_container"})

    @classmethod
    def _prepare(cls, data: dict, info) -> dict:
        if "container_definitions" in data:
            data = {**data, "container_definitions": _container_definitions(data["container_definitions"])}
        return data

    family: str = Field("app", min_length=1)  # the scenario fills in the service name
    cpu: int  # CPU units, 1024 = 1 vCPU
    memory: int  # MiB
    runtime_platform: RuntimePlatform = RuntimePlatform()
    ephemeral_storage: EphemeralStorage = EphemeralStorage()
    startup: DurationDistribution = Distribution.uniform(30.0, 60.0)  # (sim) PROVISIONING..RUNNING
    container_definitions: tuple[ContainerDefinition, ...] = Field(min_length=1)
    serving_container: str | None = None      # service.load_balancer.container_name

    @property
    def app_container(self) -> ContainerDefinition:
        """The container the load balancer sends requests to: the service's load_balancer
        names it, else it is the one with port mappings."""
        if self.serving_container is not None:
            return next(c for c in self.container_definitions if c.name == self.serving_container)
        return next(c for c in self.container_definitions if c.port_mappings)

    @property
    def sidecars(self) -> tuple[ContainerDefinition, ...]:
        app = self.app_container
        return tuple(c for c in self.container_definitions if c is not app)

    @model_validator(mode="after")
    def _consistent(self):
        _check_fargate_size(self.cpu, self.memory)
        containers = self.container_definitions
        seen: set[str] = set()
        for i, c in enumerate(containers):
            if c.name in seen:
                raise Invalid(f"expected unique container names; got {c.name!r} twice", "container_definitions", i, "name")
            seen.add(c.name)
        if not any(c.essential for c in containers):
            raise Invalid("expected at least one container with essential: true; got none", "container_definitions")
        served = [i for i, c in enumerate(containers) if c.port_mappings]
        # With a load_balancer the service names the container (Scenario checks that it has
        # the port); without one, the container with port mappings is the one served.
        if self.serving_container is None and len(served) != 1:
            names = ", ".join(repr(containers[i].name) for i in served) or "none"
            raise Invalid(
                "expected exactly one container with port_mappings (the one the load balancer sends requests to), "
                f"or the service's load_balancer naming it; got {len(served)}: {names}",
                "container_definitions",
            )
        self._check_sums(containers)
        return self

    def _check_sums(self, containers) -> None:
        for key, limit, unit in (("base_cpu_units", self.cpu, "CPU units"), ("base_memory_mb", self.memory, "MiB")):
            total = sum(getattr(c, key) for c in containers)
            if total >= limit:
                raise Invalid(
                    f"expected the containers' {key} to add up to less than the task's {limit} {unit}; got {total:g}",
                    "container_definitions",
                )
        for key, limit in (("cpu", self.cpu), ("memory", self.memory)):
            total = sum(getattr(c, key) or 0 for c in containers)
            if total > limit:
                raise Invalid(
                    f"expected the containers' {key} to add up to at most the task's {key} ({limit}); got {total}",
                    "container_definitions",
                )


def _container_definitions(value):
    """Container definitions as the ECS API and Terraform write them too: the JSON text of the
    list (Terraform's jsonencode), and its keys in camelCase (portMappings, containerPort,
    healthCheck, startPeriod, memoryReservation, valueFrom, ...)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise Invalid(f"expected a list of container definitions, or the JSON text of one (as Terraform's "
                          f"jsonencode writes it); got text that is not JSON ({e.msg} at line {e.lineno}, "
                          f"column {e.colno})", "container_definitions") from None
    if isinstance(value, (list, tuple)):
        return [_snake_keys(c, ContainerDefinition, ("container_definitions", i)) if isinstance(c, dict) else c
                for i, c in enumerate(value)]
    return value


def _snake_keys(data: dict, model, where: tuple = ()) -> dict:
    """The keys of `model` (and the AWS settings it accepts) given in camelCase, renamed; any
    other key is left as written, so that a misspelt one is reported as the user wrote it."""
    known = {f.alias or name for name, f in model.model_fields.items()} | NOT_SIMULATED.get(model.__name__, set())
    out = {}
    for key, value in data.items():
        name = snake_case(key) if isinstance(key, str) and snake_case(key) in known else key
        if name in out or (name != key and name in data):
            raise Invalid(f"expected {name} or {key} (the ECS API's spelling of it), not both", *where, key)
        child = _NESTED.get((model.__name__, name))
        if child is not None and isinstance(value, dict):
            value = _snake_keys(value, child, (*where, key))
        elif child is not None and isinstance(value, list):
            value = [_snake_keys(v, child, (*where, key, i)) if isinstance(v, dict) else v
                     for i, v in enumerate(value)]
        out[name] = value
    return out


def snake_case(key: str) -> str:
    """The ECS API's camelCase (or another AWS API's PascalCase) in snake_case: containerPort ->
    container_port, HealthCheckIntervalSeconds -> health_check_interval_seconds, SSLPolicy ->
    ssl_policy; keys already in snake_case, and ALL-CAPS ones, stay as they are."""
    if key.isupper():
        return key
    key = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)
    return re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", key).lower()


def _check_fargate_size(cpu: int, memory: int) -> None:
    if cpu not in FARGATE_SIZES:
        fits = [c for c, mems in FARGATE_SIZES.items() if memory in mems]
        hint = f" (with memory {memory}: {', '.join(map(str, fits))})" if fits else ""
        raise Invalid(
            f"expected a Fargate task cpu, one of {', '.join(map(str, FARGATE_SIZES))}{hint}; got {cpu}", "cpu"
        )
    if memory not in FARGATE_SIZES[cpu]:
        allowed = FARGATE_SIZES[cpu]
        shown = ", ".join(map(str, allowed))
        raise Invalid(
            f"expected a memory size that Fargate allows with cpu {cpu}: one of {shown} (MiB); got {memory}",
            "memory",
        )


# The sections inside a container definition whose keys are simulated (_snake_keys renames them).
_NESTED = {("ContainerDefinition", "port_mappings"): PortMapping,
           ("ContainerDefinition", "health_check"): ContainerHealthCheck,
           ("ContainerDefinition", "environment"): EnvironmentVariable,
           ("ContainerDefinition", "secrets"): Secret}

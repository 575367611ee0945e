"""What one unit of work costs the service: an HTTP request, or a websocket connection."""

from typing import Annotated

from pydantic import AfterValidator, ValidationInfo, field_validator, model_serializer, model_validator

from .distributions import Distribution
from .errors import Invalid
from .fields import (Duration, DurationDistribution, Model, NonNegativeFloat, NumberDistribution,
                     PositiveDuration, choice)

# Keys that describe one HTTP request; a websocket workload describes its connections instead.
HTTP_KEYS = ("cpu_ms", "io_ms", "memory_mb_per_request", "timeout")
# The load balancer answers 504 when a target has not answered within its idle timeout, which
# an ALB takes from 1 to 4,000 s (idle_timeout.timeout_seconds, ELB API Reference). A request
# cannot take longer, nor on average need more CPU or I/O time than that.
LONGEST_TIMEOUT_S = 4000
_ALB = f"{LONGEST_TIMEOUT_S:,} s, the longest idle timeout an Application Load Balancer takes"


# A request or connection holds at most the memory of the largest Fargate task (16 vCPU,
# 120 GiB), and a connection's messages need at most its CPU (16,384 units): more could never
# be served, and far more overflows the arithmetic of memory and queues.
LARGEST_TASK_MIB = 122880
LARGEST_TASK_VCPU = 16


def _held_memory(value: float) -> float:
    if value > LARGEST_TASK_MIB:
        raise Invalid(f"expected at most {LARGEST_TASK_MIB:,} MiB (120 GiB, the largest Fargate task's memory); "
                      f"got {value:g}")
    return value


def _per_message(value: float) -> float:
    if value > LONGEST_TIMEOUT_S * 1000:
        raise Invalid(f"expected at most {LONGEST_TIMEOUT_S * 1000:,} ms ({_ALB}: a connection that long without "
                      f"an answer is closed); got {value:g}")
    return value


HeldMemory = Annotated[NonNegativeFloat, AfterValidator(_held_memory)]
MessageCpu = Annotated[NonNegativeFloat, AfterValidator(_per_message)]


def _timeout(value: float) -> float:
    if value > LONGEST_TIMEOUT_S:
        raise Invalid(f"expected a timeout of at most {_ALB}; got {value:g} s")
    return value


def _mean_within_timeout(value: Distribution | None) -> Distribution | None:
    if value is not None and value.mean > LONGEST_TIMEOUT_S * 1000:
        raise Invalid(f"expected a mean of at most {LONGEST_TIMEOUT_S * 1000:,} ms ({_ALB}: a request that runs "
                      f"longer is answered 504 anyway); got a mean of {value.mean:g} ms")
    return value


class Websocket(Model):
    """Long-lived connections, sticky to the task that accepted them.

    The traffic section gives the rate at which clients open new sessions (per second). A
    session lasts `connection_duration`; its connection stays on one task, and if that task
    drops it (its target finished draining, or the task stopped) the client reconnects after
    `reconnect_delay` for what is left of its session.
    """

    connection_duration: DurationDistribution
    messages_per_second: NonNegativeFloat = 0.0   # per connection, each way combined
    cpu_ms_per_message: MessageCpu = 0.0    # on one full vCPU
    memory_mb_per_connection: HeldMemory = 0.0
    reconnect_delay: Duration = 5.0
    # (sim) CPU the app spends accepting a connection (authentication, session state): what
    # makes a reconnection storm cost CPU as well as connections.
    cpu_ms_per_handshake: MessageCpu = 0.0

    @model_validator(mode="after")
    def _servable(self):
        vcpu = self.messages_per_second * self.cpu_ms_per_message / 1000
        if vcpu > LARGEST_TASK_VCPU:
            raise Invalid(f"expected messages_per_second x cpu_ms_per_message of at most {LARGEST_TASK_VCPU * 1000:,} "
                          f"ms of CPU per second (one connection's messages needing more than {LARGEST_TASK_VCPU} vCPU, the "
                          f"largest Fargate task, could never be served); got {vcpu * 1000:g}", "messages_per_second")
        return self

    @field_validator("connection_duration")
    @classmethod
    def _positive_mean(cls, value: Distribution) -> Distribution:
        if value.mean <= 0:
            raise Invalid(f"expected a distribution with mean > 0 s; got mean {value.mean:g}")
        return value


class Workload(Model):
    kind: choice("http", "websocket", what="workload kind") = "http"
    # CPU time per request on one full vCPU, in ms (http)
    cpu_ms: Annotated[NumberDistribution | None, AfterValidator(_mean_within_timeout)] = None
    # waiting on downstreams: latency, no CPU
    io_ms: Annotated[NumberDistribution, AfterValidator(_mean_within_timeout)] = Distribution.constant(0.0)
    memory_mb_per_request: HeldMemory = 0.0  # held while the request is in flight
    timeout: Annotated[PositiveDuration, AfterValidator(_timeout)] = 60.0  # unanswered by then: a 504
    websocket: Websocket | None = None

    @field_validator("cpu_ms")
    @classmethod
    def _positive_mean(cls, value: Distribution | None) -> Distribution | None:
        if value is not None and value.mean <= 0:
            raise Invalid(f"expected a distribution with mean > 0 ms; got mean {value.mean:g}")
        return value

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        if data.get("kind") == "websocket":
            for key in HTTP_KEYS:
                if key in data:
                    raise Invalid(
                        f"expected no {key} with kind websocket (it describes an HTTP request; a "
                        "connection's work is in websocket: cpu_ms_per_message, memory_mb_per_connection)", key)
            if "websocket" not in data:
                raise Invalid("expected a websocket block with kind websocket (connection_duration, "
                              "messages_per_second, cpu_ms_per_message, ...); got none", "websocket")
        elif "websocket" in data:
            raise Invalid("expected no websocket block with kind http (it applies to kind websocket)", "websocket")
        elif "cpu_ms" not in data:
            raise Invalid("missing required key 'cpu_ms' (the CPU time per request, e.g. 25 or "
                          "{distribution: lognormal, mean: 25, cv: 1})", "cpu_ms")
        return data

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler):
        # Written back (to_dict, with_changes), a workload keeps only its kind's keys, so that it
        # loads again.
        data = handler(self)
        drop = HTTP_KEYS if self.kind == "websocket" else ("websocket",)
        return {k: v for k, v in data.items() if k not in drop}

    @property
    def is_websocket(self) -> bool:
        return self.kind == "websocket"

    @property
    def unit_cpu_ms(self) -> Distribution:
        """CPU per unit of work the data plane queues: a request, or a websocket message."""
        if self.websocket is not None:
            return Distribution.constant(self.websocket.cpu_ms_per_message)
        return self.cpu_ms

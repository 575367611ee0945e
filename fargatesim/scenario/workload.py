"""What one unit of work costs the service: an HTTP request, or a websocket connection."""

from pydantic import ValidationInfo, field_validator, model_serializer

from .distributions import Distribution
from .errors import Invalid
from .fields import (Duration, DurationDistribution, Model, NonNegativeFloat, NumberDistribution,
                     PositiveDuration, choice)

# Keys that describe one HTTP request; a websocket workload describes its connections instead.
HTTP_KEYS = ("cpu_ms", "io_ms", "memory_mb_per_request", "timeout")


class Websocket(Model):
    """Long-lived connections, sticky to the task that accepted them.

    The traffic section gives the rate at which clients open new sessions (per second). A
    session lasts `connection_duration`; its connection stays on one task, and if that task
    drops it (its target finished draining, or the task stopped) the client reconnects after
    `reconnect_delay` for what is left of its session.
    """

    connection_duration: DurationDistribution
    messages_per_second: NonNegativeFloat = 0.0   # per connection, each way combined
    cpu_ms_per_message: NonNegativeFloat = 0.0    # on one full vCPU
    memory_mb_per_connection: NonNegativeFloat = 0.0
    reconnect_delay: Duration = 5.0
    # (sim) CPU the app spends accepting a connection (authentication, session state): what
    # makes a reconnection storm cost CPU as well as connections.
    cpu_ms_per_handshake: NonNegativeFloat = 0.0

    @field_validator("connection_duration")
    @classmethod
    def _positive_mean(cls, value: Distribution) -> Distribution:
        if value.mean <= 0:
            raise Invalid(f"expected a distribution with mean > 0 s; got mean {value.mean:g}")
        return value


class Workload(Model):
    kind: choice("http", "websocket", what="workload kind") = "http"
    cpu_ms: NumberDistribution | None = None  # CPU time per request on one full vCPU, in ms (http)
    io_ms: NumberDistribution = Distribution.constant(0.0)  # waiting on downstreams: latency, no CPU
    memory_mb_per_request: NonNegativeFloat = 0.0  # held while the request is in flight
    timeout: PositiveDuration = 60.0  # unanswered by then: a 504
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

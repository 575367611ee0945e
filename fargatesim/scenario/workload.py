"""What one request costs the service."""

from typing import ClassVar

from pydantic import ValidationInfo, field_validator

from .distributions import Distribution
from .errors import Invalid
from .fields import Model, NonNegativeFloat, NumberDistribution, PositiveDuration, choice


class Workload(Model):
    kind: choice("http", planned=("websocket",), what="workload kind") = "http"
    cpu_ms: NumberDistribution  # CPU time per request on one full vCPU, in ms
    io_ms: NumberDistribution = Distribution.constant(0.0)  # waiting on downstreams: latency, no CPU
    memory_mb_per_request: NonNegativeFloat = 0.0  # held while the request is in flight
    timeout: PositiveDuration = 60.0  # unanswered by then: a 504

    # accepted only to be refused with a clear message: it belongs to kind websocket
    hidden_keys: ClassVar[frozenset[str]] = frozenset({"websocket"})

    @field_validator("cpu_ms")
    @classmethod
    def _positive_mean(cls, value: Distribution) -> Distribution:
        if value.mean <= 0:
            raise Invalid(f"expected a distribution with mean > 0 ms; got mean {value.mean:g}")
        return value

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        if data.get("kind") == "websocket":
            raise Invalid("workload kind 'websocket' is not supported yet; supported: http", "kind")
        if "websocket" in data:
            raise Invalid(
                "expected no websocket block with kind http (it applies to kind websocket, not supported yet)",
                "websocket",
            )
        return data

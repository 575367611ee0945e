"""Traffic components: the offered request rate is the sum of a scenario's components.

In YAML each component is a one-key mapping whose key names the kind (``- spike: {...}``);
the models carry that key as their ``kind`` attribute.
"""

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from .errors import Invalid, did_you_mean, shown
from .fields import Duration, Model, NonNegativeFloat, PositiveFloat, TimeOfDay, number


class _Component(Model):
    hidden_keys: ClassVar[frozenset[str]] = frozenset({"kind"})


class ConstantTraffic(_Component):
    kind: Literal["constant"] = "constant"
    rps: NonNegativeFloat


class DiurnalTraffic(_Component):
    """A daily sinusoid around mean_rps whose maximum is peak_to_trough times its minimum."""

    kind: Literal["diurnal"] = "diurnal"
    mean_rps: NonNegativeFloat
    peak_to_trough: number(ge=1) = 2.0
    peak_at: TimeOfDay = 14 * 3600.0  # seconds since midnight, in the scenario's clock (UTC)
    weekend_factor: NonNegativeFloat = 1.0


class SpikeTraffic(_Component):
    kind: Literal["spike"] = "spike"
    at: Duration
    peak_rps: NonNegativeFloat
    rise: Duration = 0.0
    hold: Duration = 0.0
    decay: Duration = 0.0


class RampTraffic(_Component):
    kind: Literal["ramp"] = "ramp"
    from_rps: NonNegativeFloat
    to_rps: NonNegativeFloat
    start: Duration
    end: Duration

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end <= self.start:
            raise Invalid(f"expected end > start ({self.start:g} s); got {self.end:g} s", "end")
        return self


class RateStep(Model):
    at: Duration
    rps: NonNegativeFloat


class StepsTraffic(_Component):
    """A piecewise-constant rate; before the first step's `at` the rate is 0."""

    kind: Literal["steps"] = "steps"
    steps: tuple[RateStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self):
        for i in range(1, len(self.steps)):
            if self.steps[i].at <= self.steps[i - 1].at:
                raise Invalid(
                    f"expected step times in strictly increasing order, after {self.steps[i - 1].at:g} s; "
                    f"got {self.steps[i].at:g} s",
                    "steps", i, "at",
                )
        return self


class TraceTraffic(_Component):
    """A recorded request count per time bucket, replayed; `file` is absolute after loading."""

    kind: Literal["trace"] = "trace"
    file: Path
    scale: PositiveFloat = 1.0
    loop: bool = False
    offset: Duration = 0.0  # where in the trace the simulation's t=0 falls
    smooth: Duration = 0.0  # (sim) average the trace's rate over this window before scaling

    @field_validator("file")
    @classmethod
    def _resolve_and_read(cls, path: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir") or Path.cwd()
        name = shown(str(path))
        try:
            full = (Path(base) / path.expanduser()).resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL in the name
            raise Invalid(f"cannot use trace file {name}: {exc.strerror if isinstance(exc, OSError) else exc}") from None
        # imported here: the traffic package may import this module, and only traces need it
        from fargatesim.traffic.trace import TraceError, TraceNotFound, load_trace

        try:
            load_trace(full)
        except TraceNotFound:
            raise Invalid(f"trace file not found: {name} (looked for {shown(str(full), 200)})") from None
        except TraceError as exc:
            raise Invalid(f"cannot use trace file {name}: {exc}") from None
        except OSError as exc:
            raise Invalid(f"cannot read trace file {name}: {exc.strerror or exc}") from None
        return full


_MODELS = (ConstantTraffic, DiurnalTraffic, SpikeTraffic, RampTraffic, StepsTraffic, TraceTraffic)
KINDS: tuple[str, ...] = tuple(m.model_fields["kind"].default for m in _MODELS)
_EXAMPLE = "e.g. '- constant: {rps: 100}'"


def _from_yaml_item(item: Any) -> Any:
    """{spike: {...}} -> {kind: spike, ...}; {steps: [...]} -> {kind: steps, steps: [...]}."""
    if not isinstance(item, dict):
        return item if isinstance(item, _Component) else _refuse(item)
    if len(item) != 1:
        if len(item) > 1 and all(k in KINDS for k in item):
            raise Invalid(
                f"expected one component per list item, each starting with '- '; got {len(item)} kinds in one item: "
                f"{', '.join(map(str, item))}"
            )
        _refuse(item)
    ((kind, body),) = item.items()
    if kind not in KINDS:
        raise Invalid(f"unknown traffic kind {shown(kind)}{did_you_mean(kind, KINDS)}; allowed: {', '.join(KINDS)}", kind)
    if kind == "steps":
        return {"kind": kind, "steps": body}
    if not isinstance(body, dict):
        raise Invalid(f"expected a mapping of {kind} settings ({_EXAMPLE}); got {shown(body)}", kind)
    if "kind" in body:
        model = _MODELS[KINDS.index(kind)]
        raise Invalid(f"unknown key 'kind'; allowed keys here: {', '.join(model.user_keys())}", kind, "kind")
    return {"kind": kind, **body}


def _refuse(item: Any):
    raise Invalid(
        f"expected a one-key mapping naming the traffic kind ({_EXAMPLE}); allowed kinds: {', '.join(KINDS)}; got {shown(item)}"
    )


TrafficComponent = Annotated[
    Union[ConstantTraffic, DiurnalTraffic, SpikeTraffic, RampTraffic, StepsTraffic, TraceTraffic],
    Field(discriminator="kind"),
    BeforeValidator(_from_yaml_item),
]


# ---------------------------------------------------------------------- how much traffic
# The simulator counts requests in float64 arithmetic (rates x tick, Poisson means, latency
# weights) and in int64 totals. Whole numbers are exact in float64 up to 2^53 = 9.0e15; a run
# offering more would count wrongly, and far more overflows the int64 totals into negative
# numbers. 2^53 requests is 230 million requests/s for 455 days, the longest run.
MAX_REQUESTS = 2**53


def _peaks(i: int, c) -> list[tuple[float, float, tuple]]:
    """(the component's highest rate, per unit of the value at `path`, path) for each key that
    sets how high its rate goes; the rate is at most the value times the factor."""
    where = ("traffic", i, c.kind)
    if c.kind == "constant":
        return [(c.rps, 1.0, (*where, "rps"))]
    if c.kind == "diurnal":
        # mean x (1 + amplitude) on weekdays, times weekend_factor at weekends; amplitude < 1
        return [(c.mean_rps, 2.0 * max(1.0, c.weekend_factor), (*where, "mean_rps"))]
    if c.kind == "spike":
        return [(c.peak_rps, 1.0, (*where, "peak_rps"))]
    if c.kind == "ramp":
        return [(c.from_rps, 1.0, (*where, "from_rps")), (c.to_rps, 1.0, (*where, "to_rps"))]
    if c.kind == "steps":
        return [(step.rps, 1.0, ("traffic", i, "steps", j, "rps")) for j, step in enumerate(c.steps)]
    from fargatesim.traffic.trace import load_trace
    trace = load_trace(c.file)
    return [(c.scale, float(trace.rates.max()) if len(trace.counts) else 0.0, (*where, "scale"))]


def volume_problem(traffic, end_s: float) -> Invalid | None:
    """Why the traffic could offer more requests over a run of `end_s` seconds than the
    simulator counts exactly (MAX_REQUESTS), naming the key that sets the highest rate; or None.

    The bound is each component's highest rate times the run's length: a spike of one minute
    counts as if it lasted the whole run. It only matters within a factor of the run's length
    of MAX_REQUESTS, far above any real service.
    """
    highest = [max(_peaks(i, c), key=lambda p: p[0] * p[1]) for i, c in enumerate(traffic)]
    total = sum(value * factor for value, factor, _ in highest)
    if total * end_s <= MAX_REQUESTS:
        return None
    value, factor, path = max(highest, key=lambda p: p[0] * p[1])
    others = total - value * factor
    room = max(0.0, MAX_REQUESTS / end_s - others) / factor if factor > 0 else 0.0
    return Invalid(f"expected at most {room:.4g} for a run of {end_s:g} s (the traffic could otherwise offer more "
                   f"than 2^53 = 9.0e15 requests, the largest count the simulator's float64 arithmetic holds "
                   f"exactly; here up to {total * end_s:.3g}); got {value:g}", *path)

"""The base model of every scenario section, and field types whose errors read well.

Pydantic's own range constraints report one bound at a time ("greater than or equal to 5");
these types state the whole allowed range and echo what the user wrote instead.
"""

import zoneinfo
from datetime import datetime, timezone
from functools import partial
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from .aws_settings import NOT_SIMULATED
from .distributions import Distribution, parse_distribution
from .errors import Invalid, did_you_mean, shown
from .units import LONGEST_RUN_S, LONGEST_RUN_TEXT, parse_duration, parse_time_of_day


class Model(BaseModel):
    """Frozen, no unknown keys; unknown keys are reported with a did-you-mean and the allowed list.
    AWS settings of the section that the simulator does not simulate (aws_settings.py) are
    dropped and recorded in the validation context, for one warning that lists them."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, coerce_numbers_to_str=True, allow_inf_nan=False
    )

    # accepted when set in code, refused in a scenario file, never listed in messages
    internal_keys: ClassVar[frozenset[str]] = frozenset()
    # accepted but never listed (e.g. the `kind` the loader derives from a traffic item's key)
    hidden_keys: ClassVar[frozenset[str]] = frozenset()
    # other spellings of a key (Terraform's block names): read as the key they stand for
    aliases: ClassVar[dict[str, str]] = {}

    @classmethod
    def user_keys(cls) -> list[str]:
        """The keys a scenario file may use here, in definition order."""
        keys = [f.alias or name for name, f in cls.model_fields.items()]
        return [k for k in keys if k not in cls.internal_keys | cls.hidden_keys]

    @model_validator(mode="wrap")
    @classmethod
    def _check_keys(cls, data: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return handler(data)  # pydantic reports the type error (or takes a model instance as it is)
        from_file = bool(info.context and info.context.get("user_input"))
        for alias, key in cls.aliases.items():
            if alias in data:
                if key in data:
                    raise Invalid(f"expected {key} or {alias} (another spelling of it), not both", alias)
                data = {(key if k == alias else k): v for k, v in data.items()}
        known = set(cls.user_keys()) | cls.hidden_keys
        known |= {name for name in cls.model_fields if name not in cls.internal_keys}  # populate_by_name
        if not from_file:
            known |= cls.internal_keys
        ignored = NOT_SIMULATED.get(cls.__name__, frozenset())
        unknown = [key for key in data if key not in known and key not in ignored]
        problems = []
        if unknown:
            allowed = cls.user_keys()
            # A misspelt AWS setting is suggested too, although only the simulated keys are listed.
            close = allowed + sorted(ignored)
            problems = [Invalid(f"unknown key {shown(key)}{did_you_mean(key, close)}; "
                                f"allowed keys here: {', '.join(allowed)}", key) for key in unknown]
        dropped = [key for key in data if key not in known and key not in unknown]   # AWS settings not simulated
        if dropped and info.context is not None:
            seen = info.context.setdefault("not_simulated", {}).setdefault(cls.__name__, [])
            seen += [key for key in dropped if key not in seen]
        # `key:` with nothing after it means "not set": take the default rather than refuse null
        data = {k: v for k, v in data.items()
                if k in known and not (v is None and cls._has_default(k))}
        if not problems:
            return handler(cls._prepare(data, info))
        # The other keys of the section are still checked: their problems are reported with the
        # unknown keys', not after the unknown keys are fixed.
        try:
            handler(cls._prepare(data, info))
        except Invalid as e:
            problems += [e]
        except ValidationError as e:
            from .problems import invalid_of
            problems += invalid_of(e)
        first, *more = problems
        raise Invalid(first.message, *first.where, also=[*first.also, *more])
    @classmethod
    def _has_default(cls, key: str) -> bool:
        for name, f in cls.model_fields.items():
            if key in (name, f.alias):
                return not f.is_required() and (f.default_factory is not None or f.default is not None)
        return False

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        """Hook for sections that derive defaults from other keys; runs after the key check."""
        return data


# ---------------------------------------------------------------------- ranges
def _range_text(ge=None, gt=None, le=None, lt=None) -> str:
    if ge is not None and le is not None:
        return f"from {ge:g} to {le:g}"
    parts = [f"{op} {v:g}" for op, v in ((">=", ge), (">", gt), ("<=", le), ("<", lt)) if v is not None]
    return " and ".join(parts)


def _in_range(v, ge=None, gt=None, le=None, lt=None) -> bool:
    return not (
        (ge is not None and v < ge)
        or (gt is not None and v <= gt)
        or (le is not None and v > le)
        or (lt is not None and v >= lt)
    )


def _check_range(given: Any, handler: ValidatorFunctionWrapHandler, what: str, bounds: dict):
    v = handler(given)
    if not _in_range(v, **bounds):
        raise Invalid(f"expected {what} {_range_text(**bounds)}; got {shown(given)}")  # as written, not as converted
    return v


def number(*, ge=None, gt=None, le=None, lt=None):
    bounds = dict(ge=ge, gt=gt, le=le, lt=lt)
    return Annotated[float, WrapValidator(partial(_check_range, what="a number", bounds=bounds))]


def integer(*, ge=None, gt=None, le=None, lt=None):
    bounds = dict(ge=ge, gt=gt, le=le, lt=lt)
    return Annotated[int, WrapValidator(partial(_check_range, what="a whole number", bounds=bounds))]


def _whole_seconds(v: Any, bounds: dict) -> Any:
    # AWS keys such as `deregistration_delay` are integer seconds; "5m" is accepted as 300.
    if isinstance(v, str):
        text = v.strip()
        if text.lstrip("+-").isdigit():
            v = int(text)
        else:
            s = parse_duration(text)
            if s != int(s):
                raise Invalid(f"expected a whole number of seconds; got {shown(v)}")
            v = int(s)
    whole = isinstance(v, int) or (isinstance(v, float) and v.is_integer())
    if whole and not isinstance(v, bool) and not _in_range(v, **bounds):
        raise Invalid(f"expected a whole number of seconds {_range_text(**bounds)}; got {shown(v)}")
    return v


def seconds(*, ge=None, gt=None, le=None, lt=None):
    """Integer seconds as AWS takes them; a duration string such as "5m" is converted."""
    bounds = dict(ge=ge, gt=gt, le=le, lt=lt)
    return Annotated[int, BeforeValidator(partial(_whole_seconds, bounds=bounds))]


def _duration(v: Any, bounds: dict) -> float:
    s = parse_duration(v)
    if s > LONGEST_RUN_S:
        raise Invalid(f"expected a duration of at most {LONGEST_RUN_TEXT}; got {shown(v)}")
    if not _in_range(s, **bounds):
        raise Invalid(f"expected a duration {_range_text(**bounds)} seconds; got {shown(v)}")
    return s


def duration(*, ge=None, gt=None, le=None, lt=None):
    """Float seconds parsed from a number or a string such as "1h30m"; never negative, and
    never longer than the longest run (a time past it cannot be in any run, and one far past it
    turns the arithmetic of times into inf and nan)."""
    bounds = dict(ge=ge, gt=gt, le=le, lt=lt)
    return Annotated[float, BeforeValidator(partial(_duration, bounds=bounds))]


def _not_yet(value: Any, supported: tuple, planned: tuple, what: str) -> Any:
    if isinstance(value, str) and value in planned:
        raise Invalid(f"{what} {shown(value)} is not supported yet; allowed: {', '.join(supported)}")
    return value


def choice(*supported: str, planned: tuple[str, ...] = (), what: str = "value"):
    """A Literal of `supported`; values in `planned` get "not supported yet" instead of "invalid"."""
    return Annotated[
        Literal[supported],  # type: ignore[valid-type]
        BeforeValidator(partial(_not_yet, supported=supported, planned=planned, what=what)),
    ]


# ---------------------------------------------------------------------- common field types
NonNegativeFloat = number(ge=0)
PositiveFloat = number(gt=0)
Fraction = number(ge=0, le=1)
NonNegativeInt = integer(ge=0)
PositiveInt = integer(ge=1)
Duration = duration(ge=0)
PositiveDuration = duration(gt=0)
TimeOfDay = Annotated[float, BeforeValidator(parse_time_of_day)]
DurationDistribution = Annotated[Distribution, BeforeValidator(partial(parse_distribution, unit="duration"))]
NumberDistribution = Annotated[Distribution, BeforeValidator(partial(parse_distribution, unit="number"))]


def _to_utc(value: datetime) -> datetime:
    # a date-time without a zone is taken as UTC, as AWS does for StartTime/EndTime
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(value, zoneinfo.available_timezones())
        raise Invalid(f"expected an IANA time zone name such as 'UTC' or 'Europe/Berlin'; got {shown(value)}{hint}") from None
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone)]  # an IANA name, e.g. Europe/Berlin


def _type_key(item: Any, supported: tuple[str, ...], planned: tuple[str, ...], what: str) -> Any:
    if not isinstance(item, dict):
        return item  # a model instance, or a type error for pydantic to report
    allowed = ", ".join(supported)
    if "type" not in item:
        raise Invalid(f"missing key 'type': expected the {what} type, one of {allowed}", "type")
    kind = item["type"]
    if kind in planned:
        raise Invalid(f"{what} type {shown(kind)} is not supported yet; supported: {allowed}", "type")
    if kind not in supported:
        raise Invalid(f"unknown {what} type {shown(kind)}{did_you_mean(kind, supported)}; allowed: {allowed}", "type")
    return item


def typed_item(*supported: str, planned: tuple[str, ...] = (), what: str):
    """A before-validator for list items selected by their `type` key (faults, actions)."""
    return BeforeValidator(partial(_type_key, supported=supported, planned=planned, what=what))

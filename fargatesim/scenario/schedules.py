"""Application Auto Scaling schedule expressions: at(...), rate(...) and cron(...).

Only the shape and the field ranges are checked here; when a schedule fires is the scheduler's
business.  A seven-field cron (leading seconds) is accepted as AWS accepts it, and its seconds
field is dropped because AWS does not guarantee the second (the finest resolution is a minute).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

_AT = re.compile(r"at\((.*)\)", re.S)
_RATE = re.compile(r"rate\(\s*(\S+)\s+(\S+)\s*\)")
_CRON = re.compile(r"cron\((.*)\)", re.S)
_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
MAX_RATE_S = 100 * 365 * 86400
_FORMS = "at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)"

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    extra: str = ""  # special characters this field allows besides , - * /


_SECONDS = _Field("seconds", 0, 59)
_FIELDS = (
    _Field("minutes", 0, 59),
    _Field("hours", 0, 23),
    _Field("day-of-month", 1, 31, extra="?LW"),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _DAYS, extra="?L#"),
    _Field("year", 1970, 2199),
)


@dataclass(frozen=True)
class Schedule:
    """A checked schedule. `at` is naive: it is read in the scheduled action's timezone."""

    kind: Literal["at", "rate", "cron"]
    at: datetime | None = None
    rate_seconds: int | None = None
    cron_fields: tuple[str, ...] | None = None  # minutes hours day-of-month month day-of-week year


def parse_schedule(text: str) -> Schedule:
    """Check a schedule expression; ValueError says what is wrong and what was expected."""
    text = text.strip()
    if m := _AT.fullmatch(text):
        try:
            when = datetime.strptime(m.group(1).strip(), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise ValueError(f"expected at(yyyy-mm-ddThh:mm:ss) with a real date and time; got {text!r}") from None
        return Schedule("at", at=when)
    if m := _RATE.fullmatch(text):
        value, unit = m.groups()
        if not value.isdigit() or int(value) < 1 or unit not in _RATE_UNITS:
            raise ValueError(
                f"expected rate(N unit) with N a positive whole number and unit one of "
                f"{', '.join(_RATE_UNITS)}; got {text!r}"
            )
        seconds = int(value) * _RATE_UNITS[unit]
        if seconds > MAX_RATE_S:
            raise ValueError(f"expected rate(N unit) of at most 100 years (a longer period never repeats "
                             f"within a run, and dates past it do not exist); got {text!r}")
        return Schedule("rate", rate_seconds=seconds)
    if m := _CRON.fullmatch(text):
        return Schedule("cron", cron_fields=_parse_cron(m.group(1), text))
    raise ValueError(f"expected a schedule {_FORMS}; got {text!r}")


def _parse_cron(body: str, text: str) -> tuple[str, ...]:
    fields = body.split()
    if len(fields) not in (6, 7):
        raise ValueError(
            "expected cron with six fields (minutes hours day-of-month month day-of-week year), "
            f"or seven with leading seconds; got {len(fields)} in {text!r}"
        )
    specs = ((_SECONDS,) if len(fields) == 7 else ()) + _FIELDS
    for value, spec in zip(fields, specs):
        problem = _field_problem(value.upper(), spec)
        if problem:
            raise ValueError(f"expected the {spec.name} field to hold {problem}; got {value!r} in {text!r}")
    six = tuple(f.upper() for f in fields[-6:])
    dom, dow = six[2], six[4]
    if dom not in ("*", "?") and dow not in ("*", "?"):
        raise ValueError(
            f"expected '?' in day-of-month or day-of-week (both restrict the day: {dom!r} and {dow!r}); got {text!r}"
        )
    return six


def _field_problem(value: str, spec: _Field) -> str | None:
    """None when `value` is a valid cron field, otherwise what was expected."""
    expected = f"values from {spec.low} to {spec.high}"
    if spec.names:
        expected += f" or {spec.names[0]}-{spec.names[-1]}"
    if value == "?":
        return None if "?" in spec.extra else f"{expected} ('?' only in day-of-month or day-of-week)"
    for item in value.split(","):
        if not _item_ok(item, spec):
            specials = ", - * /" + "".join(" " + c for c in spec.extra)
            return f"{expected} (with {specials})"
    return None


def _item_ok(item: str, spec: _Field) -> bool:
    if "L" in spec.extra and spec.name == "day-of-month" and re.fullmatch(r"L(-\d{1,2})?|LW", item):
        return True
    if "W" in spec.extra and item.endswith("W"):
        return _number(item[:-1], spec) is not None
    if "#" in spec.extra and "#" in item:
        day, _, nth = item.partition("#")
        return _number(day, spec) is not None and nth in ("1", "2", "3", "4", "5")
    if "L" in spec.extra and spec.name == "day-of-week" and item.endswith("L"):
        return item == "L" or _number(item[:-1], spec) is not None
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    low, _, high = base.partition("-")
    return _number(low, spec) is not None and (not high or _number(high, spec) is not None)


def _number(text: str, spec: _Field) -> int | None:
    if text in spec.names:
        return spec.names.index(text) + spec.low
    if text.isdigit() and spec.low <= int(text) <= spec.high:
        return int(text)
    return None

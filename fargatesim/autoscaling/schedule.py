"""When a scheduled action fires: at(), rate() and cron() expressions in a time zone.

Rules from the Application Auto Scaling User Guide ("Scheduled scaling", "Schedule recurring
scaling actions using cron expressions") and the API Reference (PutScheduledAction): six cron
fields ``minutes hours day-of-month month day-of-week year`` with the CloudWatch Events cron
syntax; the time zone applies to at() and cron(), StartTime and EndTime are always UTC.
"""

from __future__ import annotations

import calendar
import zoneinfo
from datetime import date, datetime, timedelta, tzinfo
from datetime import timezone as _dt_timezone

import numpy as np
import pandas as pd

from fargatesim.scenario.schedules import Schedule, parse_schedule

UTC = _dt_timezone.utc
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_ANY = ("*", "?")
_MINUTE = timedelta(minutes=1)


def schedule_times(
    schedule: str | Schedule,
    timezone: str | tzinfo | None,
    start: datetime,
    end: datetime,
    *,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
) -> list[datetime]:
    """The instants (UTC-aware datetimes, sorted, unique) at which ``schedule`` fires within
    [start, end).  ``timezone`` is an IANA name (None means UTC); start, end, start_time and
    end_time must be timezone-aware and are read in UTC.

    - ``at(yyyy-mm-ddThh:mm:ss)``: once, at that local time in ``timezone``.
    - ``rate(N unit)``: every N units from ``start_time`` when given, otherwise from ``start``
      (AWS does not say when a rate schedule without a start time first runs; the simulator
      counts from the start of the simulation, which fires at ``start`` itself).  Not affected
      by the time zone, as in AWS.
    - ``cron(...)``: every minute whose local time in ``timezone`` matches all six fields.
      Day-of-week 1-7 is SUN-SAT.  '*' and '?' match anything; lists, ranges (also wrapping,
      FRI-MON), steps (0/15, */10, 8-17/2) and names work in every field that takes them;
      day-of-month takes L (last day), L-n, LW (last weekday) and nW (the weekday nearest day
      n, within the month); day-of-week takes L (SAT), nL (last such day of the month) and n#k
      (k-th such day).  Daylight saving time: a local time that does not exist (spring
      forward) does not fire that day; an ambiguous one (fall back) fires once, at its first
      occurrence.
    - ``start_time`` / ``end_time`` bound the firing: nothing fires before start_time or after
      end_time (end_time itself may fire: AWS says the action "stops repeating after this
      time").  For rate() and cron(), AWS "performs the action at [the start] time, and then
      performs the action based on the specified recurrence", so a start_time inside the
      window is itself a firing time.
    """
    parsed = parse_schedule(schedule) if isinstance(schedule, str) else schedule
    zone = _zone(timezone)
    lo, hi = _utc(start, "start"), _utc(end, "end")
    first_ok = None if start_time is None else _utc(start_time, "start_time")
    last_ok = None if end_time is None else _utc(end_time, "end_time")
    if first_ok is not None:
        lo = max(lo, first_ok)
    if last_ok is not None:
        hi = min(hi, last_ok + timedelta(microseconds=1))  # end_time inclusive
    if lo >= hi:
        return []

    if parsed.kind == "at":
        return [t for t in _at_time(parsed.at, zone) if lo <= t < hi]
    if parsed.kind == "rate":
        anchor = first_ok if first_ok is not None else _utc(start, "start")
        return _rate_times(anchor, timedelta(seconds=parsed.rate_seconds), lo, hi)
    if parsed.kind == "cron":
        times = _cron_times(parsed.cron_fields, zone, lo, hi)
        if first_ok is not None and first_ok == lo and (not times or times[0] != lo):
            times.insert(0, first_ok)  # lo is first_ok here, so it is the earliest instant
        return times
    raise ValueError(f"expected a schedule of kind at, rate or cron; got {parsed.kind!r}")


# ---------------------------------------------------------------------- helpers
def _zone(timezone: str | tzinfo | None) -> tzinfo:
    if timezone is None:
        return UTC
    if isinstance(timezone, tzinfo):
        return timezone
    try:
        return zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA time zone name such as 'UTC' or 'Europe/Berlin'; got {timezone!r}") \
            from None


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware {name} (UTC); got the naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _at_time(local: datetime, zone: tzinfo) -> list[datetime]:
    # fold=0 picks the first of two ambiguous instants; a time in the spring-forward gap does
    # not survive the round trip and, as with cron, does not fire.
    moment = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return [moment] if moment.astimezone(zone).replace(tzinfo=None) == local else []


def _rate_times(anchor: datetime, step: timedelta, lo: datetime, hi: datetime) -> list[datetime]:
    k = max(0, -((anchor - lo) // step))  # first k with anchor + k*step >= lo
    first = anchor + k * step
    if first >= hi:
        return []
    return list(pd.date_range(first, hi, freq=pd.Timedelta(step), inclusive="left").to_pydatetime())


def _cron_times(fields: tuple[str, ...], zone: tzinfo, lo: datetime, hi: datetime) -> list[datetime]:
    minute_f, hour_f, dom_f, month_f, dow_f, year_f = fields
    first = lo.replace(second=0, microsecond=0) + (_MINUTE if (lo.second or lo.microsecond) else timedelta(0))
    if first >= hi:
        return []
    # A day earlier, so that the first of two ambiguous local times is seen and the second dropped.
    utc = pd.date_range(first - timedelta(days=1), hi, freq="min", inclusive="left")
    local = utc.tz_convert(zone).tz_localize(None)
    ok = _lookup(minute_f, 0, 59)[local.minute.to_numpy()] & _lookup(hour_f, 0, 23)[local.hour.to_numpy()]
    days, inverse = np.unique(local.to_numpy().astype("datetime64[D]"), return_inverse=True)
    rule = _DayRule(dom_f, month_f, dow_f, year_f)
    ok &= np.array([rule.matches(d.astype(object)) for d in days], dtype=bool)[inverse]
    hits_local, hits_utc = local[ok], utc[ok]
    hits_utc = hits_utc[~hits_local.duplicated(keep="first")]
    return list(hits_utc[hits_utc >= first].to_pydatetime())


def _number(text: str, names: tuple[str, ...], low: int) -> int:
    return names.index(text) + low if text in names else int(text)


def _values(field: str, low: int, high: int, names: tuple[str, ...] = ()) -> set[int]:
    """Values of a plain cron field: lists of *, ?, n, a-b (wrapping when a > b) and /steps."""
    out: set[int] = set()
    for item in field.split(","):
        base, slash, step = item.partition("/")
        if base in _ANY:
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _number(a, names, low), _number(b, names, low)
        else:
            first = _number(base, names, low)
            last = high if slash else first  # 5/15 runs from 5 to the end of the range
        span = list(range(first, last + 1)) if first <= last else [*range(first, high + 1), *range(low, last + 1)]
        out.update(span[:: int(step) if slash else 1])
    return out


def _lookup(field: str, low: int, high: int) -> np.ndarray:
    table = np.zeros(high + 1, dtype=bool)
    table[list(_values(field, low, high))] = True
    return table


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int | None:
    """Quartz's nW: the weekday nearest day n, never leaving the month."""
    if not 1 <= day <= last:
        return None
    weekday = date(year, month, day).weekday()
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when the last day
        return day + 1 if day < last else day - 2
    return day


class _DayRule:
    """Whether a local date matches day-of-month, month, day-of-week and year."""

    def __init__(self, dom: str, month: str, dow: str, year: str):
        self.months = _values(month, 1, 12, _MONTHS)
        self.years = None if year in _ANY else _values(year, 1970, 2199)
        self.dom = None if dom in _ANY else dom.split(",")
        self.dow = None if dow in _ANY else dow.split(",")
        self.dom_plain = _plain(self.dom, _dom_special, 1, 31)
        self.dow_plain = _plain(self.dow, _dow_special, 1, 7, _DAYS)

    def matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        last = calendar.monthrange(day.year, day.month)[1]
        # Both day fields restricting is refused by the schema; were it given, both must hold.
        return (self.dom is None or self._dom(day, last)) and (self.dow is None or self._dow(day, last))

    def _dom(self, day: date, last: int) -> bool:
        if day.day in self.dom_plain:
            return True
        for item in self.dom:
            if item == "L":
                hit = day.day == last
            elif item.startswith("L-"):
                hit = day.day == last - int(item[2:])
            elif item == "LW":
                hit = day.day == _nearest_weekday(day.year, day.month, last, last)
            elif item.endswith("W"):
                hit = day.day == _nearest_weekday(day.year, day.month, int(item[:-1]), last)
            else:
                continue
            if hit:
                return True
        return False

    def _dow(self, day: date, last: int) -> bool:
        weekday = day.isoweekday() % 7 + 1  # 1 = SUN ... 7 = SAT
        if weekday in self.dow_plain:
            return True
        for item in self.dow:
            if item == "L":  # alone, L is the last day of the week: SAT
                hit = weekday == 7
            elif "#" in item:
                name, _, nth = item.partition("#")
                hit = weekday == _number(name, _DAYS, 1) and (day.day - 1) // 7 + 1 == int(nth)
            elif item.endswith("L"):
                hit = weekday == _number(item[:-1], _DAYS, 1) and day.day + 7 > last
            else:
                continue
            if hit:
                return True
        return False


def _plain(items: list[str] | None, special, low: int, high: int, names: tuple[str, ...] = ()) -> set[int]:
    plain = [i for i in items or () if not special(i)]
    return _values(",".join(plain), low, high, names) if plain else set()


def _dom_special(item: str) -> bool:
    return item.startswith("L") or item.endswith("W")


def _dow_special(item: str) -> bool:
    return item.endswith("L") or "#" in item

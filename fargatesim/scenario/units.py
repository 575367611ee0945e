"""Durations and times of day as users write them, turned into seconds."""

from __future__ import annotations

import math
import re

from .errors import shown

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
# "ms" comes before "m" and "s" so that "250ms" is one part, not "250m" followed by a stray "s".
_PART = re.compile(rf"\s*({_NUMBER})\s*(ms|s|m|h|d)")
_COMPOUND = re.compile(rf"(?:\s*{_NUMBER}\s*(?:ms|s|m|h|d))+\s*")
_TIME_OF_DAY = re.compile(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*")

# The longest a run may simulate, and so the longest any time in a scenario need be: CloudWatch
# keeps a metric's hourly data points for 455 days (15 months; CloudWatch API Reference,
# GetMetricStatistics), so no run's metrics could be looked at over a longer span.
LONGEST_RUN_S = 455 * 86400.0
LONGEST_RUN_TEXT = "455 days (39,312,000 s), the longest a run can be (CloudWatch keeps hourly metrics for 455 days)"

DURATION_HINT = "a duration: seconds as a number, or a string such as '250ms', '90s', '5m', '2h', '1d', '1h30m'"


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or a string like "1h30m"; negative values are refused."""
    seconds = _to_seconds(value)
    if seconds < 0:
        raise ValueError(f"expected {DURATION_HINT}, not negative; got {shown(value)}")
    return seconds


def _to_seconds(value: object) -> float:
    # bool is an int subclass, and `timeout: yes` is surely not one second.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {DURATION_HINT}; got {shown(value)}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip()
        if text.startswith("-") and _COMPOUND.fullmatch(text[1:]):
            raise ValueError(f"expected {DURATION_HINT}, not negative; got {shown(value)}")
        if _COMPOUND.fullmatch(text):
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
        else:
            try:  # a bare number in quotes, or YAML's "1e3" which it leaves as a string
                seconds = float(text)
            except ValueError:
                raise ValueError(f"expected {DURATION_HINT}; got {shown(value)}") from None
    if not math.isfinite(seconds):
        raise ValueError(f"expected {DURATION_HINT}, a finite one; got {shown(value)}")
    return seconds


def parse_time_of_day(value: object) -> float:
    """Seconds since midnight from "HH:MM" or "HH:MM:SS" (or a number of seconds, 0 <= x < 86400)."""
    hint = "a time of day 'HH:MM' or 'HH:MM:SS' from 00:00 to 23:59:59"
    if isinstance(value, bool):
        raise ValueError(f"expected {hint}; got {shown(value)}")
    if isinstance(value, (int, float)):
        if not 0 <= value < 86400:
            raise ValueError(f"expected {hint}, or seconds since midnight 0..86399; got {shown(value)}")
        return float(value)
    match = _TIME_OF_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected {hint}; got {shown(value)}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = float(match.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds >= 60:
        raise ValueError(f"expected {hint}; got {shown(value)}")
    return hours * 3600.0 + minutes * 60.0 + seconds

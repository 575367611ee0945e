"""Durations and times of day."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargatesim.scenario import parse_duration, parse_time_of_day

UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


@pytest.mark.parametrize(
    "text, seconds",
    [
        (90, 90.0),
        (2.5, 2.5),
        ("250ms", 0.25),
        ("90s", 90.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1h30m", 5400.0),
        ("1d2h3m4s5ms", 86400 + 7200 + 180 + 4 + 0.005),
        ("1.5s", 1.5),
        ("0.5h", 1800.0),
        (" 1h 30m ", 5400.0),
        ("30", 30.0),
        ("1e3", 1000.0),
        (0, 0.0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["-5s", -1, -0.5, "abc", "5x", "1h-30m", "", "s", True, None, [1], "inf", float("nan")])
def test_parse_duration_refuses(bad):
    with pytest.raises(ValueError) as info:
        parse_duration(bad)
    assert "expected a duration" in str(info.value)
    assert repr(bad) in str(info.value)


def test_negative_duration_says_so():
    with pytest.raises(ValueError, match="not negative"):
        parse_duration("-5m")


parts = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 10_000), st.decimals(0, 1000, places=3, allow_nan=False, allow_infinity=False)),
        st.sampled_from(sorted(UNIT_SECONDS)),
    ),
    min_size=1,
    max_size=6,
)


@given(parts, st.sampled_from(["", " "]))
def test_compound_duration_is_the_sum_of_its_parts(items, sep):
    text = sep.join(f"{value}{unit}" for value, unit in items)
    expected = sum(float(value) * UNIT_SECONDS[unit] for value, unit in items)
    assert math.isclose(parse_duration(text), expected, rel_tol=1e-12, abs_tol=1e-9)


@pytest.mark.parametrize(
    "text, seconds",
    [("14:00", 50400.0), ("00:00", 0.0), ("8:05", 29100.0), ("14:00:30", 50430.0), ("23:59:59", 86399.0), (3600, 3600.0)],
)
def test_parse_time_of_day(text, seconds):
    assert parse_time_of_day(text) == seconds


@pytest.mark.parametrize("bad", ["24:00", "12:60", "12", "noon", "12:00:60", -1, 86400, True])
def test_parse_time_of_day_refuses(bad):
    with pytest.raises(ValueError, match="time of day"):
        parse_time_of_day(bad)

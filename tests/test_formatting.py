"""The figures the studies print: one format per kind, the same in every table and figure."""
import math

from fargatesim.formatting import dollars, duration, hours, number, seed_range


def test_numbers_by_kind():
    assert number(0.0123, "pct") == "1.23 %" and number(0.0123, "pct", unit=False) == "1.23"
    assert number(0.999999, "pct") == "100 %" and number(0, "pct") == "0 %"
    assert number(1234.5, "usd") == "$1,234.50" and number(0.01234, "usd") == "$0.0123"
    assert number(12.0, "count") == "12" and number(12.5, "min") == "12.5"
    assert number(1234.4, "ms") == "1,234" and number(12.34, "ms") == "12.3"
    assert number(math.nan, "ms") == "n/a" and number(math.inf, "min") == "never"


def test_dollars_keep_a_job_runs_fraction_of_a_cent():
    assert dollars(0.000822833) == "$0.0008" and dollars(0.00004) == "$4e-05"
    assert dollars(16.8) == "$16.80" and dollars(math.nan) == "n/a"


def test_spans_and_seed_lists():
    assert duration(86400) == "1 day" and duration(7 * 86400) == "7 days"
    assert duration(6 * 3600) == "6 h" and duration(1800) == "30 min"
    assert hours(123.4) == "123" and hours(2.25) == "2.2" and hours(0.5) == "0.500"
    assert seed_range([0, 1, 2, 3]) == "0..3" and seed_range([4, 5]) == "4, 5"
    assert seed_range([0, 2, 3]) == "0, 2, 3"

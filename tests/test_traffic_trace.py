"""Trace files: loading, validation, and their exact integration into tick rates."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargatesim.traffic import Trace, TraceError, load_trace, rate_curve, rate_of

TRACES = Path(__file__).resolve().parents[1] / "scenarios" / "traces"
START = datetime(2026, 1, 5, tzinfo=timezone.utc)


def write_trace(path: Path, counts, bin_s=1.0, first=0.0) -> Path:
    rows = "".join(f"{first + i * bin_s!r},{c!r}\n" for i, c in enumerate(counts))
    path.write_text("time_s,requests\n" + rows)
    return path


def trace_component(path: Path, scale=1.0, loop=False, offset=0.0):
    return NS(kind="trace", file=path, scale=scale, loop=loop, offset=offset)


# --------------------------------------------------------------------------- the shipped traces

def test_nasa_week_loads_with_every_second():
    trace = load_trace(TRACES / "nasa-1995-07-10-week-1s.csv")
    assert isinstance(trace, Trace)
    assert len(trace.counts) == 604_800 and trace.bin_s == 1.0
    assert trace.counts.sum() == 557_493
    assert trace.duration == 604_800.0
    assert trace.times[0] == 0.0 and trace.times[-1] == 604_799.0
    assert trace.counts.max() == 20  # busiest second, in the STS-70 launch flash crowd


def test_clarknet_and_azure_load():
    clarknet = load_trace(TRACES / "clarknet-1995-08-28-week-100s.csv")
    assert (len(clarknet.counts), clarknet.bin_s, clarknet.counts.sum()) == (6048, 100.0, 1_654_911)
    assert clarknet.duration == 604_800.0
    azure = load_trace(TRACES / "azure-llm-conv-2023-11-16-1s.csv")
    assert (len(azure.counts), azure.bin_s, azure.counts.sum()) == (3503, 1.0, 19_366)
    assert azure.rates.max() == 19.0


@pytest.mark.parametrize("tick", [1.0, 7.0, 60.0, 100.0, 250.0])
def test_clarknet_requests_are_preserved_at_any_tick(tick):
    component = trace_component(TRACES / "clarknet-1995-08-28-week-100s.csv", scale=3.0)
    curve = rate_curve([component], start=START, duration=604_800, tick=tick)
    assert curve.sum() * tick == pytest.approx(3 * 1_654_911, rel=1e-12)


def test_nasa_flash_crowd_is_where_the_readme_says():
    # Thu 07-13 09:49 local time is day 3, 09:49 into the trace (the trace starts at local midnight).
    nasa = trace_component(TRACES / "nasa-1995-07-10-week-1s.csv")
    per_minute = rate_curve([nasa], start=START, duration=604_800, tick=60) * 60
    assert per_minute.max() == 409
    assert int(np.argmax(per_minute)) == 3 * 1440 + 9 * 60 + 49


# --------------------------------------------------------------------------- integration over ticks

@pytest.mark.parametrize("bin_s,tick", [(100.0, 1.0), (1.0, 5.0), (1.0, 1.0), (10.0, 3.0), (0.5, 0.2)])
def test_total_is_preserved_for_bins_larger_and_smaller_than_the_tick(tmp_path, bin_s, tick):
    counts = [3, 0, 7, 12, 1, 0, 0, 9, 4, 5, 2]
    path = write_trace(tmp_path / "t.csv", counts, bin_s=bin_s)
    span = len(counts) * bin_s
    curve = rate_curve([trace_component(path)], start=START, duration=span + 2 * tick, tick=tick)
    assert curve.sum() * tick == pytest.approx(sum(counts), rel=1e-12)


def test_ticks_inside_a_bin_see_the_bin_rate(tmp_path):
    path = write_trace(tmp_path / "t.csv", [100, 300], bin_s=100.0)
    curve = rate_curve([trace_component(path)], start=START, duration=200, tick=1)
    assert curve == pytest.approx([1.0] * 100 + [3.0] * 100)
    # A 30 s tick from 90 s to 120 s is one third in the first bin, two thirds in the second.
    coarse = rate_curve([trace_component(path, offset=90.0)], start=START, duration=30, tick=30)
    assert coarse[0] == pytest.approx((10 * 1.0 + 20 * 3.0) / 30)


def test_tick_spanning_several_bins_averages_them(tmp_path):
    path = write_trace(tmp_path / "t.csv", [1, 2, 3, 4, 5, 6], bin_s=1.0)
    curve = rate_curve([trace_component(path)], start=START, duration=6, tick=5)
    assert curve == pytest.approx([(1 + 2 + 3 + 4 + 5) / 5, 6 / 5])


def test_loop_repeats_the_trace(tmp_path):
    counts = [5, 0, 2, 8]
    path = write_trace(tmp_path / "t.csv", counts, bin_s=10.0)
    curve = rate_curve([trace_component(path, loop=True)], start=START, duration=120, tick=10)
    assert curve == pytest.approx(np.tile(np.array(counts) / 10.0, 3))
    t = np.array([5.0, 45.0, 75.0, 1e6 + 5.0])
    assert rate_of(trace_component(path, loop=True), t, START) == pytest.approx([0.5, 0.5, 0.8, 0.5])


def test_without_loop_the_rate_is_zero_after_the_end(tmp_path):
    path = write_trace(tmp_path / "t.csv", [5, 6, 7], bin_s=10.0)
    component = trace_component(path, scale=2.0)
    curve = rate_curve([component], start=START, duration=100, tick=10)
    assert curve == pytest.approx([1.0, 1.2, 1.4] + [0.0] * 7)
    assert rate_of(component, np.array([29.9, 30.0, 500.0]), START) == pytest.approx([1.4, 0.0, 0.0])


def test_offset_shifts_where_t0_falls_in_the_trace(tmp_path):
    path = write_trace(tmp_path / "t.csv", [10, 20, 30, 40], bin_s=1.0)
    curve = rate_curve([trace_component(path, offset=2.0)], start=START, duration=4, tick=1)
    assert curve == pytest.approx([30, 40, 0, 0])
    looped = rate_curve([trace_component(path, offset=2.0, loop=True)], start=START, duration=4, tick=1)
    assert looped == pytest.approx([30, 40, 10, 20])
    half = rate_curve([trace_component(path, offset=0.5)], start=START, duration=1, tick=1)
    assert half == pytest.approx([15.0])


def test_time_axis_starts_at_the_first_bin(tmp_path):
    path = write_trace(tmp_path / "t.csv", [4, 8], bin_s=60.0, first=3600.0)
    assert load_trace(path).times[0] == 3600.0
    curve = rate_curve([trace_component(path)], start=START, duration=120, tick=60)
    assert curve == pytest.approx([4 / 60, 8 / 60])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(st.integers(0, 1000), min_size=2, max_size=40),
    bin_s=st.sampled_from([0.5, 1.0, 3.0, 10.0, 60.0, 100.0, 300.0]),
    tick_per_bin=st.sampled_from([0.01, 0.1, 0.3, 1.0, 1.7, 5.0, 25.0]),
    offset=st.floats(0, 10_000, allow_nan=False),
    periods=st.integers(1, 4),
)
def test_looped_trace_integral_is_preserved(tmp_path, counts, bin_s, tick_per_bin, offset, periods):
    path = write_trace(tmp_path / f"h{uuid.uuid4().hex}.csv", counts, bin_s=bin_s)
    span = len(counts) * bin_s
    tick = bin_s * tick_per_bin
    component = trace_component(path, loop=True, offset=offset)
    curve = rate_curve([component], start=START, duration=periods * span, tick=tick)
    # Over whole passes the looped trace offers exactly its total per pass, wherever it starts;
    # the last tick may run past the end, so compare the running total at the last full tick
    # with a direct count over that span.
    whole_ticks = int(np.floor(periods * span / tick + 1e-9))
    offered = curve[:whole_ticks].sum() * tick
    end = whole_ticks * tick
    trace = load_trace(path)
    direct = trace.requests_before(np.array(offset + end), loop=True) - trace.requests_before(
        np.array(offset), loop=True
    )
    assert offered == pytest.approx(float(direct), rel=1e-9, abs=1e-6)
    if whole_ticks * tick == pytest.approx(periods * span):
        assert offered == pytest.approx(periods * sum(counts), rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(st.integers(0, 50), min_size=2, max_size=30),
    bin_s=st.sampled_from([1.0, 2.0, 10.0, 100.0]),
    tick=st.floats(0.05, 500.0),
)
def test_unlooped_trace_total_is_preserved_at_any_tick(tmp_path, counts, bin_s, tick):
    path = write_trace(tmp_path / f"u{uuid.uuid4().hex}.csv", counts, bin_s=bin_s)
    span = len(counts) * bin_s
    curve = rate_curve([trace_component(path)], start=START, duration=span + tick, tick=tick)
    assert curve.sum() * tick == pytest.approx(sum(counts), rel=1e-9, abs=1e-9)
    assert (curve >= 0).all()


# --------------------------------------------------------------------------- the cache

def test_loading_twice_returns_the_cached_trace_until_the_file_changes(tmp_path):
    path = write_trace(tmp_path / "c.csv", [1, 2, 3])
    first = load_trace(path)
    assert load_trace(path) is first
    assert not first.counts.flags.writeable  # shared between callers, so read-only
    write_trace(path, [1, 2, 3, 4])
    os.utime(path, ns=(first_mtime := path.stat().st_mtime_ns, first_mtime + 10**9))
    second = load_trace(path)
    assert second is not first and list(second.counts) == [1, 2, 3, 4]


# --------------------------------------------------------------------------- bad files

BAD_FILES = {
    "empty": ("", r"expected a header 'time_s,requests'.*empty"),
    "header only": ("time_s,requests\n", r"expected at least one row.*none"),
    "wrong header": ("time,count\n0,1\n1,1\n",
                     r"expected the header 'time_s,requests' on line 1; line 1 names 2 columns, but not time_s or "
                     r"requests$"),
    "swapped header": ("requests,time_s\n0,1\n1,1\n", r"its columns are in the other order"),
    "other text": ("root:$6$x:19000:0:99999:7:::\n", r"line 1 has 1 comma-separated field, not 2$"),
    "non-numeric": ("time_s,requests\n0,1\n1,abc\n2,3\n",
                    r"expected a number for requests \(column 2\) on line 3; it holds 3 characters that are not one$"),
    "non-numeric time": ("time_s,requests\n0,1\nnoon,2\n",
                         r"expected a number for time_s \(column 1\) on line 3; it holds 4 characters"),
    "empty value": ("time_s,requests\n0,1\n1, \n", r"requests \(column 2\) on line 3; it holds nothing$"),
    "nan": ("time_s,requests\n0,1\n1,nan\n", r"expected a number for requests \(column 2\) on line 3"),
    "huge count": ("time_s,requests\n0,1e308\n1,1\n", r"at most 2\^53 = 9.0e15 in a bin.*got 1e\+308 on line 2"),
    "far time": ("time_s,requests\n0,1\n1e300,1\n", r"expected time_s within ±1e\+12 s.*line 3"),
    "missing value": ("time_s,requests\n0,1\n1\n2,3\n", r"expected 2 comma-separated values .* line 3, got 1"),
    "extra value": ("time_s,requests\n0,1\n1,2,3\n", r"expected 2 comma-separated values .* line 3, got 3"),
    "blank line inside": ("time_s,requests\n0,1\n\n1,2\n", r"line 3, got 1"),
    "negative": ("time_s,requests\n0,1\n1,4\n2,-3\n", r"expected requests >= 0, got -3 on line 4"),
    "not increasing": ("time_s,requests\n0,1\n1,1\n1,1\n", r"expected time_s to increase, got 1 on line 4 after 1"),
    "decreasing": ("time_s,requests\n5,1\n4,1\n", r"expected time_s to increase, got 4 on line 3 after 5"),
    "uneven bins": (
        "time_s,requests\n0,1\n10,1\n20,1\n25,1\n",
        r"expected bins of equal size \(10 s.*got 5 s between lines 4 and 5",
    ),
    "single row": ("time_s,requests\n0,1\n", r"expected at least two rows"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_trace_files_are_rejected_with_a_clear_message(tmp_path, name):
    text, message = BAD_FILES[name]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(TraceError, match=message):
        load_trace(path)


def test_missing_file_binary_file_and_directory(tmp_path):
    with pytest.raises(TraceError, match="expected a readable CSV file.*cannot be opened"):
        load_trace(tmp_path / "absent.csv")
    (tmp_path / "blob.csv").write_bytes(b"\x00\xff\xfe\x00\x81garbage")
    with pytest.raises(TraceError, match="expected a UTF-8 text CSV file"):
        load_trace(tmp_path / "blob.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(TraceError, match="expected a readable CSV file; got a folder"):
        load_trace(tmp_path / "dir.csv")


def test_a_fifo_or_a_device_is_refused_without_reading_it(tmp_path):
    # A FIFO blocks whoever opens it until a writer comes, and /dev/zero never ends: both are
    # refused from their file type, before any read.
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(TraceError, match="got a named pipe"):
        load_trace(tmp_path / "pipe.csv")
    with pytest.raises(TraceError, match="got a device"):
        load_trace("/dev/zero")


def test_no_message_quotes_a_file_that_is_not_a_trace(tmp_path):
    secret = "root:$6$s3cr3t-salt$hash:19000:0:99999:7:::"
    for text in (secret + "\n", "time_s,requests\n0,1\n1," + secret + "\n", "time_s,requests\n0,1\n" + secret + ",1\n",
                 "time_s,requests\n0,1\n1,2," + secret + "\n", "user," + secret + "\n0,1\n"):
        path = tmp_path / "other.csv"
        path.write_text(text)
        with pytest.raises(TraceError) as info:
            load_trace(path)
        assert "s3cr3t" not in str(info.value) and "root" not in str(info.value), str(info.value)


def test_trace_error_is_a_value_error():
    assert issubclass(TraceError, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "time_s,requests\r\n0,1\r\n1,2\r\n",  # Windows line ends
        "\ufefftime_s,requests\n0,1\n1,2\n",  # byte-order mark
        "time_s,requests\n0,1\n1,2\n\n\n",  # blank lines at the end
        "time_s,requests\n0.0,1.0\n1.0,2.0",  # decimals, no final newline
    ],
)
def test_harmless_variations_are_accepted(tmp_path, text):
    path = tmp_path / "ok.csv"
    path.write_text(text, newline="")
    trace = load_trace(path)
    assert list(trace.counts) == [1.0, 2.0] and trace.bin_s == 1.0

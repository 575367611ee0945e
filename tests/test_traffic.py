"""Rate curves of the synthetic traffic components, and arrivals per tick."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace as NS

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fargatesim.traffic import rate_curve, rate_of, sample_arrivals

DAY = 86_400
MONDAY = datetime(2026, 1, 5, tzinfo=timezone.utc)  # 2026-01-05 is a Monday
SATURDAY = MONDAY + timedelta(days=5)


def diurnal(mean_rps=300.0, peak_to_trough=4.0, peak_at=14 * 3600.0, weekend_factor=0.6):
    return NS(kind="diurnal", mean_rps=mean_rps, peak_to_trough=peak_to_trough, peak_at=peak_at,
              weekend_factor=weekend_factor)


def spike(at=36_000.0, peak_rps=2000.0, rise=120.0, hold=600.0, decay=300.0):
    return NS(kind="spike", at=at, peak_rps=peak_rps, rise=rise, hold=hold, decay=decay)


def ramp(from_rps=100.0, to_rps=500.0, start=3600.0, end=3 * 3600.0):
    return NS(kind="ramp", from_rps=from_rps, to_rps=to_rps, start=start, end=end)


def steps(*pairs):
    return NS(kind="steps", steps=[NS(at=float(at), rps=float(rps)) for at, rps in pairs])


def constant(rps):
    return NS(kind="constant", rps=rps)


# --------------------------------------------------------------------------- shape of the curve

def test_length_is_ceil_of_duration_over_tick():
    assert len(rate_curve([constant(5.0)], start=MONDAY, duration=10, tick=3)) == 4
    assert len(rate_curve([constant(5.0)], start=MONDAY, duration=DAY, tick=0.1)) == 864_000
    assert len(rate_curve([], start=MONDAY, duration=0, tick=1)) == 0


def test_no_components_is_zero_traffic():
    assert not rate_curve([], start=MONDAY, duration=100, tick=1).any()


def test_constant_is_exact():
    curve = rate_curve([constant(123.4)], start=MONDAY, duration=DAY, tick=1)
    assert (curve == 123.4).all()
    assert (rate_of(constant(7.0), np.array([0.0, 1e6]), MONDAY) == 7.0).all()


@pytest.mark.parametrize("tick", [0, -1])
def test_tick_must_be_positive(tick):
    with pytest.raises(ValueError):
        rate_curve([constant(1.0)], start=MONDAY, duration=10, tick=tick)


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown traffic component kind 'sawtooth'"):
        rate_of(NS(kind="sawtooth"), np.zeros(1), MONDAY)


# --------------------------------------------------------------------------- diurnal

def test_diurnal_mean_over_a_weekday_is_mean_rps():
    curve = rate_curve([diurnal()], start=MONDAY, duration=DAY, tick=1)
    assert curve.mean() == pytest.approx(300.0, rel=1e-3)
    # Tick means are exact integrals, so a coarse tick gives the same day total.
    coarse = rate_curve([diurnal()], start=MONDAY, duration=DAY, tick=3600)
    assert coarse.mean() == pytest.approx(300.0, rel=1e-9)


def test_diurnal_max_min_ratio_is_peak_to_trough():
    t = np.arange(DAY, dtype=float)
    rates = rate_of(diurnal(peak_to_trough=4.0), t, MONDAY)
    assert rates.max() / rates.min() == pytest.approx(4.0, rel=1e-6)
    assert rates.max() == pytest.approx(300 * 1.6)  # a = 3/5
    flat = rate_of(diurnal(peak_to_trough=1.0), t, MONDAY)
    assert flat == pytest.approx(np.full(DAY, 300.0))


def test_diurnal_peak_is_at_peak_at_and_trough_twelve_hours_away():
    t = np.arange(DAY, dtype=float)
    rates = rate_of(diurnal(peak_at=14 * 3600.0), t, MONDAY)
    assert int(np.argmax(rates)) == 14 * 3600
    assert int(np.argmin(rates)) == 2 * 3600


def test_diurnal_peak_at_is_utc_wall_clock_whatever_the_start_time():
    start = MONDAY + timedelta(hours=9, minutes=30)  # t=0 is 09:30 UTC
    t = np.arange(DAY, dtype=float)
    rates = rate_of(diurnal(peak_at=14 * 3600.0), t, start)
    assert int(np.argmax(rates)) == 4 * 3600 + 30 * 60
    # The same instant expressed in another zone gives the same curve.
    berlin = start.astimezone(timezone(timedelta(hours=1)))
    assert rate_of(diurnal(), t, berlin) == pytest.approx(rates)


def test_weekend_factor_applies_on_saturday_and_sunday():
    curve = rate_curve([diurnal(weekend_factor=0.6)], start=SATURDAY, duration=3 * DAY, tick=60)
    per_day = curve.reshape(3, -1).mean(axis=1)
    assert per_day == pytest.approx([300 * 0.6, 300 * 0.6, 300.0], rel=1e-9)


def test_weekend_starts_at_utc_midnight_when_start_is_mid_day():
    friday_noon = MONDAY + timedelta(days=4, hours=12)
    component = diurnal(peak_to_trough=1.0, weekend_factor=0.5)
    before, after = rate_of(component, np.array([43_199.0, 43_200.0]), friday_noon)
    assert (before, after) == pytest.approx((300.0, 150.0))
    # A tick straddling Saturday midnight gets the exact time-weighted mean.
    friday_23h = friday_noon + timedelta(hours=11)
    curve = rate_curve([component], start=friday_23h, duration=7200, tick=7200)
    assert curve[0] == pytest.approx((300.0 + 150.0) / 2)


def test_diurnal_week_mean_counts_weekend_days():
    curve = rate_curve([diurnal(weekend_factor=0.6)], start=MONDAY, duration=7 * DAY, tick=1)
    assert curve.mean() == pytest.approx(300 * (5 + 2 * 0.6) / 7, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    offset=st.floats(0, 14 * DAY),
    tick=st.sampled_from([1.0, 7.0, 60.0, 997.0, 3600.0, 5400.0]),
    ratio=st.floats(1, 50),
    weekend=st.floats(0, 2),
)
def test_diurnal_tick_means_integrate_the_instantaneous_rate(offset, tick, ratio, weekend):
    component = diurnal(peak_to_trough=ratio, weekend_factor=weekend)
    start = MONDAY + timedelta(seconds=offset)
    curve = rate_curve([component], start=start, duration=2 * DAY, tick=tick)
    # Reference: midpoint rule on a 2 s grid. It smears each weekend switch (at most 3 UTC
    # midnights in the span) over one grid cell, which the absolute tolerance allows for.
    span = len(curve) * tick
    t = np.arange(0, span, 2.0) + 1.0
    reference = rate_of(component, t, start).sum() * 2.0
    smear = 3 * 2.0 * 300 * 2 * max(1.0, weekend)
    assert curve.sum() * tick == pytest.approx(reference, rel=1e-6, abs=smear)


# --------------------------------------------------------------------------- spike, ramp, steps

@pytest.mark.parametrize("tick", [1.0, 7.0, 0.25, 60.0])
@pytest.mark.parametrize("at", [36_000.0, 36_000.5])
def test_spike_area_is_the_trapezoid(tick, at):
    s = spike(at=at, peak_rps=2000.0, rise=120.0, hold=600.0, decay=300.0)
    curve = rate_curve([s], start=MONDAY, duration=12 * 3600, tick=tick)
    assert curve.sum() * tick == pytest.approx(2000.0 * (120 / 2 + 600 + 300 / 2), rel=1e-9)


def test_spike_shape():
    s = spike(at=100.0, peak_rps=1000.0, rise=10.0, hold=20.0, decay=40.0)
    t = np.array([0.0, 99.9, 100.0, 105.0, 110.0, 120.0, 130.0, 150.0, 170.0, 171.0, 1e6])
    expected = [0, 0, 0, 500, 1000, 1000, 1000, 500, 0, 0, 0]
    assert rate_of(s, t, MONDAY) == pytest.approx(expected)


def test_spike_with_zero_rise_and_decay_is_a_rectangle():
    s = spike(at=10.0, peak_rps=50.0, rise=0.0, hold=5.0, decay=0.0)
    assert rate_of(s, np.array([9.99, 10.0, 14.99, 15.0]), MONDAY) == pytest.approx([0, 50, 50, 0])
    curve = rate_curve([s], start=MONDAY, duration=30, tick=2)
    assert curve.sum() * 2 == pytest.approx(250.0)
    assert curve[5] == 50.0 and curve[7] == pytest.approx(25.0)  # [14, 16) is half in the hold


def test_ramp_values():
    r = ramp(from_rps=100.0, to_rps=500.0, start=3600.0, end=3 * 3600.0)
    t = np.array([0.0, 3599.0, 3600.0, 5400.0, 7200.0, 9000.0, 10_800.0, 50_000.0])
    assert rate_of(r, t, MONDAY) == pytest.approx([100, 100, 100, 200, 300, 400, 500, 500])
    curve = rate_curve([r], start=MONDAY, duration=4 * 3600, tick=1)
    assert curve[0] == 100.0 and curve[-1] == 500.0
    # Tick [5400, 5401): the exact mean of a linear piece is its value at the midpoint.
    assert curve[5400] == pytest.approx(100 + 400 * 1800.5 / 7200)


def test_ramp_down_and_instant_ramp():
    down = ramp(from_rps=500.0, to_rps=0.0, start=0.0, end=100.0)
    assert rate_of(down, np.array([50.0, 100.0]), MONDAY) == pytest.approx([250.0, 0.0])
    jump = ramp(from_rps=10.0, to_rps=20.0, start=50.0, end=50.0)
    assert rate_of(jump, np.array([49.9, 50.0]), MONDAY) == pytest.approx([10.0, 20.0])
    curve = rate_curve([jump], start=MONDAY, duration=100, tick=100)
    assert curve[0] == pytest.approx(15.0)


def test_steps_are_piecewise_constant_and_zero_before_the_first():
    s = steps((60, 100), (7200, 400), (10_000, 0))
    t = np.array([0.0, 59.9, 60.0, 7199.0, 7200.0, 9999.0, 10_000.0, 1e6])
    assert rate_of(s, t, MONDAY) == pytest.approx([0, 0, 100, 100, 400, 400, 0, 0])
    curve = rate_curve([s], start=MONDAY, duration=4 * 3600, tick=1)
    assert curve.sum() == pytest.approx(100 * (7200 - 60) + 400 * (10_000 - 7200))


def test_step_inside_a_tick_is_time_weighted():
    s = steps((0, 100), (1.5, 300))
    curve = rate_curve([s], start=MONDAY, duration=3, tick=1)
    assert curve == pytest.approx([100.0, 200.0, 300.0])


def test_steps_given_out_of_order_and_empty():
    assert rate_of(steps((100, 2), (0, 1)), np.array([50.0, 150.0]), MONDAY) == pytest.approx([1, 2])
    assert not rate_curve([steps()], start=MONDAY, duration=10, tick=1).any()


# --------------------------------------------------------------------------- sum

def test_curve_is_the_sum_of_the_components():
    parts = [diurnal(), spike(), ramp(), steps((0, 100), (7200, 400)), constant(3.0)]
    together = rate_curve(parts, start=SATURDAY, duration=DAY, tick=5)
    apart = sum(rate_curve([p], start=SATURDAY, duration=DAY, tick=5) for p in parts)
    assert together == pytest.approx(apart, rel=1e-12)
    # Saturday 10:08:20: weekend diurnal + spike in its hold + ramp finished + second step + constant.
    wave = 300 * 0.6 * (1 + 0.6 * math.cos(2 * math.pi * (36_500 - 50_400) / DAY))
    instant = sum(rate_of(p, np.array([36_500.0]), SATURDAY)[0] for p in parts)
    assert instant == pytest.approx(wave + 2000 + 500 + 400 + 3)
    assert together[36_500 // 5] > together[30_000 // 5] + 1500  # the spike sits on top


# --------------------------------------------------------------------------- arrivals

def test_poisson_mean_and_variance_match_the_rate():
    rng = np.random.default_rng(20260105)
    n, rate, tick = 200_000, 12.5, 2.0
    counts = sample_arrivals(np.full(n, rate), tick, "poisson", rng)
    assert counts.dtype == np.int64 and counts.shape == (n,)
    lam = rate * tick
    # Standard errors: mean sqrt(lam/n); variance about lam*sqrt(2/n) for large lam.
    assert abs(counts.mean() - lam) < 5 * math.sqrt(lam / n)
    assert abs(counts.var() - lam) < 5 * lam * math.sqrt(2 / n + 1 / (lam * n))


def test_poisson_follows_a_varying_rate_and_is_reproducible():
    rates = np.repeat([0.0, 1.0, 1000.0], 50_000)
    a = sample_arrivals(rates, 1.0, "poisson", np.random.default_rng(7))
    b = sample_arrivals(rates, 1.0, "poisson", np.random.default_rng(7))
    assert (a == b).all()
    assert not a[:50_000].any()
    assert a[50_000:100_000].mean() == pytest.approx(1.0, abs=0.03)
    assert a[100_000:].mean() == pytest.approx(1000.0, rel=0.002)


def test_deterministic_running_total_is_floor_of_the_integral():
    rng = np.random.default_rng(3)
    rates = rng.uniform(0, 37, size=10_000)
    counts = sample_arrivals(rates, 0.5, "deterministic", rng)
    assert counts.dtype == np.int64 and (counts >= 0).all()
    assert (np.cumsum(counts) == np.floor(np.cumsum(rates * 0.5))).all()
    assert counts.sum() == math.floor(math.fsum(rates * 0.5))


def test_deterministic_arrivals_do_not_drift():
    counts = sample_arrivals(np.full(100, 0.1), 1.0, "deterministic", np.random.default_rng())
    assert counts.sum() == 10
    assert list(np.flatnonzero(counts)) == [9, 19, 29, 39, 49, 59, 69, 79, 89, 99]
    day = sample_arrivals(np.full(DAY, 0.3), 1.0, "deterministic", np.random.default_rng())
    assert day.sum() == 25_920


@pytest.mark.parametrize("rate", [10.0, 10_000.0])
@pytest.mark.parametrize("kind", ["poisson", "deterministic"])
def test_a_day_of_ticks_samples_at_any_rate(rate, kind):
    counts = sample_arrivals(np.full(DAY, rate), 1.0, kind, np.random.default_rng(1))
    assert counts.shape == (DAY,)
    assert counts.sum() == pytest.approx(rate * DAY, rel=0.01)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_rates_are_rejected(bad):
    rates = np.array([1.0, bad, 2.0])
    with pytest.raises(ValueError, match="at tick 1"):
        sample_arrivals(rates, 1.0, "poisson", np.random.default_rng())


def test_unknown_arrival_kind_and_bad_tick_are_rejected():
    with pytest.raises(ValueError, match="unknown arrivals kind 'uniform'"):
        sample_arrivals(np.ones(3), 1.0, "uniform", np.random.default_rng())
    with pytest.raises(ValueError, match="tick"):
        sample_arrivals(np.ones(3), 0.0, "poisson", np.random.default_rng())


def test_rate_curve_feeds_arrivals():
    curve = rate_curve([diurnal(), spike()], start=MONDAY, duration=DAY, tick=1)
    counts = sample_arrivals(curve, 1.0, "deterministic", np.random.default_rng())
    assert counts.sum() == math.floor(math.fsum(curve))

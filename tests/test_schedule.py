"""Scheduled actions: when at(), rate() and cron() fire, in UTC and across DST changes."""

from __future__ import annotations

import time
import warnings
import zoneinfo
from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import build_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from fargatesim.autoscaling import check_autoscaling
from fargatesim.autoscaling.schedule import schedule_times
from fargatesim.engine import Simulation
from fargatesim.scenario import ScenarioWarning
from fargatesim.scenario.schedules import parse_schedule

UTC = timezone.utc
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # 2026-03-02 is a Monday
WEEK = (MONDAY, MONDAY + timedelta(days=7))
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cron(expr: str, start: datetime, end: datetime, zone: str | None = "UTC", **bounds) -> list[datetime]:
    return schedule_times(f"cron({expr})", zone, start, end, **bounds)


# ---------------------------------------------------------------------- the AWS guide's examples (UTC)
def test_daily_at_ten():
    got = cron("0 10 * * ? *", *WEEK)
    assert got == [MONDAY + timedelta(days=d, hours=10) for d in range(7)]


def test_daily_at_quarter_past_noon():
    got = cron("15 12 * * ? *", *WEEK)
    assert got == [MONDAY + timedelta(days=d, hours=12, minutes=15) for d in range(7)]


def test_six_pm_monday_to_friday():
    got = cron("0 18 ? * MON-FRI *", *WEEK)
    assert got == [MONDAY + timedelta(days=d, hours=18) for d in range(5)]


def test_eight_am_on_the_first():
    got = cron("0 8 1 * ? *", utc(2026, 1, 1), utc(2026, 7, 1))
    assert got == [utc(2026, m, 1, 8) for m in range(1, 7)]


def test_every_fifteen_minutes():
    got = cron("0/15 * * * ? *", MONDAY, MONDAY + timedelta(days=1))
    assert got == [MONDAY + timedelta(minutes=15 * i) for i in range(96)]


def test_every_ten_minutes_monday_to_friday():
    got = cron("0/10 * ? * MON-FRI *", *WEEK)
    assert len(got) == 5 * 144
    assert {t.weekday() for t in got} == {0, 1, 2, 3, 4}
    assert {t.minute for t in got} == {0, 10, 20, 30, 40, 50}


def test_every_five_minutes_business_hours():
    got = cron("0/5 8-17 ? * MON-FRI *", *WEEK)
    assert len(got) == 5 * 10 * 12
    assert got[0] == MONDAY + timedelta(hours=8)
    assert got[-1] == MONDAY + timedelta(days=4, hours=17, minutes=55)
    assert {t.hour for t in got} == set(range(8, 18))


def test_the_guides_30_6_star_star_2_star_example():
    # The guide gives `30 6 * * 2 *` as "every Tuesday at 6:30 AM".  Two things are off: it has
    # '*' rather than '?' in day-of-month, and in AWS's numbering (1-7 = SUN-SAT, the same
    # guide's CloudWatch Events syntax) 2 is MON; "Tuesday" is Unix cron's 0 = SUN reading.
    # The schema accepts '*' beside a restricting day field (it refuses only two restricting
    # day fields), '*' restricts nothing, and 2 stays MON: Mondays at 06:30.
    assert parse_schedule("cron(30 6 * * 2 *)").cron_fields[2] == "*"
    got = cron("30 6 * * 2 *", MONDAY, MONDAY + timedelta(days=21))
    assert got == [MONDAY + timedelta(days=7 * w, hours=6, minutes=30) for w in range(3)]
    assert got == cron("30 6 ? * MON *", MONDAY, MONDAY + timedelta(days=21))
    assert [t + timedelta(days=1) for t in got] == cron("30 6 ? * TUE *", MONDAY, MONDAY + timedelta(days=22))


def test_two_restricting_day_fields_are_refused():
    with pytest.raises(ValueError, match=r"'\?'"):
        schedule_times("cron(30 6 1 * 2 *)", "UTC", *WEEK)


def test_seven_fields_drop_the_seconds():
    assert schedule_times("cron(15 30 6 * * ? *)", "UTC", *WEEK) == cron("30 6 * * ? *", *WEEK)


# ---------------------------------------------------------------------- time zones and DST
def test_berlin_weekday_mornings_across_the_spring_change():
    # Europe changes to summer time on 2026-03-29: 07:00 local is 06:00 UTC before, 05:00 after.
    got = cron("0 7 ? * MON-FRI *", utc(2026, 3, 23), utc(2026, 4, 4), BERLIN)
    before = [utc(2026, 3, d, 6) for d in range(23, 28)]
    after = [utc(2026, 3, 30, 5), utc(2026, 3, 31, 5)] + [utc(2026, 4, d, 5) for d in range(1, 4)]
    assert got == before + after


def test_new_york_weekday_mornings_across_the_spring_change():
    # US summer time starts 2026-03-08: 09:00 local is 14:00 UTC before, 13:00 after.
    got = cron("0 9 ? * MON-FRI *", utc(2026, 3, 2), utc(2026, 3, 14), NEW_YORK)
    assert got[:5] == [utc(2026, 3, d, 14) for d in range(2, 7)]
    assert got[5:] == [utc(2026, 3, d, 13) for d in range(9, 14)]


def test_a_time_skipped_by_spring_forward_does_not_fire():
    got = cron("30 2 * * ? *", utc(2026, 3, 7), utc(2026, 3, 10), NEW_YORK)
    assert got == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)]  # nothing on 2026-03-08


def test_an_ambiguous_time_fires_once_at_its_first_occurrence():
    # 2026-11-01 01:30 happens twice in New York: 05:30 UTC (EDT) and 06:30 UTC (EST).
    got = cron("30 1 * * ? *", utc(2026, 10, 31), utc(2026, 11, 3), NEW_YORK)
    assert got == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    # also when the window opens between the two occurrences
    assert cron("30 1 * * ? *", utc(2026, 11, 1, 6), utc(2026, 11, 1, 12), NEW_YORK) == []


def test_local_day_lengths_on_change_days():
    every_half_hour = "0/30 * * * ? *"
    zone = zoneinfo.ZoneInfo(NEW_YORK)
    for day, expected in ((date(2026, 3, 8), 46), (date(2026, 11, 1), 48), (date(2026, 11, 2), 48)):
        got = cron(every_half_hour, utc(2026, 3, 1), utc(2026, 11, 10), NEW_YORK)
        assert sum(t.astimezone(zone).date() == day for t in got) == expected


def test_every_minute_for_a_month_is_fast_and_counts_the_autumn_hour_once():
    t0 = time.perf_counter()
    got = cron("* * * * ? *", utc(2026, 10, 1), utc(2026, 11, 1), BERLIN)
    elapsed = time.perf_counter() - t0
    assert len(got) == 31 * 1440 - 60  # 02:00-02:59 on 2026-10-25 happens twice, fires once
    assert got == sorted(set(got))
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in got[:10])
    assert elapsed < 3


# ---------------------------------------------------------------------- at()
def test_at_is_local_time_in_the_zone():
    start, end = utc(2026, 1, 1), utc(2027, 1, 1)
    assert schedule_times("at(2026-03-02T10:00:00)", BERLIN, start, end) == [utc(2026, 3, 2, 9)]
    assert schedule_times("at(2026-07-02T10:00:00)", BERLIN, start, end) == [utc(2026, 7, 2, 8)]
    assert schedule_times("at(2026-07-02T10:00:00)", None, start, end) == [utc(2026, 7, 2, 10)]
    assert schedule_times("at(2026-07-02T10:00:00)", NEW_YORK, start, end) == [utc(2026, 7, 2, 14)]


def test_at_in_a_gap_or_an_overlap():
    start, end = utc(2026, 1, 1), utc(2027, 1, 1)
    assert schedule_times("at(2026-03-29T02:30:00)", BERLIN, start, end) == []
    assert schedule_times("at(2026-10-25T02:30:00)", BERLIN, start, end) == [utc(2026, 10, 25, 0, 30)]


def test_at_outside_the_window_or_the_bounds():
    assert schedule_times("at(2026-03-02T10:00:00)", "UTC", utc(2026, 3, 2, 10, 0, 1), utc(2026, 4, 1)) == []
    assert schedule_times("at(2026-03-02T10:00:00)", "UTC", utc(2026, 3, 1), utc(2026, 3, 2, 10)) == []
    kw = dict(start_time=utc(2026, 3, 3))
    assert schedule_times("at(2026-03-02T10:00:00)", "UTC", utc(2026, 3, 1), utc(2026, 4, 1), **kw) == []
    parsed = parse_schedule("at(2026-03-02T10:00:00)")
    assert schedule_times(parsed, "UTC", utc(2026, 3, 1), utc(2026, 4, 1)) == [utc(2026, 3, 2, 10)]


# ---------------------------------------------------------------------- rate()
def test_rate_counts_from_the_window_start_without_start_time():
    start = utc(2026, 3, 2, 0, 0, 30)
    got = schedule_times("rate(5 minutes)", BERLIN, start, start + timedelta(minutes=16))
    assert got == [start + timedelta(minutes=m) for m in (0, 5, 10, 15)]


def test_rate_keeps_the_phase_of_start_time():
    got = schedule_times("rate(1 hour)", "UTC", utc(2026, 3, 2), utc(2026, 3, 2, 3), start_time=utc(2026, 3, 1, 22, 30))
    assert got == [utc(2026, 3, 2, 0, 30), utc(2026, 3, 2, 1, 30), utc(2026, 3, 2, 2, 30)]


def test_rate_starts_at_start_time_and_end_time_is_inclusive():
    got = schedule_times(
        "rate(2 days)", "UTC", utc(2026, 3, 1), utc(2026, 4, 1),
        start_time=utc(2026, 3, 3, 12), end_time=utc(2026, 3, 9, 12),
    )
    assert got == [utc(2026, 3, 3, 12), utc(2026, 3, 5, 12), utc(2026, 3, 7, 12), utc(2026, 3, 9, 12)]


def test_rate_one_minute_over_a_month():
    got = schedule_times("rate(1 minute)", None, utc(2026, 3, 1), utc(2026, 4, 1))
    assert len(got) == 31 * 1440 and got[1] - got[0] == timedelta(minutes=1)


def test_a_rate_longer_than_a_century_is_refused_before_it_overflows_a_date():
    # A 20-digit N passed validation and overflowed timedelta at run time.
    assert parse_schedule("rate(36500 days)").rate_seconds == 36500 * 86400
    for text in ("rate(36501 days)", "rate(12345678901234567890 minutes)"):
        with pytest.raises(ValueError, match="at most 100 years"):
            parse_schedule(text)


# ---------------------------------------------------------------------- start_time / end_time with cron
def test_cron_runs_at_start_time_then_on_the_recurrence():
    # "If you specify a start time, Application Auto Scaling performs the action at this time,
    # and then performs the action based on the specified recurrence."
    got = cron("0 10 * * ? *", *WEEK, start_time=utc(2026, 3, 4, 7, 15))
    assert got == [utc(2026, 3, 4, 7, 15)] + [utc(2026, 3, d, 10) for d in range(4, 9)]
    # a start time before the window is not a firing inside it
    assert cron("0 10 * * ? *", *WEEK, start_time=utc(2026, 2, 1)) == cron("0 10 * * ? *", *WEEK)
    # no double firing when the start time is itself a cron time
    got = cron("0 10 * * ? *", *WEEK, start_time=utc(2026, 3, 4, 10))
    assert got[:2] == [utc(2026, 3, 4, 10), utc(2026, 3, 5, 10)]


def test_cron_end_time_stops_the_repetition():
    got = cron("0 10 * * ? *", *WEEK, end_time=utc(2026, 3, 4, 10))
    assert got == [utc(2026, 3, 2, 10), utc(2026, 3, 3, 10), utc(2026, 3, 4, 10)]
    assert cron("0 10 * * ? *", *WEEK, end_time=utc(2026, 3, 4, 9, 59)) == got[:2]
    assert cron("0 10 * * ? *", *WEEK, start_time=utc(2026, 3, 6), end_time=utc(2026, 3, 5)) == []


def test_window_start_between_minutes():
    got = cron("* * * * ? *", utc(2026, 3, 2, 10, 0, 30), utc(2026, 3, 2, 10, 3))
    assert got == [utc(2026, 3, 2, 10, 1), utc(2026, 3, 2, 10, 2)]


# ---------------------------------------------------------------------- field syntax and specials
def dates(expr: str, start=utc(2026, 1, 1), end=utc(2027, 1, 1)) -> list[date]:
    return [t.date() for t in cron(expr, start, end)]


def test_last_day_of_month():
    got = dates("0 0 L * ? *")
    assert got[:4] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert len(got) == 12
    assert dates("0 0 L 2 ? *", utc(2028, 1, 1), utc(2029, 1, 1)) == [date(2028, 2, 29)]


def test_days_before_the_last():
    assert dates("0 0 L-2 FEB ? *") == [date(2026, 2, 26)]
    assert dates("0 0 L-30 * ? *") == [date(2026, m, 1) for m in (1, 3, 5, 7, 8, 10, 12)]


def test_last_weekday_of_month():
    # 2026-01-31 is a Saturday, 2026-05-31 a Sunday: both move back to the Friday
    assert dates("0 0 LW JAN,MAY,JUN ? *") == [date(2026, 1, 30), date(2026, 5, 29), date(2026, 6, 30)]


def test_nearest_weekday():
    # 2026-03-15 is a Sunday -> Monday 16th; 2026-08-15 a Saturday -> Friday 14th
    assert dates("0 0 15W MAR,AUG,SEP ? *") == [date(2026, 3, 16), date(2026, 8, 14), date(2026, 9, 15)]
    # never leaves the month: 2026-08-01 is a Saturday -> Monday 3rd
    assert dates("0 0 1W AUG ? *") == [date(2026, 8, 3)]
    # 2026-05-31 is a Sunday and the month's last day -> Friday 29th; 31W never fires in June
    assert dates("0 0 31W MAY,JUN ? *") == [date(2026, 5, 29)]


def test_last_given_weekday_of_month():
    assert dates("0 0 ? MAR 6L *") == [date(2026, 3, 27)]  # last Friday
    assert dates("0 0 ? MAR 5L *") == [date(2026, 3, 26)]  # 5 = THU, since 1 = SUN
    assert dates("0 0 ? JAN FRIL *") == [date(2026, 1, 30)]


def test_nth_weekday_of_month():
    assert dates("0 0 ? MAR 6#3 *") == [date(2026, 3, 20)]  # third Friday
    assert dates("0 0 ? FEB,MAR 2#5 *") == [date(2026, 3, 30)]  # February 2026 has four Mondays
    assert dates("0 0 ? MAR MON#1,FRI#2 *") == [date(2026, 3, 2), date(2026, 3, 13)]


def test_day_of_week_l_alone_is_saturday():
    assert {d.weekday() for d in dates("0 0 ? * L *")} == {5}


def test_day_of_week_numbers_and_names():
    assert {d.weekday() for d in dates("0 0 ? * 1 *")} == {6}  # 1 = SUN
    assert {d.weekday() for d in dates("0 0 ? * 7 *")} == {5}  # 7 = SAT
    assert dates("0 0 ? * 2-6 *") == dates("0 0 ? * MON-FRI *")
    assert {d.weekday() for d in dates("0 0 ? * FRI-MON *")} == {4, 5, 6, 0}  # wraps around
    assert {d.weekday() for d in dates("0 0 ? * MON/2 *")} == {0, 2, 4}


def test_steps_lists_months_and_years():
    hours = {t.hour for t in cron("0 8-17/2 * * ? *", *WEEK)}
    assert hours == {8, 10, 12, 14, 16}
    assert {t.minute for t in cron("*/20 5 * * ? *", *WEEK)} == {0, 20, 40}
    assert {t.minute for t in cron("5/20 5 * * ? *", *WEEK)} == {5, 25, 45}
    assert {t.minute for t in cron("1,2,58-59 5 * * ? *", *WEEK)} == {1, 2, 58, 59}
    assert dates("0 12 1 JAN-MAR/2 ? 2026", utc(2026, 1, 1), utc(2028, 1, 1)) == [date(2026, 1, 1), date(2026, 3, 1)]
    assert dates("0 12 1 1 ? 2027-2028", utc(2026, 1, 1), utc(2030, 1, 1)) == [date(2027, 1, 1), date(2028, 1, 1)]


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule_times("rate(1 hour)", "UTC", datetime(2026, 3, 2), datetime(2026, 3, 3))
    with pytest.raises(ValueError, match="IANA"):
        schedule_times("rate(1 hour)", "Mars/Olympus", *WEEK)
    with pytest.raises(ValueError, match="schedule"):
        schedule_times("every(1 hour)", "UTC", *WEEK)


def test_empty_window():
    assert schedule_times("rate(1 minute)", "UTC", MONDAY, MONDAY) == []
    assert cron("* * * * ? *", MONDAY, MONDAY - timedelta(days=1)) == []


# ---------------------------------------------------------------------- against a minute-by-minute reference
def _reference(minutes: set[int], hours: set[int], weekdays: set[int], zone: str, start: datetime, end: datetime):
    """A plain loop: every UTC minute, read in the zone; the second of two equal local times
    (fold=1) does not fire, and local times in a gap never occur."""
    tz = zoneinfo.ZoneInfo(zone)
    out, t = [], start
    while t < end:
        local = t.astimezone(tz)
        weekday = local.isoweekday() % 7 + 1
        if not local.fold and local.minute in minutes and local.hour in hours and weekday in weekdays:
            out.append(t)
        t += timedelta(minutes=1)
    return out


@settings(max_examples=40, deadline=None)
@given(
    st.sets(st.integers(0, 59), min_size=1, max_size=4),
    st.sets(st.integers(0, 23), min_size=1, max_size=4),
    st.sets(st.integers(1, 7), min_size=1, max_size=7),
    st.sampled_from([BERLIN, NEW_YORK, "UTC", "Australia/Lord_Howe"]),
    st.sampled_from([utc(2026, 3, 7), utc(2026, 3, 27), utc(2026, 10, 24), utc(2026, 10, 31), utc(2026, 4, 4)]),
)
def test_matches_a_minute_by_minute_reference(minutes, hours, weekdays, zone, start):
    end = start + timedelta(days=3)
    def listed(values):
        return ",".join(map(str, sorted(values)))

    expr = f"{listed(minutes)} {listed(hours)} ? * {listed(weekdays)} *"
    assert cron(expr, start, end, zone) == _reference(minutes, hours, weekdays, zone, start, end)


# ---------------------------------------------------------------------- actions that never fire (issue 12, item 9)
def _scenario_with(*actions, duration="2h", **extra):
    return build_scenario(duration=duration, start="2026-03-02T08:00:00Z",
                          autoscaling={"min_capacity": 1, "max_capacity": 10, "scheduled_actions": list(actions)},
                          **extra)


def _action(name, schedule, **keys):
    return {"name": name, "schedule": schedule, "scalable_target_action": {"min_capacity": 2}, **keys}


@pytest.mark.parametrize("action, key, reason", [
    (_action("later", "at(2030-01-01T00:00:00)"), "schedule", "at(2030-01-01T00:00:00) is after the run's end"),
    (_action("earlier", "at(2026-03-02T07:59:00)"), "schedule", "at(2026-03-02T07:59:00) is before the run's start"),
    (_action("gap", "at(2026-03-29T02:30:00)", timezone=BERLIN), "schedule",
     "at(2026-03-29T02:30:00) does not exist in Europe/Berlin (a daylight saving change skips it)"),
    (_action("saturdays", "cron(0 10 ? * SAT *)"), "schedule", "cron(0 10 ? * SAT *) matches no minute of the run"),
    (_action("year", "cron(0 9 * * ? 2199)"), "schedule", "cron(0 9 * * ? 2199) matches no minute of the run"),
    (_action("night-in-ny", "cron(0 9 * * ? *)", timezone=NEW_YORK), "schedule",
     "cron(0 9 * * ? *) in America/New_York matches no minute of the run"),
    (_action("not-yet", "rate(5 minutes)", start_time="2026-03-02T10:00:00Z"), "start_time",
     "its start_time, 2026-03-02 10:00:00 UTC, is not before the run's end"),
    (_action("over", "rate(5 minutes)", end_time="2026-03-01T00:00:00Z"), "end_time",
     "its end_time, 2026-03-01 00:00:00 UTC, is before the run's start"),
])
def test_an_action_that_never_fires_within_the_run_is_warned_about(action, key, reason):
    s = _scenario_with(action, _action("hourly", "rate(1 hour)"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_autoscaling(s)
    assert [type(w.message) for w in caught] == [ScenarioWarning]    # one, and only for the silent action
    warning = caught[0].message
    assert warning.path == f"autoscaling.scheduled_actions[0].{key}"
    assert warning.message == (f"scheduled action {action['name']!r} never fires within the run (2026-03-02 08:00:00 "
                               f"to 2026-03-02 10:00:00 UTC): {reason}; it changes nothing")


def test_the_warning_is_not_an_error_and_comes_once_per_check_not_per_run(recwarn):
    s = _scenario_with(_action("later", "at(2030-01-01T00:00:00)"), duration="10m")
    Simulation(s).run()                 # a worker of compare runs this: it warns nothing
    assert not recwarn.list
    check_autoscaling(s)
    assert [type(w.message) for w in recwarn.list] == [ScenarioWarning]
    assert str(recwarn.list[0].message).startswith("autoscaling.scheduled_actions[0].schedule: scheduled action")

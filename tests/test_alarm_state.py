"""CloudWatch alarm evaluation: the user guide's missing-data tables and the premature-alarm rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargatesim.cloudwatch.alarm_state import alarm_state, breaches

THRESHOLD = 10.0
VALUE = {"0": 5.0, "X": 15.0, "-": None}  # the guide's symbols: not breaching, breaching, missing
RETAIN = "retain"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def points(text: str) -> list[float | None]:
    return [VALUE[c] for c in text.split()]


def evaluate(text, m, n=3, treat="missing", previous="INSUFFICIENT_DATA", op="GreaterThanThreshold"):
    return alarm_state(
        points(text), threshold=THRESHOLD, comparison_operator=op, evaluation_periods=n,
        datapoints_to_alarm=m, treat_missing_data=treat, previous_state=previous,
    )


# Amazon CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data":
# evaluation range 5, most recent datapoint on the right; columns MISSING, IGNORE, BREACHING,
# NOT BREACHING.  The last row of each table is the premature-alarm case.
GUIDE_TABLES = [
    # Datapoints to Alarm 3, Evaluation Periods 3
    (3, "0 - X - X", ("OK", "OK", "OK", "OK")),
    (3, "0 - - - -", ("OK", "OK", "OK", "OK")),
    (3, "- - - - -", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    (3, "0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, "- - X - -", ("ALARM", RETAIN, "ALARM", "OK")),
    # Datapoints to Alarm 2, Evaluation Periods 3
    (2, "0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, "0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, "0 - X - -", ("OK", "OK", "ALARM", "OK")),
    (2, "- - - - 0", ("OK", "OK", "ALARM", "OK")),
    (2, "- - - X -", ("ALARM", RETAIN, "ALARM", "OK")),
    # Rows of an earlier revision of the same guide (3 of 3) that the current one dropped.
    (3, "- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    (3, "X - - - -", ("ALARM", RETAIN, "ALARM", "OK")),
]


@pytest.mark.parametrize("previous", ["OK", "ALARM", "INSUFFICIENT_DATA"])
@pytest.mark.parametrize(
    "m, text, treat, expected",
    [(m, text, treat, want) for m, text, row in GUIDE_TABLES for treat, want in zip(TREATMENTS, row)],
)
def test_user_guide_missing_data_tables(m, text, treat, expected, previous):
    want = previous if expected == RETAIN else expected
    assert evaluate(text, m, treat=treat, previous=previous) == want


# "Avoiding premature transitions to alarm state": - - - - X and - - - X - do not alarm at
# once (3 of 3); - - X - - does, the breaching point being 3 periods old.
@pytest.mark.parametrize(
    "text, m, expected",
    [
        ("- - - - X", 3, "INSUFFICIENT_DATA"),
        ("- - - X -", 3, "INSUFFICIENT_DATA"),
        ("- - X - -", 3, "ALARM"),
        ("- - - X X", 3, "INSUFFICIENT_DATA"),
        ("- - X X -", 3, "ALARM"),
        ("- - - X -", 2, "ALARM"),
        ("- - - - X", 2, "INSUFFICIENT_DATA"),
        ("- - - - X", 1, "ALARM"),  # one breaching point is enough for 1 of 3
        ("- - - X 0", 3, "OK"),  # the guide's follow-up: the next point is fine
        ("- - X - 0", 3, "OK"),
    ],
)
def test_premature_transition_rule(text, m, expected):
    assert evaluate(text, m) == expected


def test_m_out_of_n_need_not_be_consecutive():
    assert evaluate("X 0 X", 2) == "ALARM"
    assert evaluate("X 0 0 X 0", 2, n=5) == "ALARM"
    assert evaluate("X 0 0 0 X", 2, n=4) == "OK"  # the oldest X is outside the 4 most recent


def test_only_the_most_recent_real_points_count_when_there_are_enough():
    # 3 real points among the last 5 slots: treatment is not needed
    for treat in TREATMENTS:
        assert evaluate("X X - 0 -", 2, treat=treat) == "ALARM"
        assert evaluate("X - 0 - 0", 2, treat=treat) == "OK"
    # longer range than N: older real points are skipped once N real ones are found
    assert evaluate("X X X X 0 0 0", 3) == "OK"


@pytest.mark.parametrize(
    "op, at_threshold, just_above, just_below",
    [
        ("GreaterThanOrEqualToThreshold", True, True, False),
        ("GreaterThanThreshold", False, True, False),
        ("LessThanThreshold", False, False, True),
        ("LessThanOrEqualToThreshold", True, False, True),
    ],
)
def test_comparison_operators_at_the_boundary(op, at_threshold, just_above, just_below):
    assert breaches(10.0, 10.0, op) is at_threshold
    assert breaches(10.001, 10.0, op) is just_above
    assert breaches(9.999, 10.0, op) is just_below
    state = alarm_state([10.0] * 3, threshold=10.0, comparison_operator=op, evaluation_periods=3, datapoints_to_alarm=3)
    assert state == ("ALARM" if at_threshold else "OK")


def test_all_missing():
    for n in (1, 3, 5):
        nothing = [None] * (n + 2)
        kw = dict(threshold=1, comparison_operator="GreaterThanThreshold", evaluation_periods=n, datapoints_to_alarm=n)
        assert alarm_state(nothing, **kw) == "INSUFFICIENT_DATA"
        assert alarm_state(nothing, **kw, previous_state="ALARM") == "INSUFFICIENT_DATA"
        assert alarm_state(nothing, **kw, treat_missing_data="ignore", previous_state="ALARM") == "ALARM"
        assert alarm_state(nothing, **kw, treat_missing_data="ignore", previous_state="OK") == "OK"
        assert alarm_state(nothing, **kw, treat_missing_data="breaching") == "ALARM"
        assert alarm_state(nothing, **kw, treat_missing_data="notBreaching") == "OK"
        assert alarm_state([], **kw) == "INSUFFICIENT_DATA"


def test_numpy_nan_is_missing():
    import numpy as np

    kw = dict(threshold=THRESHOLD, comparison_operator="GreaterThanThreshold",
              evaluation_periods=3, datapoints_to_alarm=3)
    values = np.array([np.nan, np.nan, 15.0, np.nan, np.nan], dtype=np.float32)
    assert alarm_state(list(values), **kw) == "ALARM"
    assert alarm_state(list(values.astype(np.float64)), **kw) == "ALARM"


def test_nan_is_missing_and_short_ranges_are_padded():
    assert evaluate("- - X - -", 3) == alarm_state(
        [float("nan"), float("nan"), 15.0, float("nan"), float("nan")], threshold=THRESHOLD,
        comparison_operator="GreaterThanThreshold", evaluation_periods=3, datapoints_to_alarm=3,
    )
    # two periods of history for a 3-period alarm: the third is missing
    kw = dict(threshold=THRESHOLD, comparison_operator="GreaterThanThreshold",
              evaluation_periods=3, datapoints_to_alarm=3)
    assert alarm_state([15.0, 15.0], **kw) == "INSUFFICIENT_DATA"
    assert alarm_state([15.0, 15.0], **kw, treat_missing_data="breaching") == "ALARM"


def test_bad_arguments_are_named():
    kw = dict(threshold=1, comparison_operator="GreaterThanThreshold", evaluation_periods=3)
    with pytest.raises(ValueError, match="datapoints_to_alarm"):
        alarm_state([1, 2, 3], **kw, datapoints_to_alarm=4)
    with pytest.raises(ValueError, match="treat_missing_data"):
        alarm_state([1, 2, 3], **kw, datapoints_to_alarm=3, treat_missing_data="zero")
    with pytest.raises(ValueError, match="comparison_operator"):
        breaches(1, 2, "Above")


symbols = st.lists(st.sampled_from("0X-"), min_size=1, max_size=8)


@given(symbols, st.integers(1, 5), st.data())
def test_treatments_order(text, n, data):
    """Filling missing points as breaching never gives a 'better' state than notBreaching, and
    with N real points the treatment does not matter."""
    m = data.draw(st.integers(1, n))
    text = " ".join(text)
    states = {t: evaluate(text, m, n=n, treat=t) for t in TREATMENTS}
    assert states["breaching"] != "INSUFFICIENT_DATA" and states["notBreaching"] != "INSUFFICIENT_DATA"
    if states["notBreaching"] == "ALARM":
        assert states["breaching"] == "ALARM"
    if sum(c != "-" for c in text.split()) >= n:
        assert len(set(states.values())) == 1

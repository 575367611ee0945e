"""CloudWatch metric alarm evaluation: the state an alarm takes from its recent datapoints.

Rules from the Amazon CloudWatch User Guide, "Using Amazon CloudWatch alarms": "Evaluating an
alarm" (M out of N), "Configuring how CloudWatch alarms treat missing data" (the evaluation
range and its two example tables) and "Avoiding premature transitions to alarm state".
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from ..metric_catalogue import COMPARISON_OPERATORS

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
_COMPARE = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}


def breaches(value: float, threshold: float, comparison_operator: str) -> bool:
    """Whether one datapoint breaches: ``value <op> threshold``, the statistic being the first
    operand (API Reference, PutMetricAlarm ComparisonOperator)."""
    try:
        compare = _COMPARE[COMPARISON_OPERATORS[comparison_operator]]
    except KeyError:
        expected = ", ".join(COMPARISON_OPERATORS)
        raise ValueError(f"expected comparison_operator one of {expected}; got {comparison_operator!r}") from None
    return bool(compare(value, threshold))


def _real_newest_first(datapoints, threshold: float, comparison_operator: str) -> list:
    """(age, breaching) of every real datapoint, newest first."""
    # Alarms evaluate every period: the operator is looked up once, not per datapoint; an
    # unknown one still fails as breaches() says, at the first real datapoint.
    compare = _COMPARE.get(COMPARISON_OPERATORS.get(comparison_operator))
    if compare is None:
        compare = lambda value, _: breaches(value, threshold, comparison_operator)  # noqa: E731
    # Age counts back from the newest slot of the range, which is 1 period old.
    return [(age, bool(compare(float(v), threshold)))
            for age, v in enumerate(reversed(datapoints), start=1)
            if v is not None and v == v]    # NaN of any float type, numpy's included, is missing


def alarm_state(
    datapoints: Sequence[float | None],
    *,
    threshold: float,
    comparison_operator: str,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing_data: str = "missing",
    previous_state: str = INSUFFICIENT_DATA,
) -> str:
    """The alarm's new state, "OK", "ALARM" or "INSUFFICIENT_DATA".

    ``datapoints`` is the evaluation range, one value per period, oldest first; None or NaN is
    a missing datapoint.  CloudWatch reads more periods than EvaluationPeriods (N), e.g. 5 for
    N = 3; a range shorter than N is padded with missing periods at its old end.

    - N or more real datapoints in the range: the N most recent real ones are evaluated ("the
      value you set for how to treat missing data is not needed and is ignored"): ALARM when at
      least DatapointsToAlarm (M) breach, not necessarily in a row, otherwise OK.
    - Fewer than N: CloudWatch "fills in the missing data points with the result you specified
      for how to treat missing data", and "all real data points in the evaluation range are
      included in the evaluation"; it "uses missing data points only as few times as possible",
      so N minus the real count are filled.  ``breaching`` counts them as breaching,
      ``notBreaching`` as not.
    - ``missing`` does not count them.  M real breaching points alarm; otherwise a real
      non-breaching point makes the alarm OK (the tables' rows ``0 - - - -`` and, for 2 of 3,
      ``0 - X - -`` and ``- - - - 0``).  With only breaching points, fewer than M, the premature
      rule decides: the alarm goes to ALARM "when the oldest available breaching datapoint ...
      is at least as old as the value of Datapoints to Alarm, and all other more recent data
      points are breaching or missing" (``- - X - -`` for 3 of 3, ``- - - X -`` for 2 of 3);
      otherwise there is not enough data (``- - - - X``: INSUFFICIENT_DATA).  An empty range is
      INSUFFICIENT_DATA ("If all data points in the alarm evaluation range are missing, the
      alarm transitions to INSUFFICIENT_DATA").
    - ``ignore`` ("The current alarm state is maintained") decides like ``missing`` where the
      real points suffice, and keeps ``previous_state`` wherever ``missing`` would rely on the
      premature rule or report INSUFFICIENT_DATA: the tables' IGNORE column says "Retain current
      state" in exactly those rows.

    Age counts periods back from the newest slot of the range (the newest is 1 period old).
    The premature rule looks at the whole evaluation range, not only the last N slots (the
    guide's M-out-of-N sentence says "during the evaluation range"), so ``X - - - -`` (3 of 3)
    alarms, as a row in an earlier revision of the guide's table says.
    """
    if treat_missing_data not in TREATMENTS:
        raise ValueError(f"expected treat_missing_data one of {', '.join(TREATMENTS)}; got {treat_missing_data!r}")
    if previous_state not in STATES:
        raise ValueError(f"expected previous_state one of {', '.join(STATES)}; got {previous_state!r}")
    n, m = int(evaluation_periods), int(datapoints_to_alarm)
    if n < 1 or not 1 <= m <= n:
        raise ValueError(f"expected 1 <= datapoints_to_alarm <= evaluation_periods; got {m} out of {n}")

    real = _real_newest_first(datapoints, threshold, comparison_operator)

    if len(real) >= n:
        return ALARM if sum(b for _, b in real[:n]) >= m else OK

    breaching = sum(b for _, b in real)
    if treat_missing_data == "breaching":
        return ALARM if breaching + (n - len(real)) >= m else OK
    if treat_missing_data == "notBreaching":
        return ALARM if breaching >= m else OK

    undecided = INSUFFICIENT_DATA if treat_missing_data == "missing" else previous_state
    if breaching >= m:
        return ALARM
    if breaching < len(real):  # a real non-breaching point
        return OK
    if real and real[-1][0] >= m:  # premature rule; every real point is breaching here
        return ALARM if treat_missing_data == "missing" else previous_state
    return undecided

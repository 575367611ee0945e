"""CloudWatch datapoints as a table: the console graph's "Download as .csv", or any export of
the same shape.

    Label,CPUUtilization,RequestCount,RunningTaskCount
    2026-01-05 00:00:00,38.2,54000,2
    2026-01-05 00:01:00,37.9,,2

The first column is the time (ISO 8601, or `YYYY-MM-DD HH:MM:SS`; UTC unless an offset is
given) and each other column one series, headed by its legend label. The label is matched to
the metric it names by the longest metric name it contains ("checkout CPUUtilization
(Average)" is CPUUtilization); a column that names no metric the simulator reads is kept under
its own label. An empty cell is a period with no datapoint. The frame is read_metric_data's.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from .files import bad_line, numbered_lines

# The CloudWatch metrics a calibration or backtest reads, longest first so that a label naming
# RequestCountPerTarget is not taken for RequestCount.
METRIC_NAMES = tuple(sorted((
    "CPUUtilization", "MemoryUtilization", "RequestCount", "RequestCountPerTarget", "RunningTaskCount",
    "DesiredTaskCount", "PendingTaskCount", "TargetResponseTime", "HTTPCode_Target_5XX_Count",
    "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_2XX_Count", "HTTPCode_Target_4XX_Count", "HealthyHostCount",
    "UnHealthyHostCount", "ActiveConnectionCount", "NewConnectionCount", "RejectedConnectionCount",
    "CPUReservation", "MemoryReservation"), key=len, reverse=True))
_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def looks_like_metric_csv(head: str) -> bool:
    """Whether a file's first lines are such a table: a header naming a metric, then a time."""
    lines = head.splitlines()
    return (len(lines) >= 2 and "," in lines[0] and any(name in lines[0] for name in METRIC_NAMES)
            and _DATE.match(lines[1]) is not None)


def read_metric_csv(path: str | Path) -> pd.DataFrame:
    file = Path(path)
    lines = numbered_lines(file)
    try:
        _, header_line = next(lines)
    except StopIteration:
        raise bad_line(file, 1, "a header row: the time, then one column per metric", "an empty file") from None
    header = next(csv.reader([header_line]))
    labels = [_metric_of(h) for h in header[1:]]
    rows: list[tuple[str, str, float, float]] = []
    for number, line in lines:
        if not line.strip():
            continue
        cells = next(csv.reader([line]))
        if len(cells) != len(header):
            raise bad_line(file, number, f"{len(header)} comma-separated cells, as the header has", str(len(cells)))
        time_s = _seconds(file, number, cells[0])
        for column, (ident, label, cell) in enumerate(zip(header[1:], labels, cells[1:]), start=2):
            if cell.strip() == "":
                continue
            try:
                value = float(cell)
            except ValueError:
                raise bad_line(file, number, f"a number in column {column} ({ident})", repr(cell)) from None
            rows.append((ident, label, time_s, value))
    frame = pd.DataFrame.from_records(rows, columns=("id", "label", "time_s", "value"))
    return frame.drop_duplicates(["id", "time_s"]).sort_values(["id", "time_s"], kind="stable").reset_index(drop=True)


def _metric_of(label: str) -> str:
    for name in METRIC_NAMES:
        if name in label:
            return name
    return label.strip()


def _seconds(file: Path, number: int, text: str) -> float:
    try:
        stamp = pd.Timestamp(text.strip()) if _DATE.match(text) else None
    except ValueError:
        stamp = None
    if stamp is None:
        raise bad_line(file, number, "a time such as 2026-01-05 00:01:00 or 2026-01-05T00:01:00Z in the first column",
                       repr(text))
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.value / 1e9

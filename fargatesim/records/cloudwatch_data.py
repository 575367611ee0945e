"""CloudWatch datapoints as `aws cloudwatch get-metric-data` prints them.

    {"MetricDataResults": [{"Id": "cpu", "Label": "CPUUtilization", "Timestamps": [...],
      "Values": [...], "StatusCode": "Complete"}], "Messages": []}

Timestamps come newest first (the API's default ScanBy TimestampDescending), as ISO 8601 text
from the CLI (or seconds since 1970 from CLI version 1 and the SDKs). A long period is fetched
in pages (NextToken): a folder of one file per page is read as one series per Id. The result is
one row per datapoint, oldest first. A file that is the console's CSV download instead is read
by cloudwatch_csv.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import ScenarioError
from .cloudwatch_csv import looks_like_metric_csv, read_metric_csv
from .files import aws_time, binary, json_output


def read_metric_data(path: str | Path) -> pd.DataFrame:
    """Columns id, label, time_s (seconds since 1970, UTC), value; sorted by id, then time.
    A datapoint given twice (overlapping pages) is kept once."""
    root = Path(path)
    if root.is_file() and _is_csv(root):
        return read_metric_csv(root)
    files = sorted(root.glob("*.json")) if root.is_dir() else [root]
    rows: list[tuple[str, str, float, float]] = []
    for file in files:
        for i, result in enumerate(json_output(file, "MetricDataResults", "aws cloudwatch get-metric-data")):
            where = f"MetricDataResults[{i}]"
            stamps, values = result.get("Timestamps", []), result.get("Values", [])
            if not isinstance(stamps, list) or not isinstance(values, list) or len(stamps) != len(values):
                raise ScenarioError("expected Timestamps and Values, two lists of the same length", file=str(file),
                                    path=where)
            ident = str(result.get("Id", ""))
            label = str(result.get("Label", ident))
            for j, (stamp, value) in enumerate(zip(stamps, values)):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ScenarioError(f"expected a number; got {value!r}", file=str(file),
                                        path=f"{where}.Values[{j}]")
                rows.append((ident, label, aws_time(stamp, file, f"{where}.Timestamps[{j}]"), float(value)))
    frame = pd.DataFrame.from_records(rows, columns=("id", "label", "time_s", "value"))
    frame = frame.drop_duplicates(["id", "time_s"]).sort_values(["id", "time_s"], kind="stable")
    return frame.reset_index(drop=True)


def metric_series(frame: pd.DataFrame | None, name: str) -> pd.Series | None:
    """The datapoints of metric `name` in a read_metric_data frame, indexed by time_s: the
    series labelled `name` (the console CSV's labels are matched to their metric on reading),
    or whose query Id ends with it (an Id such as "cpu_CPUUtilization"). None when there is none."""
    if frame is None:
        return None
    rows = frame[(frame["label"] == name) | (frame["id"].str.lower().str.endswith(name.lower()))]
    if rows.empty:
        return None
    return pd.Series(rows["value"].to_numpy(dtype=float), index=rows["time_s"].to_numpy())


def _is_csv(file: Path) -> bool:
    with binary(file) as stream:
        return looks_like_metric_csv(stream.read(4096).decode("utf-8-sig", errors="replace"))


def metric_data_document(series: list[tuple[str, str, np.ndarray, np.ndarray]]) -> dict:
    """The get-metric-data output of (id, label, time_s, values) series: newest first, as AWS
    returns them, with the periods that have no datapoint (NaN) left out."""
    results = []
    for ident, label, times, values in series:
        times, values = np.asarray(times, dtype=np.float64), np.asarray(values, dtype=np.float64)
        keep = ~np.isnan(values)
        order = np.argsort(-times[keep], kind="stable")
        stamps = np.datetime_as_string((times[keep][order] * 1e6).astype("datetime64[us]"), unit="s")
        results.append({"Id": ident, "Label": label, "Timestamps": [f"{s}+00:00" for s in stamps],
                        "Values": [float(v) for v in values[keep][order]], "StatusCode": "Complete"})
    return {"MetricDataResults": results, "Messages": []}

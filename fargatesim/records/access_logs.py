"""Web server access logs: Common Log Format and Combined Log Format (nginx, Apache).

    host ident authuser [10/Jul/1995:00:00:01 -0400] "GET /history/apollo/ HTTP/1.0" 200 6245
    host - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://ref/" "Mozilla/4.08"

The time is the request's arrival, to the second. A request line the server could not parse is
written as it came (NASA's 1995 logs hold some); its method and path are then empty, and the
request still counts. Fields a server adds after the Combined ones (nginx's request time, say)
are read past.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .files import bad_line, log_files, numbered_lines

_LINE = re.compile(r'(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
                   r'(?P<status>\d{3}|-) (?P<bytes>\d+|-)'
                   r'(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?')
CHUNK_LINES = 200_000


def read_access_logs(path: str | Path, *, chunk_lines: int = CHUNK_LINES) -> Iterator[pd.DataFrame]:
    """The requests of the log file or folder, CHUNK_LINES at a time.

    Columns: arrival_s (seconds since 1970, UTC, whole seconds), host, method, path, status (-1
    for `-`), bytes (0 for `-`), and referer and user_agent ("" in Common Log Format).
    """
    stamps: dict[str, float] = {}      # a busy second's lines share one parse
    for file in log_files(path):
        rows: list[tuple] = []
        for number, line in numbered_lines(file):
            m = _LINE.match(line)
            if m is None:
                raise bad_line(file, number, 'a Common or Combined Log Format line: host ident user [time] "request" '
                               "status bytes", line)
            stamp = m["time"]
            if stamp not in stamps:
                stamps[stamp] = _seconds(file, number, stamp)
            method, _, rest = m["request"].partition(" ")
            target = rest.partition(" ")[0] if rest else ""
            rows.append((stamps[stamp], m["host"], method if rest else "", target,
                         -1 if m["status"] == "-" else int(m["status"]),
                         0 if m["bytes"] == "-" else int(m["bytes"]), m["referer"] or "", m["agent"] or ""))
            if len(rows) >= chunk_lines:
                yield _frame(rows)
                rows = []
        if len(stamps) > 1_000_000:
            stamps.clear()
        if rows:
            yield _frame(rows)


def access_log_frame(path: str | Path) -> pd.DataFrame:
    chunks = list(read_access_logs(path))
    return pd.concat(chunks, ignore_index=True) if chunks else _frame([])


def _seconds(file: Path, number: int, stamp: str) -> float:
    try:
        return datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        raise bad_line(file, number, "a time such as [10/Jul/1995:00:00:01 -0400]", f"[{stamp}]") from None


def _frame(rows: list[tuple]) -> pd.DataFrame:
    columns = ("arrival_s", "host", "method", "path", "status", "bytes", "referer", "user_agent")
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["arrival_s"] = frame["arrival_s"].astype(np.float64)
    frame["status"] = frame["status"].astype(np.int16)
    frame["bytes"] = frame["bytes"].astype(np.int64)
    return frame

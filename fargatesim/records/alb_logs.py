"""Application Load Balancer access logs, in the format AWS documents.

One line per request, space-separated, some fields in double quotes ("Access logs for your
Application Load Balancer", Elastic Load Balancing user guide):

    type time elb client:port target:port request_processing_time target_processing_time
    response_processing_time elb_status_code target_status_code received_bytes sent_bytes
    "request" "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
    "chosen_cert_arn" matched_rule_priority request_creation_time "actions_executed"
    "redirect_url" "error_reason" "target:port_list" "target_status_code_list"
    "classification" "classification_reason" conn_trace_id ...

AWS adds fields at the end over the years, so a line may hold more (they are read past) or, from
an older load balancer, fewer: the first thirteen, up to the request, are required. `-` stands
for a missing value; the three processing times are -1 when the load balancer could not send
the request to a target (or, for the last two, got no answer), and read as NaN here.

`time` is when the load balancer sent the response; `request_creation_time` when it received
the request, which is the arrival a simulation replays (where an older line lacks it, the
arrival is the time less the processing times that were measured).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .files import bad_line, log_files, numbered_lines

TYPES = ("http", "https", "h2", "grpcs", "ws", "wss")
_Q = r'"([^"\\]*(?:\\.[^"\\]*)*)"'    # a quoted field (an escaped quote inside is kept)
_S = r"(\S+)"
# The documented fields up to those the readers keep, each later group optional as older load
# balancers wrote fewer; what follows (fields AWS added since) is read past.
_ENTRY = re.compile(
    " ".join([_S] * 12) + " " + _Q
    + "(?: " + _Q + " " + " ".join([_S] * 3) + " " + _Q
    + "(?: " + _Q + " " + _Q + " " + _S + " " + _S + " " + _Q + " " + _Q + " " + _Q
    + "(?: " + _Q + " " + _Q + " " + _Q + ")?)?)?")
# group number (0-based) of each field the readers keep
_GROUP = {name: i for i, name in enumerate(
    ("type", "time", "elb", "client", "target", "request_processing_time", "target_processing_time",
     "response_processing_time", "elb_status_code", "target_status_code", "received_bytes", "sent_bytes", "request",
     "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn", "trace_id", "domain_name", "chosen_cert_arn",
     "matched_rule_priority", "request_creation_time", "actions_executed", "redirect_url", "error_reason",
     "target_port_list", "target_status_code_list", "classification"))}
REQUIRED = 13
# Lines a chunk holds: a few tens of MB of text, whatever the size of the logs.
CHUNK_LINES = 50_000
_KEPT = ("type", "elb", "target", "target_group_arn", "actions_executed", "error_reason", "classification")


def read_alb_logs(path: str | Path, *, chunk_lines: int = CHUNK_LINES) -> Iterator[pd.DataFrame]:
    """The requests of the log file or folder, CHUNK_LINES at a time, in file order.

    Columns: arrival_s and time_s (seconds since 1970, UTC), the three processing times in
    seconds (NaN for -1), elb_status_code and target_status_code (-1 for `-`), received_bytes,
    sent_bytes, method and url (from the request), and type, elb, target, target_group_arn,
    actions_executed, error_reason, classification as text ("" for `-` or an older line's
    missing field).
    """
    for file in log_files(path):
        rows: list[tuple[int, tuple]] = []
        for number, line in numbered_lines(file):
            rows.append((number, _fields(file, number, line)))
            if len(rows) >= chunk_lines:
                yield _frame(file, rows)
                rows = []
        if rows:
            yield _frame(file, rows)


def alb_log_frame(path: str | Path) -> pd.DataFrame:
    """Every request of the logs in one DataFrame (for logs that fit in memory)."""
    chunks = list(read_alb_logs(path))
    return pd.concat(chunks, ignore_index=True) if chunks else _frame(Path(path), [])


def _fields(file: Path, number: int, line: str) -> tuple:
    m = _ENTRY.match(line)
    if m is None:
        raise bad_line(file, number, f"an ALB access log entry of at least {REQUIRED} fields (type, time, elb, ... "
                       f"\"request\")", line)
    fields = m.groups()
    if fields[0] not in TYPES:
        raise bad_line(file, number, f"an ALB access log entry starting with its type ({', '.join(TYPES)})",
                       repr(fields[0]))
    return fields


def _frame(file: Path, rows: list[tuple[int, tuple]]) -> pd.DataFrame:
    numbers = [n for n, _ in rows]

    by_field = list(zip(*(f for _, f in rows))) if rows else [()] * len(_GROUP)

    def column(name: str) -> list[str]:
        values = by_field[_GROUP[name]]
        return ["-" if v is None else v for v in values] if _GROUP[name] >= REQUIRED else list(values)

    time_s = _times(file, numbers, column("time"), "time")
    seconds = {k: _numbers(file, numbers, column(k), k, float) for k in
               ("request_processing_time", "target_processing_time", "response_processing_time")}
    for values in seconds.values():
        values[values == -1] = np.nan
    created = column("request_creation_time")
    measured = np.nansum(np.vstack(list(seconds.values())), axis=0) if rows else np.zeros(0)
    arrival_s = np.where([c == "-" for c in created], time_s - measured,
                         _times(file, numbers, created, "request_creation_time", missing_ok=True))
    method, url = zip(*(_request(r) for r in column("request"))) if rows else ((), ())
    frame = pd.DataFrame({
        "arrival_s": arrival_s, "time_s": time_s, **seconds,
        "elb_status_code": _numbers(file, numbers, column("elb_status_code"), "elb_status_code", int, "-"),
        "target_status_code": _numbers(file, numbers, column("target_status_code"), "target_status_code", int, "-"),
        "received_bytes": _numbers(file, numbers, column("received_bytes"), "received_bytes", int, "-"),
        "sent_bytes": _numbers(file, numbers, column("sent_bytes"), "sent_bytes", int, "-"),
        "method": list(method), "url": list(url),
    })
    for name in _KEPT:
        frame[name] = ["" if v == "-" else v for v in column(name)]
    return frame


def _request(text: str) -> tuple[str, str]:
    # "GET http://www.example.com:80/ HTTP/1.1"; "- - -" when the load balancer could not parse it
    parts = text.split(" ")
    if len(parts) >= 2 and parts[0] != "-":
        return parts[0], parts[1]
    return "", ""


def _numbers(file, numbers, values, name, kind, missing=None) -> np.ndarray:
    """The column as numbers (-1 for `missing`); a value that is not one names its line."""
    dtype = np.float64 if kind is float else np.int64
    cleaned = ["-1" if v == missing else v for v in values]
    try:
        return np.array(cleaned, dtype=np.float64).astype(dtype) if kind is float else \
            np.array([int(v) for v in cleaned], dtype=dtype)
    except ValueError:
        for n, v in zip(numbers, cleaned):
            try:
                kind(v)
            except ValueError:
                raise bad_line(file, n, f"{name} as a number{' or -' if missing else ''}", repr(v)) from None
        raise


def _times(file, numbers, values, name, *, missing_ok: bool = False) -> np.ndarray:
    """ISO 8601 UTC times (2018-07-02T22:23:00.186641Z) as seconds since 1970."""
    cleaned = [v[:-1] if v.endswith("Z") else v for v in values]
    if missing_ok:
        cleaned = ["NaT" if v == "-" else v for v in cleaned]
    try:
        stamps = np.array(cleaned, dtype="datetime64[us]")
    except ValueError:
        for n, v in zip(numbers, cleaned):
            try:
                np.datetime64(v, "us")
            except ValueError:
                raise bad_line(file, n, f"{name} as an ISO 8601 time such as 2018-07-02T22:23:00.186641Z",
                               repr(v + "Z")) from None
        raise
    seconds = stamps.astype(np.int64) / 1e6
    return np.where(np.isnat(stamps), np.nan, seconds)


def alb_log_lines(arrival_s, response_s, target_s, elb_status, target_status, *, elb: str, target: str,
                  target_group_arn: str) -> Iterator[str]:
    """Access log lines in the documented layout, one per request: arrival and response times
    in seconds since 1970, the target's processing time (NaN: the request reached no target,
    written -1 with the other two), the load balancer's and the target's status codes (-1: `-`)."""
    created = _iso(arrival_s)
    sent = _iso(response_s)
    for i in range(len(created)):
        reached = not np.isnan(target_s[i])
        times = f"0.000 {target_s[i]:.3f} 0.000" if reached else "-1 -1 -1"
        code = str(target_status[i]) if target_status[i] >= 0 else "-"
        where = target if reached else "-"
        yield (f'http {sent[i]} {elb} 192.0.2.10:40000 {where} {times} {elb_status[i]} {code} 0 0 '
               f'"GET http://service.internal:80/ HTTP/1.1" "fargatesim" - - {target_group_arn} '
               f'"Root=1-00000000-{i:024x}" "-" "-" 0 {created[i]} "forward" "-" "-" "{where}" "{code}" "-" "-"\n')


def _iso(seconds) -> np.ndarray:
    stamps = (np.asarray(seconds, dtype=np.float64) * 1e6).round().astype("datetime64[us]")
    return np.char.add(np.datetime_as_string(stamps, unit="us"), "Z")

"""Access logs boiled down, in one streaming pass, to what calibration and backtests read.

    summary = summarise_requests(alb_files, access_log_files)
    summary.arrivals()            # requests per second, gaps as 0
    summary.minutes()             # per minute: requests, target time mean and variance, p50, p99
    summary.timeouts_s            # how long each 504 that reached no answer had waited

What is kept grows with the recorded period, not with the number of requests: arrivals per
second, and per minute the moments of the target's processing time and a histogram of it on
logarithmic bins, each bin LATENCY_BIN_RATIO wide, so that a percentile read from it is within
half a bin (1 %) of the exact one. Only ALB logs hold processing times; Common Log Format logs
add their arrivals.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .access_logs import read_access_logs
from .alb_logs import read_alb_logs

LATENCY_BIN_RATIO = 1.02
SMALLEST_LATENCY_S = 1e-4        # times below this (a tenth of a millisecond) share the first bin
_LOG_RATIO = np.log(LATENCY_BIN_RATIO)
# Partial tallies are merged once this many have piled up, which bounds the memory of a long pass.
_MERGE_EVERY = 64


@dataclass
class RequestSummary:
    files: int = 0
    requests: int = 0
    timeouts_s: list[float] = field(default_factory=list)
    _seconds: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _bins: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _moments: list[pd.DataFrame] = field(default_factory=list)

    @property
    def timed(self) -> bool:
        """Whether the logs held the target's processing times (ALB logs do, CLF logs do not)."""
        return bool(self._moments)

    def arrivals(self) -> pd.DataFrame:
        """Columns time_s (seconds since 1970, each second from the first arrival to the last)
        and requests."""
        seconds, counts = _merge(self._seconds)
        if not len(seconds):
            return pd.DataFrame({"time_s": np.zeros(0, np.int64), "requests": np.zeros(0, np.int64)})
        every = np.arange(seconds[0], seconds[-1] + 1)
        filled = np.zeros(len(every), dtype=np.int64)
        filled[seconds - seconds[0]] = counts
        return pd.DataFrame({"time_s": every, "requests": filled})

    def minutes(self) -> pd.DataFrame:
        """Per minute with answered requests (index: the minute's start, seconds since 1970):
        answered, target_mean_s and target_var_s2 (of the target's processing time), p50_s, p99_s."""
        if not self._moments:
            return pd.DataFrame(columns=["answered", "target_mean_s", "target_var_s2", "p50_s", "p99_s"])
        sums = pd.concat(self._moments).groupby(level=0).sum().sort_index()
        mean = sums["sum"] / sums["n"]
        var = (sums["sumsq"] / sums["n"] - mean ** 2).clip(lower=0) * sums["n"] / (sums["n"] - 1).clip(lower=1)
        out = pd.DataFrame({"answered": sums["n"].astype(np.int64), "target_mean_s": mean, "target_var_s2": var})
        keys, counts = _merge(self._bins)
        for q, name in ((0.5, "p50_s"), (0.99, "p99_s")):
            out[name] = _percentile(keys, counts, q).reindex(out.index)
        return out

    def add_alb(self, chunk: pd.DataFrame) -> None:
        self._add_arrivals(chunk["arrival_s"].to_numpy())
        target = chunk["target_processing_time"].to_numpy()
        answered = ~np.isnan(target) & (chunk["target_status_code"].to_numpy() >= 0)
        # A 504 with no answer waited out the idle timeout: its time in the load balancer is it.
        timed_out = (chunk["elb_status_code"].to_numpy() == 504) & ~answered
        self.timeouts_s += (chunk["time_s"].to_numpy()[timed_out] - chunk["arrival_s"].to_numpy()[timed_out]).tolist()
        minute = (np.floor(chunk["arrival_s"].to_numpy()[answered] / 60) * 60).astype(np.int64)
        t = target[answered]
        self._moments.append(pd.DataFrame({"n": 1, "sum": t, "sumsq": t * t}, index=minute).groupby(level=0).sum())
        bins = np.floor(np.log(np.maximum(t, SMALLEST_LATENCY_S) / SMALLEST_LATENCY_S) / _LOG_RATIO).astype(np.int64)
        self._bins.append(np.unique(minute * 100_000 + bins, return_counts=True))
        if len(self._moments) >= _MERGE_EVERY:
            self._moments = [pd.concat(self._moments).groupby(level=0).sum()]
            self._bins = [_merge(self._bins)]

    def _add_arrivals(self, arrival_s: np.ndarray) -> None:
        self.requests += len(arrival_s)
        self._seconds.append(np.unique(np.floor(arrival_s).astype(np.int64), return_counts=True))
        if len(self._seconds) >= _MERGE_EVERY:
            self._seconds = [_merge(self._seconds)]


def summarise_requests(alb_logs: list[Path], access_logs: list[Path] = (), *,
                       chunk_lines: int | None = None) -> RequestSummary:
    """One pass over the logs; chunk_lines (default: each reader's own) bounds what is read at once."""
    sizes = {} if chunk_lines is None else {"chunk_lines": chunk_lines}
    summary = RequestSummary()
    for file in alb_logs:
        summary.files += 1
        for chunk in read_alb_logs(file, **sizes):
            summary.add_alb(chunk)
    for file in access_logs:
        summary.files += 1
        for chunk in read_access_logs(file, **sizes):
            summary._add_arrivals(chunk["arrival_s"].to_numpy())
    return summary


def _merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Tallies of (key, count) pairs, added up by key, keys ascending."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = np.concatenate([k for k, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    unique, where = np.unique(keys, return_inverse=True)
    return unique, np.bincount(where, weights=counts, minlength=len(unique)).astype(np.int64)


def _percentile(keys: np.ndarray, counts: np.ndarray, q: float) -> pd.Series:
    """Per minute, the q-quantile read off its histogram: the geometric middle of the bin in
    which the running count first reaches q of the minute's requests."""
    minute, bins = keys // 100_000, keys % 100_000
    frame = pd.DataFrame({"minute": minute, "bin": bins, "n": counts})
    running = frame.groupby("minute")["n"].cumsum()
    total = frame.groupby("minute")["n"].transform("sum")
    first = frame[running >= q * total].groupby("minute")["bin"].first()
    return SMALLEST_LATENCY_S * np.exp((first + 0.5) * _LOG_RATIO)

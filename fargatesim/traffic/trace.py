"""Request-rate traces: CSV files of `time_s,requests`, one row per fixed-size bin.

A trace is a piecewise-constant rate (counts / bin_s on each bin). Its time axis starts at its
first bin, whatever that bin's `time_s` says, so a trace cut out of a longer log need not be
renumbered.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = "time_s,requests"
# A row a second for 455 days, the longest run, is 39 million rows, under 700 MB of CSV. The
# bound keeps a wrong path (a disk image, a log of years) from being read whole into memory.
MAX_TRACE_BYTES = 1 << 30
# The most requests one bin may hold: whole numbers are exact in float64 up to 2^53, and the
# simulator adds the bins up as requests (see scenario/traffic.py, MAX_REQUESTS).
MAX_BIN_REQUESTS = 2.0**53

# Times are seconds from any origin, Unix time included (1.7e9 today); a time beyond 1e12 s
# (31,700 years) is a mistake, and one near 1e308 makes the trace's length infinite.
MAX_TRACE_TIME_S = 1e12

# Same size as a bin, up to the rounding of decimal times such as 0.1, 0.2, 0.30000000000000004.
_BIN_TOLERANCE = 1e-6

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


class TraceError(ValueError):
    """A trace file that cannot be used; the message says what was expected and what was found.

    A trace is any file a scenario names, possibly not the user's own (a scenario pointing at
    /etc/shadow), and messages end up in terminals, CI logs and bug reports: so no message
    quotes text from the file. Each says where (line, column) and what was expected there;
    only values that already parsed as numbers are shown (a time that goes backwards).
    """


class TraceNotFound(TraceError):
    """There is no file at the trace's path."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO), which may never end"),
    (stat.S_ISCHR, "a device, which may never end"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def not_a_file(mode: int) -> str | None:
    """What a file of this st_mode is when it is not a regular file ("a folder", ...), or None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


@dataclass(frozen=True, eq=False)
class Trace:
    """A loaded trace. Arrays are read-only because loaded traces are cached and shared."""

    times: np.ndarray  # start of each bin, seconds, as written in the file
    counts: np.ndarray  # requests in each bin
    bin_s: float

    @property
    def rates(self) -> np.ndarray:
        return self.counts / self.bin_s

    @property
    def duration(self) -> float:
        return len(self.counts) * self.bin_s

    @property
    def total(self) -> float:
        return float(self._cumulative[-1])

    @functools.cached_property
    def _cumulative(self) -> np.ndarray:
        # Requests before each bin edge; len(counts) + 1 values.
        cum = np.concatenate(([0.0], np.cumsum(self.counts)))
        cum.flags.writeable = False
        return cum

    def _position(self, tau: np.ndarray, loop: bool) -> tuple[np.ndarray, np.ndarray]:
        # Splits trace time into whole passes through the trace and the time into the current one.
        tau = np.asarray(tau, dtype=float)
        if loop:
            passes = np.floor(tau / self.duration)
            return passes, np.clip(tau - passes * self.duration, 0.0, self.duration)
        return np.zeros_like(tau), np.clip(tau, 0.0, self.duration)

    def rate_at(self, tau: np.ndarray, *, loop: bool) -> np.ndarray:
        """Rate at trace time tau (seconds from the first bin); 0 outside the trace unless looped."""
        tau = np.asarray(tau, dtype=float)
        _, into = self._position(tau, loop)
        j = np.minimum((into // self.bin_s).astype(np.int64), len(self.counts) - 1)
        rate = self.counts[j] / self.bin_s
        if loop:
            return rate
        return np.where((tau >= 0) & (tau < self.duration), rate, 0.0)

    def requests_before(self, tau: np.ndarray, *, loop: bool) -> np.ndarray:
        """Requests from trace time 0 to tau: the exact integral of the piecewise-constant rate."""
        passes, into = self._position(tau, loop)
        j = np.minimum((into // self.bin_s).astype(np.int64), len(self.counts) - 1)
        partial = self.counts[j] * ((into - j * self.bin_s) / self.bin_s)
        return passes * self._cumulative[-1] + self._cumulative[j] + partial


def load_trace(path: os.PathLike | str) -> Trace:
    """Load and validate a trace CSV; repeated loads of an unchanged file return the same Trace."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise TraceNotFound(f"expected a readable CSV file, but it cannot be opened: {exc.strerror}") from None
    except OSError as exc:
        raise TraceError(f"expected a readable CSV file, but it cannot be opened: {exc.strerror}") from None
    what = not_a_file(info.st_mode)
    if what is not None:
        raise TraceError(f"expected a readable CSV file; got {what}")
    if info.st_size > MAX_TRACE_BYTES:
        raise TraceError(f"expected a CSV file of at most {MAX_TRACE_BYTES >> 20} MiB (a row a second for 455 days, "
                         f"the longest run, is under 700 MB); this one is {info.st_size / 2**20:,.0f} MiB")
    return _load_cached(str(path.resolve()), info.st_mtime_ns, info.st_size)


# Scenarios are often run many times in one process (sweeps, tests); a week at 1 s bins is
# 600k rows, worth parsing once. Keyed on mtime and size so an edited file is re-read.
@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Trace:
    return _parse(Path(path))


def _parse(path: Path) -> Trace:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            header = f.readline()
            has_rows = any(line.strip() for line in f)  # stops at the first row
    except UnicodeDecodeError:
        raise TraceError("expected a UTF-8 text CSV file, but it holds binary data") from None
    except OSError as exc:
        raise TraceError(f"expected a readable CSV file, but it cannot be read: {exc.strerror}") from None

    if not header.strip():
        raise TraceError(f"expected a header '{HEADER}' and one row per bin, but the file is empty")
    if header.strip() != HEADER:
        raise TraceError(f"expected the header '{HEADER}' on line 1; {_header_difference(header)}")
    if not has_rows:
        raise TraceError(f"expected at least one row after the header '{HEADER}', but there are none")

    times, counts = _read_fast(path)
    if times is None:
        times, counts = _read_slowly(path)
    _check_values(times, counts)
    bin_s = _check_bins(times)
    for arr in (times, counts):
        arr.flags.writeable = False
    return Trace(times=times, counts=counts, bin_s=bin_s)


def _header_difference(header: str) -> str:
    names = [name.strip() for name in header.strip().split(",")]
    if sorted(names) == sorted(HEADER.split(",")):
        return "its columns are in the other order"
    if len(names) != 2:
        return f"line 1 has {len(names)} comma-separated field{'s' if len(names) != 1 else ''}, not 2"
    missing = [name for name in HEADER.split(",") if name not in names]
    return f"line 1 names 2 columns, but not {' or '.join(missing)}"


def _read_fast(path: Path) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """The C parser, for well-formed files; (None, None) if the file needs a closer look."""
    import pandas as pd  # imported here: reading a scenario needs no pandas unless it has a trace

    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", skip_blank_lines=False, engine="c")
    except (pd.errors.ParserError, ValueError, OSError):
        return None, None
    if list(frame.columns) != ["time_s", "requests"]:
        return None, None
    if not all(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns):
        return None, None
    times = frame["time_s"].to_numpy(dtype=float, copy=True)
    counts = frame["requests"].to_numpy(dtype=float, copy=True)
    if not (np.isfinite(times).all() and np.isfinite(counts).all()):
        return None, None  # includes blank lines, which the slow path ignores only at the end
    return times, counts


def _read_slowly(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse line by line, naming the first line that is not two plain numbers."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError:
        raise TraceError("expected a UTF-8 text CSV file, but it holds binary data") from None
    except OSError as exc:
        raise TraceError(f"expected a readable CSV file, but it cannot be read: {exc.strerror}") from None
    while lines and not lines[-1].strip():
        lines.pop()  # an extra newline at the end is harmless
    values = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(",")
        if len(fields) != 2:
            raise TraceError(
                f"expected 2 comma-separated values (time_s,requests) on line {number}, got {len(fields)}"
            )
        for column, (name, value) in enumerate(zip(("time_s", "requests"), fields), start=1):
            if not _NUMBER.fullmatch(value):
                held = len(value.strip())
                what = "nothing" if not held else f"{held} character{'s' if held != 1 else ''} that are not one"
                raise TraceError(f"expected a number for {name} (column {column}) on line {number}; it holds {what}")
        values.append((float(fields[0]), float(fields[1])))
    table = np.array(values, dtype=float).reshape(-1, 2)
    return table[:, 0].copy(), table[:, 1].copy()


def _check_values(times: np.ndarray, counts: np.ndarray) -> None:
    negative = np.flatnonzero(counts < 0)
    if negative.size:
        i = negative[0]
        raise TraceError(f"expected requests >= 0, got {counts[i]:g} on line {i + 2}")
    huge = np.flatnonzero(counts > MAX_BIN_REQUESTS)
    if huge.size:
        i = huge[0]
        raise TraceError(f"expected requests of at most 2^53 = 9.0e15 in a bin (the largest count float64 holds "
                         f"exactly), got {counts[i]:g} on line {i + 2}")
    far = np.flatnonzero(np.abs(times) > MAX_TRACE_TIME_S)
    if far.size:
        i = far[0]
        raise TraceError(f"expected time_s within ±{MAX_TRACE_TIME_S:.0e} s (seconds since any origin, Unix time "
                         f"included), got {times[i]:g} on line {i + 2}")
    steps = np.diff(times)
    backwards = np.flatnonzero(steps <= 0)
    if backwards.size:
        i = backwards[0] + 1
        raise TraceError(
            f"expected time_s to increase, got {times[i]:g} on line {i + 2} after {times[i - 1]:g}"
        )


def _check_bins(times: np.ndarray) -> float:
    if len(times) < 2:
        raise TraceError("expected at least two rows, to tell the bin size, got one")
    steps = np.diff(times)
    bin_s = float(steps[0])
    uneven = np.flatnonzero(np.abs(steps - bin_s) > _BIN_TOLERANCE * bin_s)
    if uneven.size:
        i = uneven[0] + 1
        raise TraceError(
            f"expected bins of equal size ({bin_s:g} s, from the first two rows), "
            f"got {steps[i - 1]:g} s between lines {i + 1} and {i + 2}"
        )
    # The span over all rows gives the bin size with the least rounding.
    return float((times[-1] - times[0]) / (len(times) - 1))

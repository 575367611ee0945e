"""Record files as AWS and web servers write them: plain or gzip, one file or a folder of them.

ALB access logs arrive as S3 delivers them, a tree of .log.gz files
(AWSLogs/ACCOUNT/elasticloadbalancing/REGION/YYYY/MM/DD/...), one per load balancer node every
five minutes. A reader takes the file or the folder, reads gzip by its magic bytes (not its
name), and yields numbered lines without holding a file in memory. A malformed line is a
ScenarioError naming the file and the line: `FILE: line N: expected ...; got ...`.
"""
from __future__ import annotations

import gzip
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Iterator

from ..scenario import ScenarioError

_GZIP = b"\x1f\x8b"
# The files of a folder that hold log lines; others (a README, an S3 manifest) are passed by.
LOG_SUFFIXES = (".log", ".gz", ".txt")
# One line longer than this is not a log line (an ALB line with a long URL is a few KB).
MAX_LINE_BYTES = 1 << 20


def log_files(path: str | Path) -> list[Path]:
    """The file, or every log file under the folder in path order (S3's date folders sort in time)."""
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ScenarioError("expected a log file or a folder of them; there is no such file or folder", file=str(path))
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(LOG_SUFFIXES))
    if not files:
        raise ScenarioError(f"expected log files ({', '.join(LOG_SUFFIXES)}) in the folder; found none",
                            file=str(path))
    return files


def binary(file: Path):
    """The file's bytes, gunzipped when it starts with gzip's magic bytes (whatever its name)."""
    with open(file, "rb") as raw:
        compressed = raw.read(2) == _GZIP
    return gzip.open(file, "rb") if compressed else open(file, "rb")


def numbered_lines(file: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without its line break) of a plain or gzip file, streamed."""
    try:
        stream = binary(file)
        with stream, io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="") as text:
            for number, line in enumerate(text, 1):
                if len(line) > MAX_LINE_BYTES:
                    raise bad_line(file, number, f"a line of at most {MAX_LINE_BYTES:,} characters",
                                   f"{len(line):,}")
                line = line.rstrip("\r\n")
                if line:
                    yield number, line
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ScenarioError(f"cannot read it: {getattr(e, 'strerror', None) or e}", file=str(file)) from None


def bad_line(file: Path | str, number: int, expected: str, got: str) -> ScenarioError:
    shown = got if len(got) <= 120 else got[:117] + "..."
    return ScenarioError(f"expected {expected}; got {shown}", file=str(file), path=f"line {number}")


def json_output(file: Path, key: str, command: str) -> list[dict]:
    """The list under `key` of an AWS CLI JSON output (UTF-8, with or without a byte order mark)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise ScenarioError(f"cannot read it: {e.strerror or e}", file=str(file)) from None
    except ValueError as e:
        raise ScenarioError(f"expected JSON (the output of {command}); it is not: {e}", file=str(file)) from None
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ScenarioError(f"expected the output of {command}: a {key} list", file=str(file))
    return [item if isinstance(item, dict) else {} for item in items]


def aws_time(stamp, file: Path, where: str) -> float:
    """A time as the AWS CLI prints it (ISO 8601 with its offset), or seconds since 1970 (CLI
    version 1, the SDKs), as seconds since 1970."""
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return float(stamp)
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(f"expected a time such as 2024-05-01T12:00:00+00:00; got {stamp!r}", file=str(file),
                            path=where) from None
    if when.tzinfo is None:
        raise ScenarioError(f"expected a time with its offset from UTC; got {stamp!r}", file=str(file), path=where)
    return when.timestamp()

"""How fast the record readers stream logs, and how much memory they hold doing it.

Writes N ALB access log lines (the documented HTTP entry, one request every millisecond) into a
gzip file as S3 delivers them, then reads them back chunk by chunk, keeping only per-second
request counts (what a trace needs), and prints lines per second and the peak resident memory.

    .venv/bin/python benchmarks/records_reading.py            # 1,000,000 lines
    .venv/bin/python benchmarks/records_reading.py 10000000   # ten million
"""
import gzip
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from fargatesim.records import read_alb_logs

LINE = ('http {end} app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 '
        '34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:'
        '123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 '
        '{start} "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90\n')


def write(path: Path, lines: int) -> None:
    origin = datetime(2018, 7, 2, tzinfo=timezone.utc)
    with gzip.open(path, "wt", compresslevel=1) as f:
        for i in range(lines):
            start = origin + timedelta(milliseconds=i)
            end = start + timedelta(microseconds=1500)
            f.write(LINE.format(start=start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), end=end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "app.my-loadbalancer.log.gz"
        t0 = time.perf_counter()
        write(path, lines)
        written = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = np.zeros(0, dtype=np.int64)
        origin = None
        for chunk in read_alb_logs(path):
            origin = chunk["arrival_s"].iloc[0] if origin is None else origin
            seconds = np.floor(chunk["arrival_s"].to_numpy() - origin).astype(np.int64)
            add = np.bincount(seconds)
            if len(add) > len(counts):
                counts = np.pad(counts, (0, len(add) - len(counts)))
            counts[: len(add)] += add
        took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wrote {lines:,} ALB log lines (gzip) in {written:.1f} s")
    print(f"read them in {took:.1f} s: {lines / took:,.0f} lines/s; {counts.sum():,} requests in {len(counts):,} s")
    print(f"peak resident memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()

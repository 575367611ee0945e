"""How fast the record readers stream logs, and how much memory they hold doing it.

Writes N ALB access log lines (the documented HTTP entry, one request every millisecond) into a
gzip file as S3 delivers them, then reads them back chunk by chunk as `fargatesim calibrate`
does (summarise_requests: arrivals per second for the traffic trace, and per minute the
moments and a latency histogram of the target's processing time for the demand's spread, the
timeout and a backtest's percentiles), and prints lines per second and the peak resident
memory.

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

from fargatesim.records.request_summary import summarise_requests

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
        summary = summarise_requests([path])
        arrivals, minutes = summary.arrivals(), summary.minutes()
        took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wrote {lines:,} ALB log lines (gzip) in {written:.1f} s")
    print(f"read them in {took:.1f} s: {lines / took:,.0f} lines/s; {arrivals['requests'].sum():,} requests in "
          f"{len(arrivals):,} s, {len(minutes):,} minutes of latency percentiles")
    print(f"peak resident memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()

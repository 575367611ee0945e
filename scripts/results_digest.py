"""A fingerprint of every example scenario's results: one line per result file with its SHA-256.

A change that should not change behaviour (a refactor, a move of modules) must leave every line
as it was. Run it before and after, and compare:

    .venv/bin/python scripts/results_digest.py > before.txt
    ... change the code ...
    .venv/bin/python scripts/results_digest.py > after.txt
    diff before.txt after.txt

Each scenario runs for its whole length with its own seed; summary.json, timeseries.csv and
events.csv are hashed. Scenarios of jobs only (no service to simulate) are skipped with a
note. `--tick` also hashes the per-tick timeseries; `--figures` also hashes overview.png, whose
bytes depend on matplotlib's version and fonts as well as on the run: compare its lines only
between runs on the same installation.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import fargatesim

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = ("summary.json", "timeseries.csv", "events.csv")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", type=Path, help="scenario files (default: every example)")
    parser.add_argument("--tick", action="store_true", help="also hash the per-tick timeseries")
    parser.add_argument("--figures", action="store_true",
                        help="also hash overview.png (same installation only: matplotlib draws it)")
    args = parser.parse_args(argv)
    paths = args.scenarios or sorted(SCENARIOS.glob("*.yaml"))
    for path in paths:
        scenario = fargatesim.load_scenario(path)
        start = time.perf_counter()
        try:
            result = fargatesim.simulate(scenario)
        except fargatesim.SimulationError as e:
            print(f"{path.name}: not simulated ({e})")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            result.save(tmp, plot=args.figures)
            files = [(name, Path(tmp) / name) for name in FILES + (("overview.png",) if args.figures else ())]
            if args.tick:
                result.save(Path(tmp) / "tick", resolution="tick", plot=False)
                files.append(("timeseries.csv (tick)", Path(tmp) / "tick" / "timeseries.csv"))
            for label, file in files:
                print(f"{path.name:<48} {label:<24} {digest(file)}")
        print(f"{path.name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

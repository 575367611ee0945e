"""Time from a sudden load step to the first scale-out, against AWS's own benchmark.

AWS measured 363 s with 60-second metrics and 86 s with 20-second metrics
(aws/containers-roadmap#2113); see fargatesim/studies/validation.py for the experiment.

    .venv/bin/python benchmarks/scale_out_timing.py [--steps 20]
"""
from __future__ import annotations

import argparse
import statistics

from fargatesim.studies.validation import AWS_SCALE_OUT_SECONDS, scale_out_delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="random step instants per resolution")
    args = parser.parse_args()
    for metric_type, aws in AWS_SCALE_OUT_SECONDS.items():
        d = scale_out_delays(metric_type, args.steps)
        mean = statistics.fmean(d)
        print(f"{metric_type:<48} mean {mean:6.1f} s (min {min(d):.0f}, max {max(d):.0f}) "
              f"vs AWS {aws:.0f} s: {100 * (mean - aws) / aws:+.1f} %")


if __name__ == "__main__":
    main()

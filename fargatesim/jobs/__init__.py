"""Run-to-completion jobs: priced as Fargate tasks and replayed on Lambda, side by side.

    from fargatesim.jobs import compare_scenario_jobs
    result = compare_scenario_jobs(scenario)       # scenario.jobs at the scenario's prices
    result.table                                    # one row per job and platform
    result.summary                                  # the same, JSON-able, with the cheaper platform

Jobs are independent of the service simulation; the model and its assumptions are in docs/jobs.md.
"""

from .compare import PLATFORMS, JobComparison, compare_jobs, compare_scenario_jobs
from .fargate_jobs import fargate_outcome
from .lambda_jobs import LambdaFunction, LambdaReplay, lambda_function, lambda_outcome, replay
from .outcome import COLUMNS, PlatformOutcome
from .runs import JobRuns, draw_runs, firing_times

__all__ = [
    "COLUMNS",
    "PLATFORMS",
    "JobComparison",
    "JobRuns",
    "LambdaFunction",
    "LambdaReplay",
    "PlatformOutcome",
    "compare_jobs",
    "compare_scenario_jobs",
    "draw_runs",
    "fargate_outcome",
    "firing_times",
    "lambda_function",
    "lambda_outcome",
    "replay",
]

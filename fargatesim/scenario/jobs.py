"""Run-to-completion jobs (the `jobs:` section): work that starts, runs and ends, priced as Fargate
tasks and compared with the same work on Lambda. Jobs run beside the service, not inside it.

A job's size and platform keys are the task definition's (cpu, memory, runtime_platform,
ephemeral_storage), so a real task definition carries over. Its `lambda` block uses the names of
Terraform's aws_lambda_function (memory_size, reserved_concurrent_executions) and
aws_lambda_function_event_invoke_config (maximum_event_age_in_seconds); keys marked (sim) state
what AWS does not document.
"""


from pydantic import Field, field_validator, model_validator

from fargatesim.cost.lambda_pricing import (
    LAMBDA_ACCOUNT_CONCURRENCY,
    LAMBDA_INIT_MAX_S,
    LAMBDA_MEMORY_MAX_MB,
    LAMBDA_MEMORY_MIN_MB,
)

from .distributions import Distribution
from .errors import Invalid
from .fields import Duration, DurationDistribution, Model, PositiveInt, TimeZone, integer, seconds
from .schedules import Schedule, parse_schedule
from .task import EphemeralStorage, FargateSize, RuntimePlatform, _check_fargate_size

# Lambda requires this much of the account's concurrency to stay unreserved (developer guide,
# configuration-concurrency).
LAMBDA_UNRESERVED_MIN = 100
# (sim) Neither the Init duration of a cold start nor how long an idle execution environment is
# kept for reuse is documented by AWS; these defaults are assumptions, and keys.
DEFAULT_COLD_START_S = 1.0
DEFAULT_KEEP_WARM_S = 300.0


class LambdaSettings(Model):
    """The function that would run the job on Lambda; every key has a default."""

    # None: the larger of the memory that buys the job's vCPU (1,769 MB per vCPU) and the job's memory
    memory_size: integer(ge=LAMBDA_MEMORY_MIN_MB, le=LAMBDA_MEMORY_MAX_MB) | None = None
    # None: the function may use the account's whole concurrency
    reserved_concurrent_executions: PositiveInt | None = None
    account_concurrency: PositiveInt = LAMBDA_ACCOUNT_CONCURRENCY  # the regional quota (adjustable)
    # how long a throttled asynchronous event is retried before Lambda drops it
    maximum_event_age_in_seconds: seconds(ge=60, le=21600) = 21600
    cold_start: DurationDistribution = Distribution.constant(DEFAULT_COLD_START_S)  # (sim) the Init phase
    keep_warm: Duration = DEFAULT_KEEP_WARM_S  # (sim) idle time after which an environment is shut down

    @model_validator(mode="after")
    def _limits(self):
        reserved, account = self.reserved_concurrent_executions, self.account_concurrency
        if reserved is not None and reserved > account - LAMBDA_UNRESERVED_MIN:
            raise Invalid(
                f"expected at most {account - LAMBDA_UNRESERVED_MIN} (Lambda keeps {LAMBDA_UNRESERVED_MIN} of the "
                f"account_concurrency of {account} unreserved); got {reserved}",
                "reserved_concurrent_executions",
            )
        if self.cold_start.mean > LAMBDA_INIT_MAX_S:
            raise Invalid(
                f"expected a cold start (the Init phase) averaging at most {LAMBDA_INIT_MAX_S} s, the limit Lambda "
                f"puts on Init; got a mean of {self.cold_start.mean:g} s",
                "cold_start",
            )
        return self

    @property
    def concurrency_limit(self) -> int:
        """Invocations that may run at once: the reservation, or else the account's quota."""
        if self.reserved_concurrent_executions is not None:
            return self.reserved_concurrent_executions
        return self.account_concurrency


class Job(FargateSize, Model):
    """Work that runs to completion: `count` runs at each firing of `schedule`, or once at `at`."""

    name: str = Field(min_length=1)
    schedule: str | None = None  # at(...), rate(...) or cron(...), as for scheduled scaling
    timezone: TimeZone = "UTC"  # applies to at() and cron()
    at: Duration = 0.0  # without a schedule: when the runs start, from the start of the scenario
    count: PositiveInt = 1  # runs started together at each firing
    cpu: int  # CPU units of the Fargate task, 1024 = 1 vCPU
    memory: int  # MiB
    runtime_platform: RuntimePlatform = RuntimePlatform()
    ephemeral_storage: EphemeralStorage = EphemeralStorage()
    duration: DurationDistribution  # run time of one run at this size, from start to exit
    startup: DurationDistribution = Distribution.uniform(30.0, 60.0)  # (sim) Fargate PROVISIONING..RUNNING
    lambda_: LambdaSettings = Field(LambdaSettings(), alias="lambda")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parse_schedule(value)
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self):
        _check_fargate_size(self.cpu, self.memory)
        # Checked on values, not on which keys were given, so that to_dict() output loads again.
        if self.schedule is not None and self.at != 0:
            raise Invalid(
                f"expected either schedule or at, not both (at is when a job without a schedule runs); "
                f"got at {self.at:g} s and schedule {self.schedule!r}",
                "at",
            )
        if self.schedule is None and self.timezone != "UTC":
            raise Invalid(f"expected timezone only with a schedule (it applies to at() and cron()); got {self.timezone!r}",
                          "timezone")
        return self

    @property
    def architecture(self) -> str:
        return self.runtime_platform.cpu_architecture

    @property
    def parsed_schedule(self) -> Schedule | None:
        return None if self.schedule is None else parse_schedule(self.schedule)


def check_jobs(jobs: tuple[Job, ...], duration: float) -> None:
    """Checks that need the whole scenario: unique names, and an `at` inside the simulated time."""
    seen: set[str] = set()
    for i, job in enumerate(jobs):
        if job.name in seen:
            raise Invalid(f"expected unique job names; got {job.name!r} twice", "jobs", i, "name")
        seen.add(job.name)
        if job.schedule is None and job.at >= duration:
            raise Invalid(
                f"expected a time before the end of the scenario (duration {duration:g} s); got {job.at:g} s",
                "jobs", i, "at",
            )


__all__ = ["Job", "LambdaSettings", "check_jobs"]

"""The ECS service (aws_ecs_service) and its ALB target group (aws_lb_target_group)."""

import re
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from .errors import Invalid
from .fields import Model, NonNegativeInt, choice, integer, seconds


class Service(Model):
    name: str = Field("app", min_length=1)  # the scenario fills in its own name
    desired_count: NonNegativeInt = 1
    launch_type: choice("FARGATE", planned=("EC2", "EXTERNAL"), what="launch_type") = "FARGATE"
    health_check_grace_period_seconds: seconds(ge=0) = 0
    deployment_minimum_healthy_percent: integer(ge=0, le=100) = 100
    deployment_maximum_percent: integer(ge=100) = 200
    # (sim) keys
    availability_zones: integer(ge=1, le=6) = 3
    stop_timeout: seconds(ge=2, le=120) = 30  # SIGTERM..SIGKILL; in AWS a container setting
    cold_start: bool = False  # start at t=0 with no tasks and launch desired_count of them

    # accepted only to be refused with a clear message (Fargate Spot is not simulated yet)
    hidden_keys: ClassVar[frozenset[str]] = frozenset({"capacity_provider_strategy"})

    @classmethod
    def _prepare(cls, data: dict, info: ValidationInfo) -> dict:
        if "capacity_provider_strategy" in data:
            raise Invalid(
                "capacity_provider_strategy (Fargate Spot) is not supported yet; use launch_type: FARGATE",
                "capacity_provider_strategy",
            )
        return data


_MATCHER = re.compile(r"\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*")


class TargetGroupHealthCheck(Model):
    path: str = Field("/", min_length=1, max_length=1024)
    interval: seconds(ge=5, le=300) = 30
    timeout: seconds(ge=2, le=120) = 6
    healthy_threshold: integer(ge=2, le=10) = 5
    unhealthy_threshold: integer(ge=2, le=10) = 2
    matcher: str = "200"

    @model_validator(mode="after")
    def _consistent(self):
        if not self.path.startswith("/"):
            raise Invalid(f"expected a path starting with '/'; got {self.path!r}", "path")
        if self.timeout >= self.interval:
            raise Invalid(f"expected timeout < interval ({self.interval} s); got {self.timeout}", "timeout")
        codes = re.split(r"[,-]", self.matcher)
        if not _MATCHER.fullmatch(self.matcher) or not all(200 <= int(c) <= 499 for c in codes):
            raise Invalid(
                f"expected HTTP codes from 200 to 499 such as '200', '200,202' or '200-299'; got {self.matcher!r}",
                "matcher",
            )
        return self


class TargetGroup(Model):
    load_balancing_algorithm_type: Literal["round_robin", "least_outstanding_requests", "weighted_random"] = (
        "round_robin"
    )
    deregistration_delay: seconds(ge=0, le=3600) = 300
    slow_start: seconds(ge=0) = 0  # 0 = off, otherwise 30..900
    health_check: TargetGroupHealthCheck = TargetGroupHealthCheck()
    # (sim) passing checks a newly registered target needs; AWS's ALB guide says one
    initial_health_checks: integer(ge=1, le=10) = 1

    @model_validator(mode="after")
    def _consistent(self):
        if not (self.slow_start == 0 or 30 <= self.slow_start <= 900):
            raise Invalid(f"expected 0 (off) or a duration from 30 to 900 seconds; got {self.slow_start}", "slow_start")
        if self.slow_start and self.load_balancing_algorithm_type == "least_outstanding_requests":
            raise Invalid(
                "expected slow_start: 0 with least_outstanding_requests (AWS does not combine them); "
                f"got {self.slow_start}",
                "slow_start",
            )
        return self

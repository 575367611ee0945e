"""Operator actions scheduled in the scenario."""

from typing import Annotated, Literal, Union

from pydantic import Field

from .autoscaling import TaskCount
from .fields import Duration, Model, typed_item


class SetDesiredCountAction(Model):
    """At `at`, set the service's desired count (as `aws ecs update-service --desired-count`)."""

    type: Literal["set_desired_count"] = "set_desired_count"
    at: Duration
    value: TaskCount  # at most the ECS quota of tasks per service, as update-service takes it


class DeployAction(Model):
    """At `at`, roll out a new revision of the task definition (a rolling update, the ECS
    deployment controller) within deployment_minimum_healthy_percent and
    deployment_maximum_percent."""

    type: Literal["deploy"] = "deploy"
    at: Duration


ACTION_TYPES = ("set_desired_count", "deploy")

Action = Annotated[
    Union[SetDesiredCountAction, DeployAction],
    Field(discriminator="type"),
    typed_item(*ACTION_TYPES, what="action"),
]

"""Operator actions scheduled in the scenario."""

from typing import Annotated, Literal

from .fields import Duration, Model, NonNegativeInt, typed_item


class SetDesiredCountAction(Model):
    """At `at`, set the service's desired count (as `aws ecs update-service --desired-count`)."""

    type: Literal["set_desired_count"] = "set_desired_count"
    at: Duration
    value: NonNegativeInt


ACTION_TYPES = ("set_desired_count",)

Action = Annotated[SetDesiredCountAction, typed_item(*ACTION_TYPES, planned=("deploy",), what="action")]

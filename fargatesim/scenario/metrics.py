"""Alarms and policies may use only the CloudWatch metrics the simulator publishes (their
names are in fargatesim/metric_catalogue.py); the delay before a period's datapoint is visible to them."""

from typing import Literal

from ..metric_catalogue import PUBLISHED_METRICS, STATISTICS
from .errors import Invalid, did_you_mean, shown
from .fields import Duration, Model

Statistic = Literal[STATISTICS]


class Dimension(Model):
    name: str
    value: str


def dimensions_as_list(value):
    """Dimensions as a list of {name, value}; Terraform writes them as a map {name: value}."""
    if isinstance(value, dict):
        return [{"name": k, "value": v} for k, v in value.items()]
    return value


def check_published(namespace: str, metric_name: str) -> None:
    """Refuse a metric the simulator never produces: an alarm on it could never fire."""
    if namespace not in PUBLISHED_METRICS:
        raise Invalid(
            f"expected a namespace the simulator publishes, one of {', '.join(PUBLISHED_METRICS)}; "
            f"got {shown(namespace)}{did_you_mean(namespace, PUBLISHED_METRICS)}",
            "namespace",
        )
    names = PUBLISHED_METRICS[namespace]
    if metric_name not in names:
        raise Invalid(
            f"expected a metric the simulator publishes in {namespace}, one of {', '.join(names)}; "
            f"got {shown(metric_name)}{did_you_mean(metric_name, names)}",
            "metric_name",
        )


class CloudWatchSettings(Model):
    """(sim) When a period's datapoint becomes visible to alarms and policies.

    AWS does not document these delays. The defaults are calibrated so that CPU target tracking
    with AWS's default settings triggers a scale-out as long after a sudden load step as AWS's
    own benchmark measured: 363 s with 60-second metrics and 86 s with 20-second ones
    (aws/containers-roadmap#2113); benchmarks/scale_out_timing.py prints the figures.
    """

    metric_delay: Duration = 183.0
    high_resolution_metric_delay: Duration = 26.0

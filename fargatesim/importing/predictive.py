"""A predictive scaling policy's configuration, as AWS's CLI prints it and as a Terraform plan
holds it, turned into the scenario's predictive_scaling_policy_configuration.

The scenario spells the keys as the API does, in snake case, so AWS's output maps key for key
(MetricSpecifications -> metric_specifications, MetricDataQueries -> metric_data_queries).
Terraform's aws_appautoscaling_policy (provider 6) nests each block as a list of one mapping and
names the repeated ones in the singular (metric_specification, metric_data_query, dimension);
the scenario reads those spellings too, so only the lists of one are unwrapped. Settings the
plan leaves unset (null, "" or an empty block) are left out, so AWS's defaults apply.

The history is not in either: the imported scenario simulates its own traffic over the 14 days
before the start, and a user with recorded CloudWatch datapoints points `history` at them.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from ..scenario import ScenarioError
from ..scenario.predictive import PredictiveScalingConfig

# Terraform's repeated blocks: lists that stay lists. Every other list of mappings is a block of one.
REPEATED = {"metric_specification", "metric_data_query", "dimension"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _from_aws(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): _from_aws(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_aws(v) for v in value]
    return value


def _from_terraform(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _from_terraform(v, k)
            if v not in (None, "", [], {}):
                out[k] = v
        return out
    if isinstance(value, list):
        items = [_from_terraform(v, key) for v in value]
        items = [v for v in items if v not in (None, "", [], {})]
        if key not in REPEATED and len(items) == 1 and isinstance(items[0], dict):
            return items[0]
        return items
    return value


def _checked(section: dict) -> tuple[dict | None, str]:
    # A buffer is only AWS's with IncreaseMaxCapacity; a plan may still hold a 0 for it.
    if section.get("max_capacity_breach_behavior", "HonorMaxCapacity") != "IncreaseMaxCapacity":
        section.pop("max_capacity_buffer", None)
    try:
        PredictiveScalingConfig.model_validate(section, context={"user_input": True})
    except ValidationError as e:
        error = e.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        return None, f"a PredictiveScaling policy the simulator cannot read: {where}: {message}"
    except (ScenarioError, ValueError) as e:
        return None, f"a PredictiveScaling policy the simulator cannot read: {e}"
    return section, ""


def predictive_from_aws(config: dict | None) -> tuple[dict | None, str]:
    """(the scenario section, "") or (None, why it was left out)."""
    if not config:
        return None, "a PredictiveScaling policy without PredictiveScalingPolicyConfiguration"
    return _checked(_from_aws(config))


def predictive_from_terraform(block: Any) -> tuple[dict | None, str]:
    """The same from a plan's predictive_scaling_policy_configuration (a list of one block)."""
    section = _from_terraform(block, "predictive_scaling_policy_configuration")
    if not section:
        return None, "a PredictiveScaling policy without predictive_scaling_policy_configuration"
    return _checked(section)

"""Scenario files: validated at the edge, handed to the simulator as frozen objects.

    from fargatesim.scenario import load_scenario, ScenarioError
    scenario = load_scenario("checkout.yaml")      # raises ScenarioError, one clear message

YAML keys follow the Terraform AWS provider's argument names; every model field is named after
its key, durations are float seconds and random quantities are Distribution objects.
"""

from .budget import check_memory, estimate_memory
from .caveats import warn_about, warnings_for
from .distributions import Distribution, parse_distribution
from .errors import ScenarioError, ScenarioWarning
from .jobs import Job, LambdaSettings
from .loader import load_scenario, read_value, scenario_from_dict
from .overrides import apply_overrides
from .schedules import Schedule, parse_schedule
from .schema import *  # noqa: F403 - every model class
from .schema import __all__ as _models
from .units import parse_duration, parse_time_of_day

__all__ = [
    "Distribution",
    "Job",
    "LambdaSettings",
    "Schedule",
    "ScenarioError",
    "ScenarioWarning",
    "apply_overrides",
    "check_memory",
    "estimate_memory",
    "load_scenario",
    "parse_distribution",
    "parse_duration",
    "parse_schedule",
    "parse_time_of_day",
    "read_value",
    "scenario_from_dict",
    "warn_about",
    "warnings_for",
    *_models,
]

"""What can be known about a scenario's autoscaling before it runs, said before it runs.

The command line calls check_autoscaling once per scenario it loads (validate, run, compare,
cost), in its own process, so that a refusal ends it with exit code 2 before any simulation
and each warning is given once, not once per seed or worker.
"""
from __future__ import annotations

import warnings

from .policy_files import check_custom_policies
from .scheduled_actions import never_firing


def check_autoscaling(scenario, *, trusted_modules=()) -> None:
    """Refuse (ScenarioError) custom policies that may not or cannot load, running none of their
    code (policy_files.py has the rule); warn (ScenarioWarning, with warnings.warn) about
    scheduled actions that never fire within the run."""
    check_custom_policies(scenario, trusted_modules)
    for warning in never_firing(scenario):
        warnings.warn(warning, stacklevel=2)

"""Warnings about scenarios that are valid but probably not what their author meant.

They are not raised while a scenario is validated: a scenario is validated again for every
variant a study makes of it (with_changes), and a warning belongs to the file as the user
wrote it, once. The command line asks for them once per scenario file it loads.

    for warning in warnings_for(scenario):
        warnings.warn(warning)          # or: warn_about(scenario)
"""
from __future__ import annotations

import warnings

from .errors import ScenarioWarning


def warnings_for(scenario, *, spot_mix: bool = False) -> list[ScenarioWarning]:
    """What in `scenario` will never happen in its run (faults after its end, Spot interruptions
    with no task on FARGATE_SPOT), and placeholders it still holds.

    `spot_mix`: the caller runs the scenario's spot_interruption faults on a Spot mix of its
    own (`fargatesim cost`), so they are not idle there.
    """
    found: list[ScenarioWarning] = []
    end = scenario.duration

    def warn(message: str, path: str) -> None:
        found.append(ScenarioWarning(message, file=scenario.source, path=path))

    if scenario.placeholders:
        warn(f"{', '.join(scenario.placeholders)} still hold{'s' if len(scenario.placeholders) == 1 else ''} "
             "placeholders (as `fargatesim import` writes them where its input says nothing), not your service's "
             "own values: results describe made-up ones until you replace each and remove it from this list",
             "placeholders")
    for i, fault in enumerate(scenario.faults):
        at = getattr(fault, "at", None)
        if at is not None and at >= end:
            warn(f"this {fault.type} fault is at {at:g} s, at or after the end of the run ({end:g} s): "
                 "it never happens", f"faults[{i}].at")
        if fault.type == "spot_interruption" and not spot_mix and not scenario.service.uses_spot:
            warn("a spot_interruption fault, but no task runs on FARGATE_SPOT (service.capacity_provider_strategy "
                 "gives it no task): it never interrupts anything", f"faults[{i}].type")
    return found


def warn_about(scenario, *, spot_mix: bool = False) -> None:
    """Issue `warnings_for(scenario)` with warnings.warn, for the caller's handler to show."""
    for warning in warnings_for(scenario, spot_mix=spot_mix):
        warnings.warn(warning, stacklevel=2)

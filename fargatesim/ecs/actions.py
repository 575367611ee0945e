"""Operator actions on the service: changing the desired count, deploying a new revision."""
from __future__ import annotations

from ..clock import at, until
from .deployment import rolling_update


def install_actions(env, service, actions, record_event) -> None:
    for action in actions:
        if action.type == "set_desired_count":
            env.process(at(env, action.at, lambda a=action: service.set_desired(a.value, "set_desired_count action")))
        elif action.type == "deploy":
            env.process(_after(env, action.at, lambda: rolling_update(env, service, record_event)))


def _after(env, t, process):
    yield until(env, t)
    yield env.process(process())

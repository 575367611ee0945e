"""Builds the scalable target and its policies for one simulation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..scenario import ScenarioError
from .custom import CustomPolicy
from .policies import StepScalingPolicy, TargetTrackingPolicy
from .policy_failure import files_of
from .policy_files import custom_policy_sources
from .policy_loading import create_policy
from .scalable_target import ScalableTarget
from .scheduled_actions import install_scheduled_actions


@dataclass(frozen=True)
class Autoscaling:
    """What install_autoscaling started."""
    target: ScalableTarget
    step_policies: dict[str, StepScalingPolicy]   # by name: the scenario's alarms invoke them
    scheduled: list[tuple[float, str]]            # (t, action name): the firings planned


def install_autoscaling(env, cfg, *, service, alarms, metric_delay: Callable[[int], float],
                        record_event, touch, start: datetime, duration: float, resource_id: str,
                        extra_policies=(), source: str | None = None,
                        base_dir: Path | None = None, trusted_modules=()) -> Autoscaling:
    """The scalable target with its policies and scheduled actions running.

    `cfg`: the scenario's autoscaling section (None is refused: custom policies need its
    bounds); `alarms`: the AlarmEvaluator the target tracking policies add their alarms to and
    custom policies read metrics from; `metric_delay(period)`: how late CloudWatch shows a
    datapoint; `record_event`, `touch`: the engine's; `start`, `duration`: the run's wall-clock
    start and length, over which scheduled actions are planned; `resource_id`: the scalable
    target's, as alarm names show it; `source`, `base_dir`: the scenario's file and folder
    (errors name the file, custom policy classes are found in the folder; without a file, there
    is no folder); `trusted_modules`: the modules from elsewhere custom policies may name (see
    policy_files.py). Every custom policy's class is checked before any of them is loaded.
    """
    if cfg is None:
        raise ScenarioError("custom policies need an autoscaling section (min_capacity, max_capacity)",
                            file=source, path="autoscaling")
    sources = custom_policy_sources(cfg, source=source, base_dir=base_dir, trusted_modules=trusted_modules)
    target = ScalableTarget(env, service, cfg.min_capacity, cfg.max_capacity, record_event, touch)

    def start_custom(name, obj, period, out_cooldown, in_cooldown, **named) -> None:
        policy = CustomPolicy(name, obj, target=target, service=service, evaluator=alarms,
                              delay_of=metric_delay, start=start, evaluation_period=period,
                              scale_out_cooldown=out_cooldown, scale_in_cooldown=in_cooldown, **named)
        env.process(policy.run(env))

    tracking = []
    step_policies = {}
    for i, policy in enumerate(cfg.policies):
        if policy.policy_type == "TargetTrackingScaling":
            tracking.append(TargetTrackingPolicy(policy, target, service, alarms, resource_id=resource_id))
        elif policy.policy_type == "StepScaling":
            step_policies[policy.name] = StepScalingPolicy(policy, target, service)
        else:
            custom, found = policy.custom, sources[i]
            obj = create_policy(found, dict(custom.params), name=policy.name, file=source,
                                path=f"autoscaling.policies[{i}].custom.class")
            start_custom(policy.name, obj, custom.evaluation_period, custom.scale_out_cooldown,
                         custom.scale_in_cooldown, label=f"{policy.name!r} ({custom.class_})",
                         in_user_code=files_of(found.path) if found.path is not None else None)
    for policy in tracking:
        policy.peers = tracking
    for obj in extra_policies:
        start_custom(getattr(obj, "name", type(obj).__name__), obj, getattr(obj, "evaluation_period", 60),
                     getattr(obj, "scale_out_cooldown", 300), getattr(obj, "scale_in_cooldown", 300))
    scheduled = install_scheduled_actions(env, target, cfg.scheduled_actions, start=start, duration=duration)
    return Autoscaling(target, step_policies, scheduled)

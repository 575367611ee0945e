"""Builds the scalable target and its policies for one simulation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..scenario import ScenarioError
from .custom import CustomPolicy
from .forecaster import CheckedForecaster, SeasonalForecaster
from .policies import StepScalingPolicy, TargetTrackingPolicy
from .policy_failure import files_of
from .policy_files import custom_policy_sources, locate_policy, policy_folder, trusted_names
from .policy_loading import create_policy
from .predictive_policy import History, PredictiveScalingPolicy
from .scalable_target import ScalableTarget
from .scheduled_actions import install_scheduled_actions


@dataclass(frozen=True)
class Autoscaling:
    """What install_autoscaling started."""
    target: ScalableTarget
    step_policies: dict[str, StepScalingPolicy]   # by name: the scenario's alarms invoke them
    scheduled: list[tuple[float, str]]            # (t, action name): the firings planned
    predictive: list[PredictiveScalingPolicy]     # forecasts and the hours they were judged on


def install_autoscaling(env, cfg, *, service, alarms, metric_delay: Callable[[int], float],
                        record_event, touch, start: datetime, duration: float, resource_id: str,
                        extra_policies=(), source: str | None = None,
                        base_dir: Path | None = None, trusted_modules=(), predictive_history=None) -> Autoscaling:
    """The scalable target with its policies and scheduled actions running.

    `cfg`: the scenario's autoscaling section (None is refused: custom policies need its
    bounds); `alarms`: the AlarmEvaluator the target tracking policies add their alarms to and
    custom policies read metrics from; `metric_delay(period)`: how late CloudWatch shows a
    datapoint; `record_event`, `touch`: the engine's; `start`, `duration`: the run's wall-clock
    start and length, over which scheduled actions are planned; `resource_id`: the scalable
    target's, as alarm names show it; `source`, `base_dir`: the scenario's file and folder
    (errors name the file, custom policy classes are found in the folder; without a file, there
    is no folder); `trusted_modules`: the modules from elsewhere custom policies may name (see
    policy_files.py); `predictive_history(i)`: the History (predictive_policy.py) of policy i,
    a PredictiveScaling policy (without it, none: the first forecast comes after 24 hours).
    Every custom policy's class is checked before any of them is loaded.
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
    predictive = []
    for i, policy in enumerate(cfg.policies):
        if policy.policy_type == "TargetTrackingScaling":
            tracking.append(TargetTrackingPolicy(policy, target, service, alarms, resource_id=resource_id))
        elif policy.policy_type == "StepScaling":
            step_policies[policy.name] = StepScalingPolicy(policy, target, service)
        elif policy.policy_type == "PredictiveScaling":
            predictive.append(PredictiveScalingPolicy(
                policy.name, policy.predictive_scaling_policy_configuration, target, service, alarms.store,
                forecaster=_forecaster(policy, i, source=source, base_dir=base_dir, trusted_modules=trusted_modules),
                history=predictive_history(i) if predictive_history else History([], [], [], 0.0),
                metric_delay=metric_delay(60), record_event=record_event, start=start))
            env.process(predictive[-1].run(env))
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
    return Autoscaling(target, step_policies, scheduled, predictive)


def _forecaster(policy, i: int, *, source, base_dir, trusted_modules):
    """The policy's forecaster: the user's class (found as custom policies are) or the default."""
    cfg = policy.predictive_scaling_policy_configuration
    if cfg.forecaster is None:
        return SeasonalForecaster()
    path = f"autoscaling.policies[{i}].predictive_scaling_policy_configuration.forecaster"
    try:
        trusted = trusted_names(trusted_modules)
    except ValueError as e:
        raise ScenarioError(str(e), file=source, path="trusted_modules") from None
    found = locate_policy(cfg.forecaster, folder=policy_folder(source, base_dir), trusted=trusted, file=source,
                          path=path, method="forecast")
    obj = create_policy(found, dict(cfg.forecaster_params), name=policy.name, file=source, path=path,
                        method="forecast", signature="forecast(self, history, hours)",
                        params_path=path + "_params")
    return CheckedForecaster(obj, label=f"{policy.name!r} ({cfg.forecaster})",
                             in_user_code=files_of(found.path) if found.path is not None else files_of())

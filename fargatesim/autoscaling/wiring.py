"""Builds the scalable target and its policies for one simulation."""
from __future__ import annotations

from ..scenario import ScenarioError
from .custom import CustomPolicy, load_policy_class
from .policies import StepScalingPolicy, TargetTrackingPolicy
from .scalable_target import ScalableTarget
from .scheduled_actions import install_scheduled_actions


def install_autoscaling(sim, extra_policies=()) -> tuple[ScalableTarget, dict]:
    """The scalable target with its policies running; returns it and the step policies by
    name (the scenario's alarms invoke those)."""
    s = sim.scenario
    cfg = s.autoscaling
    if cfg is None:
        raise ScenarioError("custom policies need an autoscaling section (min_capacity, max_capacity)",
                            file=s.source, path="autoscaling")
    target = ScalableTarget(sim.env, sim.service, cfg.min_capacity, cfg.max_capacity,
                            sim.event, sim.touch)
    resource_id = f"service/default/{s.service.name}"
    tracking = []
    step_policies = {}
    for i, policy in enumerate(cfg.policies):
        if policy.policy_type == "TargetTrackingScaling":
            tracking.append(TargetTrackingPolicy(policy, target, sim.service, sim.alarms,
                                                 resource_id=resource_id))
        elif policy.policy_type == "StepScaling":
            step_policies[policy.name] = StepScalingPolicy(policy, target, sim.service)
        else:
            custom = policy.custom
            try:
                obj = load_policy_class(custom.class_, s.base_dir)(**custom.params)
            except Exception as e:  # the user's code: say where it came from, not a traceback
                raise ScenarioError(f"cannot create {custom.class_!r}: {type(e).__name__}: {e}",
                                    file=s.source, path=f"autoscaling.policies[{i}].custom.class") from None
            _start_custom(sim, target, policy.name, obj, custom.evaluation_period,
                          custom.scale_out_cooldown, custom.scale_in_cooldown)
    for policy in tracking:
        policy.peers = tracking
    for obj in extra_policies:
        _start_custom(sim, target, getattr(obj, "name", type(obj).__name__), obj,
                      getattr(obj, "evaluation_period", 60), getattr(obj, "scale_out_cooldown", 300),
                      getattr(obj, "scale_in_cooldown", 300))
    sim.scheduled = install_scheduled_actions(sim.env, target, cfg.scheduled_actions,
                                              start=s.start, duration=sim.n_ticks * sim.tick)
    return target, step_policies


def _start_custom(sim, target, name, obj, period, out_cooldown, in_cooldown) -> None:
    policy = CustomPolicy(name, obj, target=target, service=sim.service, evaluator=sim.alarms,
                          delay_of=sim.metric_delay, start=sim.scenario.start,
                          evaluation_period=period, scale_out_cooldown=out_cooldown,
                          scale_in_cooldown=in_cooldown)
    sim.env.process(policy.run(sim.env))

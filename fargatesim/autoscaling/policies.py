"""Scaling policies as they run: each turns what it observes into a Recommendation.

The arithmetic is in the pure functions (target_tracking.py, step_scaling.py); this module
connects them to their alarms and to the scalable target.
"""
from __future__ import annotations

from ..cloudwatch.alarms import MetricAlarm
from .scalable_target import Recommendation, ScalableTarget
from .step_scaling import aggregate, step_scaling_capacity
from .target_tracking import alarm_thresholds, metric_of, target_tracking_capacity


class TargetTrackingPolicy:
    """Two alarms owned by the policy (AlarmHigh, AlarmLow), as Application Auto Scaling makes."""

    def __init__(self, policy, target: ScalableTarget, service, evaluator, *, resource_id: str):
        self.name = policy.name
        self.cfg = policy.target_tracking_scaling_policy_configuration
        self.target = target
        self.service = service
        self.evaluator = evaluator
        namespace, metric, statistic, period = metric_of(self.cfg)
        high, low = alarm_thresholds(self.cfg)
        prefix = f"TargetTracking-{resource_id}"
        self.high = evaluator.add(MetricAlarm(
            name=f"{prefix}-AlarmHigh-{self.name}", namespace=namespace, metric_name=metric,
            statistic=statistic, period=period, evaluation_periods=self.cfg.alarm_high_datapoints,
            datapoints_to_alarm=self.cfg.alarm_high_datapoints,
            comparison_operator="GreaterThanThreshold", threshold=high, actions=[self._on_high]))
        self.low = evaluator.add(MetricAlarm(
            name=f"{prefix}-AlarmLow-{self.name}", namespace=namespace, metric_name=metric,
            statistic=statistic, period=period, evaluation_periods=self.cfg.alarm_low_datapoints,
            datapoints_to_alarm=self.cfg.alarm_low_datapoints,
            comparison_operator="LessThanThreshold", threshold=low, actions=[self._on_low]))
        self.peers: list[TargetTrackingPolicy] = []

    @property
    def scale_in_enabled(self) -> bool:
        return not self.cfg.disable_scale_in

    def ready_to_scale_in(self) -> bool:
        return self.low.state == "ALARM"

    def capacity(self, alarm: MetricAlarm | None = None) -> tuple[int, str] | None:
        """What the policy's formula asks for from its latest datapoint, with the arithmetic;
        None before its first datapoint."""
        alarm = alarm or self.low
        metric, period_index = alarm.latest()
        if metric is None:
            return None
        # Assumption (AWS documents no formula; key capacity_basis): the utilisation is
        # multiplied by the number of tasks it was measured over, so a datapoint published
        # minutes late is not applied to tasks added since (which would compound every
        # scale-out). With no such count (a custom metric), or with capacity_basis "running",
        # the running count now is used, as the ECS guide words it.
        behind = None
        if self.cfg.capacity_basis == "measured":
            behind = self.evaluator.store.tasks_behind(alarm.namespace, alarm.metric_name,
                                                       alarm.period, period_index)
        base = self.service.running_count() if behind is None else behind
        capacity = target_tracking_capacity(self.cfg, base, metric)
        return capacity, f"ceil({base:.4g} x {metric:.4g} / {self.cfg.target_value:g}) = {capacity}"

    def _recommend(self, alarm: MetricAlarm, label: str, direction: str, settle=None) -> None:
        computed = self.capacity(alarm)
        if computed is None:
            return
        capacity, arithmetic = computed
        self.target.recommend(Recommendation(
            policy=self.name, capacity=capacity, base=self.service.running_count(),
            why=f"{label} in ALARM: {alarm.describe(alarm.last_values)}; {arithmetic}",
            scale_out_cooldown=self.cfg.scale_out_cooldown,
            scale_in_cooldown=self.cfg.scale_in_cooldown, direction=direction, settle=settle))

    def _on_high(self, alarm, now) -> None:
        self._recommend(alarm, "AlarmHigh", "out")

    def _on_low(self, alarm, now) -> None:
        if not self.scale_in_enabled:
            return
        # Judged once every alarm of this instant has been evaluated (aws-behaviour.md 1.6).
        self._recommend(alarm, "AlarmLow", "in", settle=self._settle_scale_in)

    def _settle_scale_in(self) -> tuple[int, str] | None:
        """Several target tracking policies scale in only when every one that may scale in is
        ready to, and then to the largest capacity any of them computes: a policy whose own
        formula still wants the current count holds the service there, and none is scaled in
        below what it needs (which its AlarmHigh would only undo). A policy with scale-in
        disabled does not have to be ready, but its capacity counts as well. None: not ready."""
        if not all(p.ready_to_scale_in() for p in self.peers if p.scale_in_enabled):
            return None
        computed = {p.name: c[0] for p in self.peers if (c := p.capacity()) is not None}
        largest = max(computed.values())
        if len(computed) == 1:
            return largest, ""
        return largest, ("largest of the target tracking policies: "
                         + ", ".join(f"{name} {c}" for name, c in computed.items()))


class StepScalingPolicy:
    """Invoked by the user's alarms that name it in alarm_actions."""

    def __init__(self, policy, target: ScalableTarget, service):
        self.name = policy.name
        self.cfg = policy.step_scaling_policy_configuration
        self.target = target
        self.service = service

    def __call__(self, alarm: MetricAlarm, now) -> None:
        values = alarm.recent()
        if not values:
            return
        metric = aggregate(values, self.cfg.metric_aggregation_type)
        running = self.service.running_count()
        capacity = step_scaling_capacity(self.cfg, running, metric, alarm.threshold,
                                         comparison_operator=alarm.comparison_operator)
        # ExactCapacity names the capacity itself: the cooldown's "adds only the difference"
        # applies to the relative adjustment types. A step that adds tasks never removes any,
        # even when that rule leaves it below the desired count, and the reverse.
        relative = self.cfg.adjustment_type != "ExactCapacity"
        direction = ("any" if not relative else
                     "out" if capacity > running else "in" if capacity < running else "any")

        def capacity_from(base: int) -> int:
            return step_scaling_capacity(self.cfg, base, metric, alarm.threshold,
                                         comparison_operator=alarm.comparison_operator)

        self.target.recommend(Recommendation(
            policy=self.name, capacity=capacity, base=running, direction=direction,
            capacity_from=capacity_from if relative else None,
            why=f"{alarm.name} in ALARM: {alarm.describe(alarm.last_values)}; "
                f"{self.cfg.metric_aggregation_type} {metric:.4g}, {self.cfg.adjustment_type} "
                f"from {running} -> {capacity}",
            scale_out_cooldown=self.cfg.cooldown, scale_in_cooldown=self.cfg.cooldown))

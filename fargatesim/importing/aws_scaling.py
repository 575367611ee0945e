"""Application Auto Scaling and CloudWatch alarms, as the AWS CLI describes them for a service.

The scalable target, policies and scheduled actions are the service's by resource id
(service/CLUSTER/SERVICE); an alarm is read when its actions invoke one of the service's step
scaling policies, except the TargetTracking-* alarms a target tracking policy owns.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..metric_catalogue import COMPARISON_OPERATORS, PUBLISHED_METRICS, STATISTICS
from ..scenario.autoscaling import PREDEFINED_METRICS
from .impact import dropped, foreign_dimensions
from .predictive import predictive_from_aws


class AwsScaling:
    """The scaling half of the AWS CLI importer (aws_cli._Import), which provides `found`, `used`,
    `fail`, `drop`, `dropped`, `notes`, `unevaluated`, `service_name` and `cluster_name`."""

    # ------------------------------------------------------------------ Application Auto Scaling
    def autoscaling(self, resource: str | None) -> tuple[dict | None, list[dict]]:
        targets = [(d, t) for d, t in self.found.items("scalable_targets", "ScalableTargets")
                   if t.get("ResourceId") == resource and t.get("ScalableDimension", "ecs:service:DesiredCount")
                   == "ecs:service:DesiredCount"]
        policies = [(d, p) for d, p in self.found.items("scaling_policies", "ScalingPolicies")
                    if p.get("ResourceId") == resource]
        actions = [(d, a) for d, a in self.found.items("scheduled_actions", "ScheduledActions")
                   if a.get("ResourceId") == resource]
        if not targets:
            if policies or actions:
                raise self.fail(f"expected the output of `aws application-autoscaling describe-scalable-targets "
                                f"--service-namespace ecs --resource-ids {resource}` among the folder's files (the "
                                f"folder has policies or scheduled actions for that resource)")
            self.notes.append(f"no scalable target for {resource} in the folder: the service keeps its desired count")
            return None, []
        doc, target = targets[0]
        self.used(doc)
        out: dict[str, Any] = {"min_capacity": target["MinCapacity"], "max_capacity": target["MaxCapacity"]}
        self.drop("autoscaling", target, {"MinCapacity", "MaxCapacity"})
        kept = []
        out["policies"] = []
        for doc, policy in policies:
            self.used(doc)
            section = self.policy(len(out["policies"]), policy)
            if section is not None:
                out["policies"].append(section)
                kept.append(policy)
        out["scheduled_actions"] = []
        for doc, action in actions:
            self.used(doc)
            out["scheduled_actions"].append(self.scheduled_action(len(out["scheduled_actions"]), action))
        for key in ("policies", "scheduled_actions"):
            if not out[key]:
                del out[key]
        return out, kept

    def policy(self, i: int, policy: dict) -> dict | None:
        where = f"autoscaling.policies[{i}]"
        name, kind = policy.get("PolicyName", f"policy-{i}"), policy.get("PolicyType")
        out: dict[str, Any] = {"name": name, "policy_type": kind}
        if kind == "TargetTrackingScaling":
            config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
            section = self.target_tracking(where, config)
            if section is None:
                self.dropped.append(dropped("autoscaling.policies", name, config, key="policy",
                                            why=self._why_not(config)))
                return None
            out["target_tracking_scaling_policy_configuration"] = section
        elif kind == "StepScaling":
            out["step_scaling_policy_configuration"] = self.step_scaling(where, policy.get(
                "StepScalingPolicyConfiguration") or {})
        elif kind == "PredictiveScaling":
            section, why = predictive_from_aws(policy.get("PredictiveScalingPolicyConfiguration"))
            if section is None:
                self.dropped.append(dropped("autoscaling.policies", name, kind, key="predictive_scaling_policy", why=why))
                return None
            out["predictive_scaling_policy_configuration"] = section
        else:
            self.dropped.append(dropped("autoscaling.policies", name, kind, key="policy"))
            return None
        self.drop(where, policy, {"PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration",
                                  "StepScalingPolicyConfiguration", "PredictiveScalingPolicyConfiguration"})
        return out

    def target_tracking(self, where: str, config: dict) -> dict | None:
        out: dict[str, Any] = {"target_value": config.get("TargetValue")}
        predefined, custom = config.get("PredefinedMetricSpecification"), config.get("CustomizedMetricSpecification")
        if predefined and predefined.get("PredefinedMetricType") in PREDEFINED_METRICS:
            spec = {"predefined_metric_type": predefined["PredefinedMetricType"]}
            if predefined.get("ResourceLabel"):
                spec["resource_label"] = predefined["ResourceLabel"]
            out["predefined_metric_specification"] = spec
        elif custom and _published(custom.get("Namespace"), custom.get("MetricName")) and \
                custom.get("Statistic") in STATISTICS and not custom.get("Metrics"):
            spec = {"namespace": custom["Namespace"], "metric_name": custom["MetricName"],
                    "statistic": custom["Statistic"]}
            if custom.get("Dimensions"):
                spec["dimensions"] = [{"name": d["Name"], "value": d["Value"]} for d in custom["Dimensions"]]
            out["customized_metric_specification"] = spec
        else:
            return None
        out["scale_out_cooldown"] = config.get("ScaleOutCooldown", 300)
        out["scale_in_cooldown"] = config.get("ScaleInCooldown", 300)
        out["disable_scale_in"] = config.get("DisableScaleIn", False)
        self.drop(f"{where}.target_tracking_scaling_policy_configuration", config,
                  {"TargetValue", "PredefinedMetricSpecification", "CustomizedMetricSpecification", "ScaleOutCooldown",
                   "ScaleInCooldown", "DisableScaleIn"})
        return out

    @staticmethod
    def _why_not(config: dict) -> str:
        predefined, custom = config.get("PredefinedMetricSpecification"), config.get("CustomizedMetricSpecification")
        if predefined:
            return (f"target tracking of {predefined.get('PredefinedMetricType')}, a metric the simulator does not "
                    "publish: the simulation scales without this policy")
        if custom:
            return (f"target tracking of {custom.get('Namespace')}/{custom.get('MetricName') or 'metric math'}, a "
                    "metric the simulator does not publish: the simulation scales without this policy")
        return "target tracking without a metric"

    def step_scaling(self, where: str, config: dict) -> dict:
        out: dict[str, Any] = {"adjustment_type": config.get("AdjustmentType"),
                               "cooldown": config.get("Cooldown", 300),
                               "metric_aggregation_type": config.get("MetricAggregationType", "Average")}
        if config.get("MinAdjustmentMagnitude") is not None:
            out["min_adjustment_magnitude"] = config["MinAdjustmentMagnitude"]
        steps = []
        for step in config.get("StepAdjustments") or []:
            item = {}
            for key, name in (("MetricIntervalLowerBound", "metric_interval_lower_bound"),
                              ("MetricIntervalUpperBound", "metric_interval_upper_bound")):
                if step.get(key) is not None:
                    item[name] = step[key]
            item["scaling_adjustment"] = step.get("ScalingAdjustment")
            steps.append(item)
        out["step_adjustments"] = steps
        self.drop(f"{where}.step_scaling_policy_configuration", config,
                  {"AdjustmentType", "Cooldown", "MetricAggregationType", "MinAdjustmentMagnitude", "StepAdjustments"})
        return out

    def scheduled_action(self, i: int, action: dict) -> dict:
        where = f"autoscaling.scheduled_actions[{i}]"
        out: dict[str, Any] = {"name": action.get("ScheduledActionName", f"action-{i}"),
                               "schedule": action.get("Schedule"), "timezone": action.get("Timezone") or "UTC"}
        for key, name in (("StartTime", "start_time"), ("EndTime", "end_time")):
            if action.get(key):
                out[name] = _timestamp(action[key])
        bounds = action.get("ScalableTargetAction") or {}
        out["scalable_target_action"] = {name: bounds[key] for key, name in
                                         (("MinCapacity", "min_capacity"), ("MaxCapacity", "max_capacity"))
                                         if bounds.get(key) is not None}
        self.drop(where, action, {"ScheduledActionName", "Schedule", "Timezone", "StartTime", "EndTime",
                                  "ScalableTargetAction"})
        return out

    # ------------------------------------------------------------------ CloudWatch alarms
    def alarms(self, policies: list[dict]) -> list[dict]:
        steps = {p["PolicyARN"]: p["PolicyName"] for p in policies
                 if p.get("PolicyType") == "StepScaling" and p.get("PolicyARN")}
        owned = {a.get("AlarmName") for p in policies if p.get("PolicyType") == "TargetTrackingScaling"
                 for a in p.get("Alarms") or []}
        out = []
        for doc, alarm in self.found.items("alarms", "MetricAlarms"):
            name = alarm.get("AlarmName", "")
            actions = [*(alarm.get("AlarmActions") or []), *(alarm.get("OKActions") or [])]
            if name in owned or name.startswith("TargetTracking-") or not any(a in steps for a in actions):
                continue
            self.used(doc)
            section = self.alarm(len(out), alarm, steps)
            if section is not None:
                out.append(section)
        invoked = {a for alarm in out for a in alarm.get("alarm_actions", [])} | self.unevaluated
        for arn, name in steps.items():
            if name not in invoked:
                self.notes.append(f"no alarm in the folder invokes the step scaling policy {name} (save "
                                  "`aws cloudwatch describe-alarms` output that holds it): it never acts in the "
                                  "simulation")
        return out

    def check_dimensions(self, name: str, dimensions: list) -> None:
        named = {d.get("Name"): d.get("Value") for d in dimensions if isinstance(d, dict)}
        foreign = foreign_dimensions(named, self.service_name, self.cluster_name)
        if foreign:
            self.notes.append(f"the alarm {name} watches {', '.join(foreign)}, not the imported service; the "
                              "simulation evaluates it on the imported service's metrics")

    def alarm(self, i: int, alarm: dict, steps: dict[str, str]) -> dict | None:
        where = f"alarms[{i}]"
        name = alarm["AlarmName"]
        why = _unsupported_alarm(alarm)
        if why:
            self.dropped.append(dropped("alarms", name, why[1], key=why[0]))
            self.unevaluated.update(steps[a] for a in alarm.get("AlarmActions") or [] if a in steps)
            return None
        out: dict[str, Any] = {"alarm_name": name}
        if alarm.get("Metrics"):
            out["metrics"] = [_query(q) for q in alarm["Metrics"]]
        else:
            out.update({"namespace": alarm["Namespace"], "metric_name": alarm["MetricName"],
                        "statistic": alarm["Statistic"], "period": alarm["Period"]})
            if alarm.get("Dimensions"):
                out["dimensions"] = [{"name": d["Name"], "value": d["Value"]} for d in alarm["Dimensions"]]
        self.check_dimensions(name, alarm.get("Dimensions") or [])
        out["evaluation_periods"] = alarm["EvaluationPeriods"]
        out["datapoints_to_alarm"] = alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]
        out["comparison_operator"] = alarm["ComparisonOperator"]
        out["threshold"] = alarm["Threshold"]
        out["treat_missing_data"] = alarm.get("TreatMissingData", "missing")
        enabled = alarm.get("ActionsEnabled", True)
        for key, name_ in (("AlarmActions", "alarm_actions"), ("OKActions", "ok_actions")):
            names = [steps[a] for a in alarm.get(key) or [] if a in steps]
            others = [a for a in alarm.get(key) or [] if a not in steps]
            if names and enabled:
                out[name_] = names
            if others:
                self.dropped.append(dropped(where, f"{name_} other than scaling policies", others))
        if not enabled:
            self.dropped.append(dropped(where, "actions_enabled", False))
        self.drop(where, alarm, {"AlarmName", "Metrics", "Namespace", "MetricName", "Statistic", "Period", "Dimensions",
                                 "EvaluationPeriods", "DatapointsToAlarm", "ComparisonOperator", "Threshold",
                                 "TreatMissingData", "AlarmActions", "OKActions", "ActionsEnabled"})
        return out


def _unsupported_alarm(alarm: dict) -> tuple[str, Any] | None:
    """(impact key, value) when the simulator cannot evaluate the alarm, else None."""
    if alarm.get("ExtendedStatistic"):
        return "extended_statistic", alarm["ExtendedStatistic"]
    if alarm.get("ThresholdMetricId") or alarm.get("ComparisonOperator") not in COMPARISON_OPERATORS:
        return "threshold_metric_id", alarm.get("ThresholdMetricId") or alarm.get("ComparisonOperator")
    if alarm.get("Metrics"):
        for q in alarm["Metrics"]:
            metric = ((q.get("MetricStat") or {}).get("Metric")) or {}
            if q.get("MetricStat") and (not _published(metric.get("Namespace"), metric.get("MetricName"))
                                        or q["MetricStat"].get("Stat") not in STATISTICS):
                return "alarm", f"{metric.get('Namespace')}/{metric.get('MetricName')}"
        return None
    if not _published(alarm.get("Namespace"), alarm.get("MetricName")) or alarm.get("Statistic") not in STATISTICS:
        return "alarm", f"{alarm.get('Namespace')}/{alarm.get('MetricName')} {alarm.get('Statistic')}"
    return None


def _query(q: dict) -> dict:
    out: dict[str, Any] = {"id": q["Id"]}
    if q.get("MetricStat"):
        stat = q["MetricStat"]
        metric = {"namespace": stat["Metric"]["Namespace"], "metric_name": stat["Metric"]["MetricName"]}
        if stat["Metric"].get("Dimensions"):
            metric["dimensions"] = [{"name": d["Name"], "value": d["Value"]} for d in stat["Metric"]["Dimensions"]]
        out["metric_stat"] = {"metric": metric, "period": stat.get("Period", 60), "stat": stat.get("Stat", "Average")}
    if q.get("Expression"):
        out["expression"] = q["Expression"]
    if q.get("Label"):
        out["label"] = q["Label"]
    out["return_data"] = q.get("ReturnData", True)
    return out


def _published(namespace: Any, metric: Any) -> bool:
    return metric in PUBLISHED_METRICS.get(namespace, ())


def _timestamp(value: Any) -> Any:
    """The AWS CLI prints times in ISO 8601, or (version 1, and its documented examples) as
    seconds since the epoch: both as ISO 8601 in UTC."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc).isoformat().replace("+00:00", "Z")
    return value

"""Application Auto Scaling and CloudWatch alarms, as a Terraform plan holds them for a service.

The scalable target is the service's by its resource_id (known in a plan, or by reference); the
policies and scheduled actions are the target's; an alarm is read when its actions invoke one of
those step scaling policies (their ARNs are unknown in a plan: the configuration links them).
"""
from __future__ import annotations

from typing import Any

from ..metric_catalogue import COMPARISON_OPERATORS, PUBLISHED_METRICS, STATISTICS
from ..scenario.autoscaling import PREDEFINED_METRICS
from .impact import dropped, foreign_dimensions
from .predictive import predictive_from_terraform
from .terraform_plan import Resource, number


class TerraformScaling:
    """The scaling half of the Terraform importer (terraform_service._Import), which provides
    `plan`, `used`, `drop`, `dropped`, `notes`, `unevaluated`, `service_name` and `cluster`."""

    # ------------------------------------------------------------------ Application Auto Scaling
    def autoscaling(self, service: Resource, name: str) -> tuple[dict | None, list[Resource]]:
        targets = [t for t in self.plan.of_type("aws_appautoscaling_target")
                   if t.values.get("service_namespace") in (None, "ecs") and self._scales(t, service, name)]
        if not targets:
            self.notes.append("no aws_appautoscaling_target scales the service: it keeps its desired count")
            return None, []
        target = targets[0]
        self.used(target)
        out: dict[str, Any] = {"min_capacity": number(target.values.get("min_capacity")),
                               "max_capacity": number(target.values.get("max_capacity"))}
        self.drop("autoscaling", target, {"min_capacity", "max_capacity"})
        policies = [p for p in self.plan.of_type("aws_appautoscaling_policy") if self._on(p, target)]
        kept: list[Resource] = []
        out["policies"] = []
        for policy in policies:
            section = self.policy(len(out["policies"]), policy)
            if section is not None:
                self.used(policy)
                out["policies"].append(section)
                kept.append(policy)
        actions = [a for a in self.plan.of_type("aws_appautoscaling_scheduled_action") if self._on(a, target)]
        out["scheduled_actions"] = [self.scheduled_action(i, a) for i, a in enumerate(actions)]
        for key in ("policies", "scheduled_actions"):
            if not out[key]:
                del out[key]
        return out, kept

    def _scales(self, target: Resource, service: Resource, name: str) -> bool:
        resource_id = target.values.get("resource_id")
        if isinstance(resource_id, str):
            # service/CLUSTER/SERVICE: the same service name may run in several clusters.
            parts = resource_id.split("/")
            cluster = self.cluster_name(service)
            return (len(parts) == 3 and parts[0] == "service" and parts[2] == name
                    and (cluster is None or parts[1] == cluster))
        return service in self.plan.linked(target, ("resource_id",), ("aws_ecs_service",), keys=())

    def cluster_name(self, service: Resource) -> str | None:
        """The name of the service's cluster: its `cluster` (an ARN or a name), else the
        aws_ecs_cluster it refers to."""
        cluster = service.values.get("cluster")
        if isinstance(cluster, str) and cluster:
            return cluster.rsplit("/", 1)[-1]
        clusters = self.plan.linked(service, ("cluster",), ("aws_ecs_cluster",))
        names = {c.values.get("name") for c in clusters}
        return names.pop() if len(names) == 1 and None not in names else None

    def _on(self, item: Resource, target: Resource) -> bool:
        resource_id = item.values.get("resource_id")
        if isinstance(resource_id, str) and isinstance(target.values.get("resource_id"), str):
            return resource_id == target.values["resource_id"]
        return target in self.plan.linked(item, ("resource_id",), ("aws_appautoscaling_target",),
                                          keys=("resource_id",))

    def policy(self, i: int, policy: Resource) -> dict | None:
        where = f"autoscaling.policies[{i}]"
        self.current = policy.address
        v = policy.values
        name, kind = v.get("name") or policy.address, v.get("policy_type") or "StepScaling"
        out: dict[str, Any] = {"name": name, "policy_type": kind}
        if kind == "TargetTrackingScaling":
            config = (v.get("target_tracking_scaling_policy_configuration") or [{}])[0] or {}
            section = self.target_tracking(config)
            if section is None:
                self.dropped.append(dropped("autoscaling.policies", name, _spec(config), key="policy",
                                            why="target tracking of a metric the simulator does not publish: the "
                                                "simulation scales without this policy"))
                return None
            out["target_tracking_scaling_policy_configuration"] = section
        elif kind == "StepScaling":
            config = (v.get("step_scaling_policy_configuration") or [{}])[0] or {}
            out["step_scaling_policy_configuration"] = self.step_scaling(config)
        elif kind == "PredictiveScaling":
            section, why = predictive_from_terraform(v.get("predictive_scaling_policy_configuration"))
            if section is None:
                self.dropped.append(dropped("autoscaling.policies", name, kind, key="predictive_scaling_policy", why=why))
                return None
            out["predictive_scaling_policy_configuration"] = section
        else:
            self.dropped.append(dropped("autoscaling.policies", name, kind, key="policy"))
            return None
        self.drop(where, policy, {"name", "policy_type", "target_tracking_scaling_policy_configuration",
                                  "step_scaling_policy_configuration", "predictive_scaling_policy_configuration"})
        return out

    @staticmethod
    def target_tracking(config: dict) -> dict | None:
        out: dict[str, Any] = {"target_value": number(config.get("target_value"))}
        predefined = (config.get("predefined_metric_specification") or [None])[0]
        custom = (config.get("customized_metric_specification") or [None])[0]
        if predefined and predefined.get("predefined_metric_type") in PREDEFINED_METRICS:
            spec = {"predefined_metric_type": predefined["predefined_metric_type"]}
            if predefined.get("resource_label"):
                spec["resource_label"] = predefined["resource_label"]
            out["predefined_metric_specification"] = spec
        elif custom and not custom.get("metrics") and custom.get("metric_name") in PUBLISHED_METRICS.get(
                custom.get("namespace"), ()) and custom.get("statistic") in STATISTICS:
            spec = {"namespace": custom["namespace"], "metric_name": custom["metric_name"],
                    "statistic": custom["statistic"]}
            if custom.get("dimensions"):
                spec["dimensions"] = [{"name": d["name"], "value": d["value"]} for d in custom["dimensions"]]
            out["customized_metric_specification"] = spec
        else:
            return None
        out["scale_out_cooldown"] = number(config.get("scale_out_cooldown"), 300)
        out["scale_in_cooldown"] = number(config.get("scale_in_cooldown"), 300)
        out["disable_scale_in"] = bool(config.get("disable_scale_in") or False)
        return out

    @staticmethod
    def step_scaling(config: dict) -> dict:
        out: dict[str, Any] = {"adjustment_type": config.get("adjustment_type"),
                               "cooldown": number(config.get("cooldown"), 300),
                               "metric_aggregation_type": config.get("metric_aggregation_type") or "Average"}
        if config.get("min_adjustment_magnitude") is not None:
            out["min_adjustment_magnitude"] = number(config["min_adjustment_magnitude"])
        steps = []
        for step in config.get("step_adjustment") or []:
            item = {}
            for key in ("metric_interval_lower_bound", "metric_interval_upper_bound"):
                if number(step.get(key)) is not None:
                    item[key] = number(step[key])
            item["scaling_adjustment"] = number(step.get("scaling_adjustment"))
            steps.append(item)
        out["step_adjustments"] = steps
        return out

    def scheduled_action(self, i: int, action: Resource) -> dict:
        self.used(action)
        v = action.values
        out: dict[str, Any] = {"name": v.get("name") or action.address, "schedule": v.get("schedule"),
                               "timezone": v.get("timezone") or "UTC"}
        for key in ("start_time", "end_time"):
            if v.get(key):
                out[key] = v[key]
        bounds = (v.get("scalable_target_action") or [{}])[0] or {}
        out["scalable_target_action"] = {k: number(bounds[k]) for k in ("min_capacity", "max_capacity")
                                         if number(bounds.get(k)) is not None}
        self.drop(f"autoscaling.scheduled_actions[{i}]", action,
                  {"name", "schedule", "timezone", "start_time", "end_time", "scalable_target_action"})
        return out

    # ------------------------------------------------------------------ CloudWatch alarms
    def alarms(self, policies: list[Resource]) -> list[dict]:
        steps = {p.address: p.values.get("name") for p in policies if p.values.get("policy_type") in (None, "StepScaling")}
        out = []
        for alarm in self.plan.of_type("aws_cloudwatch_metric_alarm"):
            invoked = {key: [steps[p.address] for p in self.plan.linked(alarm, (key,), ("aws_appautoscaling_policy",))
                             if p.address in steps] for key in ("alarm_actions", "ok_actions")}
            if not any(invoked.values()):
                continue
            section = self.alarm(len(out), alarm, invoked)
            if section is not None:
                self.used(alarm)
                out.append(section)
        named = {a for alarm in out for a in alarm.get("alarm_actions", [])} | self.unevaluated
        for name in steps.values():
            if name not in named:
                self.notes.append(f"no aws_cloudwatch_metric_alarm of the plan invokes the step scaling policy {name}: "
                                  "it never acts in the simulation")
        return out

    def alarm(self, i: int, alarm: Resource, invoked: dict[str, list[str]]) -> dict | None:
        self.current = alarm.address
        v = alarm.values
        name = v.get("alarm_name") or alarm.address
        why = _unsupported(v)
        if why:
            self.dropped.append(dropped("alarms", name, why[1], key=why[0]))
            self.unevaluated.update(invoked["alarm_actions"])
            return None
        where = f"alarms[{i}]"
        out: dict[str, Any] = {"alarm_name": name}
        if v.get("metric_query"):
            out["metrics"] = [_query(q) for q in v["metric_query"]]
        else:
            out.update({"namespace": v["namespace"], "metric_name": v["metric_name"], "statistic": v["statistic"],
                        "period": number(v.get("period"))})
            if v.get("dimensions"):
                out["dimensions"] = [{"name": k, "value": val} for k, val in v["dimensions"].items()]
        named = v.get("dimensions") if isinstance(v.get("dimensions"), dict) else {}
        foreign = foreign_dimensions(named, self.service_name, self.cluster)
        if foreign:
            self.notes.append(f"the alarm {name} watches {', '.join(foreign)}, not the imported service; the "
                              "simulation evaluates it on the imported service's metrics")
        periods = number(v.get("evaluation_periods"))
        out["evaluation_periods"] = periods
        out["datapoints_to_alarm"] = number(v.get("datapoints_to_alarm"), periods)
        out["comparison_operator"] = v["comparison_operator"]
        out["threshold"] = number(v.get("threshold"))
        out["treat_missing_data"] = v.get("treat_missing_data") or "missing"
        enabled = v.get("actions_enabled") is not False
        for key, names in invoked.items():
            if names and enabled:
                out[key] = names
        if not enabled:
            self.dropped.append(dropped(where, "actions_enabled", False))
        taken = {"alarm_name", "metric_query", "namespace", "metric_name", "statistic", "period", "dimensions",
                 "evaluation_periods", "datapoints_to_alarm", "comparison_operator", "threshold",
                 "treat_missing_data", "actions_enabled", "alarm_actions", "ok_actions"}
        self.drop(where, alarm, taken)
        return out


def _spec(config: dict) -> Any:
    return ((config.get("predefined_metric_specification") or [None])[0]
            or (config.get("customized_metric_specification") or [None])[0])


def _unsupported(v: dict) -> tuple[str, Any] | None:
    if v.get("extended_statistic"):
        return "extended_statistic", v["extended_statistic"]
    if v.get("threshold_metric_id") or v.get("comparison_operator") not in COMPARISON_OPERATORS:
        return "threshold_metric_id", v.get("threshold_metric_id") or v.get("comparison_operator")
    if v.get("metric_query"):
        for q in v["metric_query"]:
            metric = (q.get("metric") or [None])[0]
            if metric and (metric.get("metric_name") not in PUBLISHED_METRICS.get(metric.get("namespace"), ())
                           or metric.get("stat") not in STATISTICS):
                return "alarm", f"{metric.get('namespace')}/{metric.get('metric_name')} {metric.get('stat')}"
        return None
    if v.get("metric_name") not in PUBLISHED_METRICS.get(v.get("namespace"), ()) or v.get("statistic") not in STATISTICS:
        return "alarm", f"{v.get('namespace')}/{v.get('metric_name')} {v.get('statistic')}"
    return None


def _query(q: dict) -> dict:
    out: dict[str, Any] = {"id": q["id"]}
    metric = (q.get("metric") or [None])[0]
    if metric:
        m = {"namespace": metric["namespace"], "metric_name": metric["metric_name"]}
        if metric.get("dimensions"):
            m["dimensions"] = [{"name": k, "value": val} for k, val in metric["dimensions"].items()]
        out["metric_stat"] = {"metric": m, "period": number(metric.get("period"), 60),
                              "stat": metric.get("stat") or "Average"}
    if q.get("expression"):
        out["expression"] = q["expression"]
    if q.get("label"):
        out["label"] = q["label"]
    out["return_data"] = q.get("return_data") is not False
    return out

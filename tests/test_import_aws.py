"""`fargatesim import aws DIR` on the AWS CLI's own example outputs (botocore's examples-1.json).

The examples describe unrelated resources, so the folder links them the way one real service
would be linked: the service is named web-app (as the Application Auto Scaling examples call
it), runs the task definition example and sends requests to the target group example. Only
identifiers change; every other value is AWS's, and the tests compare the scenario with them.
"""
import copy
import json
import warnings
from pathlib import Path

import botocore
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_edits import JSON_VALUES, leaves

from fargatesim.cli import main
from fargatesim.engine import simulate
from fargatesim.importing import import_aws
from fargatesim.importing.impact import IMPACT
from fargatesim.scenario import ScenarioError, ScenarioWarning, load_scenario, scenario_from_dict, warnings_for

FIXTURES = Path(__file__).parent / "fixtures" / "aws"



def example(service: str, operation: str) -> dict:
    root = Path(botocore.__file__).parent / "data" / service
    (file,) = root.glob("*/examples-1.json")
    return copy.deepcopy(json.loads(file.read_text())["examples"][operation][0]["output"])


@pytest.fixture
def outputs() -> dict:
    """The documents of one service, by the command that prints them."""
    services = example("ecs", "DescribeServices")
    task = example("ecs", "DescribeTaskDefinition")
    groups = example("elbv2", "DescribeTargetGroups")
    service = services["services"][0]
    service["serviceName"] = "web-app"
    service["serviceArn"] = "arn:aws:ecs:us-east-1:012345678910:service/default/web-app"
    service["taskDefinition"] = task["taskDefinition"]["taskDefinitionArn"]
    service["loadBalancers"] = [{"targetGroupArn": groups["TargetGroups"][0]["TargetGroupArn"],
                                 "containerName": "wordpress", "containerPort": 80}]
    return {
        "describe-services": services,
        "describe-task-definition": task,
        "describe-target-groups": groups,
        "describe-target-group-attributes": example("elbv2", "DescribeTargetGroupAttributes"),
        "describe-load-balancer-attributes": example("elbv2", "DescribeLoadBalancerAttributes"),
        "describe-scalable-targets": example("application-autoscaling", "DescribeScalableTargets"),
        "describe-scaling-policies": example("application-autoscaling", "DescribeScalingPolicies"),
        "describe-scheduled-actions": json.loads((FIXTURES / "describe-scheduled-actions.json").read_text()),
        "describe-alarms": json.loads((FIXTURES / "describe-alarms.json").read_text()),
    }


def save(folder: Path, outputs: dict, names=None) -> Path:
    folder.mkdir(exist_ok=True)
    for i, (command, document) in enumerate(outputs.items()):
        name = names[i] if names else f"{command}.json"
        (folder / name).write_text(json.dumps(document, indent=2))
    return folder


def imported_scenario(folder: Path) -> dict:
    return yaml.safe_load(import_aws(str(folder)).to_yaml())


def test_every_value_of_the_examples_is_carried_over(tmp_path, outputs):
    data = imported_scenario(save(tmp_path / "exports", outputs))
    service = outputs["describe-services"]["services"][0]
    assert data["name"] == "web-app"
    assert data["service"]["desired_count"] == service["desiredCount"]
    assert data["service"]["deployment_maximum_percent"] == service["deploymentConfiguration"]["maximumPercent"]
    assert data["service"]["deployment_minimum_healthy_percent"] == \
        service["deploymentConfiguration"]["minimumHealthyPercent"]
    assert data["service"]["load_balancer"] == {"container_name": "wordpress", "container_port": 80}

    task = outputs["describe-task-definition"]["taskDefinition"]
    td = data["task_definition"]
    assert td["family"] == task["family"]
    assert [(c["name"], c["image"], c["essential"]) for c in td["container_definitions"]] == \
        [(c["name"], c["image"], c["essential"]) for c in task["containerDefinitions"]]
    assert td["container_definitions"][0]["port_mappings"] == [{"container_port": 80}]
    assert "port_mappings" not in td["container_definitions"][1]
    # An EC2 task definition sizes only its containers (2 x 10 CPU units, 2 x 500 MiB): the
    # smallest Fargate size that holds them.
    assert (td["cpu"], td["memory"]) == (256, 1024)

    group = outputs["describe-target-groups"]["TargetGroups"][0]
    check = data["target_group"]["health_check"]
    assert check == {"path": group["HealthCheckPath"], "interval": group["HealthCheckIntervalSeconds"],
                     "timeout": group["HealthCheckTimeoutSeconds"], "healthy_threshold": group["HealthyThresholdCount"],
                     "unhealthy_threshold": group["UnhealthyThresholdCount"], "matcher": group["Matcher"]["HttpCode"]}
    attributes = {a["Key"]: a["Value"] for a in outputs["describe-target-group-attributes"]["Attributes"]}
    assert data["target_group"]["deregistration_delay"] == int(attributes["deregistration_delay.timeout_seconds"])
    lb = {a["Key"]: a["Value"] for a in outputs["describe-load-balancer-attributes"]["Attributes"]}
    assert data["workload"]["timeout"] == float(lb["idle_timeout.timeout_seconds"])

    target = outputs["describe-scalable-targets"]["ScalableTargets"][0]
    assert (data["autoscaling"]["min_capacity"], data["autoscaling"]["max_capacity"]) == \
        (target["MinCapacity"], target["MaxCapacity"])
    policy = outputs["describe-scaling-policies"]["ScalingPolicies"][0]
    (section,) = data["autoscaling"]["policies"]
    config = policy["StepScalingPolicyConfiguration"]
    assert section["name"] == policy["PolicyName"] and section["policy_type"] == "StepScaling"
    step = section["step_scaling_policy_configuration"]
    assert step["adjustment_type"] == config["AdjustmentType"] and step["cooldown"] == config["Cooldown"]
    assert step["step_adjustments"] == [{"metric_interval_lower_bound": s["MetricIntervalLowerBound"],
                                         "scaling_adjustment": s["ScalingAdjustment"]}
                                        for s in config["StepAdjustments"]]

    actions = outputs["describe-scheduled-actions"]["ScheduledActions"]
    assert [(a["name"], a["schedule"], a["timezone"]) for a in data["autoscaling"]["scheduled_actions"]] == \
        [(a["ScheduledActionName"], a["Schedule"], a.get("Timezone", "UTC")) for a in actions]
    assert data["autoscaling"]["scheduled_actions"][0]["scalable_target_action"] == {"min_capacity": 4,
                                                                                     "max_capacity": 10}
    assert data["autoscaling"]["scheduled_actions"][1]["scalable_target_action"] == {"min_capacity": 8}


def test_alarms_of_the_step_policy_only_and_target_trackings_own_skipped(tmp_path, outputs):
    data = imported_scenario(save(tmp_path / "exports", outputs))
    alarms = {a["alarm_name"]: a for a in data["alarms"]}
    # The p99 alarm cannot be evaluated (dropped, ranked), TargetTracking-* belongs to target
    # tracking, billing-api-cpu-high invokes another service's policy.
    assert set(alarms) == {"web-app-cpu-gt-75", "web-app-5xx-rate"}
    cpu = alarms["web-app-cpu-gt-75"]
    source = outputs["describe-alarms"]["MetricAlarms"][0]
    assert (cpu["evaluation_periods"], cpu["datapoints_to_alarm"], cpu["threshold"], cpu["treat_missing_data"],
            cpu["comparison_operator"], cpu["statistic"], cpu["period"]) == \
        (source["EvaluationPeriods"], source["DatapointsToAlarm"], source["Threshold"], source["TreatMissingData"],
         source["ComparisonOperator"], source["Statistic"], source["Period"])
    assert cpu["alarm_actions"] == ["web-app-cpu-gt-75"]      # the SNS topic is left out
    assert cpu["dimensions"] == [{"name": d["Name"], "value": d["Value"]} for d in source["Dimensions"]]
    math = alarms["web-app-5xx-rate"]
    assert [q["id"] for q in math["metrics"]] == ["errors", "requests", "rate"]
    assert math["metrics"][2] == {"id": "rate", "expression": "100 * errors / requests",
                                  "label": "5XX per 100 requests", "return_data": True}
    text = import_aws(str(tmp_path / "exports")).to_yaml()
    assert "alarms.web-app-p99-latency = \"p99\"" in text
    quiet = text.split("no effect on what is simulated")[1].split("\n#\n")[0]
    assert "#   alarms[0]: alarm_actions other than scaling policies, " in quiet     # the SNS topic
    assert "TargetTracking-" not in text.split("\nname:")[1]


def test_the_imported_scenario_validates_and_runs_an_hour(tmp_path, outputs):
    folder = save(tmp_path / "exports", outputs)
    assert main(["import", "aws", str(folder), "-o", str(tmp_path / "service.yaml")]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)     # nothing the importer wrote is refused or ignored
        scenario = load_scenario(tmp_path / "service.yaml")
    assert scenario.placeholders == ("traffic", "workload.cpu_ms", "workload.io_ms")
    assert [w.path for w in warnings_for(scenario)] == ["placeholders"]
    summary = simulate(scenario).summary
    assert summary["duration_s"] == 3600
    assert summary["requests"]["total"] > 0.9 * 3600 * scenario.traffic[0].rps
    # The placeholder load keeps the tasks about half busy, as the file's comment says.
    assert 35 <= summary["cpu_utilization"]["mean"] <= 65


def test_dropped_settings_are_listed_most_consequential_first(tmp_path, outputs):
    text = import_aws(str(save(tmp_path / "exports", outputs))).to_yaml()
    header = text.split("\nname:")[0]
    ranked = header.split("the most consequential first:\n")[1].split("\n#\n")[0]
    settings = [line.split(" = ")[0].strip("# ").rsplit(".", 1)[-1] for line in ranked.splitlines()
                if " = " in line]
    ranks = [IMPACT.get({"cpu": "container_cpu", "memory": "container_memory"}.get(s, s),
                        IMPACT["alarm"] if s == "web-app-p99-latency" else (9, ""))[0] for s in settings]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert "web-app-p99-latency" in settings
    # Switched off, a setting is no loss: stickiness.enabled is "false" in the example.
    quiet = header.split("no effect on what is simulated")[1]
    assert "stickiness" in quiet and "stickiness" not in ranked


def test_files_are_recognised_by_content_whatever_their_names(tmp_path, outputs):
    by_command = imported_scenario(save(tmp_path / "a", outputs))
    names = [f"{i:02d}.out" for i in range(len(outputs))]
    folder = save(tmp_path / "b", outputs, names)
    (folder / "notes.txt").write_text("saved on Monday\n")
    (folder / "other.json").write_text('{"Reservations": []}')
    imported = import_aws(str(folder))
    data = yaml.safe_load(imported.to_yaml())
    for key in ("task_definition", "service", "target_group", "autoscaling", "alarms", "workload", "traffic"):
        assert data[key] == by_command[key]
    assert any("notes.txt" in note and "other.json" in note for note in imported.notes)


def test_same_folder_same_bytes(tmp_path, outputs):
    folder = save(tmp_path / "exports", outputs)
    assert main(["import", "aws", str(folder), "-o", str(tmp_path / "1.yaml")]) == 0
    assert main(["import", "aws", str(folder), "-o", str(tmp_path / "2.yaml")]) == 0
    assert (tmp_path / "1.yaml").read_bytes() == (tmp_path / "2.yaml").read_bytes()


def test_omitted_settings_take_aws_defaults(tmp_path, outputs):
    # Without the attribute outputs: AWS's defaults (300 s, round robin, no slow start, 60 s
    # idle timeout), said in a note; without a health check path: "/".
    del outputs["describe-target-group-attributes"], outputs["describe-load-balancer-attributes"]
    del outputs["describe-target-groups"]["TargetGroups"][0]["HealthCheckPath"]
    imported = import_aws(str(save(tmp_path / "exports", outputs)))
    data = yaml.safe_load(imported.to_yaml())
    assert data["target_group"]["deregistration_delay"] == 300
    assert data["target_group"]["slow_start"] == 0
    assert data["target_group"]["load_balancing_algorithm_type"] == "round_robin"
    assert data["target_group"]["health_check"]["path"] == "/"
    assert data["workload"]["timeout"] == 60
    assert any("AWS's defaults (300 s, off, round_robin)" in n for n in imported.notes)


def test_a_target_tracking_policy_with_its_own_alarms(tmp_path, outputs):
    policies = outputs["describe-scaling-policies"]["ScalingPolicies"]
    policies.append({
        "PolicyARN": "arn:aws:autoscaling:us-west-2:012345678910:scalingPolicy:4a2fcd3b-4c5f-4f8a-9a48-3b1d4e2f7a10"
                     ":resource/ecs/service/default/web-app:policyName/web-app-cpu-target",
        "PolicyName": "web-app-cpu-target", "PolicyType": "TargetTrackingScaling",
        "ResourceId": "service/default/web-app", "ScalableDimension": "ecs:service:DesiredCount",
        "ServiceNamespace": "ecs",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 50.0, "ScaleInCooldown": 120,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}},
        "Alarms": [{"AlarmName": "TargetTracking-service/default/web-app-AlarmHigh-fc0e4183-23ac-497e-9992-"
                                 "691c9980c38e"}]})
    data = imported_scenario(save(tmp_path / "exports", outputs))
    tracking = data["autoscaling"]["policies"][1]["target_tracking_scaling_policy_configuration"]
    # ScaleOutCooldown is left out: AWS's default for ECS, 300 s.
    assert tracking == {"target_value": 50.0,
                        "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
                        "scale_out_cooldown": 300, "scale_in_cooldown": 120, "disable_scale_in": False}
    assert all(not a["alarm_name"].startswith("TargetTracking-") for a in data["alarms"])


@pytest.mark.parametrize("change, message", [
    (lambda o: o.pop("describe-services"), "expected the output of `aws ecs describe-services`"),
    (lambda o: o.pop("describe-task-definition"),
     "expected the output of `aws ecs describe-task-definition --task-definition "
     "arn:aws:ecs:us-east-1:<aws_account_id>:task-definition/hello_world:8`"),
    (lambda o: o.pop("describe-target-groups"), "expected the output of `aws elbv2 describe-target-groups "
                                                "--target-group-arns arn:aws:elasticloadbalancing"),
    (lambda o: o.pop("describe-scalable-targets"), "describe-scalable-targets --service-namespace ecs "
                                                   "--resource-ids service/default/web-app"),
    (lambda o: o["describe-services"]["services"].append(
        {**o["describe-services"]["services"][0], "serviceName": "web-app",
         "serviceArn": "arn:aws:ecs:us-east-1:012345678910:service/staging/web-app"}),
     "expected one service in the describe-services outputs, or --service NAME to choose; found 2: "
     "arn:aws:ecs:us-east-1:012345678910:service/default/web-app, "
     "arn:aws:ecs:us-east-1:012345678910:service/staging/web-app"),
    (lambda o: o.update({"describe-target-group-attributes (2)": o["describe-target-group-attributes"]}),
     "expected one output of `aws elbv2 describe-target-group-attributes`"),
])
def test_what_is_missing_is_named_with_the_command_that_saves_it(tmp_path, outputs, capsys, change, message):
    change(outputs)
    folder = save(tmp_path / "exports", outputs)
    assert main(["import", "aws", str(folder), "-o", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "s.yaml").exists()


def test_service_chosen_by_name(tmp_path, outputs, capsys):
    services = outputs["describe-services"]["services"]
    services.insert(0, {**services[0], "serviceName": "other", "desiredCount": 7,
                        "serviceArn": "arn:aws:ecs:us-east-1:012345678910:service/default/other"})
    folder = save(tmp_path / "exports", outputs)
    assert main(["import", "aws", str(folder), "--service", "web-app", "-o", str(tmp_path / "s.yaml")]) == 0
    assert yaml.safe_load((tmp_path / "s.yaml").read_text())["service"]["desired_count"] == 1
    assert main(["import", "aws", str(folder), "--service", "nope", "-o", str(tmp_path / "t.yaml")]) == 2
    # The same name in two clusters: the ARN tells them apart.
    services.append({**services[1], "desiredCount": 9,
                     "serviceArn": "arn:aws:ecs:us-east-1:012345678910:service/staging/web-app"})
    folder = save(tmp_path / "two-clusters", outputs)
    assert main(["import", "aws", str(folder), "--service", "web-app", "-o", str(tmp_path / "u.yaml")]) == 2
    assert "give its ARN" in capsys.readouterr().err
    assert main(["import", "aws", str(folder), "--service", "arn:aws:ecs:us-east-1:012345678910:service/staging/"
                 "web-app", "-o", str(tmp_path / "u.yaml")]) == 0
    assert yaml.safe_load((tmp_path / "u.yaml").read_text())["service"]["desired_count"] == 9


def test_times_printed_as_epoch_seconds(tmp_path, outputs):
    # AWS CLI version 1 (and the CLI's documented examples) print times as seconds since 1970.
    action = outputs["describe-scheduled-actions"]["ScheduledActions"][0]
    action["StartTime"] = 1557187200.0
    data = imported_scenario(save(tmp_path / "exports", outputs))
    assert data["autoscaling"]["scheduled_actions"][0]["start_time"] == "2019-05-07T00:00:00Z"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edited_output_gives_a_scenario_or_one_clear_message(tmp_path_factory, outputs, data):
    # A hand-edited or truncated output: a value replaced by any JSON value, or a key removed.
    outputs = copy.deepcopy(outputs)
    command = data.draw(st.sampled_from(sorted(outputs)))
    places = [p for p, _ in leaves(outputs[command]) if p]
    path = data.draw(st.sampled_from(places))
    parent = outputs[command]
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    folder = save(tmp_path_factory.mktemp("edited"), outputs)
    try:
        text = import_aws(str(folder)).to_yaml()
    except ScenarioError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    try:
        load_scenario_text(text)
    except ScenarioError:
        # What AWS would refuse is the scenario's to report (run through `fargatesim import`,
        # the command says that the input holds it and writes nothing).
        pass


def load_scenario_text(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return scenario_from_dict(yaml.safe_load(text))


def test_names_with_line_breaks_stay_inside_the_comments(tmp_path, outputs):
    # A note quotes the policy's name; a line break in it must not end the comment.
    policy = outputs["describe-scaling-policies"]["ScalingPolicies"][0]
    policy["PolicyName"] = "cpu\nrogue: key\x00"
    del outputs["describe-alarms"]
    text = import_aws(str(save(tmp_path / "exports", outputs))).to_yaml()
    data = yaml.safe_load(text)
    assert "rogue" not in data
    assert data["autoscaling"]["policies"][0]["name"] == "cpu\nrogue: key\x00"
    assert "cpu\\nrogue: key\\x00" in text.split("\nname:")[0]


def _service(o):
    return o["describe-services"]["services"][0]


def _task(o):
    return o["describe-task-definition"]["taskDefinition"]


def _policy(o):
    return o["describe-scaling-policies"]["ScalingPolicies"][0]


# (what the output says, the setting left out, its rank): each setting the simulator does not
# model, when it is on, is listed where its rank puts it; AWS's own default is no loss.
LEFT_OUT = [
    (lambda o: _service(o).update(deploymentController={"type": "CODE_DEPLOY"}), "deployment_controller", 1),
    (lambda o: _service(o).update(deploymentController={"type": "ECS"}), "deployment_controller", 9),
    (lambda o: _service(o)["deploymentConfiguration"].update(
        deploymentCircuitBreaker={"enable": True, "rollback": True}), "deployment_circuit_breaker", 1),
    (lambda o: _service(o)["deploymentConfiguration"].update(
        deploymentCircuitBreaker={"enable": False, "rollback": False}), "deployment_circuit_breaker", 9),
    (lambda o: _service(o).update(capacityProviderStrategy=[{"capacityProvider": "my-asg", "weight": 1}]),
     "capacity_provider_strategy", 1),
    (lambda o: o["describe-scalable-targets"]["ScalableTargets"][0]["SuspendedState"].update(
        DynamicScalingInSuspended=True), "suspended_state", 1),
    (lambda o: _task(o)["containerDefinitions"][0].update(restartPolicy={"enabled": True}), "restart_policy", 1),
    (lambda o: _task(o)["containerDefinitions"][0].update(
        healthCheck={"command": ["CMD-SHELL", "curl -f localhost/"]}), "health_check", 1),
    (lambda o: _task(o)["containerDefinitions"][0]["portMappings"].append({"containerPort": 53, "protocol": "udp"}),
     "port_mappings", 3),
    (lambda o: o["describe-target-group-attributes"]["Attributes"].__setitem__(
        0, {"Key": "stickiness.enabled", "Value": "true"}), "stickiness", 2),
    (lambda o: o["describe-target-group-attributes"]["Attributes"].append(
        {"Key": "load_balancing.algorithm.anomaly_mitigation", "Value": "on"}), "load_balancing_anomaly_mitigation", 2),
    (lambda o: o["describe-target-group-attributes"]["Attributes"].append(
        {"Key": "load_balancing.cross_zone.enabled", "Value": "false"}), "load_balancing_cross_zone_enabled", 2),
    (lambda o: _service(o).update(serviceArn="arn:aws:ecs:eu-west-3:012345678910:service/default/web-app"),
     "region", 3),
    (lambda o: _policy(o).update(PolicyType="PredictiveScaling"), "web-app-cpu-gt-75", 1),
    (lambda o: o["describe-alarms"]["MetricAlarms"][0].update(ActionsEnabled=False), "actions_enabled", 1),
    (lambda o: o["describe-target-groups"]["TargetGroups"][0].update(Protocol="TCP"), "protocol", 1),
    (lambda o: None, "protocol", 9),                                                     # HTTP
]


@pytest.mark.parametrize("change, setting, rank", LEFT_OUT)
def test_each_setting_left_out_is_ranked_by_what_it_changes(tmp_path, outputs, change, setting, rank):
    change(outputs)
    imported = import_aws(str(save(tmp_path / "exports", outputs)))
    found = [d for d in imported.dropped if d.setting == setting]
    assert found and min(d.rank for d in found) == rank
    # Left out or not, the scenario validates.
    load_scenario_text(imported.to_yaml())


def test_an_alarm_with_actions_disabled_invokes_nothing(tmp_path, outputs):
    outputs["describe-alarms"]["MetricAlarms"][0]["ActionsEnabled"] = False
    data = imported_scenario(save(tmp_path / "exports", outputs))
    alarm = next(a for a in data["alarms"] if a["alarm_name"] == "web-app-cpu-gt-75")
    assert "alarm_actions" not in alarm


def test_fargate_spot_strategy_and_published_custom_metric_carry_over(tmp_path, outputs):
    _service(outputs)["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                                     {"capacityProvider": "FARGATE_SPOT", "weight": 3}]
    _task(outputs).update(cpu="512", memory="1024")
    outputs["describe-scaling-policies"]["ScalingPolicies"].append({
        "PolicyName": "rps", "PolicyType": "TargetTrackingScaling", "ResourceId": "service/default/web-app",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 300.0, "ScaleOutCooldown": 60, "DisableScaleIn": True,
            "CustomizedMetricSpecification": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCountPerTarget",
                                              "Statistic": "Sum", "Dimensions": [
                                                  {"Name": "TargetGroup", "Value": "targetgroup/my-targets/73e2"}]}}})
    data = imported_scenario(save(tmp_path / "exports", outputs))
    assert data["service"]["capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE", "base": 1, "weight": 1},
        {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 3}]
    assert "launch_type" not in data["service"]
    assert (data["task_definition"]["cpu"], data["task_definition"]["memory"]) == (512, 1024)
    tracking = data["autoscaling"]["policies"][1]["target_tracking_scaling_policy_configuration"]
    assert tracking["customized_metric_specification"]["metric_name"] == "RequestCountPerTarget"
    assert (tracking["scale_out_cooldown"], tracking["scale_in_cooldown"], tracking["disable_scale_in"]) == \
        (60, 300, True)


def test_a_service_aws_did_not_find(tmp_path, outputs, capsys):
    outputs["describe-services"] = {"services": [], "failures": [
        {"arn": "arn:aws:ecs:us-east-1:012345678910:service/default/web-ap", "reason": "MISSING"}]}
    assert main(["import", "aws", str(save(tmp_path / "exports", outputs))]) == 2
    assert ("AWS reported arn:aws:ecs:us-east-1:012345678910:service/default/web-ap (MISSING)"
            in capsys.readouterr().err)


def test_a_real_load_balancers_attributes_are_told_from_a_target_groups(tmp_path, outputs):
    # A real ALB lists load_balancing.cross_zone.enabled, which target groups have too; its
    # idle timeout and routing keys say whose attributes these are.
    outputs["describe-load-balancer-attributes"]["Attributes"] = [
        {"Key": "load_balancing.cross_zone.enabled", "Value": "true"},
        {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
        {"Key": "routing.http2.enabled", "Value": "true"},
        {"Key": "deletion_protection.enabled", "Value": "false"}]
    outputs["describe-target-group-attributes"]["Attributes"].append(
        {"Key": "load_balancing.cross_zone.enabled", "Value": "use_load_balancer_configuration"})
    data = imported_scenario(save(tmp_path / "exports", outputs))
    assert data["workload"]["timeout"] == 120
    assert data["target_group"]["deregistration_delay"] == 300


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_outputs_saved_by_windows_powershell(tmp_path, outputs, encoding):
    # `>` in Windows PowerShell writes UTF-16 with a byte order mark; Out-File -Encoding utf8
    # (PowerShell 5.1) writes UTF-8 with one.
    folder = tmp_path / "exports"
    folder.mkdir()
    for command, document in outputs.items():
        (folder / f"{command}.json").write_text(json.dumps(document), encoding=encoding)
    assert imported_scenario(folder)["service"]["name"] == "web-app"


def test_files_not_read_are_named_with_why(tmp_path, outputs, capsys):
    del outputs["describe-task-definition"]
    folder = save(tmp_path / "exports", outputs)
    (folder / "task.json").write_bytes(b'{"taskDefinition": {"family": "hello_world"')     # cut short
    assert main(["import", "aws", str(folder)]) == 2
    assert "(files not read: task.json (not JSON))" in capsys.readouterr().err


def test_defaults_of_a_described_service(tmp_path, outputs):
    # A described service that never set AZ rebalancing is treated as DISABLED (ECS API); a
    # container whose memory is the task's own changes nothing; Service Connect, only in the
    # deployments, is found there.
    _task(outputs).update(cpu="256", memory="1024")
    _task(outputs)["containerDefinitions"][0]["memory"] = 1024
    _service(outputs)["deployments"][0]["serviceConnectConfiguration"] = {"enabled": True, "namespace": "internal"}
    imported = import_aws(str(save(tmp_path / "exports", outputs)))
    data = yaml.safe_load(imported.to_yaml())
    assert data["service"]["availability_zone_rebalancing"] == "DISABLED"
    ranks = {(d.where, d.setting): d.rank for d in imported.dropped}
    assert ranks[("task_definition.container_definitions[0]", "memory")] == 9
    assert ranks[("task_definition.container_definitions[1]", "memory")] == 2      # 500 MiB of 1024
    assert ranks[("service", "service_connect_configuration")] == 2


def test_an_alarm_on_another_services_metric_is_noted(tmp_path, outputs):
    alarm = outputs["describe-alarms"]["MetricAlarms"][0]
    alarm["Dimensions"] = [{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": "billing"}]
    imported = import_aws(str(save(tmp_path / "exports", outputs)))
    assert any("web-app-cpu-gt-75 watches ServiceName=billing" in n for n in imported.notes)


def test_writing_onto_a_folder_leaves_nothing_behind(tmp_path, outputs, capsys):
    folder = save(tmp_path / "exports", outputs)
    (tmp_path / "out").mkdir()
    assert main(["import", "aws", str(folder), "-o", str(tmp_path / "out")]) == 2
    assert "cannot write there" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports", "out"]


def test_describing_the_commands_loads_no_scenario_models():
    # Every `fargatesim --help` (and every argument error) builds the whole parser: `import`'s
    # part of it must not load the importers, the scenario models or pydantic.
    import subprocess
    import sys
    code = ("import sys; from fargatesim.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('pydantic', 'fargatesim.scenario', 'fargatesim.importing.aws_cli') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# The AAS guide's example policy (aas-create-predictive-scaling-policy), as describe-scaling-policies prints it.
PREDICTIVE_EXAMPLE = {
    "MetricSpecifications": [{"TargetValue": 40,
                              "PredefinedMetricPairSpecification": {"PredefinedMetricType": "ECSServiceMemoryUtilization"}}],
    "SchedulingBufferTime": 3600, "MaxCapacityBreachBehavior": "HonorMaxCapacity", "Mode": "ForecastOnly"}


def test_a_predictive_policy_is_carried_over_and_runs(tmp_path, outputs):
    policy = _policy(outputs)
    outputs["describe-scaling-policies"]["ScalingPolicies"].append({
        **{k: policy[k] for k in ("ResourceId", "ScalableDimension", "ServiceNamespace")},
        "PolicyName": "predictive-memory", "PolicyType": "PredictiveScaling",
        "PolicyARN": policy["PolicyARN"].replace(policy["PolicyName"], "predictive-memory"),
        "PredictiveScalingPolicyConfiguration": copy.deepcopy(PREDICTIVE_EXAMPLE)})
    imported = import_aws(str(save(tmp_path / "exports", outputs)))
    data = yaml.safe_load(imported.to_yaml())
    (section,) = [p for p in data["autoscaling"]["policies"] if p["policy_type"] == "PredictiveScaling"]
    assert section == {"name": "predictive-memory", "policy_type": "PredictiveScaling",
                       "predictive_scaling_policy_configuration": {
                           "metric_specifications": [{"target_value": 40, "predefined_metric_pair_specification": {
                               "predefined_metric_type": "ECSServiceMemoryUtilization"}}],
                           "scheduling_buffer_time": 3600, "max_capacity_breach_behavior": "HonorMaxCapacity",
                           "mode": "ForecastOnly"}}
    assert not [d for d in imported.dropped if d.setting == "predictive-memory"]
    data["duration"] = "1h"
    result = simulate(scenario_from_dict(data))
    assert result.forecast is not None and result.forecast["load_forecast"].notna().all()


def test_a_predictive_policy_on_a_metric_the_simulator_does_not_publish_is_left_out_and_ranked(tmp_path, outputs):
    config = copy.deepcopy(PREDICTIVE_EXAMPLE)
    config["MetricSpecifications"][0] = {
        "TargetValue": 10, "PredefinedScalingMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "CustomizedLoadMetricSpecification": {"MetricDataQueries": [
            {"Id": "jobs", "MetricStat": {"Metric": {"Namespace": "MyApp", "MetricName": "JobsQueued"}, "Stat": "Sum"}}]}}
    _policy(outputs).update(PolicyType="PredictiveScaling", PredictiveScalingPolicyConfiguration=config)
    imported = import_aws(str(save(tmp_path / "exports", outputs)))
    (left,) = [d for d in imported.dropped if d.setting == "web-app-cpu-gt-75"]
    assert left.rank == 1 and "MyApp" in left.why and "customized_load_metric_specification" in left.why

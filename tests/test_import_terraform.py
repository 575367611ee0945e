"""`fargatesim import terraform PLAN.json` on `terraform show -json` outputs of real plans.

tests/fixtures/terraform/*/ hold each configuration, its plan and where it comes from
(SOURCE.md). module-wiring is this project's own: every link the importer follows goes through a
module (variables, outputs), so that references are resolved as Terraform resolves them.
"""
import copy
import json
import warnings
from pathlib import Path

import pytest
import yaml

from fargatesim.cli import main
from fargatesim.engine import simulate
from fargatesim.importing import import_terraform
from fargatesim.scenario import ScenarioWarning, load_scenario

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
WIRING = FIXTURES / "module-wiring" / "plan.json"


def scenario_of(plan: Path, **options) -> dict:
    return yaml.safe_load(import_terraform(str(plan), **options).to_yaml())


def test_module_wiring_every_value_carried_over():
    data = scenario_of(WIRING)
    assert data["name"] == "web"
    td = data["task_definition"]
    assert (td["family"], td["cpu"], td["memory"]) == ("web", 512, 1024)
    assert [c["name"] for c in td["container_definitions"]] == ["app", "envoy"]
    assert td["container_definitions"][0]["port_mappings"] == [{"container_port": 8080}]
    assert td["container_definitions"][1]["essential"] is False
    service = data["service"]
    assert (service["desired_count"], service["launch_type"], service["health_check_grace_period_seconds"]) == \
        (2, "FARGATE", 60)
    assert service["load_balancer"] == {"container_name": "app", "container_port": 8080}
    # The provider's defaults are in the plan, so they are what AWS is sent: thresholds 3 and 3.
    # The timeout is left to AWS (computed), whose default for an HTTP target group is 6 s.
    assert data["target_group"] == {
        "load_balancing_algorithm_type": "round_robin", "deregistration_delay": 30, "slow_start": 0,
        "health_check": {"path": "/health", "interval": 30, "timeout": 6, "healthy_threshold": 3,
                         "unhealthy_threshold": 3, "matcher": "200-299"}}
    # aws_lb.main forwards to the module's target group through the module's output.
    assert data["workload"]["timeout"] == 30
    scaling = data["autoscaling"]
    assert (scaling["min_capacity"], scaling["max_capacity"]) == (2, 20)
    cpu, step = scaling["policies"]
    assert cpu["target_tracking_scaling_policy_configuration"] == {
        "target_value": 60, "predefined_metric_specification": {"predefined_metric_type":
                                                                "ECSServiceAverageCPUUtilization"},
        "scale_out_cooldown": 300, "scale_in_cooldown": 120, "disable_scale_in": False}
    # "" for an unset bound, and bounds as text: as the provider writes them.
    assert step["step_scaling_policy_configuration"]["step_adjustments"] == [
        {"metric_interval_lower_bound": 0, "metric_interval_upper_bound": 20, "scaling_adjustment": 1},
        {"metric_interval_lower_bound": 20, "scaling_adjustment": 3}]
    assert scaling["scheduled_actions"] == [{"name": "web-night", "schedule": "cron(0 22 * * ? *)",
                                             "timezone": "Europe/Paris",
                                             "scalable_target_action": {"min_capacity": 1, "max_capacity": 5}}]
    (alarm,) = data["alarms"]
    # alarm_actions is unknown until apply; the configuration's reference names the policy.
    assert alarm["alarm_actions"] == ["web-step-up"]
    assert alarm["dimensions"] == [{"name": "ClusterName", "value": "prod"}, {"name": "ServiceName", "value": "web"}]
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"], alarm["threshold"]) == (2, 2, 85)


def test_module_wiring_ranks_what_it_left_out():
    text = import_terraform(str(WIRING)).to_yaml()
    ranked = text.split("the most consequential first:\n")[1].split("\n#\n")[0]
    order = [line.split(" = ")[0].strip("# ") for line in ranked.splitlines() if " = " in line]
    assert order == ["task_definition.container_definitions[0].health_check", "service.deployment_circuit_breaker",
                     "task_definition.container_definitions[1].memory"]
    quiet = text.split("no effect on what is simulated")[1]
    assert "stickiness" in quiet and "network_configuration" in quiet


def state_of(plan: dict) -> dict:
    """The state after applying `plan`: every value known (ARNs assigned), no configuration."""
    state = {"format_version": "1.0", "values": copy.deepcopy(plan["planned_values"])}
    modules = [state["values"]["root_module"], *state["values"]["root_module"].get("child_modules", [])]
    resources = {r["address"]: r for m in modules for r in m.get("resources", [])}
    for address, r in resources.items():
        r["values"]["arn"] = f"arn:aws:{r['type']}:eu-west-1:123456789012:{address}"
        r["values"]["id"] = r["values"]["arn"]

    def arn(address):
        return resources[address]["values"]["arn"]
    web = "module.web."
    resources[web + "aws_ecs_service.this"]["values"]["task_definition"] = arn(web + "aws_ecs_task_definition.this")
    resources[web + "aws_ecs_service.this"]["values"]["load_balancer"][0]["target_group_arn"] = \
        arn(web + "aws_lb_target_group.this")
    resources[web + "aws_cloudwatch_metric_alarm.high"]["values"]["alarm_actions"] = \
        [arn(web + "aws_appautoscaling_policy.up"), "arn:aws:sns:eu-west-1:123456789012:pager"]
    listener = resources["aws_lb_listener.http"]["values"]
    listener["load_balancer_arn"] = arn("aws_lb.main")
    listener["default_action"][0]["target_group_arn"] = arn(web + "aws_lb_target_group.this")
    return state


def test_a_state_is_linked_by_arns(tmp_path):
    plan = json.loads(WIRING.read_text())
    (tmp_path / "state.json").write_text(json.dumps(state_of(plan)))
    from_state, from_plan = scenario_of(tmp_path / "state.json"), scenario_of(WIRING)
    for key in ("task_definition", "service", "target_group", "autoscaling", "alarms", "workload"):
        assert from_state[key] == from_plan[key], key
    # The ARNs say where the service runs; no price table ships for eu-west-1.
    text = import_terraform(str(tmp_path / "state.json")).to_yaml()
    assert 'pricing.region = "eu-west-1"' in text


def test_the_plan_is_imported_validates_and_runs_an_hour(tmp_path):
    assert main(["import", "terraform", str(WIRING), "-o", str(tmp_path / "web.yaml")]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        scenario = load_scenario(tmp_path / "web.yaml")
    summary = simulate(scenario).summary
    assert summary["duration_s"] == 3600 and summary["requests"]["total"] > 0


def two_services(plan: dict) -> dict:
    """The plan with the module called twice (web and web2), as a second module block would."""
    plan = copy.deepcopy(plan)
    text = json.dumps(plan["planned_values"]["root_module"]["child_modules"][0])
    # Its own names (web2, web2-cpu, service/prod/web2, ...), as the module's `name` makes them.
    child = json.loads(text.replace('"web', '"web2').replace('/web"', '/web2"'))
    child["address"] = "module.web2"
    for r in child["resources"]:
        r["address"] = r["address"].replace("module.web.", "module.web2.")
        if r["type"] == "aws_ecs_service":
            r["values"]["desired_count"] = 5
    plan["planned_values"]["root_module"]["child_modules"].append(child)
    calls = plan["configuration"]["root_module"]["module_calls"]
    calls["web2"] = copy.deepcopy(calls["web"])
    return plan


def test_a_service_chosen_by_address(tmp_path, capsys):
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(two_services(json.loads(WIRING.read_text()))))
    assert main(["import", "terraform", str(file), "-o", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "found 2: module.web.aws_ecs_service.this, module.web2.aws_ecs_service.this" in err
    assert main(["import", "terraform", str(file), "--address", "module.web2.aws_ecs_service.this",
                 "-o", str(tmp_path / "s.yaml")]) == 0
    data = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert data["service"]["desired_count"] == 5
    # Its policies are the ones of its own module instance's target.
    assert len(data["autoscaling"]["policies"]) == 2


@pytest.mark.parametrize("content, message", [
    ("not json", "expected JSON (the output of `terraform show -json`)"),
    ('{"format_version": "1.2"}', "found neither"),
    ('[1, 2]', "expected a JSON object"),
])
def test_what_is_not_a_plan_is_refused(tmp_path, capsys, content, message):
    (tmp_path / "plan.json").write_text(content)
    assert main(["import", "terraform", str(tmp_path / "plan.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_container_definitions_unknown_until_apply(tmp_path, capsys):
    plan = json.loads(WIRING.read_text())
    task = plan["planned_values"]["root_module"]["child_modules"][0]["resources"]
    for r in task:
        if r["type"] == "aws_ecs_task_definition":
            del r["values"]["container_definitions"]
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert main(["import", "terraform", str(tmp_path / "plan.json")]) == 2
    assert "container_definitions to be known in the plan" in capsys.readouterr().err

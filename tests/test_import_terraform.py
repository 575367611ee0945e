"""`fargatesim import terraform PLAN.json` on `terraform show -json` outputs of real plans.

tests/fixtures/terraform/*/ hold each configuration, its plan and where it comes from
(SOURCE.md). module-wiring is this project's own: every link the importer follows goes through a
module (variables, outputs), so that references are resolved as Terraform resolves them.
"""
import copy
import json
import warnings
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_edits import JSON_VALUES, leaves

from fargatesim.cli import main
from fargatesim.engine import simulate
from fargatesim.importing import import_terraform
from fargatesim.scenario import ScenarioError, ScenarioWarning, load_scenario, scenario_from_dict
from fargatesim.scenario.json_schema import scenario_schema

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
    for r in plan["planned_values"]["root_module"]["child_modules"][0]["resources"]:
        if r["type"] == "aws_ecs_task_definition":
            del r["values"]["container_definitions"]
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert main(["import", "terraform", str(tmp_path / "plan.json"), "-o", str(tmp_path / "s.yaml")]) == 0
    data = yaml.safe_load((tmp_path / "s.yaml").read_text())
    # The container the service's load balancer names stands in, marked as a placeholder.
    assert data["task_definition"]["container_definitions"] == [
        {"name": "app", "essential": True, "port_mappings": [{"container_port": 8080}]}]
    assert data["placeholders"][-1] == "task_definition.container_definitions"
    assert "container_definitions is known only after apply" in (tmp_path / "s.yaml").read_text()


PLAN = json.loads(WIRING.read_text())
PLACES = [p for p, _ in leaves(PLAN) if p and p[0] in ("planned_values", "configuration", "variables")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PLACES), remove=st.booleans(), value=JSON_VALUES)
def test_any_edited_plan_gives_a_scenario_or_one_clear_message(tmp_path_factory, path, remove, value):
    plan = copy.deepcopy(PLAN)
    parent = plan
    for key in path[:-1]:
        parent = parent[key]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    file = tmp_path_factory.mktemp("edited") / "plan.json"
    file.write_text(json.dumps(plan))
    try:
        text = import_terraform(str(file)).to_yaml()
    except ScenarioError as e:
        assert str(e)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        try:
            scenario_from_dict(yaml.safe_load(text))
        except ScenarioError:
            pass


# Real, public configurations (each folder's SOURCE.md names the repository, its licence and
# every edit), planned for real: (fixture, the service's address).
REAL = [
    ("bh-fargate-step-scaling", "aws_ecs_service.main"),
    ("techmahato-ecs-3tier-modules", "module.ecs.aws_ecs_service.app"),
    ("techmahato-ecs-3tier-modules", "module.ecs.aws_ecs_service.web"),
    ("hirentimbadiya-sqs-worker-scaling", "module.step_scaling.aws_ecs_service.worker"),
    ("hirentimbadiya-sqs-worker-scaling", "module.target_tracking.aws_ecs_service.worker"),
]


def planned(fixture: str) -> dict:
    """address -> values of every resource the fixture's plan holds."""
    plan = json.loads((FIXTURES / fixture / "plan.json").read_text())
    out, todo = {}, [plan["planned_values"]["root_module"]]
    while todo:
        module = todo.pop()
        out.update({r["address"]: r.get("values", {}) for r in module.get("resources", [])})
        todo += module.get("child_modules", [])
    return out


@pytest.mark.parametrize("fixture, address", REAL)
def test_a_real_configuration_is_imported_and_runs_an_hour(tmp_path, fixture, address):
    out = tmp_path / "service.yaml"
    assert main(["import", "terraform", str(FIXTURES / fixture / "plan.json"), "--address", address,
                 "-o", str(out)]) == 0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ScenarioWarning)
        scenario = load_scenario(out)
    # Nothing the importer wrote is refused or ignored as not simulated.
    assert [w.message.path for w in seen] == []
    # The editors' schema (fargatesim schema) accepts it too.
    jsonschema.Draft202012Validator(scenario_schema()).validate(yaml.safe_load(out.read_text()))
    values = planned(fixture)[address]
    assert scenario.service.name == values["name"]
    assert scenario.service.desired_count == values["desired_count"]
    summary = simulate(scenario).summary
    assert summary["duration_s"] == 3600
    assert summary["requests"]["total"] > 0.9 * 3600 * scenario.traffic[0].rps
    if scenario.service.desired_count:
        assert sum(summary["requests"]["errors"].values()) == 0
    else:
        # Scaled to zero, with the alarms that would wake it left out (SQS metrics): no task ever
        # runs, and the load balancer answers every request 503, as AWS's would.
        assert summary["tasks"]["max_running"] == 0
        assert summary["requests"]["errors"]["elb_503"] == summary["requests"]["total"]


def test_bh_step_scaling_carries_its_alarms_and_policies():
    values = planned("bh-fargate-step-scaling")
    data = scenario_of(FIXTURES / "bh-fargate-step-scaling" / "plan.json")
    task = values["aws_ecs_task_definition.app"]
    (container,) = json.loads(task["container_definitions"])
    assert (data["task_definition"]["cpu"], data["task_definition"]["memory"]) == (int(task["cpu"]),
                                                                                 int(task["memory"]))
    assert data["task_definition"]["container_definitions"] == [
        {"name": container["name"], "essential": True, "image": container["image"],
         "port_mappings": [{"container_port": container["portMappings"][0]["containerPort"]}]}]
    check = values["aws_alb_target_group.app"]["health_check"][0]
    assert data["target_group"]["health_check"] == {
        "path": check["path"], "interval": check["interval"], "timeout": check["timeout"],
        "healthy_threshold": check["healthy_threshold"], "unhealthy_threshold": check["unhealthy_threshold"],
        "matcher": check["matcher"]}
    target = values["aws_appautoscaling_target.target"]
    assert (data["autoscaling"]["min_capacity"], data["autoscaling"]["max_capacity"]) == \
        (target["min_capacity"], target["max_capacity"])
    # The service names its target group by .id (an aws_alb_target_group's id is its ARN), and
    # alarm_actions are unknown until apply: both links come from the configuration.
    alarms = {a["alarm_name"]: a for a in data["alarms"]}
    assert alarms["cb_cpu_utilization_high"]["alarm_actions"] == ["cb_scale_up"]
    assert alarms["cb_cpu_utilization_low"]["alarm_actions"] == ["cb_scale_down"]
    for name, alarm in alarms.items():
        source = next(v for v in values.values() if v.get("alarm_name") == name)
        assert (alarm["threshold"], alarm["evaluation_periods"], alarm["comparison_operator"]) == \
            (source["threshold"], source["evaluation_periods"], source["comparison_operator"])
    # The provider's region comes from a root variable; no price table ships for it.
    assert 'pricing.region = "us-west-2"' in import_terraform(
        str(FIXTURES / "bh-fargate-step-scaling" / "plan.json")).to_yaml()


def test_techmahato_services_in_modules():
    plan = FIXTURES / "techmahato-ecs-3tier-modules" / "plan.json"
    values = planned("techmahato-ecs-3tier-modules")
    app = scenario_of(plan, address="module.ecs.aws_ecs_service.app")
    policy = values["module.ecs.aws_appautoscaling_policy.app_cpu"]["target_tracking_scaling_policy_configuration"][0]
    (section,) = app["autoscaling"]["policies"]
    tracking = section["target_tracking_scaling_policy_configuration"]
    assert tracking["target_value"] == policy["target_value"]
    assert (tracking["scale_in_cooldown"], tracking["scale_out_cooldown"]) == \
        (policy["scale_in_cooldown"], policy["scale_out_cooldown"])
    # The target group reaches the service through the alb module's output and the ecs module's
    # variable; its settings are the app target group's.
    group = values["module.alb.aws_lb_target_group.app"]
    assert app["target_group"]["deregistration_delay"] == int(group["deregistration_delay"])
    assert app["target_group"]["health_check"]["path"] == group["health_check"][0]["path"]
    # The web task's container definitions embed the internal load balancer's DNS name, so the
    # plan does not know them: the load balancer's container stands in, marked a placeholder.
    web = scenario_of(plan, address="module.ecs.aws_ecs_service.web")
    balancer = values["module.ecs.aws_ecs_service.web"]["load_balancer"][0]
    assert web["task_definition"]["container_definitions"] == [
        {"name": balancer["container_name"], "essential": True,
         "port_mappings": [{"container_port": balancer["container_port"]}]}]
    assert "task_definition.container_definitions" in web["placeholders"]


def test_hirentimbadiya_sqs_alarms_are_left_out_ranked_first():
    plan = FIXTURES / "hirentimbadiya-sqs-worker-scaling" / "plan.json"
    imported = import_terraform(str(plan), address="module.step_scaling.aws_ecs_service.worker")
    data = yaml.safe_load(imported.to_yaml())
    # Scale to zero, ten ExactCapacity steps from a dynamic block, the last open-ended ("").
    assert data["autoscaling"]["min_capacity"] == 0
    steps = data["autoscaling"]["policies"][1]["step_scaling_policy_configuration"]["step_adjustments"]
    assert len(steps) == 10 and "metric_interval_upper_bound" not in steps[-1]
    # Metric math on SQS metrics, which the simulator does not publish: the alarms are left out
    # first in the list, and no alarm is written.
    assert "alarms" not in data
    assert [d.setting for d in imported.dropped if d.rank == 1] == ["demo-worker-step-scale-down-zero",
                                                                     "demo-worker-step-scale-up"]
    tracking = import_terraform(str(plan), address="module.target_tracking.aws_ecs_service.worker")
    assert [d.where for d in tracking.dropped if d.rank == 1] == ["autoscaling.policies"]


FOR_EACH = FIXTURES / "module-for-each" / "plan.json"


@pytest.mark.parametrize("name, desired", [("api", 2), ("worker", 4)])
def test_module_instances_of_for_each_keep_to_their_own(name, desired):
    data = scenario_of(FOR_EACH, address=f'module.svc["{name}"].aws_ecs_service.this')
    assert data["service"]["desired_count"] == desired
    assert [p["name"] for p in data["autoscaling"]["policies"]] == [f"{name}-cpu", f"{name}-step-up"]
    assert [a["name"] for a in data["autoscaling"]["scheduled_actions"]] == [f"{name}-night"]
    (alarm,) = data["alarms"]
    assert (alarm["alarm_name"], alarm["alarm_actions"]) == (f"{name}-cpu-high", [f"{name}-step-up"])
    # The listener rule for this key forwards to this instance's target group (a reference
    # Terraform lists as module.svc alone), and leads to the shared load balancer.
    assert data["workload"]["timeout"] == 45


def wiring_resource(plan: dict, kind: str) -> dict:
    return next(r["values"] for r in plan["planned_values"]["root_module"]["child_modules"][0]["resources"]
                if r["type"] == kind)


TF_LEFT_OUT = [
    (lambda p: wiring_resource(p, "aws_ecs_service").update(deployment_controller=[{"type": "CODE_DEPLOY"}]),
     "deployment_controller", 1),
    (lambda p: wiring_resource(p, "aws_ecs_service").update(
        alarms=[{"alarm_names": ["web-5xx"], "enable": True, "rollback": True}]), "alarms", 1),
    (lambda p: wiring_resource(p, "aws_ecs_service").update(deployment_circuit_breaker=[
        {"enable": False, "rollback": False}]), "deployment_circuit_breaker", 9),
    (lambda p: wiring_resource(p, "aws_lb_target_group")["stickiness"][0].update(enabled=True), "stickiness", 2),
    (lambda p: wiring_resource(p, "aws_lb_target_group").update(load_balancing_anomaly_mitigation="on",
                                                                load_balancing_algorithm_type="weighted_random"),
     "load_balancing_anomaly_mitigation", 2),
    (lambda p: wiring_resource(p, "aws_lb_target_group").update(load_balancing_cross_zone_enabled="false"),
     "load_balancing_cross_zone_enabled", 2),
    (lambda p: wiring_resource(p, "aws_cloudwatch_metric_alarm").update(extended_statistic="p99", statistic=None),
     "web-cpu-high", 1),
    (lambda p: wiring_resource(p, "aws_lb_target_group").update(protocol="TCP"), "protocol", 1),
    (lambda p: wiring_resource(p, "aws_ecs_service").update(deployment_configuration=[{"strategy": "BLUE_GREEN"}]),
     "deployment_configuration", 1),
]


@pytest.mark.parametrize("change, setting, rank", TF_LEFT_OUT)
def test_each_terraform_setting_left_out_is_ranked(tmp_path, change, setting, rank):
    plan = json.loads(WIRING.read_text())
    change(plan)
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    imported = import_terraform(str(tmp_path / "plan.json"))
    found = [d for d in imported.dropped if d.setting == setting]
    assert found and min(d.rank for d in found) == rank
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        scenario_from_dict(yaml.safe_load(imported.to_yaml()))


def test_terraform_fargate_spot_strategy_carries_over(tmp_path):
    plan = json.loads(WIRING.read_text())
    service = wiring_resource(plan, "aws_ecs_service")
    service.update(launch_type=None, capacity_provider_strategy=[
        {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 4},
        {"capacity_provider": "FARGATE", "base": 2, "weight": 1}])
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    data = scenario_of(tmp_path / "plan.json")
    assert data["service"]["capacity_provider_strategy"] == service["capacity_provider_strategy"]
    assert "launch_type" not in data["service"]


TWO_CLUSTERS = FIXTURES / "two-clusters-two-target-groups" / "plan.json"


@pytest.mark.parametrize("cluster, bounds", [("prod", (6, 60)), ("staging", (1, 2))])
def test_the_scalable_target_of_the_services_own_cluster(cluster, bounds):
    imported = import_terraform(str(TWO_CLUSTERS), address=f'aws_ecs_service.api["{cluster}"]')
    data = yaml.safe_load(imported.to_yaml())
    assert (data["autoscaling"]["min_capacity"], data["autoscaling"]["max_capacity"]) == bounds
    # The first load_balancer block's target group, and its listener's load balancer.
    assert data["service"]["load_balancer"] == {"container_name": "app", "container_port": 8080}
    assert (data["target_group"]["health_check"]["path"], data["target_group"]["deregistration_delay"]) == \
        ("/public", 11)
    assert data["workload"]["timeout"] == 45
    # The second block is left out and ranked; deployment_controller {type = "ECS"} is no loss.
    ranks = {d.setting: d.rank for d in imported.dropped if d.where == "service"}
    assert ranks["load_balancer"] == 2 and ranks["deployment_controller"] == 9


def test_a_base_address_with_several_instances_is_refused(capsys):
    assert main(["import", "terraform", str(TWO_CLUSTERS), "--address", "aws_ecs_service.api"]) == 2
    assert ('expected --address to name one instance; \'aws_ecs_service.api\' has 2: aws_ecs_service.api["prod"], '
            'aws_ecs_service.api["staging"]') in capsys.readouterr().err


def test_a_target_group_picked_from_a_modules_map_output():
    data = scenario_of(FIXTURES / "shared-alb-module" / "plan.json")
    assert (data["target_group"]["health_check"]["path"], data["target_group"]["deregistration_delay"]) == \
        ("/api/health", 30)
    assert data["workload"]["timeout"] == 45


def test_a_target_group_made_elsewhere_takes_aws_defaults(tmp_path):
    # A shared load balancer's target group from another configuration: its ARN is a literal.
    plan = json.loads(WIRING.read_text())
    module = plan["planned_values"]["root_module"]["child_modules"][0]
    module["resources"] = [r for r in module["resources"] if r["type"] != "aws_lb_target_group"]
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shared/0123456789abcdef"
    wiring_resource(plan, "aws_ecs_service")["load_balancer"][0]["target_group_arn"] = arn
    calls = plan["configuration"]["root_module"]["module_calls"]["web"]["module"]
    calls["resources"] = [r for r in calls["resources"] if r["type"] != "aws_lb_target_group"]
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    imported = import_terraform(str(tmp_path / "plan.json"))
    data = yaml.safe_load(imported.to_yaml())
    assert "target_group" not in data          # the format's defaults are AWS's
    (left,) = [d for d in imported.dropped if d.setting == "target_group_arn"]
    assert (left.value, left.rank) == (arn, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        assert scenario_from_dict(data).target_group.deregistration_delay == 300


def test_a_state_naming_its_task_definition_by_family_and_revision(tmp_path):
    state = state_of(json.loads(WIRING.read_text()))
    resources = state["values"]["root_module"]["child_modules"][0]["resources"]
    task = next(r["values"] for r in resources if r["type"] == "aws_ecs_task_definition")
    task["revision"] = 7
    service = next(r["values"] for r in resources if r["type"] == "aws_ecs_service")
    service["task_definition"] = "web:7"
    del service["availability_zone_rebalancing"]     # a provider older than the setting
    (tmp_path / "state.json").write_text(json.dumps(state))
    data = scenario_of(tmp_path / "state.json")
    assert data["task_definition"]["family"] == "web"
    # A state describes a service that exists: unset, AZ rebalancing is DISABLED; a plan's
    # service is created with it unset, which AWS enables.
    assert data["service"]["availability_zone_rebalancing"] == "DISABLED"
    plan = json.loads(WIRING.read_text())
    del wiring_resource(plan, "aws_ecs_service")["availability_zone_rebalancing"]
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert scenario_of(tmp_path / "plan.json")["service"]["availability_zone_rebalancing"] == "ENABLED"


def test_a_predictive_policy_block_of_a_plan_is_read_as_the_scenario_spells_it():
    # aws_appautoscaling_policy's predictive_scaling_policy_configuration as provider 6 plans it:
    # blocks as lists of one, unset values null, "" or [].
    from fargatesim.importing.predictive import predictive_from_terraform
    block = [{"max_capacity_breach_behavior": "IncreaseMaxCapacity", "max_capacity_buffer": 10,
              "mode": "ForecastAndScale", "scheduling_buffer_time": None, "metric_specification": [{
                  "target_value": 60, "predefined_load_metric_specification": [],
                  "predefined_metric_pair_specification": [{"predefined_metric_type": "ECSServiceCPUUtilization",
                                                            "resource_label": ""}],
                  "customized_scaling_metric_specification": [{"metric_data_query": [{
                      "id": "cpu", "expression": "", "label": None, "return_data": True,
                      "metric_stat": [{"stat": "Average", "unit": "", "metric": [{
                          "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
                          "dimension": [{"name": "ServiceName", "value": "web"}]}]}]}]}]}]}]
    # A pair and a scaling metric together are not one specification AWS takes: left out, and why.
    section, why = predictive_from_terraform(block)
    assert section is None and "not both; got predefined_metric_pair_specification and " \
        "customized_scaling_metric_specification" in why
    del block[0]["metric_specification"][0]["predefined_metric_pair_specification"]
    block[0]["metric_specification"][0]["predefined_load_metric_specification"] = [
        {"predefined_metric_type": "ECSServiceTotalCPUUtilization", "resource_label": None}]
    section, why = predictive_from_terraform(block)
    assert why == "" and section["max_capacity_buffer"] == 10 and "scheduling_buffer_time" not in section
    (spec,) = section["metric_specification"]
    assert spec["predefined_load_metric_specification"] == {"predefined_metric_type": "ECSServiceTotalCPUUtilization"}
    (query,) = spec["customized_scaling_metric_specification"]["metric_data_query"]
    assert query == {"id": "cpu", "return_data": True, "metric_stat": {"stat": "Average", "metric": {
        "namespace": "AWS/ECS", "metric_name": "CPUUtilization", "dimension": [{"name": "ServiceName", "value": "web"}]}}}
    assert predictive_from_terraform([]) == (None, "a PredictiveScaling policy without "
                                                   "predictive_scaling_policy_configuration")

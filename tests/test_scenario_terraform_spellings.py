"""Settings spelt as Terraform (and the ECS API) spell them read as the scenario's own.

Each case: a section of a real scenario rewritten in the other spelling validates into the
same Scenario as the original.
"""
import copy
import json
import warnings
from pathlib import Path

import pytest
import yaml

from fargatesim.scenario import ScenarioError, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def read(name: str) -> dict:
    return yaml.safe_load((SCENARIOS / name).read_text())


def same(a: dict, b: dict) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scenario_from_dict(a).to_dict() == scenario_from_dict(b).to_dict()


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def camel_keys(value, own=("docker_labels", "options")):
    if isinstance(value, dict):
        return {camel(k): (v if k in own else camel_keys(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


# ---------------------------------------------------------------------- container definitions
def test_container_definitions_as_the_json_text_terraform_writes_in_camel_case():
    data = read("checkout-api.yaml")
    containers = data["task_definition"]["container_definitions"]
    assert any("port_mappings" in c and "health_check" in c and "secrets" in c for c in containers)
    terraform = copy.deepcopy(data)
    terraform["task_definition"]["container_definitions"] = json.dumps(camel_keys(containers))
    assert "portMappings" in terraform["task_definition"]["container_definitions"]
    assert same(terraform, data)


def test_container_definitions_as_a_camel_case_list():
    data = read("checkout-api.yaml")
    api = copy.deepcopy(data)
    api["task_definition"]["container_definitions"] = camel_keys(data["task_definition"]["container_definitions"])
    assert same(api, data)
    changed = copy.deepcopy(api)
    changed["task_definition"]["container_definitions"][0]["portMappings"][0]["containerPort"] = 9090
    assert not same(changed, data)          # the camelCase values are read, not dropped


def test_container_definitions_that_are_not_json_say_where():
    data = read("checkout-api.yaml")
    data["task_definition"]["container_definitions"] = '[{"name": "app",'
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == "task_definition.container_definitions"
    assert "JSON text" in info.value.message and "line 1" in info.value.message


# ---------------------------------------------------------------------- step scaling
def test_step_adjustment_blocks_with_empty_bounds():
    data = read("step-scaling-requests.yaml")
    policy = data["autoscaling"]["policies"][0]["step_scaling_policy_configuration"]
    steps = policy["step_adjustments"]
    assert any("metric_interval_upper_bound" not in s for s in steps)
    terraform = copy.deepcopy(data)
    config = terraform["autoscaling"]["policies"][0]["step_scaling_policy_configuration"]
    config["step_adjustment"] = [{"metric_interval_lower_bound": s.get("metric_interval_lower_bound", ""),
                                  "metric_interval_upper_bound": s.get("metric_interval_upper_bound", ""),
                                  "scaling_adjustment": s["scaling_adjustment"]}
                                 for s in config.pop("step_adjustments")]
    assert same(terraform, data)


def test_both_spellings_of_one_key_are_refused():
    data = read("step-scaling-requests.yaml")
    config = data["autoscaling"]["policies"][0]["step_scaling_policy_configuration"]
    config["step_adjustment"] = config["step_adjustments"]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path.endswith("step_scaling_policy_configuration.step_adjustment")
    assert "not both" in info.value.message


# ---------------------------------------------------------------------- alarms
def alarms_of(data):
    assert data.get("alarms"), "the scenario has alarms"
    return data["alarms"]


def test_alarm_dimensions_as_a_map():
    data = read("step-scaling-requests.yaml")
    listed = copy.deepcopy(data)
    mapped = copy.deepcopy(data)
    dims = {"LoadBalancer": "app/web/50dc6c495c0c9188", "TargetGroup": "targetgroup/web/73e2d6bc24d8a067"}
    alarms_of(listed)[0]["dimensions"] = [{"name": k, "value": v} for k, v in dims.items()]
    alarms_of(mapped)[0]["dimensions"] = dims
    assert same(mapped, listed)


def test_alarm_actions_as_the_policies_arns():
    data = read("step-scaling-requests.yaml")
    terraform = copy.deepcopy(data)
    for alarm in alarms_of(terraform):
        alarm["alarm_actions"] = [
            "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:ac542982-cbeb-4294-891c-a5a941dfa787:"
            f"resource/ecs/service/prod/web:policyName/{name}" for name in alarm["alarm_actions"]]
    assert same(terraform, data)
    # an ARN of a policy the scenario does not have is still refused, by name
    alarms_of(terraform)[0]["alarm_actions"][0] = alarms_of(terraform)[0]["alarm_actions"][0] + "-gone"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(terraform)
    assert "-gone" in str(info.value)


PER_TASK_API = {
    "alarm_name": "requests-per-task-high", "comparison_operator": "GreaterThanOrEqualToThreshold",
    "threshold": 2400, "evaluation_periods": 2,
    "metrics": [
        {"id": "m1", "return_data": False, "metric_stat": {
            "metric": {"namespace": "AWS/ApplicationELB", "metric_name": "RequestCount",
                       "dimensions": [{"name": "LoadBalancer", "value": "app/web/50dc6c495c0c9188"}]},
            "period": 60, "stat": "Sum"}},
        {"id": "m2", "return_data": False, "metric_stat": {
            "metric": {"namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount"},
            "period": 60, "stat": "Average"}},
        {"id": "e1", "expression": "m1 / m2", "label": "requests per task", "return_data": True},
    ],
}
PER_TASK_TERRAFORM = {
    "alarm_name": "requests-per-task-high", "comparison_operator": "GreaterThanOrEqualToThreshold",
    "threshold": 2400, "evaluation_periods": 2,
    "metric_query": [
        {"id": "m1", "return_data": False, "metric": {
            "namespace": "AWS/ApplicationELB", "metric_name": "RequestCount", "period": 60, "stat": "Sum",
            "unit": "Count", "dimensions": {"LoadBalancer": "app/web/50dc6c495c0c9188"}}},
        {"id": "m2", "return_data": False, "metric": {
            "namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount", "period": 60,
            "stat": "Average"}},
        {"id": "e1", "expression": "m1 / m2", "label": "requests per task", "return_data": True},
    ],
}


def test_metric_query_blocks_as_terraform_writes_them():
    data = read("step-scaling-requests.yaml")
    actions = alarms_of(data)[0]["alarm_actions"]
    api, terraform = copy.deepcopy(data), copy.deepcopy(data)
    alarms_of(api)[0] = {**copy.deepcopy(PER_TASK_API), "alarm_actions": actions}
    alarms_of(terraform)[0] = {**copy.deepcopy(PER_TASK_TERRAFORM), "alarm_actions": actions}
    assert same(terraform, api)
    # a key in a query's metric that is neither simulated nor Terraform's is still refused
    alarms_of(terraform)[0]["metric_query"][1]["metric"]["colour"] = "red"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(terraform)
    assert "colour" in str(info.value)


# ---------------------------------------------------------------------- the served container
def two_serving_containers() -> dict:
    data = read("checkout-api.yaml")
    containers = data["task_definition"]["container_definitions"]
    sidecar = containers[1]
    sidecar.update({"port_mappings": [{"container_port": 4317}], "app_start": "20s", "max_concurrency": 7})
    assert containers[0]["port_mappings"][0]["container_port"] == 8080
    return data


@pytest.mark.parametrize("spelling", ["mapping", "terraform_block_list", "api_plural"])
def test_the_services_load_balancer_chooses_the_container_that_serves(spelling):
    from fargatesim.engine import Simulation, app_model
    data = two_serving_containers()
    entry = {"target_group_arn":
             "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/otel/73e2d6bc24d8a067",
             "container_name": "otel-collector", "container_port": 4317}
    key, value = {"mapping": ("load_balancer", entry), "terraform_block_list": ("load_balancer", [entry]),
                  "api_plural": ("load_balancers", [entry])}[spelling]
    data["service"][key] = value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = scenario_from_dict(data)
    assert ["service.load_balancer: target_group_arn" in str(w.message) for w in caught] == [True]
    td = s.task_definition
    assert td.app_container.name == "otel-collector" and [c.name for c in td.sidecars] == ["app"]
    assert app_model(s).max_concurrency == 7
    assert Simulation(s).service.app_start == 20.0
    # the default, and the served container named in the file, give the same as before
    data = read("checkout-api.yaml")
    named = copy.deepcopy(data)
    named["service"]["load_balancer"] = {"container_name": "app", "container_port": 8080}
    assert same(named, data) is False           # the choice is part of the scenario ...
    assert app_model(scenario_from_dict(named)) == app_model(scenario_from_dict(data))   # ... and changes nothing


def test_without_a_load_balancer_two_containers_with_ports_are_refused():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(two_serving_containers())
    assert info.value.path == "task_definition.container_definitions"
    assert "or the service's load_balancer naming it" in info.value.message


@pytest.mark.parametrize("entry, path, words", [
    ({"container_name": "ap", "container_port": 8080}, "service.load_balancer.container_name",
     ["'ap'", "did you mean 'app'?", "app, otel-collector"]),
    ({"container_name": "app", "container_port": 9999}, "service.load_balancer.container_port",
     ["9999", "container 'app' (8080)"]),
    ([{"container_name": "app", "container_port": 8080}] * 2, "service.load_balancer",
     ["one load balancer entry", "got 2"]),
])
def test_a_load_balancer_entry_that_does_not_match_says_where(entry, path, words):
    data = two_serving_containers()
    data["service"]["load_balancer"] = entry
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == path and all(w in info.value.message for w in words), info.value


def test_a_key_in_both_spellings_in_a_container_is_refused():
    data = read("checkout-api.yaml")
    container = data["task_definition"]["container_definitions"][0]
    container["portMappings"] = [{"containerPort": 9090}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == "task_definition.container_definitions[0].portMappings"
    assert "not both" in info.value.message
    data = read("checkout-api.yaml")
    data["task_definition"]["container_definitions"][0]["port_mappings"] = [{"container_port": 8080,
                                                                             "containerPort": 9090}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == "task_definition.container_definitions[0].port_mappings[0].containerPort"


def test_a_misspelt_camel_case_key_is_reported_as_written():
    data = read("checkout-api.yaml")
    container = data["task_definition"]["container_definitions"][0]
    container["portMapings"] = container.pop("port_mappings")
    container["logConfiguration"] = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/checkout"}}
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == "task_definition.container_definitions[0].portMapings"
    assert "did you mean 'port_mappings'?" in info.value.message

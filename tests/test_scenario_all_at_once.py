"""A scenario file says everything that is wrong with it at once, and forgives what it can.

- Every error of a file in one message, each with its key path (one `fargatesim validate` run
  instead of one per error); every unknown key of a section, not the first only.
- AWS settings the simulator knows but does not simulate (networking, IAM, tags, identifiers)
  are accepted with one warning listing them; a truly unknown key is an error whose
  suggestion, if any, is close.
"""
import copy
import warnings
from pathlib import Path

import pytest
import yaml

from fargatesim.cli import main
from fargatesim.scenario import ScenarioError, ScenarioWarning, load_scenario, scenario_from_dict
from fargatesim.scenario.aws_settings import NOT_SIMULATED, SECTIONS
from fargatesim.scenario.errors import did_you_mean
from fargatesim.scenario.schema import Service

CHECKOUT = Path(__file__).resolve().parent.parent / "scenarios" / "checkout-api.yaml"


def checkout() -> dict:
    return yaml.safe_load(CHECKOUT.read_text())


FIVE = {
    "duration": ("ninety minutes", "duration", ["expected a duration", "'ninety minutes'"]),
    "traffic[0]": ({"constnt": {"rps": 5}}, "traffic[0].constnt", ["did you mean 'constant'?"]),
    "workload.cpu_ms": (-5, "workload.cpu_ms", [">= 0", "got -5"]),
    "task_definition.cpu": ("lots", "task_definition.cpu", ["expected a whole number", "'lots'"]),
    "service.desird_count": (3, "service.desird_count", ["unknown key 'desird_count'",
                                                        "did you mean 'desired_count'?"]),
}


def with_five_errors() -> dict:
    data = checkout()
    data["duration"] = FIVE["duration"][0]
    data["traffic"][0] = FIVE["traffic[0]"][0]
    data["workload"]["cpu_ms"] = FIVE["workload.cpu_ms"][0]
    data["task_definition"]["cpu"] = FIVE["task_definition.cpu"][0]
    data["service"]["desird_count"] = FIVE["service.desird_count"][0]
    return data


def test_a_file_with_five_independent_errors_reports_all_five(tmp_path, capsys):
    path = tmp_path / "five.yaml"
    path.write_text(yaml.safe_dump(with_five_errors(), sort_keys=False))
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"fargatesim: {path}: 5 problems:"
    assert len(lines) == 6 and all(line.startswith("  ") for line in lines[1:])
    listed = {line.strip().split(": ", 1)[0]: line for line in lines[1:]}
    assert set(listed) == {key_path for _, key_path, _ in FIVE.values()}
    for _, key_path, words in FIVE.values():
        assert all(w in listed[key_path] for w in words), listed[key_path]
    # `run` says the same, before simulating anything
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.splitlines() == lines
    assert not (tmp_path / "out").exists()


def test_each_problem_fixed_leaves_the_others():
    data = with_five_errors()
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert sorted(path for path, _ in info.value.problems) == sorted(v[1] for v in FIVE.values())
    data["duration"] = "1h"
    data["service"].pop("desird_count")
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert sorted(path for path, _ in info.value.problems) == ["task_definition.cpu", "traffic[0].constnt",
                                                               "workload.cpu_ms"]


def test_every_unknown_key_of_a_section_is_named():
    data = checkout()
    data["service"].update({"desird_count": 3, "zzz": 1, "stop_timeut": 30})
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    problems = dict(info.value.problems)
    assert set(problems) == {"service.desird_count", "service.zzz", "service.stop_timeut"}
    assert "did you mean 'stop_timeout'?" in problems["service.stop_timeut"]
    assert "did you mean" not in problems["service.zzz"]


def test_a_list_refused_item_by_item_is_not_also_called_too_short():
    data = checkout()
    data["traffic"] = [{"constant": {"rps": -5}}]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert [path for path, _ in info.value.problems] == ["traffic[0].constant.rps"]
    data["traffic"] = []
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.problems == [("traffic", "expected at least 1 item; got 0")]


def test_an_empty_name_is_one_problem_not_three():
    # The service and the task family are named after the scenario unless the file names them.
    data = checkout()
    data["name"] = ""
    data["service"].pop("name", None)
    data["task_definition"].pop("family", None)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert [path for path, _ in info.value.problems] == ["name"]


# ---------------------------------------------------------------------- AWS settings not simulated
def test_aws_settings_not_simulated_are_accepted_with_one_warning(tmp_path, capsys):
    data = checkout()
    data["service"].update({"cluster": "prod", "network_configuration": {"subnets": ["subnet-1"],
                                                                        "assign_public_ip": False},
                            "enable_execute_command": True})
    data["task_definition"].update({"execution_role_arn": "arn:aws:iam::123456789012:role/exec",
                                    "network_mode": "awsvpc"})
    data["task_definition"]["container_definitions"][0]["log_configuration"] = {"log_driver": "awslogs"}
    data["autoscaling"].update({"resource_id": "service/prod/checkout-api", "scalable_dimension":
                                "ecs:service:DesiredCount", "service_namespace": "ecs"})
    path = tmp_path / "aws.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: ok")
    [line] = err.splitlines()
    assert line.startswith(f"fargatesim: warning: {path}: 9 AWS settings that fargatesim does not simulate")
    for part in ("service: cluster, network_configuration, enable_execute_command",
                 "task_definition: execution_role_arn, network_mode",
                 "task_definition.container_definitions[]: log_configuration",
                 "autoscaling: resource_id, scalable_dimension, service_namespace"):
        assert part in line, line
    # the run is the run without them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with_them = load_scenario(path)
    assert [type(w.message) for w in caught] == [ScenarioWarning]
    assert with_them.to_dict() == load_scenario(CHECKOUT).to_dict()


def test_a_scenario_without_aws_settings_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_scenario(CHECKOUT)


def test_a_misspelt_setting_still_fails_and_suggestions_are_close():
    data = checkout()
    data["service"]["clustr"] = "prod"             # a typo of a setting not simulated: still a typo
    data["service"]["banana"] = 1
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    problems = dict(info.value.problems)
    assert "unknown key 'clustr' (did you mean 'cluster'?)" in problems["service.clustr"]
    assert "did you mean" not in problems["service.banana"]
    # only the simulated keys are listed as allowed
    assert "cluster" not in problems["service.clustr"].split("allowed keys here: ")[1].split(", ")
    # 'cluster' shares letters with 'cold_start', but is no typo of it
    assert did_you_mean("cluster", Service.user_keys()) == ""
    assert did_you_mean("desird_count", Service.user_keys()) == " (did you mean 'desired_count'?)"


def test_every_listed_setting_is_accepted_where_it_is_listed():
    # Each model with settings not simulated takes each of them with a warning, in its own section.
    assert set(NOT_SIMULATED) == set(SECTIONS)
    data = checkout()
    for key in NOT_SIMULATED["Service"]:
        data["service"][key] = "x"
    for key in NOT_SIMULATED["TargetGroup"]:
        data["target_group"][key] = "x"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario_from_dict(data)
    [warning] = caught
    message = str(warning.message)
    for key in NOT_SIMULATED["Service"] | NOT_SIMULATED["TargetGroup"]:
        assert f" {key}," in message or f" {key};" in message or message.endswith(f" {key}"), key


def models():
    from fargatesim.scenario.fields import Model
    found, todo = {}, [Model]
    while todo:
        for sub in todo.pop().__subclasses__():
            found[sub.__name__] = sub
            todo.append(sub)
    return found


def test_no_setting_listed_as_not_simulated_is_one_the_simulator_reads():
    classes = models()
    for model, keys in NOT_SIMULATED.items():
        cls = classes[model]
        assert not keys & set(cls.user_keys()), (model, keys & set(cls.user_keys()))


def test_an_unknown_key_hides_nothing_else():
    # An unknown key at the top and in sections: the other problems of the file and of those
    # sections are reported with it, not after it is fixed.
    data = checkout()
    data["foo"] = 1
    data["service"]["desird_count"] = 2
    data["traffic"] = [{"constant": {"rps": -1}}]
    container = data["task_definition"]["container_definitions"][0]
    container["portMapings"] = [{"containerPort": 1}]
    container["health_check"]["start_period"] = 900
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert [path for path, _ in info.value.problems] == [
        "foo", "traffic[0].constant.rps", "task_definition.container_definitions[0].portMapings",
        "task_definition.container_definitions[0].health_check.start_period", "service.desird_count"]


def test_settings_of_nested_sections_not_simulated():
    data = checkout()
    data["target_group"]["health_check"]["enabled"] = True
    data["task_definition"]["inference_accelerator"] = []
    data["alarms"] = [{"alarm_name": "per-task", "comparison_operator": "GreaterThanThreshold", "threshold": 1,
                       "metrics": [{"id": "m1", "account_id": "123456789012", "return_data": False,
                                    "metric_stat": {"metric": {"namespace": "AWS/ApplicationELB",
                                                               "metric_name": "RequestCount"}, "stat": "Sum"}},
                                   {"id": "e1", "expression": "m1 * 2", "period": 60}]}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario_from_dict(data)
    [warning] = caught
    for part in ("target_group.health_check: enabled", "task_definition: inference_accelerator",
                 "alarms[].metrics[]: account_id, period"):
        assert part in str(warning.message), warning.message


def test_a_notification_to_an_sns_topic_is_dropped_with_the_warning():
    data = yaml.safe_load((CHECKOUT.parent / "step-scaling-requests.yaml").read_text())
    plain = copy.deepcopy(data)
    data["alarms"][0]["alarm_actions"].append("arn:aws:sns:us-east-1:123456789012:ops-pager")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = scenario_from_dict(data)
    assert ["alarms[]: alarm_actions to SNS topics" in str(w.message) for w in caught] == [True]
    assert s.to_dict() == scenario_from_dict(plain).to_dict()
    data["alarms"][0]["alarm_actions"].append("arn:aws:sqs:us-east-1:123456789012:queue")   # not a notification
    with pytest.raises(ScenarioError):
        scenario_from_dict(data)


def test_the_containers_stop_timeout_is_the_services_unless_it_has_one():
    data = checkout()
    data["service"].pop("stop_timeout", None)
    data["task_definition"]["container_definitions"][0]["stop_timeout"] = 90
    data["task_definition"]["container_definitions"][1]["stop_timeout"] = 20
    s = scenario_from_dict(data)
    assert s.service.stop_timeout == 90 and scenario_from_dict(s.to_dict()).service.stop_timeout == 90
    data["service"]["stop_timeout"] = 10
    assert scenario_from_dict(data).service.stop_timeout == 10


def test_checks_across_sections_report_every_problem():
    data = yaml.safe_load((CHECKOUT.parent / "step-scaling-requests.yaml").read_text())
    data["alarms"][0]["alarm_actions"] = ["nope"]
    data["alarms"][1]["alarm_actions"] = ["requests-step-ot"]
    app = data["task_definition"]["container_definitions"][0]
    data["service"]["load_balancer"] = {"container_name": app["name"], "container_port": 9999}
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    problems = dict(info.value.problems)
    assert list(problems) == ["service.load_balancer.container_port", "alarms[0].alarm_actions[0]",
                              "alarms[1].alarm_actions[0]"]
    assert "did you mean 'requests-step-out'?" in problems["alarms[1].alarm_actions[0]"]


def test_health_checks_turned_off_are_refused_as_aws_refuses_them():
    data = checkout()
    data["target_group"]["health_check"]["enabled"] = False
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == "target_group.health_check.enabled" and "cannot be turned off" in info.value.message

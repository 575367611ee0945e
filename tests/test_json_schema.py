"""The scenario format as JSON Schema (`fargatesim schema`), checked with jsonschema.

It accepts every scenario the project ships and every one `fargatesim validate` accepts from
the drawn scenarios, with the spellings the format forgives; it rejects the bad inputs of the
test suite that are a matter of shape (unknown keys, types, choices, bounds), and leaves what
depends on several keys at once to `validate`.
"""
import copy
import json
import warnings
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from test_cli import BAD, GOOD
from test_engine_conservation import scenarios
from test_scenario_all_at_once import with_five_errors
from test_scenario_terraform_spellings import PER_TASK_TERRAFORM, camel_keys, two_serving_containers

from fargatesim.cli import main
from fargatesim.scenario import ScenarioError, scenario_from_dict
from fargatesim.scenario.json_schema import SCHEMA_ID, scenario_schema

REPO = Path(__file__).resolve().parent.parent
SCHEMA = scenario_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def as_json(data):
    """What an editor's YAML language server checks: the YAML's data as JSON (dates as text)."""
    return json.loads(json.dumps(data, default=str))


def problems(data) -> list[str]:
    """Every problem, with those inside the alternatives (anyOf, oneOf) a value matched none of."""
    def walk(errors):
        for e in errors:
            yield f"{'.'.join(map(str, e.absolute_path))}: {e.message[:120]}"
            yield from walk(e.context or ())
    return list(walk(VALIDATOR.iter_errors(as_json(data))))


def found_at(found: list[str], key_path: str) -> bool:
    """Whether a problem is at key_path (as validate writes it: traffic[0].constant.rps), or at
    the mapping holding it with the key named (an unknown key)."""
    dotted = key_path.replace("[", ".").replace("]", "")
    parent, _, key = dotted.rpartition(".")
    return any(p.startswith(dotted + ":") or p.startswith(dotted + ".")
               or (p.startswith(parent + ":") and repr(key) in p) for p in found)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == SCHEMA_ID and SCHEMA["title"] == "fargatesim scenario"


SHIPPED = sorted((REPO / "scenarios").glob("*.yaml")) + [REPO / "docs" / "scenario-reference.yaml",
                                                          REPO / "fargatesim" / "examples" / "starter.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid(path):
    assert problems(yaml.safe_load(path.read_text())) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_what_validate_accepts_the_schema_accepts(data):
    scenario_from_dict(copy.deepcopy(data))
    assert problems(data) == []


# Bad inputs of test_cli.BAD that depend on more than one key's shape, or on files.
NOT_SHAPES = {"malformed-yaml", "invalid-fargate-pair", "invalid-fargate-cpu", "missing-trace-file",
              "malformed-trace-file"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_the_bad_inputs_that_are_shapes_are_rejected(name):
    (old, new), key_path, _ = BAD[name]
    if name == "malformed-yaml":
        return                                 # not YAML at all: no data to check
    data = yaml.safe_load(GOOD.replace(old, new, 1))
    assert problems(yaml.safe_load(GOOD)) == []
    found = problems(data)
    if name in NOT_SHAPES:
        assert found == []                      # validate's to say (test_cli checks that it does)
    else:
        assert found_at(found, key_path), found


def test_the_five_independent_errors_are_all_found():
    found = problems(with_five_errors())
    for where in ("duration", "traffic[0]", "workload.cpu_ms", "task_definition.cpu", "service.desird_count"):
        assert found_at(found, where), (where, found)


@pytest.mark.parametrize("change, where", [
    (lambda d: d["target_group"].update(deregistration_delay="five minutes"), "target_group.deregistration_delay"),
    (lambda d: d["target_group"].update(deregistration_delay=4000), "target_group.deregistration_delay"),
    (lambda d: d["workload"].update(cpu_ms={"distribution": "lognorml", "mean": 25, "cv": 1}), "workload.cpu_ms"),
    (lambda d: d["workload"].update(cpu_ms={"distribution": "normal", "mean": 25, "stdev": 3}), "workload.cpu_ms"),
    (lambda d: d["traffic"].append({"spike": {"at": "10h", "peak_rps": 100, "rise": "2 minutes"}}), "traffic[1]"),
    (lambda d: d["traffic"].append({"constant": {"rps": 1}, "spike": {"at": "1h", "peak_rps": 9}}), "traffic[1]"),
    (lambda d: d.update(faults=[{"type": "task_crsh", "at": "1h"}]), "faults[0]"),
    (lambda d: d["service"].update(desired_count=-1), "service.desired_count"),
])
def test_shapes_validate_refuses_the_schema_refuses(change, where):
    data = yaml.safe_load(GOOD)
    change(data)
    with pytest.raises(ScenarioError):
        scenario_from_dict(copy.deepcopy(data))
    assert found_at(problems(data), where), problems(data)


def test_the_forgiven_spellings_and_aws_settings_are_valid():
    data = two_serving_containers()
    containers = data["task_definition"]["container_definitions"]
    data["task_definition"]["container_definitions"] = camel_keys(containers)
    entry = {"container_name": "otel-collector", "container_port": 4317,
             "target_group_arn": "arn:aws:elasticloadbalancing:x"}
    data["service"].update({"cluster": "prod", "load_balancer": [entry]})
    data["alarms"] = [{**PER_TASK_TERRAFORM, "alarm_actions": []},
                      {"alarm_name": "cpu", "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
                       "comparison_operator": "GreaterThanThreshold", "threshold": 80,
                       "dimensions": {"ClusterName": "prod", "ServiceName": "checkout-api"}}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario_from_dict(copy.deepcopy(data))
    assert problems(data) == []
    as_text = copy.deepcopy(data)
    as_text["task_definition"]["container_definitions"] = json.dumps(camel_keys(containers))
    assert problems(as_text) == []


def test_keys_carry_their_defaults_and_descriptions():
    target_group = SCHEMA["$defs"]["TargetGroup"]["properties"]
    assert target_group["deregistration_delay"]["default"] == 300
    service = SCHEMA["$defs"]["Service"]["properties"]
    assert service["desired_count"]["default"] == 1
    assert "SIGTERM" in service["stop_timeout"]["description"]
    assert "not simulate" in service["cluster"]["description"]
    assert SCHEMA["properties"]["duration"]["default"] == 3600.0


def test_fargatesim_schema_prints_it(capsys, tmp_path):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == SCHEMA
    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == SCHEMA

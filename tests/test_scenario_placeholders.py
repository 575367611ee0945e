"""`placeholders:` names the keys still standing in for what the author has yet to say."""
import pytest

from fargatesim.scenario import ScenarioError, scenario_from_dict, warnings_for

BASE = {"name": "p", "traffic": [{"constant": {"rps": 5}}], "workload": {"cpu_ms": 20},
        "task_definition": {"cpu": 256, "memory": 512,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]}}


def test_listed_placeholders_warn_once_naming_them():
    scenario = scenario_from_dict({**BASE, "placeholders": ["traffic", "workload.cpu_ms"]})
    (warning,) = [w for w in warnings_for(scenario) if w.path == "placeholders"]
    assert "traffic, workload.cpu_ms still hold placeholders" in warning.message


def test_no_placeholders_no_warning():
    assert not [w for w in warnings_for(scenario_from_dict(BASE)) if w.path == "placeholders"]
    assert not [w for w in warnings_for(scenario_from_dict({**BASE, "placeholders": []}))
                if w.path == "placeholders"]


@pytest.mark.parametrize("path, message", [
    ("trafic", "the top level has no key 'trafic' (did you mean 'traffic'?)"),
    ("workload.cpu_msec", "workload has no key 'cpu_msec' (did you mean 'cpu_ms'?)"),
    ("service.load_balancer.port", "service.load_balancer has no key 'port'"),
    ("slo.latency_p99_ms.x", "slo.latency_p99_ms has no key 'x'"),
])
def test_a_placeholder_is_a_key_path_of_the_format(path, message):
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict({**BASE, "placeholders": ["traffic", path]})
    assert e.value.path == "placeholders[1]" and message in e.value.message


def test_a_placeholder_is_listed_once():
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict({**BASE, "placeholders": ["traffic", "workload.cpu_ms", "traffic"]})
    assert e.value.path == "placeholders" and "got traffic more than once" in e.value.message

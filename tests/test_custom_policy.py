"""Custom (Python) scaling policies: loaded from a scenario or passed as objects."""
import math
import shutil
from pathlib import Path

import pytest

import fargatesim
from fargatesim.engine import Simulation
from fargatesim.scenario import ScenarioError, scenario_from_dict

DATA = Path(__file__).parent / "data"


def scenario(tmp_path, policies, min_capacity=1, max_capacity=30):
    shutil.copy(DATA / "inflight_policy.py", tmp_path / "inflight_policy.py")
    return scenario_from_dict({
        "name": "custom", "duration": "90m", "seed": 2,
        "traffic": [{"constant": {"rps": 100}}, {"steps": [{"at": 1800, "rps": 400}]}],
        "workload": {"cpu_ms": 20, "timeout": "30s"},
        "task_definition": {"cpu": 1024, "memory": 2048,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 2},
        "autoscaling": {"min_capacity": min_capacity, "max_capacity": max_capacity, "policies": policies},
    }, base_dir=tmp_path)


def test_policy_from_the_scenario_file_follows_its_own_rule(tmp_path):
    s = scenario(tmp_path, [{"name": "per-task", "policy_type": "Custom",
                             "custom": {"class": "inflight_policy:RequestsPerTask", "params": {"per_task": 50},
                                        "scale_out_cooldown": 0, "scale_in_cooldown": 0}}])
    sim = Simulation(s).run()
    # 100 req/s -> ceil(1.2 * 100 / 50) = 3 tasks; 500 req/s -> 12 tasks.
    desired = [(t, snap["desired_count"]) for t, snap in sim.snapshots]
    assert any(d == 3 for t, d in desired if t < 1800)
    assert sim.service.desired_count == math.ceil(1.2 * 500 / 50)
    assert all(d.policy == "per-task" for d in sim.scalable_target.decisions)


def test_policy_object_through_the_python_api_is_clamped_and_logged(tmp_path):
    import sys
    sys.path.insert(0, str(DATA))
    try:
        from inflight_policy import RequestsPerTask
    finally:
        sys.path.remove(str(DATA))
    policy = RequestsPerTask(per_task=10)       # wants 60 tasks at 500 req/s
    policy.scale_out_cooldown = policy.scale_in_cooldown = 0
    r = fargatesim.simulate(scenario(tmp_path, [], max_capacity=20), policies=[policy])
    assert policy.calls == 89                    # asked once a minute until the 90-minute end
    assert r.timeseries.desired_count.max() == 20
    notes = r.events[(r.events.kind == "scaling_activity")].detail
    assert notes.str.contains("AlreadyAtMaxCapacity").any()
    assert notes.str.contains("RequestsPerTask.desired_capacity returned 60").any()


def test_policy_sees_metrics_only_after_their_publication_delay(tmp_path):
    seen = []

    class Spy:
        def desired_capacity(self, obs):
            seen.append((obs.now, obs.metric("AWS/ECS", "CPUUtilization", count=1)))
            return None

    s = scenario(tmp_path, [])
    fargatesim.simulate(s, policies=[Spy()])
    delay = s.cloudwatch.metric_delay
    for now, values in seen:
        assert (values == []) == (now < 60 + delay)


def test_a_policy_class_that_cannot_be_imported_is_bad_input(tmp_path):
    s = scenario(tmp_path, [{"name": "x", "policy_type": "Custom", "custom": {"class": "no_such_module:Policy"}}])
    with pytest.raises(ScenarioError) as e:
        Simulation(s)
    assert e.value.path == "autoscaling.policies[0].custom.class"
    assert "no_such_module" in str(e.value)

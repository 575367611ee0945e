"""Custom (Python) scaling policies: where their classes may come from, how their files are
loaded, what their answers mean; loaded from a scenario or passed as objects."""
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import fargatesim
from fargatesim.autoscaling import check_custom_policies
from fargatesim.autoscaling.custom import capacity_of
from fargatesim.autoscaling.policy_loading import module_name_for
from fargatesim.engine import Simulation
from fargatesim.scenario import ScenarioError, load_scenario, scenario_from_dict

DATA = Path(__file__).parent / "data"
POLICIES = DATA / "policies"


def scenario_data(policies, min_capacity=1, max_capacity=30, duration="90m"):
    return {
        "name": "custom", "duration": duration, "seed": 2,
        "traffic": [{"constant": {"rps": 100}}, {"steps": [{"at": 1800, "rps": 400}]}],
        "workload": {"cpu_ms": 20, "timeout": "30s"},
        "task_definition": {"cpu": 1024, "memory": 2048,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 2},
        "autoscaling": {"min_capacity": min_capacity, "max_capacity": max_capacity, "policies": policies},
    }


def write_scenario(folder: Path, policies, **kw) -> Path:
    """A scenario file in `folder`, as a user keeps one beside its policy module."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(scenario_data(policies, **kw)))
    return path


def custom(cls: str, name="mine", **extra) -> dict:
    return {"name": name, "policy_type": "Custom", "custom": {"class": cls, **extra}}


def scenario(tmp_path, policies, **kw):
    shutil.copy(DATA / "inflight_policy.py", tmp_path / "inflight_policy.py")
    return load_scenario(write_scenario(tmp_path, policies, **kw))


# ---------------------------------------------------------------------- what a policy does
def test_policy_from_the_scenario_file_follows_its_own_rule(tmp_path):
    s = scenario(tmp_path, [custom("inflight_policy:RequestsPerTask", name="per-task", params={"per_task": 50},
                                   scale_out_cooldown=0, scale_in_cooldown=0)])
    sim = Simulation(s).run()
    # 100 req/s -> ceil(1.2 * 100 / 50) = 3 tasks; 500 req/s -> 12 tasks.
    desired = [(t, snap["desired_count"]) for t, snap in sim.snapshots]
    assert any(d == 3 for t, d in desired if t < 1800)
    assert sim.service.desired_count == math.ceil(1.2 * 500 / 50)
    assert all(d.policy == "per-task" for d in sim.scalable_target.decisions)


def test_policy_object_through_the_python_api_is_clamped_and_logged(tmp_path):
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


# ---------------------------------------------------------------------- its answers
@pytest.mark.parametrize("answer, tasks, note", [
    (3, 3, ""),
    (np.int64(4), 4, ""),
    (3.7, 4, ", used 4"),                       # rounded up, as target tracking rounds a scale-out
    (3.0, 3, ", used 3"),
    (np.float32(0.2), 1, ", used 1"),
    (0, 0, ""),
    (7500, 5000, ", used 5000 (the Amazon ECS quota of tasks per service)"),
    (1e300, 5000, ", used 5000 (the Amazon ECS quota of tasks per service)"),
    pytest.param(10**5000, 5000, ", used 5000 (the Amazon ECS quota of tasks per service)", id="10**5000"),
])
def test_a_number_of_tasks_is_taken_rounded_up_and_within_the_quota(answer, tasks, note):
    assert capacity_of(answer) == (tasks, None, note)


@pytest.mark.parametrize("answer, why", [
    (True, "a bool"), (np.bool_(False), "a bool"), ("7", "a str"), ([3], "a list"), ({"tasks": 3}, "a dict"),
    (math.nan, "not finite"), (-math.inf, "not finite"), (-1, "negative"), (-0.5, "negative"),
])
def test_anything_else_is_refused_saying_what_it_was(answer, why):
    capacity, problem, _ = capacity_of(answer)
    assert problem.startswith("expected a whole number of tasks from 0 to 5,000, or None") and why in problem


def test_a_fraction_is_logged_as_returned_and_as_used(tmp_path):
    path = write_scenario(tmp_path, [custom("misbehaving:Answers", params={"answer": 3.7}, scale_out_cooldown=0)],
                          duration="5m")
    shutil.copy(POLICIES / "misbehaving.py", tmp_path)
    r = fargatesim.simulate(path)
    assert r.timeseries.desired_count.max() == 4
    assert r.events.detail.str.contains(r"Answers.desired_capacity returned 3.7, used 4\)", regex=True).any()


# ---------------------------------------------------------------------- where a class may come from
def test_two_folders_each_get_their_own_module_of_the_same_name_in_either_order(tmp_path):
    wants = {"a": 2, "b": 6}
    for folder, tasks in wants.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "mypolicies.py").write_text(
            f"class Fixed:\n    def desired_capacity(self, obs):\n        return {tasks}\n")
        write_scenario(tmp_path / folder, [custom("mypolicies:Fixed", scale_out_cooldown=0, scale_in_cooldown=0)],
                       max_capacity=10, duration="10m")
    before = list(sys.path)
    for order in (("a", "b"), ("b", "a")):
        for folder in order:
            r = fargatesim.simulate(tmp_path / folder / "s.yaml")
            assert r.timeseries.desired_count.iloc[-1] == wants[folder], (order, folder)
    # Loaded by path, under names of their own: the bare name and sys.path are left alone.
    assert "mypolicies" not in sys.modules and sys.path == before
    assert module_name_for(tmp_path / "a" / "mypolicies.py") != module_name_for(tmp_path / "b" / "mypolicies.py")


def test_each_run_gets_a_fresh_module_so_runs_do_not_share_its_globals(tmp_path):
    shutil.copy(POLICIES / "fixed.py", tmp_path)
    path = write_scenario(tmp_path, [custom("fixed:Fixed", params={"tasks": 3}, scale_out_cooldown=0)],
                          duration="5m")
    peaks = [fargatesim.simulate(path).timeseries.desired_count.max() for _ in range(2)]
    assert peaks == [3, 3]                       # a module kept from the first run would ask for 6


def test_a_dotted_name_is_a_file_in_a_subfolder_whose_package_never_runs(tmp_path):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "__init__.py").write_text("raise RuntimeError('the package ran')\n")
    shutil.copy(POLICIES / "fixed.py", tmp_path / "team" / "rules.py")
    path = write_scenario(tmp_path, [custom("team.rules:Fixed", params={"tasks": 4}, scale_out_cooldown=0)],
                          duration="5m")
    assert fargatesim.simulate(path).timeseries.desired_count.max() == 4


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(POLICIES / "fixed.py", tmp_path / "elsewhere" / "fixed.py")
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "fixed.py").symlink_to(tmp_path / "elsewhere" / "fixed.py")
    s = load_scenario(write_scenario(tmp_path / "scenario", [custom("fixed:Fixed")]))
    with pytest.raises(ScenarioError, match="to be a file in the scenario's folder; it leads to") as e:
        check_custom_policies(s)
    assert e.value.path == "autoscaling.policies[0].custom.class"


def test_a_module_from_the_current_folder_or_sys_path_needs_trust(tmp_path, monkeypatch):
    outside = tmp_path / "on_sys_path"
    outside.mkdir()
    shutil.copy(POLICIES / "fixed.py", outside / "fargatesim_test_trusted_fixed.py")
    monkeypatch.syspath_prepend(str(outside))
    monkeypatch.chdir(outside)
    s = load_scenario(write_scenario(tmp_path / "scenario", [
        custom("fargatesim_test_trusted_fixed:Fixed", params={"tasks": 5}, scale_out_cooldown=0)], duration="5m"))
    with pytest.raises(ScenarioError) as e:
        check_custom_policies(s)
    assert "scenario_" not in e.value.message and "runs only if you trust it" in e.value.message
    assert str(tmp_path / "scenario" / "fargatesim_test_trusted_fixed.py") in e.value.message
    assert "fargatesim_test_trusted_fixed" not in sys.modules      # refused before any import
    check_custom_policies(s, trusted_modules=("fargatesim_test_trusted_fixed",))
    r = fargatesim.simulate(s, trusted_modules=["fargatesim_test_trusted_fixed"])
    assert r.timeseries.desired_count.max() == 5


@pytest.mark.parametrize("spec, trusted, expected", [
    ("os:system", (), "expected the file"),
    ("subprocess:Popen", (), "expected the file"),
    ("os:system", ("os",), "expected a class"),                  # trusted, but not a policy class
    ("json:JSONDecoder", ("json",), "expected class JSONDecoder to have a desired_capacity"),
    ("json.decoder:JSONDecoder", ("json",), "has no desired_capacity"),  # read without importing
    ("json:Decoder", ("json",), "there is no class Decoder"),
    ("fargatesim_no_such_module:X", ("fargatesim_no_such_module",), "is not on sys.path"),
])
def test_standard_library_names_are_refused_before_anything_runs(tmp_path, spec, trusted, expected):
    s = load_scenario(write_scenario(tmp_path, [custom(spec, params={"command": "touch pwned"})]))
    with pytest.raises(ScenarioError, match=expected) as e:
        check_custom_policies(s, trusted)
        Simulation(s, trusted_modules=trusted)
    assert e.value.file == str(tmp_path / "s.yaml") and e.value.path == "autoscaling.policies[0].custom.class"
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_a_scenario_built_from_a_dict_has_no_folder_of_its_own(tmp_path, monkeypatch):
    shutil.copy(POLICIES / "fixed.py", tmp_path)
    monkeypatch.chdir(tmp_path)                  # the file sits in the current folder: not enough
    s = scenario_from_dict(scenario_data([custom("fixed:Fixed")]), base_dir=tmp_path)
    with pytest.raises(ScenarioError, match="was not read from a file") as e:
        Simulation(s)
    assert "policies=[...]" in e.value.message and "fixed" not in sys.modules


def test_trusted_names_must_be_module_names(tmp_path):
    s = scenario(tmp_path, [])
    with pytest.raises(ScenarioError, match="expected a module name such as mypkg") as e:
        check_custom_policies(s, trusted_modules=("my-pkg",))
    assert e.value.path == "trusted_modules"


# ---------------------------------------------------------------------- the static check
@pytest.mark.parametrize("source, problem", [
    ("class P:\n    def desired_capacity(self, obs):\n        return 1\n", None),
    ("class Base:\n    def desired_capacity(self, obs):\n        return 1\nclass P(Base):\n    pass\n", None),
    # a base from another module cannot be seen without running it: accepted, checked once run
    ("from collections import OrderedDict as Base\nclass P(Base):\n    pass\n", None),
    ("class P:\n    def rule(self, obs):\n        return 1\n    desired_capacity = rule\n", None),
    ("class P(object):\n    pass\n", "has no desired_capacity(self, obs) method"),
    ("class Base:\n    pass\nclass P(Base, dict):\n    pass\n", "has no desired_capacity(self, obs) method"),
    ("class P:\n    async def desired_capacity(self, obs):\n        return 1\n", "has an async desired_capacity"),
    ("if True:\n    class P:\n        def desired_capacity(self, obs):\n            return 1\n",
     "is not at the top level"),
    ("from os import system as P\n", "P is imported from another module (line 1), not a class"),
    ("class P:\n    def desired_capacity(self, obs):\n        return 1\nP = 3\n", "P is assigned a value (line 4)"),
    ("def P():\n    pass\n", "P is a function (line 1), not a class"),
    ("class Q:\n    pass\n", "there is no class P at the top level"),
    ("class P:\n    def desired_capacity(self, obs)\n        return 1\n", "SyntaxError in"),
    ("class P:\n    def desired_capacity(self, obs):\n        return 1\nreturn 2\n", "'return' outside function"),
    ("x = '\0'\n", "SyntaxError"),  # null bytes; the parser's own error
])
def test_the_class_is_checked_without_running_its_module(tmp_path, source, problem):
    (tmp_path / "mine.py").write_text(source + "open('ran', 'w').close()\n")
    s = load_scenario(write_scenario(tmp_path, [custom("mine:P")]))
    if problem is None:
        check_custom_policies(s)
    else:
        with pytest.raises(ScenarioError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            check_custom_policies(s)
    assert not (tmp_path / "ran").exists() and not Path("ran").exists()


def test_a_class_whose_unseen_base_lacks_the_method_is_refused_once_its_module_ran(tmp_path):
    (tmp_path / "mine.py").write_text("from collections import OrderedDict as Base\nclass P(Base):\n    pass\n")
    s = load_scenario(write_scenario(tmp_path, [custom("mine:P")]))
    check_custom_policies(s)
    with pytest.raises(ScenarioError, match="expected class P to have a desired_capacity"):
        Simulation(s)


def test_params_that_the_class_does_not_take_are_bad_input(tmp_path):
    shutil.copy(POLICIES / "fixed.py", tmp_path)
    s = load_scenario(write_scenario(tmp_path, [custom("fixed:Fixed", params={"task": 3})]))
    with pytest.raises(ScenarioError, match=r"expected params that Fixed\(tasks=2\) takes; got an unexpected") as e:
        Simulation(s)
    assert e.value.path == "autoscaling.policies[0].custom.params"


def test_a_policy_class_that_cannot_be_found_is_bad_input(tmp_path):
    s = scenario(tmp_path, [custom("no_such_module:Policy", name="x")])
    with pytest.raises(ScenarioError) as e:
        Simulation(s)
    assert e.value.path == "autoscaling.policies[0].custom.class"
    assert str(tmp_path / "no_such_module.py") in str(e.value)

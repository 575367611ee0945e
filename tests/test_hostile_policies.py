"""Custom policies as a careless or hostile user writes them (issue 12, items 1 to 3): a scenario
runs no code but the Python files in its own folder (and modules the user trusts), `validate`
says so without running them, and a policy that fails, exits or answers nonsense is reported
as the policy's failure (one message, the simulated time, the user's own traceback lines,
exit 1) instead of ending the program or the run silently.

The command-line cases run in a subprocess under time and memory limits (tests/hostile.py);
the others in this process."""
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hostile import fargatesim_cli

import fargatesim
from fargatesim.engine import Simulation
from fargatesim.errors import SimulationError
from fargatesim.scenario import ScenarioError, load_scenario

POLICIES = Path(__file__).parent / "data" / "policies"


def folder_with(tmp_path: Path, cls: str, *, params=None, actions=(), duration="10m", **autoscaling) -> Path:
    """A scenario file beside copies of the fixture policy files; returns its path."""
    for source in POLICIES.glob("*.py"):
        shutil.copy(source, tmp_path / source.name)
    policy = {"name": "p", "policy_type": "Custom",
              "custom": {"class": cls, "params": params or {}, "scale_out_cooldown": 0, "scale_in_cooldown": 0}}
    data = {
        "name": "hostile", "duration": duration, "seed": 1,
        "traffic": [{"constant": {"rps": 50}}], "workload": {"cpu_ms": 10},
        "task_definition": {"cpu": 1024, "memory": 2048,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 1},
        "autoscaling": {"min_capacity": 1, "max_capacity": 10, "policies": [policy], **autoscaling},
        "actions": list(actions),
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def failure(path: Path) -> str:
    with pytest.raises(SimulationError) as e:
        Simulation(load_scenario(path)).run()
    return str(e.value)


# ---------------------------------------------------------------------- on the command line
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("cls, params", [("os:system", {"command": "touch pwned"}),
                                         ("subprocess:run", {"args": ["touch", "pwned"]})])
def test_a_standard_library_callable_is_refused_and_never_called(tmp_path, command, cls, params):
    path = folder_with(tmp_path, cls, params=params)
    done = fargatesim_cli(command, path, *(["-o", tmp_path / "out"] if command == "run" else []), cwd=tmp_path)
    assert done.returncode == 2 and not done.traceback, done.stderr
    assert done.message.startswith(f"fargatesim: {path}: autoscaling.policies[0].custom.class: {cls}: expected the "
                                   f"file {tmp_path / cls.split(':')[0]}.py")
    assert "--trust-module" in done.message
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "out").exists()


def test_validate_checks_the_policy_file_without_running_it(tmp_path):
    path = folder_with(tmp_path, "leaves_a_mark:Policy")
    done = fargatesim_cli("validate", path, cwd=tmp_path)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr
    assert not (tmp_path / "ran").exists()


def test_validate_refuses_a_file_that_does_not_compile_with_its_line(tmp_path):
    path = folder_with(tmp_path, "broken_syntax:Policy")
    done = fargatesim_cli("validate", path, cwd=tmp_path)
    assert done.returncode == 2 and not done.traceback, done.stderr
    assert f"SyntaxError in {tmp_path / 'broken_syntax.py'}, line 9: 'return' outside function" in done.message


@pytest.mark.parametrize("cls, params, during, user_line", [
    ("misbehaving:ExitsWhenAsked", {}, "failed in desired_capacity at t = 300 s (2026-01-05 00:05:00 UTC): "
     "SystemExit (a policy cannot end the program): sys.exit(0)", "in desired_capacity\n    sys.exit(0)"),
    ("misbehaving:ExitsWhenCreated", {"code": 3}, "failed in ExitsWhenCreated() before the run (t = 0 s): "
     "SystemExit (a policy cannot end the program): sys.exit(3)", "in __init__\n    sys.exit(code)"),
    ("exits_on_import:Policy", {}, "failed while its module ran, before the run (t = 0 s): "
     "SystemExit (a policy cannot end the program): sys.exit(0)", "in <module>\n    sys.exit(0)"),
])
def test_a_policy_that_exits_is_the_policys_failure_exit_1_with_its_own_lines(tmp_path, cls, params, during,
                                                                               user_line):
    path = folder_with(tmp_path, cls, params=params)
    done = fargatesim_cli("run", path, "-o", tmp_path / "out", "-q", cwd=tmp_path)
    assert done.returncode == 1 and not done.traceback, done.stderr
    assert f"fargatesim: simulation failed: custom policy 'p' ({cls}) {during}" in done.stderr
    assert f'  File "{tmp_path / (cls.split(":")[0] + ".py")}", line ' in done.stderr
    assert user_line in done.stderr
    assert "fargatesim/" not in done.stderr.replace(str(tmp_path), "")   # only the user's frames
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("answer, shown", [("nan", "nan"), ("7", "'7'")])
def test_a_policy_answering_nonsense_is_the_policys_failure(tmp_path, answer, shown):
    path = folder_with(tmp_path, "misbehaving:Answers", params={"answer": answer})
    done = fargatesim_cli("run", path, "-o", tmp_path / "out", "-q", cwd=tmp_path)
    assert done.returncode == 1 and not done.traceback, done.stderr
    assert done.message == (f"fargatesim: simulation failed: custom policy 'p' (misbehaving:Answers): desired_capacity "
                            f"returned {shown} at t = 60 s (2026-01-05 00:01:00 UTC); expected a whole number of tasks "
                            f"from 0 to 5,000, or None to leave things alone; got "
                            + ("a number that is not finite" if answer == "nan" else "a str"))


def test_a_module_from_the_current_folder_runs_only_when_trusted(tmp_path):
    work, elsewhere = tmp_path / "work", tmp_path / "scenario"
    work.mkdir()
    elsewhere.mkdir()
    shutil.copy(POLICIES / "fixed.py", work / "fargatesim_test_own_rules.py")   # -m puts the cwd on sys.path
    scenario = folder_with(elsewhere, "fargatesim_test_own_rules:Fixed", params={"tasks": 3}, duration="3m")
    refused = fargatesim_cli("validate", scenario, cwd=work)
    assert refused.returncode == 2 and "runs only if you trust it" in refused.message, refused.stderr
    done = fargatesim_cli("run", scenario, "--trust-module", "fargatesim_test_own_rules", "-o", tmp_path / "out",
                          "-q", "--json", cwd=work)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tasks"]["max_running"] == 3


@pytest.mark.parametrize("change, key, expected", [
    ({"max_capacity": 1e9}, "autoscaling.max_capacity",
     "expected a whole number from 0 to 5,000 (the Amazon ECS quota of tasks per service); got 1000000000.0"),
    ({"actions": [{"type": "set_desired_count", "at": "1m", "value": 100000}]}, "actions[0].value",
     "expected a whole number from 0 to 5,000 (the Amazon ECS quota of tasks per service); got 100000"),
])
def test_capacities_beyond_the_ecs_quota_are_bad_input(tmp_path, change, key, expected):
    actions = change.pop("actions", ())
    path = folder_with(tmp_path, "fixed:Fixed", actions=actions, **change)
    done = fargatesim_cli("validate", path, cwd=tmp_path)
    assert done.returncode == 2 and not done.traceback, done.stderr
    assert done.message == f"fargatesim: {path}: {key}: {expected}"


def test_a_scheduled_action_that_never_fires_is_warned_about_once(tmp_path):
    path = folder_with(tmp_path, "fixed:Fixed", scheduled_actions=[
        {"name": "new-year", "schedule": "at(2030-01-01T00:00:00)", "scalable_target_action": {"min_capacity": 4}}])
    done = fargatesim_cli("validate", path, cwd=tmp_path)
    assert done.returncode == 0 and not done.traceback, done.stderr
    assert done.stderr.count("never fires") == 1
    assert "autoscaling.scheduled_actions[0].schedule" in done.stderr and "after the run's end" in done.stderr
    # one line about the user's file, not Python's pointer into our code
    line, = done.stderr.splitlines()
    assert line.startswith(f"fargatesim: warning: {path}: autoscaling.scheduled_actions[0].schedule: "), line


# ---------------------------------------------------------------------- in this process
def test_an_exception_shows_every_line_of_the_users_file_it_went_through(tmp_path):
    message = failure(folder_with(tmp_path, "misbehaving:Divides"))
    head, *lines = message.splitlines()
    assert head == ("custom policy 'p' (misbehaving:Divides) failed in desired_capacity at t = 60 s "
                    "(2026-01-05 00:01:00 UTC): ZeroDivisionError: integer division or modulo by zero")
    files = [line for line in lines if line.startswith("  File ")]
    assert [f.rsplit(", in ", 1)[1] for f in files] == ["desired_capacity", "share"]
    assert all(f'"{tmp_path / "misbehaving.py"}"' in f for f in files)
    assert "\n    return 10 // (running - running)" in message


def test_a_bare_raise_system_exit_is_the_policys_failure_too(tmp_path):
    assert "SystemExit (a policy cannot end the program): sys.exit()\n" in failure(
        folder_with(tmp_path, "misbehaving:RaisesSystemExit"))


@pytest.mark.parametrize("answer, got", [
    ("inf", "returned inf"), (True, "returned True"), ([3], "returned [3]"), (-2, "returned -2"),
])
def test_answers_that_are_not_a_number_of_tasks_end_the_run(tmp_path, answer, got):
    message = failure(folder_with(tmp_path, "misbehaving:Answers", params={"answer": answer}))
    assert message.startswith(f"custom policy 'p' (misbehaving:Answers): desired_capacity {got} at t = 60 s")


def test_an_import_failing_inside_the_users_file_names_its_line(tmp_path):
    message = failure(folder_with(tmp_path, "imports_a_missing_module:Policy"))
    assert "failed while its module ran, before the run (t = 0 s): ModuleNotFoundError" in message
    assert f'File "{tmp_path / "imports_a_missing_module.py"}", line 2, in <module>' in message


def test_keyboard_interrupt_from_a_policy_still_interrupts(tmp_path):
    sim = Simulation(load_scenario(folder_with(tmp_path, "misbehaving:Interrupted")))
    with pytest.raises(KeyboardInterrupt):
        sim.run()


def test_a_class_without_the_method_or_not_a_class_is_bad_input(tmp_path):
    for cls, problem in (("misbehaving:Lacks", "has no desired_capacity(self, obs) method"),
                         ("misbehaving:not_a_class", "not_a_class is a function (line 6), not a class")):
        with pytest.raises(ScenarioError) as e:
            Simulation(load_scenario(folder_with(tmp_path, cls)))
        assert problem in e.value.message and e.value.path == "autoscaling.policies[0].custom.class"


def test_policy_objects_from_python_fail_the_same_way(tmp_path):
    path = folder_with(tmp_path, "fixed:Fixed")

    class Quits:
        def desired_capacity(self, obs):
            raise SystemExit(4)

    class NoRule:
        pass

    with pytest.raises(SimulationError) as e:
        fargatesim.simulate(path, policies=[Quits()])
    head, *lines = str(e.value).splitlines()
    assert head.startswith("custom policy 'Quits' (") and "at t = 60 s" in head and "sys.exit(4)" in head
    assert lines and all(str(Path(__file__)) in line for line in lines if line.startswith("  File "))
    with pytest.raises(SimulationError, match="NoRule has no desired_capacity"):
        fargatesim.simulate(path, policies=[NoRule()])

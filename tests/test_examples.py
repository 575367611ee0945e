"""The examples shipped in the package: the repository's scenarios, SPACE files, reference and
traces, named by example:NAME wherever a scenario is read, listed with their questions by
`fargatesim examples`, and copied with what they read so that a copy runs as it is."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fargatesim import examples
from fargatesim.cli import main
from fargatesim.scenario import load_scenario
from fargatesim.studies.tune_space import load_space

REPO = Path(__file__).resolve().parent.parent
SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.yaml"))
POLICY = (REPO / "tests" / "data" / "policies" / "fixed.py").read_text()


def test_the_package_reaches_the_repositorys_files_not_copies_of_them():
    assert examples.SCENARIOS.resolve() == REPO / "scenarios"
    assert examples.REFERENCE.resolve() == REPO / "docs" / "scenario-reference.yaml"


def test_every_file_of_the_repository_is_an_example():
    names = [e.name for e in examples.catalogue()]
    assert names == ([p.stem for p in SCENARIO_FILES]
                     + [f"spaces/{p.stem}" for p in sorted((REPO / "scenarios" / "spaces").glob("*.yaml"))]
                     + ["reference", "traces"])


@pytest.mark.parametrize("example", examples.catalogue(), ids=lambda e: e.name)
def test_each_example_reads_only_files_among_the_examples(example):
    files = example.files()
    assert files and all((example.root / rel).is_file() for rel in files)
    assert files[0] == example.path.relative_to(example.root) or example.kind == "traces"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_each_scenario_asks_one_question_on_its_own(path):
    """The listing shows the first question of the description, so it must make sense alone:
    one sentence, short enough to read at a glance, not leaning on what came before it."""
    asked = examples.find(path.stem).summary
    assert asked.endswith("?") and "\n" not in asked
    assert len(asked) <= 200, asked
    assert asked.split()[1].lower() not in ("it", "that", "this", "they"), asked
    assert asked in " ".join(yaml.safe_load(path.read_text())["description"].split())


def test_the_question_is_the_first_sentence_that_asks_one():
    assert examples.question("A fleet of 10 tasks. Does it survive? It might.\n") == "Does it survive?"
    assert examples.question("No question here. None at all.") == "No question here."
    assert examples.question("Costs on EC2 (m5.large). Fargate or EC2 for it?") == "Fargate or EC2 for it?"


def test_example_name_loads_the_shipped_file_with_its_traces():
    shipped = load_scenario("example:nasa-1995-trace-replay")
    in_repo = load_scenario(REPO / "scenarios" / "nasa-1995-trace-replay.yaml")
    assert shipped.to_dict() == in_repo.to_dict()
    assert shipped.source == "example:nasa-1995-trace-replay"
    assert shipped.traffic[0].file == REPO / "scenarios" / "traces" / "nasa-1995-07-10-week-1s.csv"
    assert load_scenario("example:steady-web-api.yaml").name == "steady-web-api"


def test_a_space_example_is_read_by_name():
    space = load_space("example:spaces/checkout-target-and-floor", load_scenario("example:checkout-api"))
    assert [p.key for p in space.parameters] == [
        "autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value",
        "autoscaling.scheduled_actions[0].scalable_target_action.min_capacity"]


def test_listing_shows_every_example_with_what_it_answers(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    for example in examples.catalogue():
        assert f"{example.name} {example.summary}" in flat, example.name
    assert "fargatesim run example:NAME" in out and "fargatesim init -o my-service.yaml" in out


@pytest.mark.parametrize("name, shown", [("steady-web-api", "scenarios/steady-web-api.yaml"),
                                         ("reference", "docs/scenario-reference.yaml"),
                                         ("traces", "scenarios/traces/README.md")])
def test_an_example_named_alone_is_printed(capsys, name, shown):
    assert main(["examples", name]) == 0
    assert capsys.readouterr().out == (REPO / shown).read_text()


def test_a_copy_holds_the_scenario_and_its_trace_and_runs_after_an_edit(tmp_path, capsys):
    copy = tmp_path / "mine"
    assert main(["examples", "nasa-1995-trace-replay", "-o", str(copy)]) == 0
    out = capsys.readouterr().out
    assert f"fargatesim run {copy / 'nasa-1995-trace-replay.yaml'}" in out
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file()) == [
        "nasa-1995-trace-replay.yaml", "traces/README.md", "traces/nasa-1995-07-10-week-1s.csv"]
    scenario_file = copy / "nasa-1995-trace-replay.yaml"
    scenario_file.write_text(scenario_file.read_text().replace("scale: 100,", "scale: 50,"))
    edited = load_scenario(scenario_file)
    assert edited.traffic[0].scale == 50
    assert edited.traffic[0].file == copy / "traces" / "nasa-1995-07-10-week-1s.csv"   # the copy's trace
    assert main(["run", str(scenario_file), "--duration", "20m", "-o", str(tmp_path / "out"), "--no-plot",
                 "-q", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests"]["total"] > 0 and summary["duration_s"] == 1200


def test_a_copy_keeps_a_file_that_differs_unless_forced(tmp_path, capsys):
    copy = tmp_path / "mine"
    assert main(["examples", "steady-web-api", "-o", str(copy)]) == 0
    mine = copy / "steady-web-api.yaml"
    mine.write_text(mine.read_text().replace("rps: 300", "rps: 350"))
    capsys.readouterr()
    assert main(["examples", "steady-web-api", "-o", str(copy)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"fargatesim: -o {copy}: 1 file(s) there differ") and str(mine) in err and "--force" in err
    assert "rps: 350" in mine.read_text()
    assert main(["examples", "steady-web-api", "-o", str(copy), "--force"]) == 0
    assert mine.read_bytes() == (REPO / "scenarios" / "steady-web-api.yaml").read_bytes()
    capsys.readouterr()
    # Copying again, or a second example that shares files, leaves what is the same alone.
    assert main(["examples", "steady-web-api", "-o", str(copy)]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert main(["examples", "traces", "-o", str(copy)]) == 0
    assert main(["examples", "nasa-1995-trace-replay", "-o", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "copied nasa-1995-trace-replay into" in out and "already there, unchanged: traces/" in out


def test_a_copy_into_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["examples", "steady-web-api", "-o", str(tmp_path / "file")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fargatesim: -o {tmp_path / 'file'}: ") and "Traceback" not in err


def test_a_copy_takes_custom_policy_files_and_traces_along(tmp_path, capsys):
    """An example that names Python policy files and a trace in a subfolder: the copy holds
    them at the same relative paths, so that it validates (its policies found) and runs."""
    root = tmp_path / "examples"
    (root / "team").mkdir(parents=True)
    (root / "team" / "rules.py").write_text(POLICY)
    (root / "data").mkdir()
    (root / "data" / "load.csv").write_text("time_s,requests\n0,50\n1,60\n")
    (root / "custom.yaml").write_text(yaml.safe_dump({
        "name": "custom", "duration": "10m", "description": "Does a fixed policy hold two tasks?",
        "traffic": [{"trace": {"file": "data/load.csv", "loop": True}}], "workload": {"cpu_ms": 10},
        "task_definition": {"cpu": 256, "memory": 512,
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": 2},
        "autoscaling": {"min_capacity": 1, "max_capacity": 4,
                        "policies": [{"name": "fixed", "policy_type": "Custom",
                                      "custom": {"class": "team.rules:Fixed", "params": {"tasks": 2}}}]}}))
    example = examples.find("custom", scenarios=root, reference=root / "none.yaml")
    assert [str(p) for p in example.files()] == ["custom.yaml", "data/load.csv", "team/rules.py"]
    assert example.summary == "Does a fixed policy hold two tasks?"
    written, unchanged = examples.copy_example(example, tmp_path / "copy")
    assert sorted(map(str, written)) == ["custom.yaml", "data/load.csv", "team/rules.py"] and unchanged == []
    assert main(["validate", str(tmp_path / "copy" / "custom.yaml")]) == 0
    assert main(["run", str(tmp_path / "copy" / "custom.yaml"), "-o", str(tmp_path / "out"), "--no-plot", "-q"]) == 0


def test_an_example_that_reads_outside_the_examples_is_refused(tmp_path):
    (tmp_path / "outside.yaml").write_text("traffic: [{trace: {file: ../elsewhere.csv}}]\n")
    example = examples.find("outside", scenarios=tmp_path, reference=tmp_path / "none.yaml")
    with pytest.raises(ValueError, match="reads ../elsewhere.csv, which is not a file among the examples"):
        example.files()


@pytest.mark.parametrize("argv, starts", [
    (["examples", "chekout-api"], "fargatesim: unknown example 'chekout-api' (did you mean 'checkout-api'?); "),
    (["examples", "nope", "-o", "x"], "fargatesim: unknown example 'nope'; "),
    (["run", "example:nope"], "fargatesim: example:nope: unknown example 'nope'; "),
    (["validate", "example:steady-web-apii"], "fargatesim: example:steady-web-apii: unknown example "
                                              "'steady-web-apii' (did you mean 'steady-web-api'?); "),
    (["examples", "-o", "x"], "fargatesim: -o x: expected the NAME of the example to copy"),
])
def test_a_name_that_is_no_examples_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, starts):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(starts) and err.count("\n") == 1 and "Traceback" not in err
    if "unknown example" in starts:
        assert "steady-web-api, step-scaling-requests" in err and "reference, traces" in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "results").exists()


def test_a_space_file_may_say_what_it_searches(tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text("description: [not, text]\nparameters:\n  autoscaling.min_capacity: {low: 1, high: 4, integer: true}\n")
    assert main(["tune", "example:steady-web-api", "--space", str(space), "--set", "slo={error_rate: 0.01}",
                 "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fargatesim: {space}: description: expected text saying what the space searches")


def test_a_copied_trace_takes_the_licences_that_cover_it_and_no_others(tmp_path):
    root = tmp_path / "examples"
    (root / "traces").mkdir(parents=True)
    for name in ("README.md", "LICENSE-azure-cc-by-4.0.txt", "LICENSE"):
        (root / "traces" / name).write_text(name)
    for source in ("azure", "clarknet"):
        (root / "traces" / f"{source}-day.csv").write_text("time_s,requests\n0,5\n1,6\n")
        (root / f"{source}.yaml").write_text(yaml.safe_dump({
            "name": source, "description": "Does it hold?",
            "traffic": [{"trace": {"file": f"traces/{source}-day.csv", "loop": True}}], "workload": {"cpu_ms": 10},
            "task_definition": {"cpu": 256, "memory": 512,
                                "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]}}))
    files = {source: sorted(map(str, examples.find(source, scenarios=root, reference=root / "none.yaml").files()))
             for source in ("azure", "clarknet")}
    # A licence named for a source goes with that source's traces; a plain LICENSE with every trace.
    assert files["azure"] == ["azure.yaml", "traces/LICENSE", "traces/LICENSE-azure-cc-by-4.0.txt",
                              "traces/README.md", "traces/azure-day.csv"]
    assert files["clarknet"] == ["clarknet.yaml", "traces/LICENSE", "traces/README.md", "traces/clarknet-day.csv"]

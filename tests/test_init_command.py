"""`fargatesim init`: a commented starter scenario, valid as written, or one imported from the
user's own service; an existing file is kept unless --force."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from fargatesim.cli import main
from fargatesim.examples import starter_text
from fargatesim.scenario import ScenarioWarning, load_scenario, warnings_for

PLAN = Path(__file__).parent / "fixtures" / "terraform" / "bh-fargate-step-scaling" / "plan.json"


def test_the_starter_validates_and_runs_an_hour(tmp_path, capsys):
    path = tmp_path / "svc.yaml"
    assert main(["init", "-o", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"written {path}: a starter scenario")
    text = path.read_text()
    assert "fargatesim examples reference" in text and "fargatesim schema" in text
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{path}: ok (svc: ")
    # Its made-up load is the one thing validate warns about, until it is replaced.
    assert captured.err.count("fargatesim: warning:") == 1 and "placeholders" in captured.err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        scenario = load_scenario(path)
    assert [w.path for w in warnings_for(scenario)] == ["placeholders"]
    assert main(["run", str(path), "--duration", "1h", "-o", str(tmp_path / "out"), "--no-plot", "-q", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scenario"] == "svc" and summary["requests"]["total"] > 0 and summary["slo"]["met"]


def test_without_a_file_the_starter_goes_to_standard_output(capsys):
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert out == starter_text("my-service") and "\nname: my-service " in out


@pytest.mark.parametrize("file, name", [("my svc.yaml", "my-svc"), ("checkout.v2.yaml", "checkout.v2")])
def test_the_name_comes_from_the_file_and_is_one_a_scenario_takes(tmp_path, capsys, file, name):
    path = tmp_path / file
    assert main(["init", "-o", str(path)]) == 0
    assert load_scenario(path).name == name


def test_a_name_given_is_used_and_a_bad_one_refused(tmp_path, capsys):
    assert main(["init", "-o", str(tmp_path / "a.yaml"), "--name", "checkout-api"]) == 0
    assert load_scenario(tmp_path / "a.yaml").name == "checkout-api"
    with pytest.raises(SystemExit) as info:
        main(["init", "-o", str(tmp_path / "b.yaml"), "--name", "two words"])
    assert info.value.code == 2
    assert "argument --name: expected letters, digits, '.', '_' and '-' only" in capsys.readouterr().err
    assert not (tmp_path / "b.yaml").exists()


def test_an_existing_file_is_kept_unless_forced(tmp_path, capsys):
    path = tmp_path / "svc.yaml"
    path.write_text("my own work\n")
    assert main(["init", "-o", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"fargatesim: -o {path}: the file exists and is kept; --force replaces it\n"
    assert path.read_text() == "my own work\n"
    assert main(["init", "-o", str(path), "--force"]) == 0
    assert path.read_text() == starter_text("svc")
    assert main(["init", "-o", str(tmp_path)]) == 2
    assert "expected a file name for the scenario; got a folder" in capsys.readouterr().err


def test_from_import_writes_what_import_writes(tmp_path, capsys):
    imported, started = tmp_path / "imported.yaml", tmp_path / "started.yaml"
    assert main(["import", "terraform", str(PLAN), "-o", str(imported)]) == 0
    assert main(["init", "--from-import", "terraform", str(PLAN), "-o", str(started)]) == 0
    assert started.read_text() == imported.read_text()
    assert "keys marked (sim) in `fargatesim examples reference`" in started.read_text()
    capsys.readouterr()
    assert main(["init", "--from-import", "terraform", str(PLAN), "-o", str(started)]) == 2
    assert "the file exists and is kept" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--from-import", "gcp", "x"], "fargatesim: --from-import: expected aws or terraform, then the SOURCE; got 'gcp'"),
    (["--from-import", "terraform", str(PLAN), "--name", "x"], "fargatesim: --name: names the starter; an import "
                                                               "names the scenario after the service"),
    (["--service", "web"], "fargatesim: --service: applies with --from-import only"),
])
def test_options_that_do_not_go_together_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    assert main(["init", "-o", str(tmp_path / "s.yaml"), *argv]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert not (tmp_path / "s.yaml").exists()

"""`fargatesim cost`: the same workload on Fargate, a Fargate Spot mix, EC2 and (for jobs) Lambda,
each price beside its SLO outcome; shortened runs of the three cost scenarios."""
from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fargatesim.cli import main
from fargatesim.cost import PriceTable
from fargatesim.studies.cost import DEFAULT_SPOT_RATE, ec2_candidates, service_variants
from fargatesim.scenario import ScenarioError, load_scenario

REPO = Path(__file__).parent.parent
STEADY = REPO / "scenarios" / "steady-high-traffic.yaml"
IDLE = REPO / "scenarios" / "idle-test-environment.yaml"
ETL = REPO / "scenarios" / "nightly-etl-job.yaml"
STEADY_ARGS = ["--duration", "2h", "--instance-types", "m5.large,c5.large"]

# us-east-1: a Fargate task of 1 vCPU and 3 GB, and the instances that can hold it.
FARGATE_1VCPU_3GB = 0.04048 + 3 * 0.004445
M5_LARGE, C5_LARGE = 0.096, 0.085


def exit_code(argv) -> int:
    """main's return value, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def cost(args, capsys):
    code = exit_code(["cost", *args, "-q"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def steady(tmp_path_factory):
    """One run of the shortened steady scenario, shared (capsys is per test: stdout is caught here)."""
    out = tmp_path_factory.mktemp("steady")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["cost", str(STEADY), *STEADY_ARGS, "-o", str(out), "-q"])
    return code, buf.getvalue(), out


def row(table: pd.DataFrame, label: str) -> pd.Series:
    return table[table["label"] == label].iloc[0]


def test_cost_prints_the_table_and_writes_csv_and_figure(steady):
    code, text, out = steady
    assert code == 0
    assert (out / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(out / "cost.csv", keep_default_na=False, na_values=[""])
    assert list(table["label"]) == ["FARGATE", "FARGATE + FARGATE_SPOT", "EC2 c5.large", "EC2 m5.large", "Lambda"]
    for line in ("service orders-api", "FARGATE ", "FARGATE + FARGATE_SPOT", "EC2 m5.large (best of 2 types)",
                 "m5.large, 2 tasks each (as written)", "c5.large, 1 task each", "cheapest that met the SLO:"):
        assert line in text, line
    assert f"written {out}/cost.csv, cost.png" in text
    # each priced row carries its SLO outcome
    assert re.search(r"EC2 m5.large \(best of 2 types\) +\$[\d.]+ +[\d.]+ instance-h +\d+ +0 % +met +0 min", text)


def test_ec2_wins_on_steady_traffic_by_packing_two_tasks_per_m5_large(steady):
    """Two 1 vCPU / 3 GB tasks fill an m5.large by CPU: $0.048 a task-hour against Fargate's
    $0.0538, and the steady load keeps the instances full. A c5.large (4 GiB) holds one 3 GB
    task for $0.085: dearer than Fargate."""
    _, _, out = steady
    table = pd.read_csv(out / "cost.csv")
    fargate, m5, c5 = row(table, "FARGATE"), row(table, "EC2 m5.large"), row(table, "EC2 c5.large")
    assert fargate["cost_usd"] == pytest.approx(fargate["task_hours"] * FARGATE_1VCPU_3GB, rel=1e-4)
    assert m5["cost_usd"] == pytest.approx(m5["instance_hours"] * M5_LARGE, rel=1e-4)
    assert (m5["tasks_per_instance"], c5["tasks_per_instance"]) == (2, 1)
    assert m5["instance_hours"] <= 0.53 * m5["task_hours"]                  # nearly full instances
    assert m5["cost_usd"] < 0.95 * fargate["cost_usd"]
    assert c5["cost_usd"] > 1.4 * fargate["cost_usd"]
    assert m5["as_written"] and not fargate["as_written"]
    assert (table.loc[table["feasible"], "slo_met_runs"] == 1).all()
    # Spot: base 20 (min_capacity) on FARGATE, the rest 1:3 on Spot at 70 % off
    spot = row(table, "FARGATE + FARGATE_SPOT")
    assert spot["cost_usd"] < fargate["cost_usd"]
    assert "base 20 on FARGATE, then 1:3" in spot["note"] and f"{DEFAULT_SPOT_RATE:g} interruptions" in spot["note"]
    lam = row(table, "Lambda")
    assert not lam["feasible"] and "not compared for the service" in lam["reason"]


def test_same_arguments_same_bytes_whatever_the_number_of_processes(steady, tmp_path, capsys):
    _, first_text, first = steady
    code, text, _ = cost([str(STEADY), *STEADY_ARGS, "-o", str(tmp_path), "--jobs", "2"], capsys)
    assert code == 0
    for name in ("cost.csv", "cost.png"):
        assert (tmp_path / name).read_bytes() == (first / name).read_bytes(), name
    assert text.replace(str(tmp_path), "DIR") == first_text.replace(str(first), "DIR")


def test_fargate_is_far_cheaper_for_a_test_environment_that_idles(tmp_path, capsys):
    """At night the environment runs one 0.25 vCPU task, $0.0123 an hour on Fargate; on EC2 it
    still needs a whole instance (c5.large $0.085, m5.large $0.096), which could hold 7-8 of them."""
    code, text, _ = cost([str(IDLE), "--duration", "3h", "--instance-types", "c5.large,m5.large",
                          "-o", str(tmp_path), "--no-plot"], capsys)
    assert code == 0 and not (tmp_path / "cost.png").exists()
    table = pd.read_csv(tmp_path / "cost.csv")
    fargate = row(table, "FARGATE")
    assert fargate["as_written"] and fargate["task_hours"] == pytest.approx(3.0, abs=0.01)
    for name, usd_hour in (("c5.large", C5_LARGE), ("m5.large", M5_LARGE)):
        ec2 = row(table, f"EC2 {name}")
        assert ec2["instance_hours"] == pytest.approx(3.0)
        assert ec2["cost_usd"] == pytest.approx(3 * usd_hour, abs=1e-6)
        assert ec2["cost_usd"] > 5 * fargate["cost_usd"]
    assert "cheapest that met the SLO: FARGATE at" in text


def test_the_etl_jobs_compare_a_task_with_lambda_and_say_why_lambda_cannot_run_one(tmp_path, capsys):
    code, text, _ = cost([str(ETL), "--duration", "3h", "--instance-types", "c5.large", "-o", str(tmp_path)], capsys)
    assert code == 0
    table = pd.read_csv(tmp_path / "cost.csv", keep_default_na=False, na_values=[""])
    jobs = table[table["section"] == "job"].set_index("label")
    assert list(jobs.index) == ["extract on fargate", "extract on lambda", "transform on fargate",
                                "transform on lambda", "load on fargate", "load on lambda"]
    transform = jobs.loc["transform on lambda"]
    assert not transform["feasible"] and pd.isna(transform["cost_usd"])
    assert "maximum memory of 10,240 MB" in transform["reason"] and "maximum timeout of 900 s" in transform["reason"]
    assert jobs.loc["transform on fargate", "feasible"]
    # 300 runs of ~8 s: each Fargate task pays at least a minute; Lambda bills the milliseconds
    assert jobs.loc["load on lambda", "cost_usd"] < 0.5 * jobs.loc["load on fargate", "cost_usd"]
    # one run of ~6 min: Lambda's 2 GB cost $0.12 an hour against $0.049 for the Fargate task
    assert jobs.loc["extract on lambda", "cost_usd"] > 1.5 * jobs.loc["extract on fargate", "cost_usd"]
    assert "transform: lambda cannot run it: needs more than Lambda's maximum memory" in text
    assert "load: lambda is cheaper" in text and "extract: fargate is cheaper" in text
    assert (tmp_path / "cost.png").is_file()


# ---------------------------------------------------------------------- the variants
def test_the_variants_of_an_ec2_scenario():
    s = load_scenario(STEADY)
    prices = PriceTable.load()
    variants, skipped, spot_note = service_variants(s, prices)
    labels = [v.label for v in variants]
    assert labels[:2] == ["FARGATE", "FARGATE + FARGATE_SPOT"]
    # every x86 type that holds a 1 vCPU / 3 GB task, cheapest per hour first; t3 and Graviton left out
    assert labels[2:] == ["EC2 c5.large", "EC2 m5.large", "EC2 r5.large", "EC2 c5.xlarge", "EC2 m5.xlarge",
                          "EC2 r5.xlarge", "EC2 c5.2xlarge", "EC2 m5.2xlarge"]
    assert [v.label for v in variants if v.as_written] == ["EC2 m5.large"]
    assert next(v for v in variants if v.label == "EC2 m5.large").changes == {}
    assert any("ARM64: the task definition is X86_64" in n for n in skipped)
    assert any(n.startswith("t3.large, t3.medium (burstable") for n in skipped)
    fargate = s.with_changes(variants[0].changes)
    assert fargate.service.launch_type == "FARGATE" and fargate.service.ec2 is None
    spot = s.with_changes(variants[1].changes)
    assert spot.service.capacity_provider_strategy[0].base == s.autoscaling.min_capacity
    assert [f.rate_per_task_hour for f in spot.faults if f.type == "spot_interruption"] == [DEFAULT_SPOT_RATE]
    ec2 = s.with_changes(next(v for v in variants if v.label == "EC2 c5.xlarge").changes)
    assert ec2.service.ec2.instance_type == "c5.xlarge"
    assert ec2.service.ec2.target_capacity == s.service.ec2.target_capacity     # the file's other ec2 keys
    assert spot_note.startswith("base 20 on FARGATE")


def test_a_scenario_with_its_own_spot_strategy_is_the_spot_row_as_written():
    s = load_scenario(REPO / "scenarios" / "spot-mix-web-api.yaml")
    variants, _, spot_note = service_variants(s, PriceTable.load())
    fargate, spot = variants[:2]
    assert (spot.label, spot.as_written, spot.changes) == ("FARGATE + FARGATE_SPOT", True, {})
    assert spot_note == "the scenario's capacity_provider_strategy"
    assert not fargate.as_written and not s.with_changes(fargate.changes).service.uses_spot
    assert not any(v.as_written for v in variants[2:])


def test_an_arm_task_runs_on_graviton_and_has_no_spot():
    s = load_scenario(IDLE, overrides={"task_definition.runtime_platform": {"cpu_architecture": "ARM64"}})
    prices = PriceTable.load()
    variants, _, _ = service_variants(s, prices)
    assert [v.label for v in variants] == ["FARGATE", "EC2 c6g.large", "EC2 m6g.large", "EC2 c6g.xlarge",
                                           "EC2 m6g.xlarge"]
    fits, _ = ec2_candidates(s, prices, ["m5.large", "m6g.large"])
    assert fits == ["m6g.large"]


def test_no_instance_type_that_fits_is_bad_input():
    s = load_scenario(IDLE)
    with pytest.raises(ScenarioError) as info:
        ec2_candidates(s, PriceTable.load(), ["m6g.large"])
    assert "none does" in info.value.message and "ARM64" in info.value.message


# ---------------------------------------------------------------------- bad input and help
@pytest.mark.parametrize("args, words", [
    (["--instance-types", "m5.large,x1.huge"], ["--instance-types", "'x1.huge'", "m5.2xlarge"]),
    (["--instance-types", "m5.lrge"], ["did you mean 'm5.large'"]),
    (["--set", "service.launch_type=EC2", "--set", "service.ec2.target_capacity=0"],
     ["service.ec2.target_capacity", "from 1 to 100"]),
    (["--set", "service.ec2.target_capacity=80"], ["service.ec2", "expected launch_type: EC2"]),
    (["--set", "service.launch_type=EC2", "--set", "service.ec2.instance_type=m6g.large"],
     ["service.ec2.instance_type", "ARM64"]),
    (["--spot-interruptions", "-1"], ["--spot-interruptions", "expected a number >= 0"]),
    (["--seeds", "0"], ["--seeds", ">= 1"]),
])
def test_bad_input_exits_2_with_one_message(args, words, tmp_path, capsys):
    code = exit_code(["cost", str(IDLE), *args, "-o", str(tmp_path), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    # argparse's own errors come after its usage lines, as for every subcommand
    lines = [line for line in err.splitlines() if line.startswith("fargatesim: ")]
    assert len(lines) == 1 and err.rstrip().endswith(lines[0]), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not (tmp_path / "cost.csv").exists()


def test_bad_input_as_a_subprocess_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fargatesim.cli", "cost", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"fargatesim: {tmp_path / 'missing.yaml'}: file not found"


def test_cost_help_teaches_the_rows_and_columns(capsys):
    with pytest.raises(SystemExit) as info:
        main(["cost", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for words in ("FARGATE + FARGATE_SPOT", "EC2 <type>", "Lambda", "as written", "cost (USD)", "outside SLO",
                  "--instance-types", "--spot-interruptions", "examples:"):
        assert words in text, words
    for path in re.findall(r"scenarios/[\w.-]+\.yaml", text):
        assert (REPO / path).is_file(), path


def test_the_python_api_renders_in_a_notebook():
    import fargatesim
    from pathlib import Path
    c = fargatesim.cost_comparison(Path(__file__).resolve().parents[1] / "scenarios" / "idle-test-environment.yaml",
                                   instance_types=["m5.large"])
    html = c._repr_html_()
    assert html.startswith("<pre>") and "data:image/png;base64," in html
    assert "FARGATE" in html and "m5.large" in html
    assert set(c.table["platform"]) >= {"FARGATE", "EC2"}


def test_several_seeds_draw_the_spread_and_equal_costs_have_none(tmp_path, capsys):
    """Over seeds, each row is a mean with its min and max; an EC2 fleet whose instance count does
    not depend on the seed costs the same every time (its mean may round a float step off)."""
    # a day of one r5.large is 24 x $0.126 = $3.024, whose mean over three seeds is 4e-16 less
    code, _, _ = cost([str(IDLE), "--seeds", "3", "--instance-types", "r5.large", "--jobs", "2",
                       "-o", str(tmp_path)], capsys)
    assert code == 0 and (tmp_path / "cost.png").stat().st_size > 0
    table = pd.read_csv(tmp_path / "cost.csv")
    ec2 = row(table, "EC2 r5.large")
    assert ec2["seeds"] == 3 and ec2["cost_usd_min"] == pytest.approx(ec2["cost_usd_max"])
    assert (table["cost_usd_min"].dropna() <= table["cost_usd_max"].dropna() + 1e-12).all()


def test_cost_without_its_figure_replaces_an_earlier_set_and_says_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in (("cost.csv", "an earlier table"), ("cost.png", "an earlier figure"), ("notes.md", "mine")):
        (out / name).write_text(data)
    code, text, err = cost([str(IDLE), "--duration", "30m", "--instance-types", "m5.large", "-o", str(out),
                            "--no-plot"], capsys)
    # Half an hour past midnight, the scenario's weekday schedules never fire: said, not failed.
    assert code == 0 and all(line.startswith("fargatesim: warning: ") and "never fires" in line
                             for line in err.splitlines()), err
    assert text.endswith(f"written {out}/cost.csv\n")
    assert sorted(p.name for p in out.iterdir()) == ["cost.csv", "notes.md"]
    assert "FARGATE" in (out / "cost.csv").read_text()


def test_cost_into_an_existing_file_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    from fargatesim.engine import Simulation
    monkeypatch.setattr(Simulation, "run", lambda *a, **k: pytest.fail("simulated before refusing -o"))
    (tmp_path / "cost.csv").write_text("a file of the user's")
    code, text, err = cost([str(IDLE), "-o", str(tmp_path / "cost.csv")], capsys)
    assert code == 2 and text == ""
    assert err == f"fargatesim: -o {tmp_path / 'cost.csv'}: expected a folder to write the results into; got an existing file\n"

"""`fargatesim tune`: known optima found, the same trials wherever and however they run, and
nothing finished lost when a tune is killed and resumed."""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fargatesim.cli import main
from fargatesim.scenario import scenario_from_dict
from fargatesim.studies.tune import tune

MU = 100.0              # per core: exponential CPU demand of 10 ms on one full vCPU
RPS = 420.0
SLO_MEAN_MS = 16.5
TARGET = "autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value"

FLEET = {
    "name": "fleet", "duration": "20m", "engine": "requests",
    "traffic": [{"constant": {"rps": RPS}}], "arrivals": "poisson",
    "workload": {"cpu_ms": {"distribution": "exponential", "mean": 1000 / MU}, "io_ms": 0, "timeout": "60s"},
    "task_definition": {"cpu": 2048, "memory": 4096,
                        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 8080}]}]},
    "service": {"desired_count": 8},
    "target_group": {"load_balancing_algorithm_type": "weighted_random"},
    "slo": {"latency_mean_ms": SLO_MEAN_MS},
}
FLEET_SPACE = {"parameters": {"service.desired_count": {"low": 1, "high": 12, "integer": True}}}

TARGET_TRACKING = {
    "name": "tt", "duration": "3h",
    "traffic": [{"constant": {"rps": 400}}],
    "workload": {"cpu_ms": {"distribution": "lognormal", "mean": 20, "cv": 1}, "io_ms": 10},
    "task_definition": {"cpu": 1024, "memory": 2048,
                        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 8080}]}]},
    "service": {"desired_count": 12},
    "autoscaling": {"min_capacity": 1, "max_capacity": 40, "policies": [{
        "name": "cpu", "policy_type": "TargetTrackingScaling",
        "target_tracking_scaling_policy_configuration": {
            "target_value": 50, "predefined_metric_specification": {
                "predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}]},
    "slo": {"latency_p99_ms": 250},
}


def erlang_c_mean_latency_ms(rate: float, mu: float, c: int) -> float:
    """M/M/c mean time in system (textbook Erlang C), ms; inf when overloaded."""
    a = rate / mu
    if a >= c:
        return math.inf
    top = a ** c / math.factorial(c) / (1 - a / c)
    wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return (wait / (c * mu - rate) + 1 / mu) * 1000


def test_a_fixed_fleet_is_sized_as_erlang_c_says():
    # Random routing splits Poisson traffic into one Poisson stream per task: each 2-vCPU task
    # is an M/M/2 queue, whose mean latency Erlang C gives (tests/test_slo_mean_latency.py).
    # The cheapest fleet that meets a mean-latency SLO is the smallest count under it.
    latency = {n: erlang_c_mean_latency_ms(RPS / n, MU, 2) for n in range(1, 13)}
    smallest = min(n for n, ms in latency.items() if ms <= SLO_MEAN_MS)
    # The case is clear-cut: 15 % under the SLO at the answer, 15 % over it one task below.
    assert latency[smallest] < 0.85 * SLO_MEAN_MS and latency[smallest - 1] > 1.15 * SLO_MEAN_MS
    result = tune(scenario_from_dict(FLEET), FLEET_SPACE, seeds=2, trials=12)     # 12 trials: the stated budget
    assert result.best["service.desired_count"] == smallest == 4
    assert result.best_scenario.service.desired_count == smallest
    done = result.trials[result.trials["state"] == "complete"]
    # Every fleet below it missed the SLO; every one at or above it met it.
    assert (done["slo_met"] == (done["service.desired_count"] >= smallest)).all()


def test_target_tracking_is_cheapest_just_before_the_slo_breaks(tmp_path):
    space = {"parameters": {TARGET: {"low": 30, "high": 90, "step": 5}}, "objective": "pareto"}
    result = tune(scenario_from_dict(TARGET_TRACKING), space, seeds=2, trials=40, jobs=2)
    done = result.trials[result.trials["state"] == "complete"].drop_duplicates(TARGET).sort_values(TARGET)
    # Higher targets run fewer tasks: the cost never rises with the target ...
    assert (np.diff(done["cost_usd"].to_numpy()) <= 1e-9).all()
    # ... and the SLO holds up to a breaking point, not beyond it.
    met = done["slo_met"].to_numpy()
    breaking = done[TARGET][met].max()
    assert met[: int(met.sum())].all() and not met[int(met.sum()):].any()
    assert result.best[TARGET] == breaking
    assert (done[TARGET] == breaking + 5).any(), "the next step up was tried, and broke the SLO"
    # The front: cheaper only with more minutes outside the SLO.
    front = result.front().sort_values("slo_violation_min")
    assert (np.diff(front["cost_usd"].to_numpy()) < 0).all()
    result.save(tmp_path / "out")
    assert {"front.png", "parameters.png", "best.yaml", "trials.parquet"} <= {p.name for p in (tmp_path / "out").iterdir()}


def test_best_yaml_is_reproduced_by_fargatesim_run(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(FLEET))
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(FLEET_SPACE))
    assert main(["tune", str(tmp_path / "fleet.yaml"), "--space", str(tmp_path / "space.yaml"), "--trials", "6",
                 "--seeds", "2", "--first-seed", "5", "-o", str(tmp_path / "tune"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "best       trial" in out and "service.desired_count = " in out
    trials = pd.read_parquet(tmp_path / "tune" / "trials.parquet")
    figures = ["trial", "service.desired_count", "cost_usd", "slo_violation_min", "p99_ms", "slo_met", "same_as"]
    pd.testing.assert_frame_equal(trials[figures], pd.read_csv(tmp_path / "tune" / "trials.csv")[figures],
                                  check_dtype=False)
    report = json.loads((tmp_path / "tune" / "tune.json").read_text())
    runs = pd.read_csv(tmp_path / "tune" / "runs.csv")
    best_run = runs[(runs["trial"] == report["best"]["trial"]) & (runs["seed"] == 5)].iloc[0]
    assert main(["run", str(tmp_path / "tune" / "best.yaml"), "-o", str(tmp_path / "run"), "-q", "--no-plot"]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["seed"] == 5
    assert summary["cost"]["usd"] == best_run["cost_usd"]
    assert summary["latency_ms"]["p99"] == best_run["p99_ms"]


def test_parallel_and_dask_trials_are_the_serial_ones():
    distributed = pytest.importorskip("distributed")
    scenario = scenario_from_dict(FLEET)
    serial = tune(scenario, FLEET_SPACE, seeds=2, trials=6)
    local = tune(scenario, FLEET_SPACE, seeds=2, trials=6, jobs=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask = tune(scenario, FLEET_SPACE, seeds=2, trials=6, executor=client)
    pd.testing.assert_frame_equal(serial.trials, local.trials)
    pd.testing.assert_frame_equal(serial.trials, dask.trials)
    pd.testing.assert_frame_equal(serial.runs, dask.runs)


def test_a_lost_dask_worker_loses_no_trial(tmp_path):
    distributed = pytest.importorskip("distributed")
    scenario = scenario_from_dict({**FLEET, "duration": "40m"})
    journal = tmp_path / "tune.journal"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        import threading
        outcome = {}

        def run():
            outcome["result"] = tune(scenario, FLEET_SPACE, seeds=2, trials=5, executor=client, storage=journal)
        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 120
        while _complete(journal) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)          # mid-run: both workers are always busy
        thread.join(timeout=300)
    result = outcome["result"]
    done = result.trials[result.trials["state"] == "complete"]
    assert len(done) == 5 and len(result.runs) == 10
    serial = tune(scenario, FLEET_SPACE, seeds=2, trials=5)
    pd.testing.assert_frame_equal(serial.trials, result.trials)


def _complete(journal: Path) -> int:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
    if not journal.exists():
        return 0
    try:
        storage = JournalStorage(JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal))))
        study = optuna.load_study(study_name="fargatesim-tune", storage=storage)
    except (KeyError, ValueError):
        return 0
    return sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))


def _tune_command(tmp_path, out: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "fargatesim.cli", "tune", str(tmp_path / "fleet.yaml"), "--space",
            str(tmp_path / "space.yaml"), "--trials", "10", "--seeds", "2", "-o", str(tmp_path / out), "-q", *extra]


def test_a_killed_tune_resumes_without_losing_or_repeating_a_trial(tmp_path):
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump({**FLEET, "duration": "30m"}))
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(FLEET_SPACE))
    journal = tmp_path / "killed" / "tune.journal"
    process = subprocess.Popen(_tune_command(tmp_path, "killed"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _complete(journal) < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 4 <= _complete(journal) < 10, "killed mid-way"
    before = _trials_of(journal)
    assert subprocess.run(_tune_command(tmp_path, "killed", "--resume"), capture_output=True).returncode == 0
    after = _trials_of(journal)
    # What had finished is there as it was (finished once, at the same moment), and no more.
    kept = after[after["number"].isin(before["number"])]
    pd.testing.assert_frame_equal(before.reset_index(drop=True), kept.reset_index(drop=True))
    assert (after["state"] == "COMPLETE").sum() == 10
    # Serially, the resumed tune is the uninterrupted one: the same configurations in the same
    # order with the same figures, and the same best. (Trial numbers differ: the trial under way
    # at the kill keeps its number, marked abandoned, and is drawn again as the next.)
    assert subprocess.run(_tune_command(tmp_path, "whole"), capture_output=True).returncode == 0
    resumed = pd.read_csv(tmp_path / "killed" / "trials.csv").drop(columns=["trial", "same_as"])
    whole = pd.read_csv(tmp_path / "whole" / "trials.csv").drop(columns=["trial", "same_as"])
    pd.testing.assert_frame_equal(resumed, whole)
    best = [json.loads((tmp_path / d / "tune.json").read_text())["best"] for d in ("killed", "whole")]
    assert best[0]["parameters"] == best[1]["parameters"] and best[0]["cost_usd"] == best[1]["cost_usd"]
    # A second tune into the same folder is refused unless it resumes.
    refused = subprocess.run(_tune_command(tmp_path, "whole"), capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume continues it" in refused.stderr


def _trials_of(journal: Path) -> pd.DataFrame:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
    storage = JournalStorage(JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal))))
    study = optuna.load_study(study_name="fargatesim-tune", storage=storage)
    rows = [{"number": t.number, "state": t.state.name, "params": json.dumps(t.params),
             "complete": str(t.datetime_complete), "runs": json.dumps(t.user_attrs.get("runs"))}
            for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("space, path, message", [
    ({"parameters": {"service.desired_cout": {"low": 1, "high": 3, "integer": True}}},
     "parameters.service.desired_cout", "desired_cout"),
    ({"parameters": {"autoscaling.min_capacity": {"low": 5, "high": 2}}}, "parameters.autoscaling.min_capacity",
     "expected low below high"),
    ({"parameters": {"task_definition.cpu": [512, 3000]}}, "parameters.task_definition.cpu", "3000"),
    ({"parameters": {"service.desired_count": {"low": 1, "high": 3, "steps": 1}}},
     "parameters.service.desired_count.steps", "unknown key 'steps'"),
    ({"parameters": {"service.desired_count": [1, 2]}, "objective": "fastest"}, "objective", "cost, pareto"),
    ({"parameters": {}}, "parameters", "at least one"),
    ({"parameters": {"service.desired_count": {"low": 1, "high": 5}}}, "parameters.service.desired_count",
     "add `integer: true`"),
    ({"parameters": {"autoscaling.min_capacity": {"low": 1, "high": 6, "step": 2}}},
     "parameters.autoscaling.min_capacity.step", "whole number of steps"),
    ({"parameters": {"service.desired_count": [1, 1.0]}}, "parameters.service.desired_count", "different values"),
])
def test_a_bad_space_is_exit_2_naming_its_file_and_key(tmp_path, capsys, space, path, message):
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(FLEET))
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(space))
    code = main(["tune", str(tmp_path / "fleet.yaml"), "--space", str(tmp_path / "space.yaml"), "-o",
                 str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'space.yaml'}: {path}:" in err and message in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_cpu_choices_take_memory_along(tmp_path):
    from fargatesim.studies.tune_space import space_from_dict
    scenario = scenario_from_dict({**FLEET, "task_definition": {**FLEET["task_definition"], "cpu": 1024,
                                                                "memory": 3072}})
    space = space_from_dict({"parameters": {"task_definition.cpu": [256, 512, 1024, 2048, 4096]}}, scenario)
    # 3 GiB per vCPU: 768 MiB for 256 units rounds up to 1024; 6 GiB for 2048; 12 GiB for 4096.
    memory = {cpu: space.changes({"task_definition.cpu": cpu}, scenario)["task_definition.memory"]
              for cpu in (256, 512, 1024, 2048, 4096)}
    assert memory == {256: 1024, 512: 2048, 1024: 3072, 2048: 6144, 4096: 12288}
    # More memory per vCPU than a small CPU allows: the most it allows.
    hungry = scenario_from_dict({**FLEET, "task_definition": {**FLEET["task_definition"], "cpu": 1024,
                                                              "memory": 8192}})
    assert space_from_dict({"parameters": {"task_definition.cpu": [256, 1024]}}, hungry).changes(
        {"task_definition.cpu": 256}, hungry)["task_definition.memory"] == 2048


def test_a_choice_between_sets_of_changes(tmp_path):
    # Step scaling needs its alarms: a name that is no scenario key chooses between whole sets.
    stepped = {
        "autoscaling.policies": [{"name": "requests-out", "policy_type": "StepScaling",
                                  "step_scaling_policy_configuration": {
                                      "adjustment_type": "ChangeInCapacity", "cooldown": 60,
                                      "step_adjustments": [{"metric_interval_lower_bound": 0,
                                                            "scaling_adjustment": 2}]}}],
        "alarms": [{"alarm_name": "requests-high", "namespace": "AWS/ApplicationELB",
                    "metric_name": "RequestCountPerTarget", "statistic": "Sum", "period": 60,
                    "evaluation_periods": 2, "comparison_operator": "GreaterThanOrEqualToThreshold",
                    "threshold": 2400, "alarm_actions": ["requests-out"]}]}
    tracking = {"autoscaling.policies": TARGET_TRACKING["autoscaling"]["policies"]}
    space = {"parameters": {"policy_set": {"choices": {"tracking": tracking, "stepped": stepped}},
                            "autoscaling.min_capacity": [2, 4]}}
    scenario = scenario_from_dict({**TARGET_TRACKING, "duration": "1h"})
    result = tune(scenario, space, seeds=1, trials=30)
    done = result.trials[result.trials["state"] == "complete"]
    assert len(done.drop_duplicates(["policy_set", "autoscaling.min_capacity"])) == 4     # all four, then done
    assert result.stopped.startswith("every one of the space's 4 configurations has run")
    stepped_run = tune(scenario, {"parameters": {"policy_set": {"choices": {"stepped": stepped}}}}, seeds=1, trials=1)
    assert [p.name for p in stepped_run.scenario.with_changes(stepped).autoscaling.policies] == ["requests-out"]
    assert stepped_run.trials["policy_set"].tolist() == ["stepped"]


def test_a_named_set_must_hold_changes(tmp_path):
    from fargatesim.scenario import ScenarioError
    from fargatesim.studies.tune_space import space_from_dict
    with pytest.raises(ScenarioError, match=r"parameters\.policy_set\.choices\.bad: .*no scenario key"):
        space_from_dict({"parameters": {"policy_set": {"choices": {"bad": 3}}}}, scenario_from_dict(FLEET))


def test_ctrl_c_keeps_the_finished_trials_and_says_how_to_go_on(tmp_path):
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump({**FLEET, "duration": "30m"}))
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(FLEET_SPACE))
    journal = tmp_path / "cut" / "tune.journal"
    process = subprocess.Popen(_tune_command(tmp_path, "cut"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 300
    while _complete(journal) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGINT
    assert "--resume` continues the tune" in err and "Traceback" not in err
    trials = _trials_of(journal)
    assert len(trials) >= 2
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
    study = optuna.load_study(study_name="fargatesim-tune", storage=JournalStorage(
        JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal)))))
    assert not [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"]   # the cut one: abandoned
    assert subprocess.run(_tune_command(tmp_path, "cut", "--resume"), capture_output=True).returncode == 0
    assert (pd.read_csv(tmp_path / "cut" / "trials.csv")["state"] == "complete").sum() == 10


def test_a_sqlite_storage_and_a_timeout(tmp_path):
    scenario = scenario_from_dict(FLEET)
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    first = tune(scenario, FLEET_SPACE, seeds=1, trials=3, storage=url)
    more = tune(scenario, FLEET_SPACE, seeds=1, trials=5, storage=url, resume=True)
    pd.testing.assert_frame_equal(first.trials, more.trials.iloc[:3])
    assert (more.trials["state"] == "complete").sum() == 5
    # No time: the starting scenario is run, no trial starts.
    none = tune(scenario, FLEET_SPACE, seeds=1, trials=5, timeout=0)
    assert none.trials.empty and none.best is None and none.baseline["cost_usd"] > 0


def test_the_slo_share_is_the_share_of_seeds():
    from fargatesim.studies.tune import _aggregate
    from fargatesim.studies.tune_space import space_from_dict
    space = space_from_dict({"parameters": {"service.desired_count": [3, 4]}, "slo_share": 0.5},
                            scenario_from_dict(FLEET))
    rows = [{**dict.fromkeys(("cost_usd", "p99_ms", "p50_ms", "error_rate", "task_hours", "peak_tasks",
                              "scaling_activities"), 1.0), "slo_met": met, "slo_violation_min": 0.0 if met else 3.0}
            for met in (True, False)]
    assert _aggregate(rows, space)["slo_met"] is True
    assert _aggregate(rows[1:], space)["slo_met"] is False
    assert _aggregate(rows, space)["slo_shortfall"] == 0.0


def test_a_scenario_without_an_slo_is_refused(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump({k: v for k, v in FLEET.items() if k != "slo"}))
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(FLEET_SPACE))
    assert main(["tune", str(tmp_path / "fleet.yaml"), "--space", str(tmp_path / "space.yaml"), "-o",
                 str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'fleet.yaml'}: slo: expected an SLO to tune against" in err
    assert main(["tune", str(tmp_path / "fleet.yaml"), "--space", str(tmp_path / "space.yaml"), "--resume",
                 "--set", "slo.latency_mean_ms=20", "-o", str(tmp_path / "out"), "-q"]) == 2
    assert "expected a tune to resume; this storage holds none" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()                   # nothing left behind


def test_more_bad_input_is_exit_2_in_one_line(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(FLEET))
    cases = {
        "nan-step.yaml": ("parameters:\n  autoscaling.min_capacity: {low: 1.0, high: 3.0, step: .nan}\n",
                          "expected a finite number above 0"),
        "broken.yaml": ("parameters:\n  service.desired_count: [1, 2\n", "invalid YAML at line"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe")
    cases["binary.yaml"] = (None, "expected a UTF-8 text file")
    for name, (_, message) in cases.items():
        code = main(["tune", str(tmp_path / "fleet.yaml"), "--space", str(tmp_path / name), "-o", str(tmp_path / "o"),
                     "-q"])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (name, err)
    (tmp_path / "space.yaml").write_text(yaml.safe_dump(FLEET_SPACE))
    for storage in (f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}", "nosuchdb://x", str(tmp_path)):
        code = main(["tune", str(tmp_path / "fleet.yaml"), "--space", str(tmp_path / "space.yaml"), "--storage",
                     storage, "-o", str(tmp_path / "o"), "-q"])
        err = capsys.readouterr().err
        assert code == 2 and "cannot open the storage" in err and "Traceback" not in err, (storage, err)


def test_a_fleet_that_answers_nothing_does_not_meet_the_slo(tmp_path):
    result = tune(scenario_from_dict({**FLEET, "duration": "10m"}),
                  {"parameters": {"service.desired_count": [0, 4]}}, seeds=1, trials=4)
    assert result.best["service.desired_count"] == 4
    zero = result.trials[result.trials["service.desired_count"] == 0].iloc[0]
    assert not zero["slo_met"] and zero["slo_violation_min"] > 0
    result.save(tmp_path)
    json.loads((tmp_path / "tune.json").read_text(),
               parse_constant=lambda c: pytest.fail(f"tune.json holds {c}, which JSON does not"))


def test_resuming_with_other_choice_values_is_refused(tmp_path):
    scenario = scenario_from_dict({**FLEET, "duration": "10m"})
    space = {"parameters": {"fleet": {"choices": {"small": {"service.desired_count": 4},
                                                  "large": {"service.desired_count": 6}}}}}
    journal = tmp_path / "tune.journal"
    tune(scenario, space, seeds=1, trials=2, storage=journal)
    space["parameters"]["fleet"]["choices"]["small"] = {"service.desired_count": 5}
    from fargatesim.scenario import ScenarioError
    with pytest.raises(ScenarioError, match="same space parameters and values"):
        tune(scenario, space, seeds=1, trials=3, storage=journal, resume=True)


def test_a_tune_resumed_with_more_trials_goes_on_as_the_longer_one(tmp_path):
    scenario = scenario_from_dict({**FLEET, "duration": "10m"})
    space = {"parameters": {"service.desired_count": {"low": 1, "high": 30, "integer": True}}}
    tune(scenario, space, seeds=1, trials=5, storage=tmp_path / "a.journal")
    longer = tune(scenario, space, seeds=1, trials=12, storage=tmp_path / "a.journal", resume=True)
    whole = tune(scenario, space, seeds=1, trials=12)
    pd.testing.assert_frame_equal(longer.trials, whole.trials)

"""Every example scenario runs and accounts for every request exactly: its whole length once, and
shortened to 2 h for the checks of its results."""
from pathlib import Path

import numpy as np
import pytest

from fargatesim.engine import Simulation
from fargatesim.results import TIMESERIES_COLUMNS, Result
from fargatesim.scenario import load_scenario

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module", params=SCENARIOS, ids=[p.stem for p in SCENARIOS])
def shortened(request):
    scenario = load_scenario(request.param, overrides={"duration": "2h"})
    sim = Simulation(scenario).run()
    return scenario, sim, Result.from_simulation(sim)


def test_there_are_example_scenarios():
    assert len(SCENARIOS) >= 4


def test_scenario_runs_and_conserves_requests(shortened, check_accounting):
    scenario, sim, result = shortened
    assert scenario.duration == 7200
    assert result.summary["duration_s"] == 7200
    assert len(result.timeseries) == 120
    assert list(result.timeseries.columns[: len(TIMESERIES_COLUMNS)]) == list(TIMESERIES_COLUMNS)
    assert result.summary["requests"]["total"] > 0
    check_accounting(sim, result)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_scenario_accounts_for_every_request_over_its_whole_length(path, check_accounting):
    scenario = load_scenario(path)
    sim = Simulation(scenario).run()
    result = Result.from_simulation(sim)
    assert result.summary["duration_s"] == scenario.duration
    check_accounting(sim, result)


def test_scenario_timeseries_is_consistent(shortened):
    scenario, sim, result = shortened
    ts = result.timeseries
    assert (ts["t_s"].diff().dropna() == 60).all()
    cpu = ts["cpu_utilization"].dropna()
    assert ((cpu >= 0) & (cpu <= 100 + 1e-6)).all()
    assert (ts["running_count"] >= 0).all()
    # Targets under health checks belong to running tasks (registered at RUNNING).
    assert (ts["healthy_targets"] + ts["unhealthy_targets"] <= ts["running_count"]).all()
    lat = result.summary["latency_ms"]
    if lat["p50"] is not None:
        assert lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"] * 1.01
        assert lat["max"] <= scenario.workload.timeout * 1000 * 1.01


def test_steady_web_api_cpu_follows_the_utilisation_law():
    """steady-web-api: 300 rps x 20 ms on 10 tasks of 1024 units with a 20-unit sidecar:
    CPUUtilization = 100 x 300 x 0.020 / (10 x 1) + 100 x 20 / 1024 = 61.95 % (see
    test_engine_utilisation for the formula), computed from the file's own settings."""
    path = next(p for p in SCENARIOS if p.stem == "steady-web-api")
    s = load_scenario(path, overrides={"duration": "30m"})
    (traffic,) = s.traffic
    td = s.task_definition
    side = sum(c.base_cpu_units for c in td.container_definitions)
    expected = (100 * traffic.rps * s.workload.cpu_ms.mean / 1000 / (s.service.desired_count * td.vcpu)
                + 100 * side / td.cpu)
    sim = Simulation(s).run()
    result = Result.from_simulation(sim)
    assert result.summary["cpu_utilization"]["mean"] == pytest.approx(expected, abs=2)


def test_unhealthy_task_replacement_matches_its_description():
    """unhealthy-task-replacement: the broken task leaves service one to two check intervals
    after it breaks (unhealthy_threshold 2), its replacement serves after start-up plus
    app_start plus at most initial_health_checks checks, and the broken task drains for
    deregistration_delay."""
    path = next(p for p in SCENARIOS if p.stem == "unhealthy-task-replacement")
    s = load_scenario(path, overrides={"duration": "1h"})
    fault = next(f for f in s.faults if f.type == "task_unhealthy")
    hc = s.target_group.health_check
    startup = s.task_definition.startup
    app_start = s.task_definition.app_container.app_start
    sim = Simulation(s).run()
    (broken,) = [subj for t, k, subj, d in sim.events if k == "fault" and d.startswith("task_unhealthy")]
    mark = [t for t, k, subj, d in sim.events
            if k == "target_state" and subj == broken and d.startswith("healthy -> unhealthy")]
    assert len(mark) == 1
    assert (hc.unhealthy_threshold - 1) * hc.interval <= mark[0] - fault.at <= hc.unhealthy_threshold * hc.interval
    replacement = [subj for t, k, subj, d in sim.events if d == f"PROVISIONING (replaces unhealthy {broken})"]
    assert len(replacement) == 1
    serving = [t for t, k, subj, d in sim.events
               if k == "target_state" and subj == replacement[0] and d.startswith("initial -> healthy")]
    assert len(serving) == 1
    checks = s.target_group.initial_health_checks * hc.interval
    assert serving[0] - mark[0] <= startup.ppf(np.array([1.0]))[0] + app_start + checks + 1e-6
    unused = [t for t, k, subj, d in sim.events
              if k == "target_state" and subj == broken and d.startswith("draining -> unused")]
    assert unused == [pytest.approx(serving[0] + s.target_group.deregistration_delay)]


def test_the_readme_lists_every_scenario_with_its_question():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `") and line.rstrip().endswith("? |")]
    listed = " ".join(rows)
    missing = [p.name for p in SCENARIOS if f"`{p.name}`" not in listed]
    assert not missing, f"README's scenario table leaves out {missing}"


@pytest.mark.parametrize("seed", [42, 1, 2])
def test_checkout_api_misses_its_slo_only_in_its_flash_crowd_and_its_faults(seed):
    """`make run`'s scenario is about the flash crowd: outside the crowd (and its recovery) and
    the few minutes after a crash or a failing health check, every minute meets the SLO."""
    scenario = load_scenario(Path(__file__).parent.parent / "scenarios" / "checkout-api.yaml",
                             overrides={"seed": seed})
    result = Result.from_simulation(Simulation(scenario).run())
    ts, ev = result.timeseries, result.events
    limit = scenario.slo.latency_p99_ms
    over = ts.loc[ts["latency_p99_ms"] > limit, "t_s"].to_numpy()
    spike = next(c for c in scenario.traffic if c.kind == "spike")
    crowd = (spike.at, spike.at + spike.rise + spike.hold + spike.decay + 15 * 60)   # 15 min to recover
    faults = ev.loc[ev["kind"] == "fault", "t_s"].to_numpy()
    after_fault = [(t >= faults - 60) & (t <= faults + 5 * 60) for t in over]
    unexplained = [t for t, near in zip(over, after_fault) if not (crowd[0] <= t < crowd[1] or near.any())]
    shown = ", ".join(f"{int(t) // 3600:02d}:{int(t) % 3600 // 60:02d}" for t in unexplained[:10])
    assert not unexplained, (f"{len(unexplained)} minutes over {limit:g} ms outside the crowd and the "
                             f"faults, from {shown}")
    in_crowd = ((over >= crowd[0]) & (over < crowd[1])).sum()
    assert in_crowd >= 10, f"the crowd should cost minutes over the SLO; {in_crowd} did"
    assert len(over) <= 0.03 * len(ts), f"{len(over)} of {len(ts)} minutes over the SLO"

"""Fargate Spot: the capacity provider strategy, Spot interruptions, and what Spot costs."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from fargatesim.ecs.capacity_providers import Strategy
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import ScenarioError, load_scenario

from conftest import BASE, build_scenario

F, S = "FARGATE", "FARGATE_SPOT"
MIX = [{"capacity_provider": F, "base": 2, "weight": 1}, {"capacity_provider": S, "weight": 3}]
# build_scenario's task: 1 vCPU and 2 GB at the us-east-1 Linux/X86_64 rates.
TASK_HOUR_USD = 0.04048 + 2 * 0.004445


def run(**changes):
    sim = Simulation(build_scenario(**changes)).run()
    return sim, Result.from_simulation(sim)


def rows(result, kind=None, subject=None, startswith=""):
    ev = result.events
    keep = ev["detail"].str.startswith(startswith)
    if kind is not None:
        keep &= ev["kind"] == kind
    if subject is not None:
        keep &= ev["subject"] == subject
    return ev[keep]


def providers(sim, live_only=True):
    tasks = sim.service.live() if live_only else sim.service.tasks
    return {p: sum(1 for t in tasks if t.capacity_provider == p) for p in (F, S)}


# ---------------------------------------------------------------------- strategy arithmetic
def test_base_then_weights_as_in_aws_spot_workshop():
    """Base 2 on on-demand, weights 1:3: two tasks on on-demand, then one on-demand for every
    three on Spot (AWS EC2 Spot workshop, ECS capacity providers module)."""
    s = Strategy(((F, 2, 1), (S, 0, 3)))
    assert s.split(2) == {F: 2, S: 0}
    assert s.split(6) == {F: 3, S: 3}
    assert s.split(10) == {F: 4, S: 6}
    assert s.split(18) == {F: 6, S: 12}


def test_weights_one_to_four_as_in_the_ecs_developer_guide():
    """"For every one task that's run using capacityProviderA, there are four tasks that use
    capacityProviderB" (ECS developer guide, capacity providers)."""
    s = Strategy(((F, 0, 1), (S, 0, 4)))
    assert s.split(5) == {F: 1, S: 4}
    assert s.split(10) == {F: 2, S: 8}
    assert s.split(100) == {F: 20, S: 80}


def test_equal_weights_split_evenly_and_a_tie_goes_to_the_provider_listed_first():
    assert Strategy(((S, 0, 1), (F, 0, 1))).split(7) == {S: 4, F: 3}
    assert Strategy(((F, 0, 1), (S, 0, 1))).split(7) == {F: 4, S: 3}


def test_a_base_above_the_task_count_takes_every_task():
    assert Strategy(((F, 5, 1), (S, 0, 3))).split(3) == {F: 3, S: 0}
    # a base may sit on the Spot side too, and a provider of weight 0 gets nothing beyond its base
    assert Strategy(((S, 3, 0), (F, 0, 1))).split(8) == {S: 3, F: 5}


def test_one_provider_of_weight_zero_takes_every_task():
    assert Strategy(((S, 0, 0),)).split(4) == {S: 4}


@pytest.mark.parametrize("items", [((F, 2, 1), (S, 0, 3)), ((S, 1, 4), (F, 0, 1)), ((F, 0, 2), (S, 0, 3)),
                                   ((S, 3, 0), (F, 0, 1))])
def test_scaling_out_never_moves_a_task_and_scale_in_retraces_it(items):
    s = Strategy(items)
    for n in range(1, 60):
        before, after = s.split(n - 1), s.split(n)
        assert all(after[p] >= before[p] for p in s.providers)
        shrunk = dict(after)
        shrunk[s.provider_to_shrink(after)] -= 1
        assert shrunk == before


def test_split_stays_within_one_task_of_the_weights():
    s = Strategy(((F, 2, 1), (S, 0, 3)))
    for n in range(2, 200):
        beyond = n - 2
        split = s.split(n)
        assert abs((split[F] - 2) - beyond / 4) < 1 and abs(split[S] - 3 * beyond / 4) < 1


# ---------------------------------------------------------------------- placement in a run
def test_steady_state_tasks_follow_the_strategy():
    sim, result = run(duration="5m", service={"desired_count": 10, "capacity_provider_strategy": MIX})
    assert providers(sim) == {F: 4, S: 6}
    last = result.timeseries.iloc[-1]
    assert (last["running_fargate"], last["running_fargate_spot"], last["running_count"]) == (4, 6, 10)
    assert len(rows(result, "task_state", startswith="RUNNING (steady state at start on FARGATE_SPOT)")) == 6


def test_scale_in_keeps_the_base_and_the_split_and_scale_out_restores_it():
    sim, result = run(duration="40m", service={"desired_count": 10, "capacity_provider_strategy": MIX},
                      actions=[{"type": "set_desired_count", "at": "1m", "value": 3},
                               {"type": "set_desired_count", "at": "20m", "value": 10}])
    stopped = rows(result, "task_state", startswith="DEACTIVATING (scale-in)")
    assert len(stopped) == 7
    scaled_in = {t.id: t.capacity_provider for t in sim.service.tasks}
    assert sorted(scaled_in[i] for i in stopped["subject"]) == [F] * 2 + [S] * 5   # 4/6 -> 2/1
    assert providers(sim) == {F: 4, S: 6}


def test_a_deployment_places_the_new_revision_by_the_strategy():
    sim, _ = run(duration="30m", service={"desired_count": 10, "capacity_provider_strategy": MIX},
                 actions=[{"type": "deploy", "at": "1m"}])
    new = [t for t in sim.service.live() if t.revision == 2]
    assert len(new) == 10
    assert sum(t.capacity_provider == F for t in new) == 4


# ---------------------------------------------------------------------- interruptions
def test_interruption_rows_warning_drain_stop_replacement():
    sim, result = run(duration="15m", service={"desired_count": 4, "capacity_provider_strategy": MIX},
                      faults=[{"type": "spot_interruption", "at": "5m", "count": 1}])
    (warning,) = rows(result, "fault", startswith="spot_interruption").itertuples()
    task = warning.subject
    assert sim.service.tasks[int(task.split("-")[1])].capacity_provider == S
    assert warning.t_s == 300.0 and "two-minute warning" in warning.detail and "TerminationNotice" in warning.detail
    own = rows(result, subject=task)
    own = own[own["t_s"] >= 300.0]
    assert list(own["detail"].str.split(" ").str[0])[:5] == ["spot_interruption:", "healthy", "STOPPING",
                                                             "DEPROVISIONING", "STOPPED"]
    assert own.iloc[1]["detail"].startswith("healthy -> draining")
    stopped = own[own["detail"].str.startswith("STOPPED")].iloc[0]
    assert stopped["detail"] == "STOPPED (stopCode SpotInterruption)"
    assert stopped["t_s"] - warning.t_s <= 120
    # The replacement is launched with the warning (the task's desired status is STOPPED from
    # then on), right after the stop began, on Spot, and serves.
    ev = result.events
    replacement = ev[ev["detail"] == f"PROVISIONING (replaces interrupted {task} on FARGATE_SPOT)"]
    assert len(replacement) == 1
    assert replacement.index[0] > own.index[2]          # after warning, drain and STOPPING
    assert replacement.iloc[0]["t_s"] == warning.t_s
    new = replacement.iloc[0]["subject"]
    assert len(rows(result, "target_state", new, "initial -> healthy")) == 1
    assert providers(sim) == {F: 2, S: 2}
    assert result.summary["tasks"]["spot_interruptions"] == 1


def test_interruptions_hit_only_spot_tasks():
    sim, result = run(duration="10m", service={"desired_count": 10, "capacity_provider_strategy": MIX},
                      faults=[{"type": "spot_interruption", "at": "2m", "count": 50}])
    hit = set(rows(result, "fault", startswith="spot_interruption")["subject"])
    by_id = {t.id: t for t in sim.service.tasks}
    assert len(hit) == 6 and all(by_id[i].capacity_provider == S for i in hit)
    assert result.summary["tasks"]["spot_interruptions"] == 6
    assert providers(sim) == {F: 4, S: 6}     # all six replaced on Spot


def test_random_interruptions_follow_the_rate_per_spot_task_hour(check_accounting):
    sim, result = run(duration="10h", service={"desired_count": 10, "capacity_provider_strategy": MIX},
                      faults=[{"type": "spot_interruption", "rate_per_task_hour": 1.0}])
    n = result.summary["tasks"]["spot_interruptions"]
    spot_hours = result.summary["cost"]["capacity_providers"][S]["task_hours"]
    expected = 1.0 * spot_hours                      # Poisson: sd = sqrt(expected), about 7.7 here
    assert abs(n - expected) < 4 * np.sqrt(expected)
    by_id = {t.id: t for t in sim.service.tasks}
    assert all(by_id[i].spot for i in rows(result, "fault", startswith="spot_interruption")["subject"])
    assert result.timeseries["running_fargate"].min() == 4    # the on-demand base is never touched
    check_accounting(sim, result)


@pytest.mark.parametrize("stop_timeout", [10, 120])
def test_requests_still_in_flight_at_sigkill_are_reset_and_accounted(check_accounting, stop_timeout):
    """200-second requests: SIGKILL comes stop_timeout after the warning (at most the two
    minutes) and resets what the task still held; every request still ends exactly once."""
    sim, result = run(duration="10m", workload={"cpu_ms": 1, "io_ms": 200_000, "timeout": "5m"},
                      service={"desired_count": 4, "stop_timeout": stop_timeout,
                               "capacity_provider_strategy": [{"capacity_provider": S, "weight": 1}]},
                      faults=[{"type": "spot_interruption", "at": "5m", "count": 1}])
    (task,) = rows(result, "fault", startswith="spot_interruption")["subject"]
    deprovisioning = rows(result, "task_state", task, "DEPROVISIONING")["t_s"].iloc[0]
    assert deprovisioning == pytest.approx(300 + stop_timeout)
    # The task got a quarter of the 100 requests/s; those sent in the 200 - stop_timeout seconds
    # before the warning had not finished by SIGKILL.
    expected = 100 / 4 * (200 - stop_timeout)
    assert result.summary["requests"]["errors"]["reset_on_stop"] == pytest.approx(expected, rel=0.15)
    check_accounting(sim, result)


def test_no_spot_in_the_strategy_means_no_interruptions_and_the_same_numbers():
    plain = run(duration="1h")[1]
    with_fault = run(duration="1h", faults=[{"type": "spot_interruption", "rate_per_task_hour": 5.0}])[1]
    fargate_only = run(duration="1h", service={"capacity_provider_strategy": [{"capacity_provider": F, "weight": 1}]},
                       faults=[{"type": "spot_interruption", "at": "10m", "count": 3}])[1]
    assert with_fault.summary_json() == plain.summary_json()
    assert with_fault.events.equals(plain.events)
    assert fargate_only.summary == plain.summary
    assert fargate_only.timeseries.equals(plain.timeseries)
    assert plain.summary["tasks"]["spot_interruptions"] == 0
    assert plain.summary["cost"]["capacity_providers"][S] == {"task_hours": 0.0, "billed_task_hours": 0.0, "usd": 0.0}


def test_interruptions_leave_the_other_random_streams_alone():
    plain, _ = run(duration="30m", service={"desired_count": 8, "capacity_provider_strategy": MIX})
    hit, result = run(duration="30m", service={"desired_count": 8, "capacity_provider_strategy": MIX},
                      faults=[{"type": "spot_interruption", "rate_per_task_hour": 2.0}])
    assert result.summary["tasks"]["spot_interruptions"] > 0
    assert np.array_equal(plain.records.arrivals, hit.records.arrivals)


def test_same_seed_same_bytes(tmp_path):
    changes = dict(duration="3h", service={"desired_count": 8, "capacity_provider_strategy": MIX},
                   faults=[{"type": "spot_interruption", "rate_per_task_hour": 0.5}])
    outputs = [run(**changes)[1].save(tmp_path / str(i), plot=False) for i in range(2)]
    assert run(**changes)[1].summary["tasks"]["spot_interruptions"] > 0
    for name in ("summary.json", "timeseries.csv", "events.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()


# ---------------------------------------------------------------------- cost
def test_spot_tasks_cost_the_discounted_rate():
    """One hour of 10 steady tasks: 4 on FARGATE at the full rate, 6 on Spot at 30 %."""
    _, result = run(duration="1h", service={"desired_count": 10, "capacity_provider_strategy": MIX})
    cost = result.summary["cost"]
    assert cost["capacity_providers"][F] == {"task_hours": 4.0, "billed_task_hours": 4.0,
                                             "usd": round(4 * TASK_HOUR_USD, 6)}
    assert cost["capacity_providers"][S]["usd"] == pytest.approx(6 * TASK_HOUR_USD * 0.3, abs=1e-6)
    assert cost["usd"] == pytest.approx(4 * TASK_HOUR_USD + 6 * TASK_HOUR_USD * 0.3, abs=1e-6)
    assert cost["fargate_spot_usd"] == cost["capacity_providers"][S]["usd"]
    assert result.summary["tasks"]["task_hours"] == 10.0


def test_the_scenario_sets_the_spot_discount():
    _, result = run(duration="1h", service={"desired_count": 2, "capacity_provider_strategy": [
        {"capacity_provider": S, "weight": 1}]}, pricing={"fargate_spot_discount": 0.5})
    assert result.summary["cost"]["usd"] == pytest.approx(2 * TASK_HOUR_USD * 0.5, abs=1e-6)


def test_all_spot_costs_the_discount_less_than_all_fargate():
    on_demand = run(duration="2h")[1].summary["cost"]
    spot = run(duration="2h", service={"capacity_provider_strategy": [{"capacity_provider": S, "weight": 1}]})[1]
    assert spot.summary["cost"]["usd"] == pytest.approx(0.3 * on_demand["usd"], abs=1e-6)
    assert spot.summary["cost"]["capacity_providers"][F]["usd"] == 0.0


# ---------------------------------------------------------------------- bad input
def load(tmp_path, change):
    data = copy.deepcopy(BASE)
    change(data)
    path = tmp_path / "spot.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def error_for(tmp_path, change) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path, change)
    err = info.value
    assert str(err).startswith(f"{tmp_path / 'spot.yaml'}: ")
    assert "Input should be" not in err.message
    return err


def strategy(*items, **service):
    return lambda data: data["service"].update(capacity_provider_strategy=list(items), **service)


def fault(**item):
    return lambda data: data.update(faults=[item])


CPS = "service.capacity_provider_strategy"


@pytest.mark.parametrize("change, where, words", [
    (strategy({"capacity_provider": S, "weigth": 1}), f"{CPS}[0].weigth", ["did you mean 'weight'?"]),
    (strategy({"capacity_provider": "FARGATE_SPOTT", "weight": 1}), f"{CPS}[0].capacity_provider",
     ["FARGATE, FARGATE_SPOT", "did you mean 'FARGATE_SPOT'?"]),
    (strategy({"weight": 1}), f"{CPS}[0].capacity_provider", ["missing required key 'capacity_provider'"]),
    (strategy({"capacity_provider": F, "base": -1, "weight": 1}), f"{CPS}[0].base", ["from 0 to 100000", "-1"]),
    (strategy({"capacity_provider": F, "weight": 1}, {"capacity_provider": S, "weight": 1001}), f"{CPS}[1].weight",
     ["from 0 to 1000", "1001"]),
    (strategy({"capacity_provider": F, "base": 2, "weight": 1}, {"capacity_provider": S, "base": 1, "weight": 3}),
     f"{CPS}[1].base", ["one capacity provider at most", "FARGATE already has base 2"]),
    (strategy({"capacity_provider": F, "base": 2}, {"capacity_provider": S}), CPS, ["weight > 0"]),
    (strategy({"capacity_provider": S, "weight": 1}, {"capacity_provider": S, "weight": 2}),
     f"{CPS}[1].capacity_provider", ["once", "capacity_provider_strategy[0]"]),
    (strategy(*[{"capacity_provider": F, "weight": 1}] * 7), CPS, ["at most 6", "got 7"]),
    (strategy({"capacity_provider": S, "weight": 1}, launch_type="EC2"), "service.launch_type",
     ["capacity_provider_strategy", "'EC2'"]),
    (fault(type="spot_interruption", rate_per_task_hour=0.1, at="1h"), "faults[0]", ["exactly one", "both"]),
    (fault(type="spot_interruption"), "faults[0]", ["exactly one", "neither"]),
    (fault(type="spot_interruption", rate_per_task_hour=0.1, count=2), "faults[0].count", ["count 1"]),
    (fault(type="spot_interruption", rate_per_task_hour=-0.1), "faults[0].rate_per_task_hour", [">= 0", "-0.1"]),
    (fault(type="spot_interruption", rate_per_hour=0.1), "faults[0].rate_per_hour", ["did you mean 'rate_per_task_hour'?"]),
    (fault(type="spot_interuption", rate_per_task_hour=0.1), "faults[0].type", ["did you mean 'spot_interruption'?"]),
])
def test_bad_strategies_and_faults_name_the_key(tmp_path, change, where, words):
    err = error_for(tmp_path, change)
    assert err.path == where, err
    for word in words:
        assert word in err.message, err.message


def test_what_aws_accepts_is_accepted(tmp_path):
    one = load(tmp_path, strategy({"capacity_provider": S}))      # one provider, weight 0: it takes all
    assert one.service.uses_spot
    both = load(tmp_path, strategy({"capacity_provider": F, "base": 1, "weight": 1}, {"capacity_provider": S},
                                   launch_type="FARGATE"))
    assert not both.service.uses_spot          # weight 0 beside a weighted provider: never used
    assert load(tmp_path, strategy()).service.capacity_provider_strategy == ()


def test_spot_on_arm64_is_refused_when_loaded(tmp_path):
    def arm(data, mix=MIX):
        strategy(*mix)(data)
        data["task_definition"]["runtime_platform"] = {"cpu_architecture": "ARM64"}
    with pytest.raises(ScenarioError) as info:
        load(tmp_path, arm)
    assert info.value.path == f"{CPS}[1].capacity_provider"
    assert "LINUX/ARM64" in info.value.message and "LINUX/X86_64" in info.value.message
    Simulation(load(tmp_path, lambda data: arm(data, [{"capacity_provider": F}])))


def test_a_strategy_survives_with_changes():
    s = build_scenario(service={"capacity_provider_strategy": MIX},
                       faults=[{"type": "spot_interruption", "rate_per_task_hour": 0.02}])
    again = s.with_changes({"service.desired_count": 6})
    assert again.service.capacity_provider_strategy == s.service.capacity_provider_strategy
    assert again.faults == s.faults

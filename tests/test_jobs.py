"""Run-to-completion jobs: the `jobs:` section, its runs, Fargate against Lambda, and their limits."""

import copy
import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from fargatesim.cost import PriceTable
from fargatesim.jobs import COLUMNS, compare_jobs, compare_scenario_jobs, draw_runs, firing_times, replay
from fargatesim.scenario import Job, ScenarioError, scenario_from_dict

START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday, in winter (Berlin is UTC+1)
DAY = 86_400.0

SCENARIO = {
    "name": "jobs-test",
    "duration": "1d",
    "seed": 3,
    "traffic": [{"constant": {"rps": 1}}],
    "workload": {"cpu_ms": 10},
    "task_definition": {
        "cpu": 256, "memory": 512,
        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}],
    },
}
ETL = {
    "name": "nightly-etl",
    "schedule": "cron(0 2 * * ? *)",
    "timezone": "Europe/Berlin",
    "cpu": 2048,
    "memory": 4096,
    "duration": {"distribution": "lognormal", "mean": "8m", "cv": 0.3},
}


@pytest.fixture(scope="module")
def prices():
    return PriceTable.load()


def scenario(*jobs, **changes):
    return scenario_from_dict({**copy.deepcopy(SCENARIO), "jobs": list(jobs), **changes})


def job(**keys) -> Job:
    return Job.model_validate({"name": "j", "cpu": 1024, "memory": 2048, "duration": 10, **keys})


def rows(result, name):
    table = result.table.set_index(["job", "platform"])
    return table.loc[(name, "fargate")], table.loc[(name, "lambda")]


# -- the jobs: section --------------------------------------------------------------------------


def test_a_job_with_defaults():
    j = scenario(ETL).jobs[0]
    assert (j.vcpu, j.memory_gib, j.architecture, j.count, j.at) == (2.0, 4.0, "X86_64", 1, 0.0)
    assert j.ephemeral_storage.size_in_gib == 20
    assert j.startup.family == "uniform" and (j.startup.param("low"), j.startup.param("high")) == (30, 60)
    assert j.duration.mean == 480
    lam = j.lambda_
    assert lam.memory_size is None and lam.concurrency_limit == 1000
    assert lam.cold_start.mean == 1.0 and lam.keep_warm == 300 and lam.maximum_event_age_in_seconds == 21600


def test_jobs_round_trip_through_to_dict():
    s = scenario(ETL, {**ETL, "name": "fan-out", "schedule": None, "timezone": "UTC", "at": "2h", "count": 50,
                       "lambda": {"memory_size": 1769, "reserved_concurrent_executions": 20}})
    again = scenario_from_dict(s.to_dict())
    assert again.jobs == s.jobs
    assert s.to_dict()["jobs"][1]["lambda"]["memory_size"] == 1769


def test_scenarios_without_jobs_are_unchanged():
    s = scenario_from_dict(copy.deepcopy(SCENARIO))
    assert s.jobs == ()


@pytest.mark.parametrize(
    "change, path, words",
    [
        ({"memmory": 4096}, "jobs[0].memmory", ["unknown key 'memmory'", "did you mean 'memory'"]),
        ({"memory": 1024}, "jobs[0].memory", ["Fargate allows with cpu 2048", "got 1024"]),
        ({"cpu": 3000}, "jobs[0].cpu", ["Fargate task cpu", "got 3000"]),
        ({"schedule": "rate(five minutes)"}, "jobs[0].schedule", ["rate(N unit)", "'rate(five minutes)'"]),
        ({"at": "1h"}, "jobs[0].at", ["either schedule or at", "3600"]),
        ({"timezone": "Europe/Berln"}, "jobs[0].timezone", ["did you mean 'Europe/Berlin'"]),
        ({"schedule": None}, "jobs[0].timezone", ["only with a schedule"]),
        ({"count": 0}, "jobs[0].count", [">= 1", "got 0"]),
        ({"duration": {"distribution": "lognormal", "mean": "8m"}}, "jobs[0].duration.cv", ["'cv' is missing"]),
        ({"runtime_platform": {"cpu_architecture": "ARM"}}, "jobs[0].runtime_platform.cpu_architecture",
         ["X86_64, ARM64", "got 'ARM'"]),
        ({"ephemeral_storage": {"size_in_gib": 250}}, "jobs[0].ephemeral_storage.size_in_gib", ["from 20 to 200"]),
        ({"lambda": {"memory_sise": 2048}}, "jobs[0].lambda.memory_sise", ["did you mean 'memory_size'"]),
        ({"lambda": {"memory_size": 10_241}}, "jobs[0].lambda.memory_size", ["from 128 to 10240", "10241"]),
        ({"lambda": {"reserved_concurrent_executions": 950}}, "jobs[0].lambda.reserved_concurrent_executions",
         ["at most 900", "100", "got 950"]),
        ({"lambda": {"cold_start": 30}}, "jobs[0].lambda.cold_start", ["at most 10 s", "mean of 30 s"]),
        ({"lambda": {"maximum_event_age_in_seconds": "7h"}}, "jobs[0].lambda.maximum_event_age_in_seconds",
         ["from 60 to 21600"]),
    ],
)
def test_bad_jobs_get_one_message_naming_the_key(change, path, words):
    with pytest.raises(ScenarioError) as info:
        scenario({**ETL, **change})
    err = info.value
    assert err.path == path
    assert all(w in err.message for w in words), err.message
    assert "Input should be" not in err.message


def test_job_names_are_unique_and_at_falls_inside_the_scenario():
    with pytest.raises(ScenarioError) as info:
        scenario(ETL, ETL)
    assert info.value.path == "jobs[1].name" and "'nightly-etl' twice" in info.value.message
    late = {**ETL, "schedule": None, "timezone": "UTC", "at": "25h"}
    with pytest.raises(ScenarioError) as info:
        scenario(late)
    assert info.value.path == "jobs[0].at" and "before the end of the scenario" in info.value.message


# -- runs ---------------------------------------------------------------------------------------


def test_cron_fires_in_the_jobs_time_zone():
    # 02:00 in Berlin is 01:00 UTC in January.
    j = scenario(ETL).jobs[0]
    assert list(firing_times(j, start=START, duration=2 * DAY)) == [3600.0, DAY + 3600.0]
    utc = j.model_copy(update={"timezone": "UTC"})
    assert list(firing_times(utc, start=START, duration=2 * DAY)) == [7200.0, DAY + 7200.0]


def test_rate_fires_from_the_start_and_count_runs_go_together():
    j = job(schedule="rate(1 hour)", count=3)
    runs = draw_runs(j, start=START, duration=DAY, seed=0)
    assert len(runs) == 72 and list(runs.firings) == [3600.0 * h for h in range(24)]
    assert list(runs.fired_at[:4]) == [0, 0, 0, 3600]
    once = draw_runs(job(at="30m", count=5), start=START, duration=DAY, seed=0)
    assert list(once.fired_at) == [1800.0] * 5


def test_runs_are_reproducible_and_independent_of_other_settings():
    j = scenario(ETL).jobs[0]
    a = draw_runs(j, start=START, duration=7 * DAY, seed=1)
    b = draw_runs(j, start=START, duration=7 * DAY, seed=1)
    c = draw_runs(j, start=START, duration=7 * DAY, seed=2)
    assert np.array_equal(a.duration, b.duration) and np.array_equal(a.startup, b.startup)
    assert not np.array_equal(a.duration, c.duration)
    # another cold start or start-up distribution leaves the durations alone
    other = j.model_copy(update={"startup": j.startup.uniform(10, 20)})
    assert np.array_equal(draw_runs(other, start=START, duration=7 * DAY, seed=1).duration, a.duration)


def test_the_same_scenario_gives_the_same_bytes():
    s = scenario(ETL, {**ETL, "name": "fan-out", "schedule": "rate(1 hour)", "timezone": "UTC", "count": 1500,
                       "duration": {"distribution": "gamma", "mean": "20s", "cv": 0.5}})
    one, two = compare_scenario_jobs(s), compare_scenario_jobs(s)
    assert one.table.to_csv(index=False) == two.table.to_csv(index=False)
    assert json.dumps(one.summary, sort_keys=True) == json.dumps(two.summary, sort_keys=True)
    reseeded = compare_scenario_jobs(s.with_changes({"seed": 4}))
    assert reseeded.table.to_csv(index=False) != one.table.to_csv(index=False)


def test_adding_a_job_leaves_the_others_alone():
    alone = compare_scenario_jobs(scenario(ETL))
    both = compare_scenario_jobs(scenario({**ETL, "name": "first", "duration": 60}, ETL))
    assert alone.table.to_csv(index=False) == both.table[both.table.job == "nightly-etl"].to_csv(index=False)


def test_the_table_and_summary_shapes(prices):
    result = compare_jobs(scenario(ETL).jobs, prices, start=START, duration=7 * DAY, seed=0)
    assert tuple(result.table.columns) == COLUMNS
    assert list(result.table.platform) == ["fargate", "lambda"]
    assert result.table["runs"].tolist() == [7, 7]
    text = json.dumps(result.summary, allow_nan=False)  # strict JSON: no NaN
    assert json.loads(text)["jobs"]["nightly-etl"]["runs"] == 7
    empty = compare_jobs((), prices, start=START, duration=DAY)
    assert tuple(empty.table.columns) == COLUMNS and empty.table.empty and empty.summary["total_usd"] == {}


# -- Lambda's limits ----------------------------------------------------------------------------


def test_a_job_longer_than_900_s_is_infeasible_on_lambda():
    result = compare_scenario_jobs(scenario({**ETL, "duration": "20m"}))
    fargate, lam = rows(result, "nightly-etl")
    assert fargate.feasible and fargate.cost_usd > 0
    assert not lam.feasible and np.isnan(lam.cost_usd) and lam.completed is pd.NA
    assert lam.reason == "1 of 1 runs takes longer than Lambda's maximum timeout of 900 s (the longest 1,200 s, 300 s over)"
    assert result.summary["jobs"]["nightly-etl"]["cheaper"] == "fargate"
    assert result.summary["total_usd"]["lambda"] is None


def test_a_few_long_runs_are_enough_to_rule_lambda_out():
    # Mean 12 min with cv 0.3 over 30 days: about one run in five exceeds 15 minutes.
    s = scenario({**ETL, "duration": {"distribution": "lognormal", "mean": "12m", "cv": 0.3}}, duration="30d")
    runs = draw_runs(s.jobs[0], start=s.start, duration=s.duration, seed=s.seed)
    over = int((runs.duration > 900).sum())
    assert 1 < over < len(runs)
    lam = rows(compare_scenario_jobs(s), "nightly-etl")[1]
    assert not lam.feasible
    assert lam.reason.startswith(f"{over} of 30 runs take longer than Lambda's maximum timeout of 900 s (the longest ")
    assert f"{runs.duration.max():,.0f} s" in lam.reason


def test_a_job_needing_more_than_10240_mb_is_infeasible_on_lambda():
    big = {**ETL, "cpu": 4096, "memory": 16_384, "duration": "1m"}
    lam = rows(compare_scenario_jobs(scenario(big)), "nightly-etl")[1]
    assert not lam.feasible
    assert lam.reason == ("needs more than Lambda's maximum memory of 10,240 MB: the job's memory is 16,384 MB "
                          "(6,144 MB over); set lambda.memory_size if the work fits in less")
    huge = {**ETL, "cpu": 8192, "memory": 16_384, "duration": "1m"}
    lam = rows(compare_scenario_jobs(scenario(huge)), "nightly-etl")[1]
    assert "and its 8 vCPU take 14,152 MB at 1,769 MB per vCPU (3,912 MB over)" in lam.reason
    # With the memory set, it runs on 5.79 vCPU: 60 s of 8-vCPU work takes 60 x 8 / 5.79 = 82.9 s.
    fits = rows(compare_scenario_jobs(scenario({**huge, "lambda": {"memory_size": 10_240}})), "nightly-etl")[1]
    assert fits.feasible and fits.memory_mb == 10_240
    assert fits.billed_s == pytest.approx(1 + 60 * 8 / (10_240 / 1769), abs=0.002)


def test_fewer_vcpus_can_push_a_run_past_the_timeout():
    # 10 minutes of 2 vCPU work on 1 vCPU (1,769 MB) takes 20 minutes.
    lam = rows(compare_scenario_jobs(scenario({**ETL, "duration": "10m", "lambda": {"memory_size": 1769}})),
               "nightly-etl")[1]
    assert not lam.feasible
    assert "takes longer at 1.00 vCPU than Lambda's maximum timeout of 900 s (the longest 1,200 s" in lam.reason


# -- which is cheaper ---------------------------------------------------------------------------


def test_a_short_bursty_job_is_cheaper_on_lambda():
    # 2,000 runs of 3 s at the top of every hour for a day: 48,000 runs at 1 vCPU / 2 GB.
    # Fargate: every task bills the one-minute minimum (at most 0.7 x 60 + 3 + 5 = 50 s of it used):
    #   48,000 x 60 s x $0.04937 / 3600 = $39.496.
    # Lambda at 2,048 MB (the job's memory), 1,000 concurrent: each hour 1,000 cold starts run
    # 1 s Init + 3 s; the other 1,000 are throttled, retried at 1, 3 and 7 s, and at 7 s reuse the
    # warm environments (3 s each). The environments are shut down within the idle hour.
    #   GB-s per hour 2 x (1,000 x 4 + 1,000 x 3) = 14,000; a day 336,000 x $0.0000166667 = $5.600011
    #   + 48,000 requests x $0.0000002 = $0.0096: $5.609611.
    bursty = {"name": "thumbnails", "schedule": "rate(1 hour)", "count": 2000, "cpu": 1024, "memory": 2048,
              "duration": "3s"}
    result = compare_scenario_jobs(scenario(bursty))
    fargate, lam = rows(result, "thumbnails")
    assert fargate.runs == lam.runs == 48_000
    assert fargate.billed_s == 48_000 * 60
    assert fargate.cost_usd == pytest.approx(39.496, abs=1e-6)
    assert lam.memory_mb == 2048
    assert (lam.cold_starts, lam.throttled, lam.dropped) == (24_000, 24_000, 0)
    assert lam.billed_s == pytest.approx(24 * (1000 * 4 + 1000 * 3))
    assert lam.compute_usd == pytest.approx(5.600011, abs=1e-6)
    assert lam.request_usd == pytest.approx(0.0096)
    assert lam.cost_usd == pytest.approx(5.609611, abs=1e-6)
    assert lam.makespan_s == 10.0 and 60 < fargate.makespan_s <= 63
    assert result.summary["jobs"]["thumbnails"]["cheaper"] == "lambda"


def test_a_long_steady_job_is_cheaper_on_fargate():
    # A 4 vCPU / 8 GB job of 10 minutes every 15 minutes for a day: 96 runs.
    # Fargate with a 40 s start-up: 0.7 x 40 + 600 + 5 = 633 s a run, 60,768 s in all:
    #   60,768 x (4 x 0.04048 + 8 x 0.004445) / 3600 = 60,768 x 0.19748 / 3600 = $3.333462.
    # Lambda at 8,192 MB: one cold start (1 s), then each run finds the last one's environment warm
    # (idle 299 s, within keep_warm): 57,601 s x 8 GB = 460,808 GB-s x $0.0000166667 = $7.680149
    #   + 96 x $0.0000002 = $0.0000192: $7.680168.
    steady = {"name": "report", "schedule": "rate(15 minutes)", "cpu": 4096, "memory": 8192, "duration": "10m",
              "startup": "40s", "lambda": {"keep_warm": "10m"}}
    result = compare_scenario_jobs(scenario(steady))
    fargate, lam = rows(result, "report")
    assert fargate.billed_s == 60_768 and fargate.cost_usd == pytest.approx(3.333462, abs=1e-6)
    assert lam.cold_starts == 1 and lam.billed_s == pytest.approx(57_601)
    assert lam.cost_usd == pytest.approx(7.680168, abs=1e-6)
    assert result.summary["jobs"]["report"]["cheaper"] == "fargate"
    assert result.summary["total_usd"] == {"fargate": pytest.approx(3.333462), "lambda": pytest.approx(7.680168)}


# -- cold starts and concurrency ----------------------------------------------------------------


@pytest.mark.parametrize("keep_warm, cold", [("5m", 24), ("15m", 1)])
def test_cold_starts_depend_on_how_long_environments_stay_warm(keep_warm, cold):
    # A 30 s job every 10 minutes: idle 9.5 minutes between runs.
    j = {"name": "poll", "schedule": "rate(10 minutes)", "cpu": 256, "memory": 512, "duration": "30s",
         "lambda": {"keep_warm": keep_warm}}
    lam = rows(compare_scenario_jobs(scenario(j, duration="4h")), "poll")[1]
    assert lam.runs == 24 and lam.cold_starts == cold


def test_runs_above_the_concurrency_limit_are_throttled_and_retried():
    # 250 runs of 10 s at once with 100 reserved: 100 start cold (1 s Init) and end at 11 s; the
    # other 150 are throttled and retried 1, 2, 4, 8 s apart (at 1, 3, 7, 15 s); at 15 s, 100 of
    # them take the warm environments and end at 25 s; the last 50 retry 16 s later, at 31 s.
    r = replay(np.zeros(250), np.full(250, 10.0), np.full(250, 1.0), concurrency=100, keep_warm=300,
               max_event_age=21600)
    assert r.cold.sum() == 100 and r.throttled.sum() == 150 and not r.dropped.any()
    assert sorted(set(r.started_at)) == [0.0, 15.0, 31.0]
    assert list(np.bincount(np.searchsorted([0.0, 15.0, 31.0], r.started_at))) == [100, 100, 50]
    assert np.nanmax(r.ended_at) == 41.0
    assert r.throttles == 150 * 4 + 50
    assert not r.throttled[:100].any() and r.throttled[100:].all()  # first come, first served


def test_lambda_adds_at_most_1000_environments_every_10_seconds():
    # 2,500 runs of 30 s at once with 3,000 concurrency: 1,000 start cold at 0 s; the rest are
    # throttled at 1, 3 and 7 s (still within 10 s of those creations); at 15 s another 1,000 start
    # cold; the last 500 retry at 31 s, just as the first 1,000 environments come free.
    r = replay(np.zeros(2500), np.full(2500, 30.0), np.full(2500, 1.0), concurrency=3000, keep_warm=300,
               max_event_age=21600)
    assert r.cold.sum() == 2000 and r.throttled.sum() == 1500
    assert list(np.unique(r.started_at, return_counts=True)[1]) == [1000, 1000, 500]
    assert list(np.unique(r.started_at)) == [0.0, 15.0, 31.0]


def test_events_throttled_past_their_maximum_age_are_dropped():
    # One reserved environment, three 100 s runs: the second and third are retried at 1, 3, 7, 15,
    # 31 and 63 s, older than 60 s by then, and dropped. The run that ran is still billed.
    j = {"name": "serial", "count": 3, "cpu": 1024, "memory": 2048, "duration": "100s",
         "lambda": {"reserved_concurrent_executions": 1, "maximum_event_age_in_seconds": 60}}
    result = compare_scenario_jobs(scenario(j))
    lam = rows(result, "serial")[1]
    assert (lam.completed, lam.dropped, lam.throttled) == (1, 2, 2)
    assert not lam.feasible
    assert lam.reason == "2 of 3 runs were dropped, throttled for longer than maximum_event_age_in_seconds (60 s)"
    assert lam.billed_s == pytest.approx(101) and lam.cost_usd > 0
    assert result.summary["jobs"]["serial"]["cheaper"] == "fargate"


def test_the_most_recently_used_environment_is_reused_first():
    # Two environments from two overlapping runs, then one run every 100 s: always reusing the
    # most recently used one lets the other idle past keep_warm (300 s), so a burst of two at
    # 1,000 s finds one warm environment, not two.
    fired = np.array([0.0, 5.0, *range(100, 1000, 100), 1000.0, 1000.0])
    r = replay(fired, np.full(fired.size, 10.0), np.full(fired.size, 1.0), concurrency=10, keep_warm=300,
               max_event_age=21600)
    assert r.cold.tolist() == [True, True] + [False] * 9 + [False, True]

"""Billing of job runs, against cases worked out by hand from the us-east-1 list prices.

Fargate Linux/x86: $0.04048 per vCPU-hour, $0.004445 per GB-hour, so 1 vCPU with 2 GB costs
0.04048 + 2 x 0.004445 = $0.04937 an hour. Linux/ARM: $0.03238 and $0.00356, so $0.0395 an hour.
Ephemeral storage above the included 20 GB: $0.000111 per GB-hour. Billing from the start of the
image pull to STOPPED, per second rounded up, at least 60 s (AWS Fargate pricing page).
Lambda: $0.0000166667 per GB-second on x86, $0.0000133334 on ARM, $0.20 per million requests,
each invocation rounded up to the millisecond (AWS Lambda pricing page; AWS News Blog on 1 ms
billing).

A job run's task is billed for 70 % of its start-up time (the 30 % before the image pull attaches
the ENI), its duration, and 5 s of deprovisioning (fargatesim/ecs/timings.py). The cases below set
the start-up to 0 where only the rounding matters.

test_cost.py checks task_charge and lambda_charge on their own; these check that a job's runs reach
them with the right seconds and sizes, and the parts specific to jobs (Init billing, memory choice).
"""

from datetime import datetime, timezone

import numpy as np
import pytest

from fargatesim.cost import PriceTable, lambda_charge
from fargatesim.jobs import draw_runs, fargate_outcome, lambda_function, lambda_outcome
from fargatesim.jobs.fargate_jobs import billed_lengths
from fargatesim.scenario import Job

START = datetime(2026, 1, 5, tzinfo=timezone.utc)
X86_1VCPU_2GB_HOUR = 0.04048 + 2 * 0.004445  # 0.04937
ARM_1VCPU_2GB_HOUR = 0.03238 + 2 * 0.00356  # 0.0395
LAMBDA_X86_GB_S = 0.0000166667


@pytest.fixture(scope="module")
def prices():
    return PriceTable.load()


def job(**keys) -> Job:
    data = {"name": "j", "cpu": 1024, "memory": 2048, "startup": 0, "duration": 25}
    return Job.model_validate({**data, **keys})


def outcomes(j: Job, prices, *, duration=3600.0):
    runs = draw_runs(j, start=START, duration=duration, seed=0)
    return runs, fargate_outcome(runs, prices), lambda_outcome(runs, prices)


# -- Fargate ------------------------------------------------------------------------------------


def test_a_short_run_is_billed_the_one_minute_minimum(prices):
    # 0 s start-up + 25 s of work + 5 s deprovisioning = 30 s, billed 60 s:
    # 60 x 0.04937 / 3600 = $0.000822833.
    _, fargate, _ = outcomes(job(duration=25), prices)
    assert fargate.billed_s == 60
    assert fargate.cost_usd == pytest.approx(0.000822833, abs=1e-9)
    assert fargate.cost_usd == pytest.approx(60 * X86_1VCPU_2GB_HOUR / 3600)


def test_partial_seconds_are_rounded_up(prices):
    # 56.2 s of work + 5 s = 61.2 s, billed 62 s: 62 x 0.04937 / 3600 = $0.000850261.
    _, fargate, _ = outcomes(job(duration=56.2), prices)
    assert fargate.billed_s == 62
    assert fargate.cost_usd == pytest.approx(0.000850261, abs=1e-9)


def test_billing_starts_with_the_image_pull(prices):
    # A 40 s start-up spends 12 s attaching the ENI (not billed) and 28 s pulling and starting:
    # 28 + 56.2 + 5 = 89.2 s, billed 90 s: 90 x 0.04937 / 3600 = $0.00123425.
    runs, fargate, _ = outcomes(job(duration=56.2, startup=40), prices)
    assert billed_lengths(runs)[0] == pytest.approx(89.2)
    assert fargate.billed_s == 90
    assert fargate.cost_usd == pytest.approx(0.00123425, abs=1e-9)
    assert fargate.start_delay_s == 40 and fargate.makespan_s == pytest.approx(96.2)


def test_every_run_is_rounded_on_its_own(prices):
    # Three runs of 56.2 s each bill 62 s (186 s), not ceil(3 x 61.2) = 184 s.
    _, fargate, _ = outcomes(job(duration=56.2, count=3), prices)
    assert fargate.billed_s == 186
    assert fargate.cost_usd == pytest.approx(186 * X86_1VCPU_2GB_HOUR / 3600)


def test_arm_against_x86_for_an_hour(prices):
    # 3595 s + 5 s = one billed hour: x86 $0.04937, ARM $0.0395.
    x86 = outcomes(job(duration=3595), prices)[1]
    arm = outcomes(job(duration=3595, runtime_platform={"cpu_architecture": "ARM64"}), prices)[1]
    assert x86.billed_s == arm.billed_s == 3600
    assert x86.cost_usd == pytest.approx(0.04937)
    assert arm.cost_usd == pytest.approx(0.0395)
    assert arm.architecture == "ARM64"


def test_ephemeral_storage_above_20_gb(prices):
    # 50 GB bills 30 GB extra: 30 x 0.000111 = $0.00333 an hour on top of $0.04937; 10 runs x 1 h.
    _, fargate, _ = outcomes(job(duration=3595, count=10, ephemeral_storage={"size_in_gib": 50}), prices)
    assert fargate.storage_usd == pytest.approx(10 * 0.00333)
    assert fargate.compute_usd == pytest.approx(10 * 0.04937)
    assert fargate.cost_usd == pytest.approx(10 * (0.04937 + 0.00333))
    at_20 = outcomes(job(duration=3595, count=10), prices)[1]
    assert at_20.storage_usd == 0 and at_20.cost_usd == pytest.approx(10 * 0.04937)


def test_requested_size_is_billed_not_what_the_run_uses(prices):
    # 4 vCPU / 8 GB for 55 s + 5 s = 60 s: 60 x (4 x 0.04048 + 8 x 0.004445) / 3600 = $0.00329133,
    # whatever share of it the work used.
    _, fargate, _ = outcomes(job(cpu=4096, memory=8192, duration=55), prices)
    assert fargate.cost_usd == pytest.approx(60 * (4 * 0.04048 + 8 * 0.004445) / 3600)
    assert fargate.cost_usd == pytest.approx(0.00329133, abs=1e-8)


# -- Lambda -------------------------------------------------------------------------------------


def test_lambda_rounds_each_invocation_up_to_the_millisecond_and_charges_requests(prices):
    # 1,000 runs a minute for an hour (60,000), 1,769 MB, 100.4 ms each: billed 101 ms each.
    # GB-seconds: 60,000 x 0.101 s x 1769 / 1024 = 10,468.89; x $0.0000166667 = $0.174482.
    # Requests: 60,000 x $0.20 / 1,000,000 = $0.012. Total $0.186482.
    j = job(schedule="rate(1 minute)", count=1000, duration="100.4ms",
            **{"lambda": {"memory_size": 1769, "cold_start": 0}})
    _, _, lam = outcomes(j, prices)
    assert lam.runs == lam.completed == 60_000
    assert lam.billed_s == pytest.approx(60_000 * 0.101)
    gb_s = 60_000 * 0.101 * 1769 / 1024
    assert gb_s == pytest.approx(10_468.89, abs=0.01)
    assert lam.compute_usd == pytest.approx(0.174482, abs=1e-6)
    assert lam.request_usd == pytest.approx(0.012)
    assert lam.cost_usd == pytest.approx(0.186482, abs=1e-6)


def test_a_cold_start_bills_its_init_with_the_invocation(prices):
    # Init 250 ms + 100.4 ms = 350.4 ms, billed 351 ms (one rounding for both, as the REPORT
    # line's Billed Duration); a warm start bills 101 ms.
    j = job(schedule="rate(1 minute)", duration="100.4ms",
            **{"lambda": {"memory_size": 1769, "cold_start": "250ms"}})
    _, _, lam = outcomes(j, prices, duration=180)
    assert lam.runs == 3 and lam.cold_starts == 1
    assert lam.billed_s == pytest.approx(0.351 + 2 * 0.101)
    direct = lambda_charge(3, [100.4] * 3, 1769, prices=prices, init_ms=[250, 0, 0])
    assert direct["billed_ms"] == 351 + 101 + 101


def test_init_does_not_count_against_the_timeout(prices):
    # 900 s of work is within the timeout even with 2 s of Init on top: billed 902 s.
    assert lambda_charge(1, 900_000, 1024, prices=prices, init_ms=2_000)["billed_ms"] == 902_000
    with pytest.raises(ValueError, match="900 s"):
        lambda_charge(1, 900_001, 1024, prices=prices)
    with pytest.raises(ValueError, match="init durations"):
        lambda_charge(2, [1, 2], 1024, prices=prices, init_ms=[1, 2, 3])


def test_lambda_arm_price(prices):
    # 10 s at 2,048 MB = 20 GB-s: x86 20 x 0.0000166667 = $0.000333334, ARM 20 x 0.0000133334 =
    # $0.000266668, plus $0.0000002 each for the request; no Init (cold_start 0).
    arm = job(duration=10, runtime_platform={"cpu_architecture": "ARM64"}, **{"lambda": {"cold_start": 0}})
    x86 = job(duration=10, **{"lambda": {"cold_start": 0}})
    assert outcomes(x86, prices)[2].cost_usd == pytest.approx(0.000333334 + 0.0000002, abs=1e-6)
    assert outcomes(arm, prices)[2].cost_usd == pytest.approx(0.000266668 + 0.0000002, abs=1e-6)


@pytest.mark.parametrize(
    "cpu, memory, lambda_mb",
    [
        (256, 512, 512),  # 0.25 vCPU needs 443 MB; the job's 512 MiB is more
        (1024, 2048, 2048),  # 1 vCPU needs 1,769 MB; Fargate gives at least 2 GB per vCPU
        (2048, 4096, 4096),  # 2 vCPU: 3,538 MB
        (4096, 8192, 8192),  # 4 vCPU: 7,076 MB
    ],
)
def test_lambda_memory_is_the_larger_of_the_jobs_vcpu_and_memory(cpu, memory, lambda_mb):
    f = lambda_function(job(cpu=cpu, memory=memory))
    assert f.memory_mb == lambda_mb and f.reason == ""
    assert f.vcpu == pytest.approx(lambda_mb / 1769)
    assert f.slowdown == 1.0  # at least the job's vCPU: runs take as long as on Fargate


def test_fewer_lambda_vcpus_make_a_run_longer_and_cost_by_gb_second(prices):
    # memory_size 1,769 MB is 1 vCPU for a 2 vCPU job: 100 s of work takes 200 s.
    # 200 s x 1769/1024 GB = 345.508 GB-s x $0.0000166667 = $0.00575848, + $0.0000002.
    j = job(cpu=2048, memory=4096, duration=100, **{"lambda": {"memory_size": 1769, "cold_start": 0}})
    assert lambda_function(j).slowdown == pytest.approx(2.0)
    _, _, lam = outcomes(j, prices)
    assert lam.billed_s == pytest.approx(200)
    assert lam.cost_usd == pytest.approx(200 * 1769 / 1024 * LAMBDA_X86_GB_S + 0.0000002, abs=1e-6)


def test_no_runs_cost_nothing(prices):
    j = job(schedule="cron(0 2 * * ? *)")  # 02:00 never comes in the first hour
    runs, fargate, lam = outcomes(j, prices)
    assert len(runs) == 0
    assert fargate.cost_usd == lam.cost_usd == 0 and fargate.billed_s == lam.billed_s == 0
    assert np.isnan(fargate.makespan_s) and np.isnan(lam.usd_per_run)

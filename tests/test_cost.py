"""fargatesim.cost: hand-computed charges against the us-east-1 list prices."""

import dataclasses
import json
from importlib import resources
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargatesim.cost import (
    LAMBDA_ACCOUNT_CONCURRENCY,
    LAMBDA_MB_PER_VCPU,
    LAMBDA_MEMORY_MAX_MB,
    LAMBDA_MEMORY_MIN_MB,
    LAMBDA_SCALING_ENVIRONMENTS,
    LAMBDA_SCALING_PERIOD_S,
    LAMBDA_TIMEOUT_MAX_S,
    PriceTable,
    available_regions,
    billed_seconds,
    instance_charge,
    lambda_charge,
    lambda_memory_for_vcpu,
    service_cost,
    task_charge,
)

X86_VCPU_H, X86_GB_H = 0.04048, 0.004445
ARM_VCPU_H, ARM_GB_H = 0.03238, 0.00356
STORAGE_GB_H = 0.000111
SECTIONS = ("fargate", "fargate_ephemeral_storage", "fargate_spot", "lambda", "ec2_on_demand")


@pytest.fixture(scope="module")
def prices():
    return PriceTable.load()


# -- the packaged table -------------------------------------------------------------------------


def test_price_file_carries_region_currency_dates_and_sources():
    data = json.loads(resources.files("fargatesim.cost").joinpath("prices-us-east-1.json").read_text())
    assert data["region"] == "us-east-1"
    assert data["currency"] == "USD"
    for section in SECTIONS:
        assert data[section]["source"]
        assert data[section]["as_of"]
    assert data["ec2_on_demand"]["source"] == "AWS on-demand list prices, us-east-1, Linux"


def test_loaded_rates_match_list_prices(prices):
    assert prices.region == "us-east-1" and prices.currency == "USD"
    x86 = prices.fargate_rate("X86_64")
    arm = prices.fargate_rate("arm64")  # case-insensitive, as in some IaC tools
    assert (x86.vcpu_hour, x86.gb_hour, x86.minimum_s) == (X86_VCPU_H, X86_GB_H, 60)
    assert (arm.vcpu_hour, arm.gb_hour) == (ARM_VCPU_H, ARM_GB_H)
    win = prices.fargate_rate("X86_64", "WINDOWS_SERVER_2019_CORE")
    assert win.vcpu_hour_total == pytest.approx(0.09148 + 0.046)
    assert win.gb_hour == 0.01005
    assert prices.fargate_ephemeral_gb_hour == STORAGE_GB_H
    assert prices.fargate_ephemeral_included_gib == 20
    assert prices.fargate_spot_discount == 0.70
    assert prices.lambda_gb_second("X86_64") == 0.0000166667
    assert prices.lambda_gb_second("ARM64") == 0.0000133334
    assert prices.lambda_request_usd == pytest.approx(0.20 / 1e6)
    assert set(prices.sources) == set(SECTIONS)


@pytest.mark.parametrize(
    "name, vcpu, memory_gib, usd_hour, arch",
    [
        ("m5.large", 2, 8, 0.096, "X86_64"),
        ("m5.xlarge", 4, 16, 0.192, "X86_64"),
        ("m5.2xlarge", 8, 32, 0.384, "X86_64"),
        ("m6g.large", 2, 8, 0.077, "ARM64"),
        ("m6g.xlarge", 4, 16, 0.154, "ARM64"),
        ("c5.large", 2, 4, 0.085, "X86_64"),
        ("c5.xlarge", 4, 8, 0.17, "X86_64"),
        ("c5.2xlarge", 8, 16, 0.34, "X86_64"),
        ("c6g.large", 2, 4, 0.068, "ARM64"),
        ("c6g.xlarge", 4, 8, 0.136, "ARM64"),
        ("t3.medium", 2, 4, 0.0416, "X86_64"),
        ("t3.large", 2, 8, 0.0832, "X86_64"),
        ("r5.large", 2, 16, 0.126, "X86_64"),
        ("r5.xlarge", 4, 32, 0.252, "X86_64"),
    ],
)
def test_ec2_instance_types(prices, name, vcpu, memory_gib, usd_hour, arch):
    it = prices.ec2_instance(name)
    assert (it.vcpu, it.memory_gib, it.usd_hour, it.architecture) == (vcpu, memory_gib, usd_hour, arch)


def test_price_table_is_immutable(prices):
    with pytest.raises(dataclasses.FrozenInstanceError):
        prices.fargate_spot_discount = 0.5
    with pytest.raises(TypeError):
        prices.fargate_rates["LINUX/X86_64"] = None
    hash(prices)  # usable as a cache key


def test_unknown_region_lists_available_ones():
    assert available_regions() == ["us-east-1"]
    with pytest.raises(ValueError, match=r"eu-west-1.*available regions: us-east-1"):
        PriceTable.load("eu-west-1")


def test_unknown_platform_and_instance_type(prices):
    with pytest.raises(ValueError, match="architecture"):
        prices.fargate_rate("POWER9")
    with pytest.raises(ValueError, match="WINDOWS/ARM64"):
        prices.fargate_rate("ARM64", "WINDOWS_SERVER_2022_FULL")
    with pytest.raises(ValueError, match="m5.large"):
        prices.ec2_instance("z9.huge")


# -- overrides ----------------------------------------------------------------------------------


def test_overrides_from_a_pricing_mapping():
    pricing = {
        "region": "us-east-1",
        "fargate_vcpu_hour": 0.05,
        "fargate_gb_hour": 0.005,
        "fargate_spot_discount": 0.5,
    }
    p = PriceTable.load(pricing["region"], overrides=pricing)
    assert p.fargate_rate().vcpu_hour == 0.05
    assert p.fargate_rate().gb_hour == 0.005
    assert p.fargate_spot_discount == 0.5
    assert p.fargate_ephemeral_gb_hour == STORAGE_GB_H  # not overridden
    # The scenario keys are Linux/X86_64 prices; ARM keeps its own list price.
    assert p.fargate_rate("ARM64").vcpu_hour == ARM_VCPU_H
    c = task_charge(3600, vcpu=1, memory_gib=2, prices=p, spot=True)
    assert c.usd == pytest.approx((0.05 + 2 * 0.005) * 0.5)


def test_overrides_from_an_object_and_none_keeps_the_table():
    pricing = SimpleNamespace(region="us-east-1", fargate_vcpu_hour=None, fargate_gb_hour=None,
                              fargate_spot_discount=None, fargate_ephemeral_gb_hour=0.0002)
    p = PriceTable.load(overrides=pricing)
    assert p.fargate_rate().vcpu_hour == X86_VCPU_H
    assert p.fargate_spot_discount == 0.70
    assert p.fargate_ephemeral_gb_hour == 0.0002
    assert PriceTable.load(overrides={}) == PriceTable.load()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"fargate_vcpu_hours": 0.05}, "unknown pricing override"),
        ({"fargate_spot_discount": 1.5}, "0..1"),
        ({"fargate_gb_hour": -0.1}, "not negative"),
        ({"fargate_vcpu_hour": "cheap"}, "must be a number"),
    ],
)
def test_bad_overrides_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        PriceTable.load(overrides=overrides)


# -- Fargate task billing -----------------------------------------------------------------------


def test_short_task_is_billed_the_one_minute_minimum(prices):
    c = task_charge(30, vcpu=0.25, memory_gib=0.5, prices=prices)
    assert c.billed_seconds == 60
    assert c.vcpu_usd == pytest.approx(0.25 * X86_VCPU_H / 60)
    assert c.memory_usd == pytest.approx(0.5 * X86_GB_H / 60)
    assert c.usd == pytest.approx((0.25 * X86_VCPU_H + 0.5 * X86_GB_H) / 60)
    assert c.usd == task_charge(0, vcpu=0.25, memory_gib=0.5, prices=prices).usd


def test_partial_seconds_round_up(prices):
    c = task_charge(61.2, vcpu=0.25, memory_gib=0.5, prices=prices)
    assert c.billed_seconds == 62
    assert c.usd == pytest.approx((0.25 * X86_VCPU_H + 0.5 * X86_GB_H) * 62 / 3600)
    assert task_charge(61.0, vcpu=0.25, memory_gib=0.5, prices=prices).billed_seconds == 61


def test_float_clock_noise_is_not_billed_as_an_extra_second():
    noisy = 0.7 + 0.3 + 60 + 1e-13  # a clock difference that should be 61 s
    assert noisy > 61
    assert billed_seconds(noisy) == 61
    assert billed_seconds(61.001) == 62


def test_one_vcpu_two_gb_for_an_hour(prices):
    c = task_charge(3600, vcpu=1, memory_gib=2048 / 1024, prices=prices)
    assert c.billed_seconds == 3600
    assert c.vcpu_usd == pytest.approx(0.04048)
    assert c.memory_usd == pytest.approx(0.00889)
    assert c.usd == pytest.approx(0.04937)


def test_arm_is_cheaper_than_x86(prices):
    arm = task_charge(3600, vcpu=1, memory_gib=2, prices=prices, architecture="ARM64")
    x86 = task_charge(3600, vcpu=1, memory_gib=2, prices=prices, architecture="X86_64")
    assert arm.usd == pytest.approx(0.03238 + 2 * 0.00356)  # 0.0395
    assert x86.usd - arm.usd == pytest.approx(0.04937 - 0.0395)


def test_ephemeral_storage_above_20_gib(prices):
    c = task_charge(3600, vcpu=1, memory_gib=2, prices=prices, ephemeral_gib=50)
    assert c.storage_usd == pytest.approx(30 * 0.000111)
    assert c.usd == pytest.approx(0.04937 + 0.00333)
    assert task_charge(3600, vcpu=1, memory_gib=2, prices=prices, ephemeral_gib=20).storage_usd == 0
    with pytest.raises(ValueError, match="ephemeral"):
        task_charge(3600, vcpu=1, memory_gib=2, prices=prices, ephemeral_gib=201)


def test_spot_is_70_percent_off_vcpu_and_memory(prices):
    c = task_charge(3600, vcpu=1, memory_gib=2, prices=prices, spot=True)
    assert c.vcpu_usd == pytest.approx(0.3 * 0.04048)
    assert c.memory_usd == pytest.approx(0.3 * 0.00889)
    assert c.usd == pytest.approx(0.3 * 0.04937)
    # AWS publishes Spot rates for vCPU and memory only; extra storage stays at the regular rate.
    with_storage = task_charge(3600, vcpu=1, memory_gib=2, prices=prices, spot=True, ephemeral_gib=50)
    assert with_storage.storage_usd == pytest.approx(30 * 0.000111)


def test_spot_runs_linux_x86_only(prices):
    with pytest.raises(ValueError, match="Spot"):
        task_charge(3600, vcpu=1, memory_gib=2, prices=prices, spot=True, architecture="ARM64")


def test_windows_adds_the_licence_and_a_15_minute_minimum(prices):
    c = task_charge(60, vcpu=1, memory_gib=2, prices=prices, operating_system="WINDOWS_SERVER_2019_FULL")
    assert c.billed_seconds == 900
    assert c.usd == pytest.approx((0.09148 + 0.046 + 2 * 0.01005) / 4)


@pytest.mark.parametrize("kwargs", [dict(vcpu=0, memory_gib=1), dict(vcpu=1, memory_gib=-1)])
def test_invalid_task_sizes(prices, kwargs):
    with pytest.raises(ValueError, match="positive"):
        task_charge(60, prices=prices, **kwargs)
    with pytest.raises(ValueError, match="not negative"):
        task_charge(-1, vcpu=1, memory_gib=1, prices=prices)


@given(
    a=st.floats(min_value=0, max_value=30 * 86400, allow_nan=False),
    b=st.floats(min_value=0, max_value=30 * 86400, allow_nan=False),
    vcpu=st.sampled_from([0.25, 0.5, 1, 2, 4, 8, 16]),
    memory_gib=st.floats(min_value=0.5, max_value=120),
    arch=st.sampled_from(["X86_64", "ARM64"]),
    ephemeral_gib=st.floats(min_value=20, max_value=200),
)
def test_charge_is_monotone_in_seconds_and_never_below_one_minute(
    a, b, vcpu, memory_gib, arch, ephemeral_gib
):
    prices = PriceTable.load()
    kw = dict(vcpu=vcpu, memory_gib=memory_gib, prices=prices, architecture=arch, ephemeral_gib=ephemeral_gib)
    short, long = sorted((a, b))
    c_short, c_long = task_charge(short, **kw), task_charge(long, **kw)
    minute = task_charge(60, **kw)
    assert c_short.usd <= c_long.usd
    assert c_short.billed_seconds <= c_long.billed_seconds
    assert c_short.usd >= minute.usd
    assert c_short.billed_seconds >= max(60, short - 1e-6)
    assert c_short.billed_seconds < max(60, short) + 1


# -- a service's tasks --------------------------------------------------------------------------

COST_KEYS = {
    "usd",
    "fargate_vcpu_usd",
    "fargate_memory_usd",
    "fargate_storage_usd",
    "fargate_spot_usd",
    "task_hours",
    "billed_task_hours",
}


def test_service_cost_sums_task_charges(prices):
    tasks = [
        (0, 3600, 1, 2),  # 0.04937
        (100, 130, 0.25, 0.5),  # 30 s billed 60 s
        (0, 3600, 1, 2, "X86_64", 50, True),  # Spot, with extra storage
        SimpleNamespace(billed_from_s=10, billed_to_s=3610, vcpu=1, memory_gib=2, architecture="ARM64",
                        ephemeral_gib=None, spot=False),
    ]
    out = service_cost(tasks, prices)
    assert set(out) == COST_KEYS
    short = (0.25 * X86_VCPU_H + 0.5 * X86_GB_H) / 60
    spot = 0.3 * 0.04937 + 30 * 0.000111
    arm = 0.03238 + 2 * 0.00356
    assert out["usd"] == pytest.approx(0.04937 + short + spot + arm, abs=1e-6)
    assert out["fargate_spot_usd"] == pytest.approx(spot, abs=1e-6)
    assert out["fargate_storage_usd"] == pytest.approx(0.00333, abs=1e-6)
    assert out["fargate_vcpu_usd"] + out["fargate_memory_usd"] + out["fargate_storage_usd"] == pytest.approx(
        out["usd"], abs=3e-6
    )
    assert out["task_hours"] == round(3 + 30 / 3600, 6)
    assert out["billed_task_hours"] == round(3 + 60 / 3600, 6)
    expected = sum(
        task_charge(t[1] - t[0], vcpu=t[2], memory_gib=t[3], prices=prices,
                    ephemeral_gib=t[5] if len(t) > 5 else 20, spot=len(t) > 6 and t[6]).usd
        for t in tasks[:3]
    ) + task_charge(3600, vcpu=1, memory_gib=2, prices=prices, architecture="ARM64").usd
    assert out["usd"] == round(expected, 6)


def test_service_cost_rounds_to_six_decimals(prices):
    out = service_cost([(0, 61.2, 0.25, 0.5)], prices)
    assert out["usd"] == round((0.25 * X86_VCPU_H + 0.5 * X86_GB_H) * 62 / 3600, 6)
    assert all(v == round(v, 6) for v in out.values())


def test_service_cost_of_no_tasks_is_zero(prices):
    assert service_cost([], prices) == dict.fromkeys(COST_KEYS, 0.0)


def test_service_cost_rejects_open_or_reversed_tasks(prices):
    with pytest.raises(ValueError, match="billing"):
        service_cost([SimpleNamespace(billed_from_s=0, billed_to_s=None, vcpu=1, memory_gib=2)], prices)
    with pytest.raises(ValueError, match="billed_to_s >= billed_from_s"):
        service_cost([(100, 50, 1, 2)], prices)
    with pytest.raises(ValueError, match="4 to 8 fields"):
        service_cost([(0, 60, 1)], prices)


def test_service_cost_vectorised_over_many_tasks(prices):
    rng = np.random.default_rng(7)
    n = 20_000
    start = rng.uniform(0, 86_400, n)
    dur = rng.exponential(600, n)
    vcpu = rng.choice([0.25, 0.5, 1, 2], n)
    spot = rng.random(n) < 0.3
    tasks = [(s, s + d, v, 2 * v, "X86_64", 20, bool(p)) for s, d, v, p in zip(start, dur, vcpu, spot)]
    out = service_cost(tasks, prices)
    billed = np.maximum(np.ceil(dur - 1e-6), 60)
    mult = np.where(spot, 0.3, 1.0)
    per_task = vcpu * (X86_VCPU_H + 2 * X86_GB_H) * billed / 3600 * mult
    assert out["usd"] == pytest.approx(per_task.sum(), abs=1e-5)
    assert out["fargate_spot_usd"] == pytest.approx(per_task[spot].sum(), abs=1e-5)
    assert out["billed_task_hours"] == pytest.approx(billed.sum() / 3600, abs=1e-5)
    assert out["task_hours"] == pytest.approx(dur.sum() / 3600, abs=1e-5)


# -- Lambda -------------------------------------------------------------------------------------


def test_lambda_limits():
    assert LAMBDA_TIMEOUT_MAX_S == 900
    assert (LAMBDA_MEMORY_MIN_MB, LAMBDA_MEMORY_MAX_MB) == (128, 10_240)
    assert LAMBDA_ACCOUNT_CONCURRENCY == 1_000
    assert (LAMBDA_SCALING_ENVIRONMENTS, LAMBDA_SCALING_PERIOD_S) == (1_000, 10)
    assert LAMBDA_MB_PER_VCPU == 1_769


def test_lambda_duration_rounds_up_to_the_millisecond(prices):
    # AWS's example for 1 ms billing: 27.55 ms is billed 28 ms.
    out = lambda_charge(1, 27.55, 1024, prices=prices)
    assert out["billed_ms"] == 28
    assert out["gb_seconds"] == pytest.approx(0.028, abs=1e-6)
    assert lambda_charge(1, 28.0, 1024, prices=prices)["billed_ms"] == 28
    per_call = lambda_charge(3, [27.55, 1.01, 5.0], 1024, prices=prices)
    assert per_call["billed_ms"] == 28 + 2 + 5


def test_lambda_request_fee_aws_example(prices):
    # AWS's example: 60 million invocations at $0.20 per million = $12 of request charges.
    out = lambda_charge(60_000_000, 27.55, 128, prices=prices)
    assert out["request_usd"] == pytest.approx(12.0)
    assert out["invocations"] == 60_000_000
    assert out["billed_ms"] == 28 * 60_000_000
    gb_s = 128 / 1024 * 0.028 * 60_000_000  # 210,000 GB-s
    assert out["gb_seconds"] == pytest.approx(gb_s)
    assert out["duration_usd"] == pytest.approx(gb_s * 0.0000166667, abs=1e-6)
    assert out["usd"] == pytest.approx(12.0 + gb_s * 0.0000166667, abs=1e-6)


def test_lambda_one_gb_second_and_arm(prices):
    x86 = lambda_charge(1, 1000, 1024, prices=prices)
    arm = lambda_charge(1, 1000, 1024, prices=prices, architecture="ARM64")
    assert x86["gb_seconds"] == 1.0
    assert x86["duration_usd"] == round(0.0000166667, 6)
    assert x86["usd"] == round(0.0000166667 + 0.0000002, 6)
    big_x86 = lambda_charge(1_000_000, 1000, 1024, prices=prices)
    big_arm = lambda_charge(1_000_000, 1000, 1024, prices=prices, architecture="ARM64")
    assert big_x86["duration_usd"] == pytest.approx(16.6667)
    assert big_arm["duration_usd"] == pytest.approx(13.3334)
    assert arm["usd"] <= x86["usd"]


def test_lambda_rejects_impossible_configurations(prices):
    with pytest.raises(ValueError, match="128..10240"):
        lambda_charge(1, 10, 64, prices=prices)
    with pytest.raises(ValueError, match="900 s"):
        lambda_charge(1, 901_000, 1024, prices=prices)
    with pytest.raises(ValueError, match="2 durations for 3"):
        lambda_charge(3, [1, 2], 1024, prices=prices)


def test_lambda_memory_for_vcpu():
    one = lambda_memory_for_vcpu(1)
    assert one == 1769 and not one.above_max  # AWS: 1,769 MB = 1 vCPU
    assert lambda_memory_for_vcpu(0.5) == 885  # 884.5 rounded up: at least half a vCPU
    assert lambda_memory_for_vcpu(0.05) == 128
    at_max = lambda_memory_for_vcpu(10_240 / 1769)
    assert at_max == 10_240 and not at_max.above_max
    six = lambda_memory_for_vcpu(6)
    assert six == 10_240 and six.above_max and six.requested_mb == 6 * 1769
    assert isinstance(six, int)
    with pytest.raises(ValueError):
        lambda_memory_for_vcpu(0)


# -- EC2 ----------------------------------------------------------------------------------------


def test_ec2_instance_charge(prices):
    hour = instance_charge(3600, "m5.large", prices)
    assert hour.usd == pytest.approx(0.096) and hour.billed_seconds == 3600
    short = instance_charge(30, "m5.large", prices)
    assert short.billed_seconds == 60 and short.usd == pytest.approx(0.096 / 60)
    assert instance_charge(90.4, "c6g.large", prices).usd == pytest.approx(0.068 * 91 / 3600)
    with pytest.raises(ValueError, match="known types"):
        instance_charge(60, "x1.huge", prices)


def test_scenario_pricing_overrides_ec2_and_lambda_prices():
    from fargatesim.scenario import ScenarioError, scenario_from_dict
    from conftest import BASE
    s = scenario_from_dict({**BASE, "pricing": {"ec2_instance_hour": {"m5.large": 0.05}, "lambda_gb_second": 0.00001,
                                                "lambda_arm_gb_second": 0.000008, "lambda_request_per_million": 0.1}})
    p = PriceTable.load(s.pricing.region, s.pricing)
    default = PriceTable.load()
    assert p.ec2_instance("m5.large").usd_hour == 0.05
    assert p.ec2_instance("m5.xlarge").usd_hour == default.ec2_instance("m5.xlarge").usd_hour
    assert p.lambda_gb_second("X86_64") == 0.00001 and p.lambda_gb_second("ARM64") == 0.000008
    assert p.lambda_request_usd == pytest.approx(0.1e-6)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({**BASE, "pricing": {"ec2_instance_hour": {"m5.larg": 0.05}}})
    assert err.value.path == "pricing.ec2_instance_hour.m5.larg" and "did you mean 'm5.large'?" in err.value.message

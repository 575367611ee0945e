"""The queueing formulas against textbook values."""
import numpy as np
import pytest

from fargatesim.dataplane.queueing import cores_and_speed, erlang_c, mmc_mean_wait, slowdown


@pytest.mark.parametrize("k, rho, expected", [
    # Erlang C table values (e.g. Kleinrock, Queueing Systems vol. 1): P(wait) for M/M/k.
    (1, 0.5, 0.5),
    (1, 0.9, 0.9),
    (2, 0.5, 1 / 3),
    (10, 0.9, 0.6687),
    (4, 0.75, 0.5094),
])
def test_erlang_c_matches_tables(k, rho, expected):
    assert float(erlang_c(k, rho)) == pytest.approx(expected, abs=5e-4)


def test_mm1_wait_is_rho_over_mu_minus_lambda():
    lam, mu = 8.0, 10.0
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx((lam / mu) / (mu - lam))


def test_mm1_ps_slowdown_is_one_over_one_minus_rho():
    # M/G/1-PS: E[T | x] = x / (1 - rho) on a unit-speed server.
    for rho in (0.1, 0.5, 0.8, 0.95):
        assert float(slowdown(1, 1.0, rho)) == pytest.approx(1 / (1 - rho))


def test_slowdown_is_capped_below_saturation_and_grows_with_load():
    s = slowdown(2, 1.0, np.array([0.0, 0.5, 0.9, 0.98, 1.5]))
    assert s[0] == pytest.approx(1.0)
    assert np.all(np.diff(s[:4]) > 0)
    assert s[4] == pytest.approx(s[3])


@pytest.mark.parametrize("vcpu, k, speed", [(0.25, 1, 0.25), (0.48, 1, 0.48), (1.0, 1, 1.0),
                                            (1.98, 2, 0.99), (4.0, 4, 1.0)])
def test_cores_and_speed(vcpu, k, speed):
    assert cores_and_speed(vcpu) == (k, pytest.approx(speed))

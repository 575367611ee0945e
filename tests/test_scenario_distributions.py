"""Distribution: parsing, moments, quantiles against scipy, sampling, value semantics."""

import math
import pickle

import numpy as np
import pytest
from scipy import stats

from fargatesim.scenario import Distribution, parse_distribution
from fargatesim.scenario.errors import Invalid

Q = np.array([0.01, 0.1, 0.5, 0.9, 0.99])


def test_a_number_is_a_constant():
    d = parse_distribution(25)
    assert d == Distribution.constant(25)
    assert d.is_constant and d.mean == 25 and d.cv == 0
    assert np.all(d.sample(np.random.default_rng(0), 5) == 25)
    assert np.all(d.ppf(Q) == 25)
    assert list(d.sf([24.9, 25, 25.1])) == [1.0, 0.0, 0.0]


def test_durations_are_converted_to_seconds():
    d = parse_distribution({"distribution": "uniform", "low": "30s", "high": "1m"}, "duration")
    assert d == Distribution.uniform(30, 60)
    assert d.mean == 45
    e = parse_distribution({"distribution": "exponential", "mean": "20m"}, "duration")
    assert e.mean == 1200 and e.cv == pytest.approx(1)
    # cv is a ratio, never a duration
    ln = parse_distribution({"distribution": "lognormal", "mean": "2s", "cv": 0.5}, "duration")
    assert ln.param("mean") == 2 and ln.param("cv") == 0.5
    assert parse_distribution("45s", "duration") == Distribution.constant(45)


def test_number_unit_refuses_duration_strings():
    with pytest.raises(ValueError, match="expected a number"):
        parse_distribution("25ms", "number")


@pytest.mark.parametrize(
    "d, reference",
    [
        (Distribution.uniform(10, 30), stats.uniform(loc=10, scale=20)),
        (Distribution.exponential(20), stats.expon(scale=20)),
        (Distribution.lognormal(25, 1.0), stats.lognorm(s=math.sqrt(math.log(2)), scale=25 / math.sqrt(2))),
        (Distribution.gamma(10, 0.5), stats.gamma(a=4, scale=2.5)),
        (Distribution.normal(50, 10), stats.truncnorm(-5, np.inf, loc=50, scale=10)),
    ],
    ids=lambda x: getattr(x, "family", ""),
)
def test_ppf_sf_and_moments_match_scipy(d, reference):
    np.testing.assert_allclose(d.ppf(Q), reference.ppf(Q), rtol=1e-12)
    x = reference.ppf(Q)
    np.testing.assert_allclose(d.sf(x), 1 - Q, rtol=1e-9)
    assert d.mean == pytest.approx(reference.mean(), rel=1e-9)
    assert d.cv == pytest.approx(reference.std() / reference.mean(), rel=1e-9)


@pytest.mark.parametrize(
    "d",
    [
        Distribution.uniform(30, 60),
        Distribution.exponential(20),
        Distribution.lognormal(25, 1.0),
        Distribution.gamma(10, 0.5),
        Distribution.normal(5, 4),
    ],
    ids=lambda d: d.family,
)
def test_sample_mean_and_cv(d):
    x = d.sample(np.random.default_rng(1), 200_000)
    assert x.shape == (200_000,) and x.dtype == float
    assert (x >= 0).all()
    assert x.mean() == pytest.approx(d.mean, rel=0.02)
    assert x.std() / x.mean() == pytest.approx(d.cv, rel=0.05)


def test_normal_is_truncated_at_zero():
    d = Distribution.normal(1, 2)
    assert d.ppf(0.0) == 0.0
    assert d.mean > 1  # the cut-off lower tail raises the mean; `mean` reports the real one
    assert (d.sample(np.random.default_rng(2), 10_000) >= 0).all()


def test_same_seed_same_samples():
    d = Distribution.lognormal(25, 1)
    a = d.sample(np.random.default_rng(7), 10)
    b = d.sample(np.random.default_rng(7), 10)
    assert np.array_equal(a, b)


def test_value_semantics():
    a = parse_distribution({"distribution": "gamma", "cv": 0.5, "mean": 10})
    b = Distribution.gamma(10.0, 0.5)
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Distribution.gamma(10, 0.6)}) == 2
    assert pickle.loads(pickle.dumps(a)) == a
    assert a.to_dict() == {"distribution": "gamma", "mean": 10.0, "cv": 0.5}
    assert parse_distribution(a.to_dict()) == a
    with pytest.raises(AttributeError):
        a.family = "normal"


@pytest.mark.parametrize(
    "spec, where, words",
    [
        ({"distribution": "weibull", "mean": 1}, ("distribution",), ["unknown distribution 'weibull'", "lognormal"]),
        ({"distribution": "lognorml", "mean": 1, "cv": 1}, ("distribution",), ["did you mean 'lognormal'?"]),
        ({"distribution": "normal", "mean": 1, "stdev": 1}, ("stdev",), ["did you mean 'sd'?", "allowed: mean, sd"]),
        ({"distribution": "gamma", "mean": 1}, ("cv",), ["'cv' is missing"]),
        ({"distribution": "uniform", "low": 5, "high": 1}, ("high",), ["expected high > low (5)", "got 1"]),
        ({"distribution": "lognormal", "mean": 0, "cv": 1}, ("mean",), ["expected mean > 0"]),
        ({"distribution": "exponential", "mean": "x"}, ("mean",), ["expected a number", "'x'"]),
        ({"mean": 1}, (), ["'distribution' key"]),
        (-3, (), ["expected a value >= 0", "-3"]),
    ],
)
def test_bad_specs_say_where_and_what(spec, where, words):
    with pytest.raises(Invalid) as info:
        parse_distribution(spec)
    assert info.value.where == where
    for word in words:
        assert word in str(info.value)

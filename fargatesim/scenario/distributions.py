"""Random quantities of a scenario (request CPU time, task start-up time, ...).

All of them are non-negative, so every family lives on [0, inf): ``normal`` is a normal
distribution *truncated* at 0 (renormalised, not clipped), with ``mean`` and ``sd`` the parameters
of the underlying normal; the ``mean`` property reports the truncated distribution's actual mean,
which is what samples average to.  ``lognormal`` and ``gamma`` take the mean and the coefficient of
variation (sd / mean) because those are what people know about a latency; ``exponential`` takes
the mean only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from scipy import stats

from .errors import Invalid, did_you_mean, shown
from .units import LONGEST_RUN_S, LONGEST_RUN_TEXT, parse_duration

# family -> parameter names, in the order they are shown and stored
FAMILIES: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "exponential": ("mean",),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "cv"),
    "gamma": ("mean", "cv"),
}
# The largest coefficient of variation taken. Service times measured in practice stay below 10;
# at cv 100 a lognormal's sigma is 3 and a gamma's shape 1e-4, still sampled correctly, while a
# cv of 1e300 overflows the parameters themselves.
MAX_CV = 100.0
# The smallest: a thousandth is a constant for any latency or duration the simulator reports,
# and far smaller ones (1e-300) make a lognormal's sigma exactly 0 and a gamma's shape infinite.
MIN_CV = 0.001
# cv is a ratio: it stays a plain number even when the quantity is a duration
_DIMENSIONLESS = frozenset({"cv"})

Unit = Literal["duration", "number"]


@dataclass(frozen=True)
class Distribution:
    """An immutable, hashable, picklable distribution; equal when family and parameters are."""

    family: str
    params: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise Invalid(f"expected a distribution family, one of {', '.join(FAMILIES)}; got {self.family!r}")
        given = dict(self.params)
        names = FAMILIES[self.family]
        if set(given) != set(names):
            raise Invalid(f"a {self.family} distribution takes exactly {', '.join(names)}; got {', '.join(given) or 'nothing'}")
        # canonical order and float values, so that equal distributions compare and hash equal
        object.__setattr__(self, "params", tuple((n, float(given[n])) for n in names))
        _check_values(self.family, dict(self.params))

    # ------------------------------------------------------------------ construction
    @classmethod
    def constant(cls, value: float) -> Distribution:
        return cls("constant", (("value", value),))

    @classmethod
    def uniform(cls, low: float, high: float) -> Distribution:
        return cls("uniform", (("low", low), ("high", high)))

    @classmethod
    def exponential(cls, mean: float) -> Distribution:
        return cls("exponential", (("mean", mean),))

    @classmethod
    def normal(cls, mean: float, sd: float) -> Distribution:
        return cls("normal", (("mean", mean), ("sd", sd)))

    @classmethod
    def lognormal(cls, mean: float, cv: float) -> Distribution:
        return cls("lognormal", (("mean", mean), ("cv", cv)))

    @classmethod
    def gamma(cls, mean: float, cv: float) -> Distribution:
        return cls("gamma", (("mean", mean), ("cv", cv)))

    # ------------------------------------------------------------------ description
    def param(self, name: str) -> float:
        return dict(self.params)[name]

    def to_dict(self) -> dict[str, Any]:
        return {"distribution": self.family, **dict(self.params)}

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={v!r}" for n, v in self.params)
        return f"Distribution.{self.family}({args})"

    @property
    def is_constant(self) -> bool:
        return self.family == "constant"

    @property
    def mean(self) -> float:
        p = dict(self.params)
        if self.family == "constant":
            return p["value"]
        if self.family == "uniform":
            return (p["low"] + p["high"]) / 2
        if self.family == "normal":
            return float(_frozen(self.family, self.params).mean())
        return p["mean"]

    @property
    def sd(self) -> float:
        p = dict(self.params)
        if self.family == "constant":
            return 0.0
        if self.family == "uniform":
            return (p["high"] - p["low"]) / math.sqrt(12)
        if self.family == "exponential":
            return p["mean"]
        if self.family == "normal":
            return float(_frozen(self.family, self.params).std())
        return p["mean"] * p["cv"]

    @property
    def cv(self) -> float:
        mean = self.mean
        return self.sd / mean if mean > 0 else 0.0

    # ------------------------------------------------------------------ numbers
    def sample(self, rng: np.random.Generator, n: int | tuple[int, ...]) -> np.ndarray:
        p = dict(self.params)
        if self.family == "constant":
            return np.full(n, p["value"], dtype=float)
        if self.family == "uniform":
            return rng.uniform(p["low"], p["high"], size=n)
        if self.family == "exponential":
            return rng.exponential(p["mean"], size=n)
        if self.family == "lognormal":
            mu, sigma = _lognormal_mu_sigma(p["mean"], p["cv"])
            return rng.lognormal(mu, sigma, size=n)
        if self.family == "gamma":
            return rng.gamma(1.0 / p["cv"] ** 2, p["mean"] * p["cv"] ** 2, size=n)
        return np.asarray(_frozen(self.family, self.params).rvs(size=n, random_state=rng), dtype=float)

    def ppf(self, q: Any) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        if self.family == "constant":
            return np.where((q >= 0) & (q <= 1), self.param("value"), np.nan)
        return np.asarray(_frozen(self.family, self.params).ppf(q), dtype=float)

    def cdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.family == "constant":
            return (x >= self.param("value")).astype(float)
        return np.asarray(_frozen(self.family, self.params).cdf(x), dtype=float)

    def sf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.family == "constant":
            return (x < self.param("value")).astype(float)
        return np.asarray(_frozen(self.family, self.params).sf(x), dtype=float)

    # ------------------------------------------------------------------ pydantic
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            lambda v: parse_distribution(v, "number"),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda d: d.to_dict()),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "object", "properties": {"distribution": {"enum": list(FAMILIES)}}, "required": ["distribution"]},
            ]
        }


def _check_values(family: str, p: dict[str, float]) -> None:
    def need(name: str, ok: bool, expected: str) -> None:
        if not ok or not math.isfinite(p[name]):
            raise Invalid(f"expected {name} {expected} for a {family} distribution; got {p[name]:g}", name)

    if family == "constant":
        need("value", p["value"] >= 0, ">= 0")
    elif family == "uniform":
        need("low", p["low"] >= 0, ">= 0")
        need("high", p["high"] > p["low"], f"> low ({p['low']:g})")
    elif family == "normal":
        need("mean", p["mean"] >= 0, ">= 0")
        need("sd", p["sd"] > 0, "> 0")
    else:
        need("mean", p["mean"] > 0, "> 0")
        if "cv" in p:
            need("cv", p["cv"] >= MIN_CV, f">= {MIN_CV:g} (use a constant for less variation)")
            need("cv", p["cv"] <= MAX_CV, f"<= {MAX_CV:g} (beyond it samples underflow to 0 or overflow float64)")


def _lognormal_mu_sigma(mean: float, cv: float) -> tuple[float, float]:
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


@lru_cache(maxsize=256)
def _frozen(family: str, params: tuple[tuple[str, float], ...]):
    p = dict(params)
    if family == "uniform":
        return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
    if family == "exponential":
        return stats.expon(scale=p["mean"])
    if family == "normal":
        return stats.truncnorm(-p["mean"] / p["sd"], np.inf, loc=p["mean"], scale=p["sd"])
    if family == "lognormal":
        mu, sigma = _lognormal_mu_sigma(p["mean"], p["cv"])
        return stats.lognorm(s=sigma, scale=math.exp(mu))
    if family == "gamma":
        return stats.gamma(a=1.0 / p["cv"] ** 2, scale=p["mean"] * p["cv"] ** 2)
    raise AssertionError(family)


# ---------------------------------------------------------------------- parsing user input
def parse_distribution(value: Any, unit: Unit = "number") -> Distribution:
    """A Distribution from a number (a constant) or a {distribution: family, ...} mapping.

    With unit="duration" the values are durations ("30s", "5m" or seconds) and are stored in
    seconds; with unit="number" they are plain numbers in the key's own unit (e.g. ms).
    """
    if isinstance(value, Distribution):
        return value
    if isinstance(value, dict):
        return _from_mapping(value, unit)
    constant = _parse_value(value, unit, expected_mapping=True)
    if constant < 0:
        raise Invalid(f"expected a value >= 0 or a mapping {{distribution: ..., ...}}; got {shown(value)}")
    return Distribution.constant(constant)


# Other names of the parameters, which are not typos of them ('stdev' and 'sd' are far apart).
_SYNONYMS = {"stdev": "sd", "std": "sd", "stddev": "sd", "sigma": "sd", "standard_deviation": "sd",
             "average": "mean", "mu": "mean", "coefficient_of_variation": "cv"}


def _from_mapping(value: dict, unit: Unit) -> Distribution:
    families = ", ".join(FAMILIES)
    if "distribution" not in value:
        raise Invalid(f"expected a number or a mapping with a 'distribution' key ({families}); got {shown(value)}")
    family = value["distribution"]
    if not isinstance(family, str) or family not in FAMILIES:
        raise Invalid(f"unknown distribution {shown(family)}{did_you_mean(family, FAMILIES)}; allowed: {families}",
                      "distribution")
    names = FAMILIES[family]
    for key in value:
        if key != "distribution" and key not in names:
            hint = did_you_mean(key, names) or did_you_mean(_SYNONYMS.get(key), names)
            raise Invalid(f"unknown key {shown(key)} for a {family} distribution{hint}; allowed: {', '.join(names)}",
                          key)
    for name in names:
        if name not in value:
            raise Invalid(f"a {family} distribution needs {', '.join(names)}; {name!r} is missing", name)
    params = []
    for name in names:
        try:
            params.append((name, _parse_value(value[name], "number" if name in _DIMENSIONLESS else unit)))
        except ValueError as exc:
            raise Invalid(str(exc), name) from None
    return Distribution(family, tuple(params))


def _parse_value(value: Any, unit: Unit, expected_mapping: bool = False) -> float:
    alt = " or a mapping {distribution: ..., ...}" if expected_mapping else ""
    if unit == "duration":
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise ValueError(
                f"expected a duration (seconds, or e.g. '250ms', '30s', '5m'){alt}; got {shown(value)}"
            ) from None
        if seconds > LONGEST_RUN_S:
            raise ValueError(f"expected a duration of at most {LONGEST_RUN_TEXT}; got {shown(value)}")
        return seconds
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"expected a number{alt}; got {shown(value)}")


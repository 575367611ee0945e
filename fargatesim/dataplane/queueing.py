"""Queueing formulas the fluid data plane uses for waiting below saturation.

A task's app container is modelled as K cores of speed s vCPU each (K = the app's vCPU rounded
to a whole number, at least one; s = vCPU / K), shared by its in-flight requests (processor
sharing). For exponential demands the number in system of M/M/K-PS and M/M/K-FCFS is the same
birth-death chain, so the mean response time is the Erlang C one; for K = 1 the M/G/1-PS result
E[T | x] = x / (s (1 - rho)) holds for any demand distribution, which is why the slowdown is
applied to each request's own CPU demand rather than to the mean.
"""
from __future__ import annotations

import numpy as np

# Above this offered load the stationary formula is no longer meaningful (it diverges at 1);
# the fluid backlog takes over and carries the excess work as waiting time.
RHO_CAP = 0.98


def cores_and_speed(vcpu: float) -> tuple[int, float]:
    """Split an app's vCPU into K processor-sharing cores of equal speed."""
    if vcpu <= 0:
        raise ValueError(f"vcpu must be > 0, got {vcpu!r}")
    k = max(1, int(np.floor(vcpu + 0.5)))
    return k, vcpu / k


def erlang_c(k: int, rho):
    """Probability that an arrival waits in M/M/k at per-server load rho (array-friendly).

    Uses the numerically stable Erlang B recursion B(j) = a B(j-1) / (j + a B(j-1)), a = k rho.
    """
    rho = np.asarray(rho, dtype=float)
    a = k * rho
    b = np.ones_like(a)
    for j in range(1, k + 1):
        b = a * b / (j + a * b)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = b / (1.0 - rho * (1.0 - b))
    return np.where(rho >= 1.0, 1.0, c)


def slowdown(k: int, speed: float, rho):
    """Seconds of response time per CPU-second of demand at load rho (capped at RHO_CAP).

    1/speed is the time alone on a core; the factor 1 + C(k, rho) / (k (1 - rho)) is the M/M/k
    mean response over mean service time (exactly 1/(1-rho) when k = 1).
    """
    r = np.minimum(np.asarray(rho, dtype=float), RHO_CAP)
    r = np.maximum(r, 0.0)
    return (1.0 + erlang_c(k, r) / (k * (1.0 - r))) / speed


class SlowdownTable:
    """slowdown(k, speed, rho) by interpolation in a fine table: the hot loop calls it per block."""

    def __init__(self, k: int, speed: float, points: int = 4097):
        self.rho = np.linspace(0.0, RHO_CAP, points)
        self.values = slowdown(k, speed, self.rho)

    def __call__(self, rho):
        return np.interp(rho, self.rho, self.values)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of M/M/c (FCFS), the textbook Erlang C result."""
    rho = arrival_rate / (servers * service_rate)
    if rho >= 1:
        return float("inf")
    return float(erlang_c(servers, rho)) / (servers * service_rate - arrival_rate)

"""Queueing formulas the fluid data plane uses for waiting below saturation.

A task's app container is modelled as K cores of speed s vCPU each (K = the app's vCPU rounded
to a whole number, at least one; s = vCPU / K), shared by its in-flight requests (processor
sharing). For exponential demands the number in system of M/M/K-PS and M/M/K-FCFS is the same
birth-death chain, so the mean response time is the Erlang C one; for K = 1 the M/G/1-PS result
E[T | x] = x / (s (1 - rho)) holds for any demand distribution, which is why the slowdown is
applied to each request's own CPU demand rather than to the mean.

Those results assume Poisson arrivals at the task. The load balancer decides how regular a
task's arrivals are (round robin passes every m-th request of the stream to each of m tasks),
so the mean excess slowdown is scaled by a GI/G/K factor (`variability_factor`), which is 1 for
Poisson arrivals: the M/M/K results above hold unchanged there. How a single request's slowdown
spreads around that mean is `response_spread_gamma`.
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


def klb_factor(rho, ca2, cs2):
    """Kraemer & Langenbach-Belz (1976) light-traffic correction to the GI/G/1 mean wait.

    Kingman's heavy-traffic scaling (ca^2 + cs^2) / 2 is exact as rho -> 1 but overstates the
    wait of regular arrivals at moderate load (D/D/1 never waits at rho < 1); the factor
        exp(-2 (1 - rho) (1 - ca^2)^2 / (3 rho (ca^2 + cs^2)))   for ca^2 <= 1,
        exp(-(1 - rho) (ca^2 - 1) / (ca^2 + 4 cs^2))             for ca^2 > 1
    corrects it (as used in Whitt's Queueing Network Analyzer, Bell Syst. Tech. J. 62, 1983).
    It is 1 for Poisson arrivals.
    """
    rho = np.clip(np.asarray(rho, dtype=float), 0.0, 1.0)
    ca2 = np.asarray(ca2, dtype=float)
    regular = ca2 <= 1.0
    num = np.where(regular, 2.0 * (1.0 - rho) * (1.0 - ca2) ** 2, (1.0 - rho) * (ca2 - 1.0))
    den = np.where(regular, 3.0 * rho * (ca2 + cs2), ca2 + 4.0 * cs2)
    # num = 0 (Poisson arrivals, or saturation) leaves Kingman's scaling as it is; den = 0 (no
    # load, or deterministic arrivals and demands) means nothing ever overlaps.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(np.where(num == 0.0, 0.0, -num / den))


def variability_factor(rho, ca2, cs2):
    """Mean excess slowdown of GI/G/K-PS over that of M/M/K-PS (1 when ca^2 = 1).

    Any work-conserving discipline has the same mean workload V, and by Brumelle's formula
    E[V] = rho (E[W_fcfs] + E[S_e]), E[S_e] = E[S] (1 + cs^2) / 2 the mean residual demand. A
    processor-sharing queue holds about V / E[S_e] requests (exact for M/G/1-PS; the state-space
    collapse of Gromoll, Ann. Appl. Probab. 14, 2004, in heavy traffic), so its mean excess
    slowdown is E[W_fcfs] / E[S_e]. With the Allen-Cunneen / Kraemer-Langenbach-Belz wait
    E[W_fcfs] = W_MMK (ca^2 + cs^2) / 2 * g this is the M/M/K excess times
    (ca^2 + cs^2) / (1 + cs^2) * g. For ca^2 = 1 the factor is exactly 1, whatever cs^2 (the
    insensitivity of M/G/1-PS).
    """
    ca2 = np.asarray(ca2, dtype=float)
    return (ca2 + cs2) / (1.0 + cs2) * klb_factor(rho, ca2, cs2)


def mmk_excess(k: int, rho):
    """Mean response over mean service time, minus one, of M/M/k: C(k, rho) / (k (1 - rho))."""
    r = np.clip(np.asarray(rho, dtype=float), 0.0, RHO_CAP)
    return erlang_c(k, r) / (k * (1.0 - r))


def slowdown(k: int, speed: float, rho, ca2=1.0, cs2=1.0):
    """Seconds of response time per CPU-second of demand at load rho (capped at RHO_CAP).

    1/speed is the time alone on a core; the factor 1 + C(k, rho) / (k (1 - rho)) is the M/M/k
    mean response over mean service time (exactly 1/(1-rho) when k = 1), its excess scaled by
    `variability_factor` when the task's arrivals are not Poisson (squared coefficient of
    variation of interarrival times ca2, of CPU demands cs2).
    """
    r = np.clip(np.asarray(rho, dtype=float), 0.0, RHO_CAP)
    excess = mmk_excess(k, r)
    if np.any(np.asarray(ca2) != 1.0):
        excess = excess * variability_factor(r, ca2, cs2)
    return (1.0 + excess) / speed


class SlowdownTable:
    """slowdown(k, speed, rho, ca2, cs2) by interpolation in fine tables over rho, one per
    value of ca2 met (round robin over m targets: 1/m, a few dozen at most): the hot loop calls
    it per block."""

    def __init__(self, k: int, speed: float, cs2: float = 1.0, points: int = 4097):
        self.rho = np.linspace(0.0, RHO_CAP, points)
        self.speed, self.cs2 = float(speed), float(cs2)
        self.excess = mmk_excess(k, self.rho)
        self._by_ca2 = {1.0: self.excess}

    def _table(self, ca2: float) -> np.ndarray:
        table = self._by_ca2.get(ca2)
        if table is None:
            table = self._by_ca2[ca2] = self.excess * variability_factor(self.rho, ca2, self.cs2)
        return table

    def __call__(self, rho, ca2=None):
        if ca2 is None:
            excess = np.interp(rho, self.rho, self.excess)
        else:
            ca2 = np.asarray(ca2, dtype=float)
            first = float(ca2.flat[0])
            if (ca2 == first).all():
                excess = np.interp(rho, self.rho, self._table(first))
            else:
                excess = np.interp(rho, self.rho, self.excess) * variability_factor(
                    np.minimum(rho, RHO_CAP), ca2, self.cs2)
        return (1.0 + excess) / self.speed


# ------------------------------------------------------------------ the spread around the mean
def mm1_ps_relative_variance(e, u):
    """Var[T(x)] / E[T(x)]^2 of M/M/1-PS for a request of x = u mean demands, at the load
    rho = e / (1 + e) whose mean excess slowdown rho / (1 - rho) is e.

    Coffman, Muntz & Trotter (J. ACM 17, 1970): with unit mean demand,
    Var[T(x)] = 2 rho x / (1-rho)^3 - 2 rho (1 - exp(-(1-rho) x)) / (1-rho)^4,
    E[T(x)] = x / (1-rho).
    Short requests (u -> 0) see the number present on arrival, geometric with mean e (relative
    variance rho); long ones average the sharing over their stay (relative variance ~ 2 rho / u).
    """
    e = np.asarray(e, dtype=float)
    u = np.maximum(np.asarray(u, dtype=float), 1e-12)
    rho = e / (1.0 + e)
    a = u / (1.0 + e)                                   # (1 - rho) u
    # 2 rho / ((1-rho) u) - 2 rho (1 - exp(-a)) / ((1-rho)^2 u^2) = 2 rho (a - 1 + exp(-a)) / a^2
    tail = np.where(a > 1e-4, a - 1.0 + np.exp(-a), a * a / 2.0 - a ** 3 / 6.0)
    return 2.0 * rho * tail / (a * a)


def response_spread_gamma(e, u):
    """Shape and scale of D, the excess slowdown of a request of u mean demands (its response
    time = time alone x (1 + D)), when the mean excess is e: a gamma distribution with mean e
    and the M/M/1-PS conditional variance (`mm1_ps_relative_variance`) of the queue with that
    mean.

    For short requests the shape is below 1, which puts most of them near D = 0 (alone on the
    core) with a long tail, like the geometric number of others present that they share with;
    for long requests the gamma narrows onto the mean.
    """
    e = np.asarray(e, dtype=float)
    var = mm1_ps_relative_variance(e, u) * (1.0 + e) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where(var > 0, e * e / var, np.inf)
        scale = np.where(e > 0, var / e, 0.0)
    return shape, scale


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of M/M/c (FCFS), the textbook Erlang C result."""
    rho = arrival_rate / (servers * service_rate)
    if rho >= 1:
        return float("inf")
    return float(erlang_c(servers, rho)) / (servers * service_rate - arrival_rate)

"""What one task can do with requests: CPU, memory, concurrency, latency parts.

Built once per run from the scenario's task definition and workload.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from scipy.special import gammaincinv

from .queueing import cores_and_speed, response_spread_gamma

# A health-check request costs a millisecond of CPU: it still queues behind a backlog, which is
# how overload fails health checks.
HEALTH_CHECK_CPU_S = 0.001


def _midpoints(edges):
    """Masses and middle probabilities of a quantile grid given by its edges."""
    edges = np.asarray(edges, dtype=float)
    return np.diff(edges), (edges[:-1] + edges[1:]) / 2


# Quantile grid that represents a request's CPU phase (its demand times its own slowdown) when
# turning the fluid model's per-tick state into latency percentiles: dense in the tail so p99 is
# resolved, and with the percentiles the results report (p50, p90, p99) at the middle of a
# point's mass. A point holds the value of its middle quantile; with a reported percentile on
# the boundary between two points instead, a steady stretch's p99 jumps from one point to the
# next (between the points at 0.985 and 0.9925 it moved a day's p99 by 15 %).
PHASE_MASS, PHASE_Q = _midpoints(np.concatenate([
    [0.0], np.linspace(0.0125, 0.9125, 37),
    [0.9375, 0.9625, 0.975, 0.985, 0.995, 0.998, 0.999, 0.9995, 0.9998, 1.0],
]))
# I/O time matters less for the tail than CPU under load: a coarser, uniform grid.
_IO_POINTS = 8

# The mean excess slowdowns e (mfac x speed - 1) at which the CPU phase's distribution is
# tabulated, 20 a decade; between them it is interpolated. e stays below about 50 (rho is
# capped at 0.98), and below 1e-4 a request practically always runs alone.
EXCESS_GRID = np.concatenate([[0.0], np.geomspace(1e-4, 64.0, 117)])
# Building that table: the CPU demand and the slowdown's spread on quantile grids of their own.
# The demand's grid has p50, p90 and p99 at the middle of a point, like PHASE_Q, and a denser
# tail: when requests rarely share a core (least outstanding requests over many tasks, e near
# 0) the CPU phase is the demand itself, and a p99 on the boundary between two demand points
# read the lower or the upper one (0.985 or 0.9925 quantile, -12 % or +9 % for a lognormal of
# cv 1) depending on how little spread there was.
_TAIL = [0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998, 1.0]
_X_TAIL = [0.955, 0.96, 0.965, 0.97, 0.975, 0.98, 0.985, 0.9875, 0.9925, 0.995, 0.9965, 0.998,
           0.999, 0.9995, 0.9998, 0.99995, 1.0]
_BUILD_X_MASS, _BUILD_X_Q = _midpoints(np.concatenate([[0.0], np.linspace(0.005, 0.945, 95),
                                                       _X_TAIL]))
_BUILD_D_MASS, _BUILD_D_Q = _midpoints(np.concatenate([np.linspace(0.0, 0.95, 39), _TAIL]))
# Unit-mean gamma quantiles by shape, interpolated in log shape: scipy's inverse incomplete
# gamma costs about a microsecond a call, and a direct table would need half a million calls.
_SHAPES = np.geomspace(1e-8, 1e8, 321)


@lru_cache(maxsize=1)
def _unit_gamma_quantiles() -> np.ndarray:
    return gammaincinv(_SHAPES[:, None], _BUILD_D_Q[None, :]) / _SHAPES[:, None]


def spread_quantiles(e: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantiles at _BUILD_D_Q of the excess slowdown D of a request of u mean demands when the
    mean excess is e (queueing.response_spread_gamma), shape broadcast(e, u) + (len(q),)."""
    e, u = np.broadcast_arrays(np.asarray(e, dtype=float), np.asarray(u, dtype=float))
    shape, _ = response_spread_gamma(e, u)
    log_shape = np.log(np.clip(shape, _SHAPES[0], _SHAPES[-1]))
    pos = np.interp(log_shape, np.log(_SHAPES), np.arange(len(_SHAPES), dtype=float))
    i = np.minimum(pos.astype(np.int64), len(_SHAPES) - 2)
    t = (pos - i)[..., None]
    table = _unit_gamma_quantiles()
    return e[..., None] * ((1.0 - t) * table[i] + t * table[i + 1])


@lru_cache(maxsize=32)
def _cpu_phase_table(cpu_dist) -> np.ndarray:
    """Quantiles at PHASE_Q of X (1 + D) in CPU-seconds, one row per e of EXCESS_GRID.

    X is the CPU demand, D the excess slowdown of a request of that demand when the mean excess
    is e (`spread_quantiles`); row 0 (e = 0) is X itself. Built once per CPU distribution.
    """
    x = np.asarray(cpu_dist.ppf(_BUILD_X_Q), dtype=float) / 1000.0
    u = x / max(cpu_dist.mean / 1000.0, 1e-300)
    d = spread_quantiles(EXCESS_GRID[:, None], u[None, :])          # (e, x, D)
    values = (x[None, :, None] * (1.0 + d)).reshape(len(EXCESS_GRID), -1)
    weights = (_BUILD_X_MASS[:, None] * _BUILD_D_MASS[None, :]).ravel()
    order = np.argsort(values, axis=1, kind="stable")
    v = np.take_along_axis(values, order, axis=1)
    w = weights[order]
    middle = np.cumsum(w, axis=1) - w / 2
    return np.stack([np.interp(PHASE_Q, middle[r], v[r]) for r in range(len(EXCESS_GRID))])


@dataclass(frozen=True)
class AppModel:
    task_cpu_units: float
    task_memory_mb: float
    sidecar_cpu_units: float
    base_memory_mb: float
    memory_mb_per_request: float
    max_concurrency: float
    cpu_dist: object          # Distribution of CPU ms per request on one full vCPU
    io_dist: object           # Distribution of I/O wait ms per request
    timeout_s: float
    leak_mb_per_s: float = 0.0   # the memory_leak fault: MiB each running app adds per second

    @property
    def app_vcpu(self) -> float:
        return (self.task_cpu_units - self.sidecar_cpu_units) / 1024.0

    # Cached: the data plane reads them in every block (the model is frozen).
    @cached_property
    def cores(self) -> int:
        return cores_and_speed(self.app_vcpu)[0]

    @cached_property
    def core_speed(self) -> float:
        return cores_and_speed(self.app_vcpu)[1]

    @property
    def cpu_mean_s(self) -> float:
        return self.cpu_dist.mean / 1000.0

    @property
    def cpu_scv(self) -> float:
        """Squared coefficient of variation of the CPU demand (the service time's cs^2)."""
        return float(self.cpu_dist.cv) ** 2

    @property
    def io_mean_s(self) -> float:
        return self.io_dist.mean / 1000.0

    def io_grid_s(self) -> tuple[np.ndarray, np.ndarray]:
        return self._io_grid

    @cached_property
    def _io_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """I/O time points and their probability mass (one point when constant)."""
        if self.io_dist.is_constant:
            return np.array([self.io_mean_s]), np.array([1.0])
        q = (np.arange(_IO_POINTS) + 0.5) / _IO_POINTS
        return np.asarray(self.io_dist.ppf(q), dtype=float) / 1000.0, np.full(_IO_POINTS, 1 / _IO_POINTS)

    @cached_property
    def _phase_table(self) -> np.ndarray:
        return _cpu_phase_table(self.cpu_dist) / self.core_speed

    def cpu_phase_s(self, mfac) -> np.ndarray:
        """Seconds in the CPU phase at the quantiles PHASE_Q (weights PHASE_MASS), shape
        mfac.shape + (len(PHASE_Q),), of requests whose mean slowdown is mfac: X (1 + D) / speed,
        X the CPU demand and D the request's own excess slowdown, of mean mfac x speed - 1."""
        e = np.maximum(np.asarray(mfac, dtype=float) * self.core_speed - 1.0, 0.0)
        pos = np.interp(e, EXCESS_GRID, np.arange(len(EXCESS_GRID), dtype=float))
        i = np.minimum(pos.astype(np.int64), len(EXCESS_GRID) - 2)
        t = (pos - i)[..., None]
        table = self._phase_table
        return (1.0 - t) * table[i] + t * table[i + 1]

    def worst_cpu_phase_s(self, mfac) -> np.ndarray:
        """The largest point of cpu_phase_s(mfac), elementwise."""
        e = np.maximum(np.asarray(mfac, dtype=float) * self.core_speed - 1.0, 0.0)
        return np.interp(e, EXCESS_GRID, self._worst_phase)

    @cached_property
    def _worst_phase(self) -> np.ndarray:
        # A column of the table, contiguous: np.interp would copy it at every call.
        return np.ascontiguousarray(self._phase_table[:, -1])

    def timeout_fraction(self, wait: np.ndarray, mfac: np.ndarray) -> np.ndarray:
        """P(io + wait + CPU phase > timeout) per cell, the CPU phase as in cpu_phase_s.

        Read from the same grid as the latency percentiles (latency.py), with the distribution
        function interpolated linearly between its points, so that the requests counted 504
        are those the percentiles leave out.
        """
        io_pts, io_mass = self.io_grid_s()
        wait = np.asarray(wait, dtype=float)
        phase = self.cpu_phase_s(np.broadcast_to(mfac, wait.shape))
        frac = np.zeros(wait.shape)
        for io, mass in zip(io_pts, io_mass):
            slack = self.timeout_s - io - wait
            frac += mass * (1.0 - _row_cdf(phase, slack))
        return np.clip(frac, 0.0, 1.0)


def _row_cdf(points: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(value <= x) for each cell, its distribution the sorted points (..., P) at PHASE_Q:
    linear between them, 0 below the first, 1 from the last on."""
    below = (points <= x[..., None]).sum(axis=-1)
    j = np.clip(below, 1, points.shape[-1] - 1)
    lo = np.take_along_axis(points, (j - 1)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(points, j[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.where(hi > lo, (x - lo) / (hi - lo), 1.0), 0.0, 1.0)
    cdf = PHASE_Q[j - 1] + t * (PHASE_Q[j] - PHASE_Q[j - 1])
    return np.where(below == 0, 0.0, np.where(below >= points.shape[-1], 1.0, cdf))

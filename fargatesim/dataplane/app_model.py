"""What one task can do with requests: CPU, memory, concurrency, latency parts.

Built once per run from the scenario's task definition and workload.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .queueing import cores_and_speed

# A health-check request costs a millisecond of CPU: it still queues behind a backlog, which is
# how overload fails health checks.
HEALTH_CHECK_CPU_S = 0.001

# Quantile grid that represents a request's CPU demand (and I/O time) when turning the fluid
# model's per-tick state into latency percentiles: dense in the tail so p99 is resolved.
_GRID_EDGES = np.concatenate([
    np.linspace(0.0, 0.9, 19), np.linspace(0.92, 0.98, 4), [0.99, 0.995, 0.998, 0.999, 0.9995, 1.0],
])
GRID_MASS = np.diff(_GRID_EDGES)
GRID_Q = (_GRID_EDGES[:-1] + _GRID_EDGES[1:]) / 2
# I/O time matters less for the tail than CPU under load: a coarser, uniform grid.
_IO_POINTS = 8


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

    @property
    def app_vcpu(self) -> float:
        return (self.task_cpu_units - self.sidecar_cpu_units) / 1024.0

    @property
    def cores(self) -> int:
        return cores_and_speed(self.app_vcpu)[0]

    @property
    def core_speed(self) -> float:
        return cores_and_speed(self.app_vcpu)[1]

    @property
    def cpu_mean_s(self) -> float:
        return self.cpu_dist.mean / 1000.0

    @property
    def io_mean_s(self) -> float:
        return self.io_dist.mean / 1000.0

    def cpu_grid_s(self) -> np.ndarray:
        return self._cpu_grid

    def io_grid_s(self) -> tuple[np.ndarray, np.ndarray]:
        return self._io_grid

    @cached_property
    def _cpu_grid(self) -> np.ndarray:
        return np.asarray(self.cpu_dist.ppf(GRID_Q), dtype=float) / 1000.0

    @cached_property
    def _io_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """I/O time points and their probability mass (one point when constant)."""
        if self.io_dist.is_constant:
            return np.array([self.io_mean_s]), np.array([1.0])
        q = (np.arange(_IO_POINTS) + 0.5) / _IO_POINTS
        return np.asarray(self.io_dist.ppf(q), dtype=float) / 1000.0, np.full(_IO_POINTS, 1 / _IO_POINTS)

    def timeout_fraction(self, wait: np.ndarray, mfac: np.ndarray) -> np.ndarray:
        """P(io + wait + mfac * X > timeout) per cell, X the CPU demand in seconds."""
        io_pts, io_mass = self.io_grid_s()
        frac = np.zeros(np.shape(wait))
        for io, mass in zip(io_pts, io_mass):
            slack = self.timeout_s - io - wait
            x_ms = np.where(slack > 0, slack / mfac, 0.0) * 1000.0
            sf = np.where(slack > 0, self.cpu_dist.sf(x_ms), 1.0)
            frac += mass * sf
        return np.clip(frac, 0.0, 1.0)

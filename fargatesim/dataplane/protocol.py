"""What the simulator asks of a data plane, whichever engine computes it.

The fluid (fluid.FluidDataPlane), request (requests.RequestDataPlane) and websocket
(websocket.WebsocketDataPlane) data planes all implement `DataPlane`; the engine, the ECS service
and its faults call nothing else on them, so a data plane written to this protocol runs the
whole control plane unchanged. tests/test_dataplane_protocol.py holds the three to it.

Ticks are numbered from 0; "tick k" is the interval [k * tick, (k + 1) * tick). A data plane
computes ticks in stretches, ahead of the control plane, and writes what they saw into the
TickRecords it was built with (arrivals, outcomes, CPU, memory, in-flight, latency sums): the
metrics, results and the engine's conservation check read those records, not the data plane.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from ..elb.target_group import RoutingView
    from .app_model import AppModel
    from .memory_leak import MemoryLeak
    from .records import TickRecords


@runtime_checkable
class DataPlane(Protocol):
    """A data plane as the engine, the ECS service and its faults use it."""

    k: int
    """The first tick not computed yet: ticks [0, k) are in the records. The engine reads it to
    know how far to advance."""

    tick: float
    """Seconds per tick (the scenario's); the service converts its clock to ticks with it."""

    app: AppModel
    """The task's application (CPU, memory, concurrency); the out-of-memory fault reads the
    task's memory from it."""

    leak: MemoryLeak
    """Memory the apps leak (false when none); the memory_leak fault starts each task's leak
    and times its kill from the rate."""

    lookahead_s: float | None
    """The longest stretch (s) this data plane wants computed ahead of the control plane, or
    None for the engine's own (LOOKAHEAD_S). A rewind throws away what was computed past it, so
    a data plane whose cost is per request rather than per stretch asks for less."""

    def ensure_slot(self, slot: int) -> None:
        """Make room for task slot `slot` (slots are numbered in launch order, never reused)."""

    def advance(self, k_end: int, view: RoutingView) -> None:
        """Compute ticks [k, k_end) (k_end capped at the run's last tick) with the routing
        `view` fixed, and set k = k_end. Nothing when k_end <= k."""

    def truncate(self, k: int) -> None:
        """Forget everything computed from tick k on (routing changed at k): afterwards the
        state, the records and k are those of a run that had stopped at k. k lies inside the
        last stretch; nothing when k >= the data plane's k."""

    def kill(self, slot: int, k: int) -> int:
        """The task's containers are gone at tick k: what it held and had not answered is reset
        (counted reset_on_stop). Returns how many requests (or connections) that was."""

    def drain_time(self, slot: int, k: int) -> float:
        """Seconds from tick k until the task has answered what it holds then, if nothing new
        reaches it (0 when it holds nothing): how long a stopping task's SIGTERM lasts."""

    def health_responses_at(self, slots: np.ndarray, k: int) -> np.ndarray:
        """The response time (s) a health check sent at tick k would see on each of `slots`."""

    def in_flight_total(self) -> int:
        """Requests (connections) arrived and not ended yet: the engine's conservation check
        needs arrived == ended + in flight at the end of a run."""


@runtime_checkable
class ConnectionDataPlane(DataPlane, Protocol):
    """A data plane of long-lived connections (a websocket workload): the results of such a run
    read these as well."""

    initial_sessions: int
    """Sessions already open at t = 0 (a service in steady state), not in the arrivals."""

    reconnects: np.ndarray
    """Per tick: connection attempts that were a client reconnecting."""

    drops: np.ndarray
    """Per tick: open connections a task dropped (its target drained or its containers stopped)."""


class DataPlaneFactory(Protocol):
    """How the engine gets its data plane (dataplane.make_dataplane; a test may pass its own to
    Simulation(..., dataplane=...)).

    `engine` is the scenario's ("fluid" or "requests"); the keywords are always app, tick,
    arrivals, rates, algorithm, rng and records, and for a websocket workload also websocket,
    sessions_rng and steady_start.
    """

    def __call__(self, engine: str, *, app: AppModel, tick: float, arrivals: np.ndarray,
                 rates: np.ndarray, algorithm: str, rng: np.random.Generator, records: TickRecords,
                 **websocket) -> DataPlane: ...

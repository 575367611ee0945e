"""The data plane: what requests (or connections) do between the load balancer and the tasks.

Three engines implement one protocol (protocol.DataPlane): fluid (fluid.py), request by request
(requests.py) and websocket connections (websocket.py). `make_dataplane` picks one.
"""
from __future__ import annotations

from .protocol import ConnectionDataPlane, DataPlane, DataPlaneFactory

__all__ = ["ConnectionDataPlane", "DataPlane", "DataPlaneFactory", "ENGINES", "make_dataplane"]

ENGINES = ("fluid", "requests")


def make_dataplane(engine: str, *, app, tick: float, arrivals, rates, algorithm: str, rng, records,
                   websocket=None, sessions_rng=None, steady_start: bool = True) -> DataPlane:
    """The data plane of `engine` ("fluid" or "requests"), or of a websocket workload when
    `websocket` (its settings) is given; see protocol.DataPlaneFactory for the arguments.

    Each engine's module is imported only here, when asked for: the request engine compiles with
    numba, which a fluid run should not pay for.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; allowed: {', '.join(ENGINES)}")
    common = dict(app=app, tick=tick, arrivals=arrivals, rates=rates, algorithm=algorithm, rng=rng,
                  records=records)
    if websocket is not None:
        from .websocket import WebsocketDataPlane
        return WebsocketDataPlane(websocket=websocket, sessions_rng=sessions_rng,
                                  steady_start=steady_start, **common)
    if engine == "requests":
        from .requests import RequestDataPlane
        return RequestDataPlane(**common)
    from .fluid import FluidDataPlane
    return FluidDataPlane(**common)

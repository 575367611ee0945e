"""The data plane is an interface: the fluid, request and websocket data planes implement
protocol.DataPlane (every member, with a signature the callers can use), the simulator calls
nothing on a data plane that the protocol does not name, and Simulation builds its data plane
with the factory it is given."""
from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import build_scenario

from fargatesim.dataplane import ConnectionDataPlane, DataPlane, DataPlaneFactory, make_dataplane
from fargatesim.dataplane.app_model import AppModel
from fargatesim.dataplane.fluid import FluidDataPlane
from fargatesim.dataplane.memory_leak import MemoryLeak
from fargatesim.dataplane.records import TickRecords
from fargatesim.dataplane.requests import RequestDataPlane
from fargatesim.dataplane.websocket import WebsocketDataPlane
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import load_scenario
from fargatesim.scenario.distributions import Distribution as D

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PLANES = (FluidDataPlane, RequestDataPlane, WebsocketDataPlane)


def members(protocol) -> tuple[dict[str, str], dict[str, object]]:
    """The protocol's data members (name -> annotation) and methods (name -> function), its
    protocol bases' included."""
    attributes, methods = {}, {}
    for klass in reversed(protocol.__mro__):
        if not getattr(klass, "_is_protocol", False) or klass.__module__ == "typing":
            continue
        attributes.update(inspect.get_annotations(klass))
        methods.update({name: f for name, f in vars(klass).items()
                        if inspect.isfunction(f) and not name.startswith("_")})
    return attributes, methods


def test_the_protocol_names_what_the_simulator_calls():
    attributes, methods = members(DataPlane)
    assert set(attributes) == {"k", "tick", "app", "leak", "lookahead_s"}
    assert set(methods) == {"ensure_slot", "advance", "truncate", "kill", "drain_time",
                            "health_responses_at", "in_flight_total"}
    for name, f in methods.items():
        assert inspect.getdoc(f), f"DataPlane.{name} says what it does"
    extra, _ = members(ConnectionDataPlane)
    assert set(extra) - set(attributes) == {"initial_sessions", "reconnects", "drops"}


def compatible(implementation, declared) -> str | None:
    """Why a call written against `declared` could fail on `implementation`, or None: each
    declared parameter must be there, in the same place and of the same kind, and any further
    parameter must have a default."""
    got = list(inspect.signature(implementation).parameters.values())
    want = list(inspect.signature(declared).parameters.values())
    if len(got) < len(want):
        return f"{len(got)} parameters, the protocol has {len(want)}"
    for g, w in zip(got, want):
        if (g.name, g.kind) != (w.name, w.kind):
            return f"parameter {g.name} ({g.kind}) where the protocol has {w.name} ({w.kind})"
    for g in got[len(want):]:
        if g.default is inspect.Parameter.empty and g.kind not in (g.VAR_POSITIONAL, g.VAR_KEYWORD):
            return f"extra parameter {g.name} without a default"
    return None


@pytest.mark.parametrize("plane", PLANES, ids=lambda c: c.__name__)
def test_each_data_plane_has_every_method_with_a_compatible_signature(plane):
    _, methods = members(ConnectionDataPlane if plane is WebsocketDataPlane else DataPlane)
    for name, declared in methods.items():
        implementation = getattr(plane, name, None)
        assert callable(implementation), f"{plane.__name__} has no {name}"
        problem = compatible(implementation, declared)
        assert problem is None, f"{plane.__name__}.{name}: {problem}"


def small_app() -> AppModel:
    return AppModel(task_cpu_units=1024, task_memory_mb=2048, sidecar_cpu_units=0, base_memory_mb=100,
                    memory_mb_per_request=1, max_concurrency=np.inf, cpu_dist=D.constant(10),
                    io_dist=D.constant(0), timeout_s=30.0)


def built(engine: str, **websocket):
    arrivals = np.full(5, 3, dtype=np.int64)
    return make_dataplane(engine, app=small_app(), tick=1.0, arrivals=arrivals, rates=arrivals * 1.0,
                          algorithm="round_robin", rng=np.random.default_rng(0), records=TickRecords(5),
                          **websocket)


def websocket_settings():
    return load_scenario(SCENARIOS / "websocket-step-scaling-connections.yaml").workload.websocket


@pytest.mark.parametrize("engine, websocket, plane", [
    ("fluid", False, FluidDataPlane), ("requests", False, RequestDataPlane), ("fluid", True, WebsocketDataPlane),
])
def test_make_dataplane_builds_each_data_plane_and_each_has_the_protocols_data(engine, websocket, plane):
    extra = dict(websocket=websocket_settings(), sessions_rng=np.random.default_rng(1)) if websocket else {}
    dp = built(engine, **extra)
    assert type(dp) is plane
    assert isinstance(dp, DataPlane)                      # every member is there (runtime_checkable)
    assert isinstance(dp, ConnectionDataPlane) == websocket
    assert dp.k == 0 and dp.tick == 1.0 and isinstance(dp.app, AppModel) and isinstance(dp.leak, MemoryLeak)
    assert dp.lookahead_s is None or dp.lookahead_s > 0


def test_make_dataplane_takes_what_the_factory_protocol_passes():
    declared = inspect.signature(DataPlaneFactory.__call__).parameters
    params = inspect.signature(make_dataplane).parameters
    named = [p for name, p in declared.items() if name != "self" and p.kind is not p.VAR_KEYWORD]
    for p in named:
        assert params[p.name].kind is p.kind, p.name
    for name in ("websocket", "sessions_rng", "steady_start"):
        assert params[name].default is not inspect.Parameter.empty, name
    with pytest.raises(ValueError, match="unknown engine 'exact'; allowed: fluid, requests"):
        built("exact")


def test_the_request_and_websocket_engines_load_only_when_asked_for():
    code = """
import sys
import numpy as np
from fargatesim.engine import Simulation
from fargatesim.scenario import scenario_from_dict
Simulation(scenario_from_dict({"name": "lazy", "duration": 60, "traffic": [{"constant": {"rps": 10}}],
    "workload": {"cpu_ms": 10}, "task_definition": {"cpu": 256, "memory": 512,
    "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}]}]}})).run()
print(sorted(m for m in ("numba", "fargatesim.dataplane.requests", "fargatesim.dataplane.websocket")
             if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# ------------------------------------------------------------------ injection
class OnlyTheProtocol:
    """A data plane seen through its protocol only: reading anything else fails the test."""

    def __init__(self, inner, protocol):
        attributes, methods = members(protocol)
        self._inner, self._allowed = inner, set(attributes) | set(methods)

    def __getattr__(self, name):
        if name not in self._allowed:
            raise AssertionError(f"the simulator read {name!r}, which the data plane protocol does not name")
        return getattr(self._inner, name)


class Recording:
    """A data-plane factory that builds with make_dataplane, remembers its calls and hands out
    the data plane behind OnlyTheProtocol."""

    def __init__(self):
        self.calls = []

    def __call__(self, engine, **kwargs):
        self.calls.append((engine, sorted(kwargs)))
        dp = make_dataplane(engine, **kwargs)
        self.plane = dp
        return OnlyTheProtocol(dp, ConnectionDataPlane if "websocket" in kwargs else DataPlane)


BUSY = dict(
    duration="40m", traffic=[{"constant": {"rps": 150}}],
    task_definition={"cpu": 512, "memory": 1024},
    service={"desired_count": 3, "health_check_grace_period_seconds": 30},
    target_group={"deregistration_delay": 20,
                  "health_check": {"interval": 10, "timeout": 5, "healthy_threshold": 2, "unhealthy_threshold": 2}},
    autoscaling={"min_capacity": 2, "max_capacity": 8, "policies": [{
        "name": "cpu-50", "policy_type": "TargetTrackingScaling",
        "target_tracking_scaling_policy_configuration": {
            "target_value": 50, "scale_out_cooldown": 60, "scale_in_cooldown": 120,
            "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}]},
    faults=[{"type": "task_crash", "at": "8m", "count": 1}, {"type": "task_unhealthy", "at": "15m", "count": 1},
            {"type": "memory_leak", "mb_per_hour": 2400}],
    actions=[{"type": "set_desired_count", "at": "25m", "value": 6}],
)


@pytest.mark.parametrize("scenario", [
    pytest.param(lambda: build_scenario(**BUSY), id="fluid"),
    pytest.param(lambda: build_scenario(**BUSY, engine="requests"), id="requests"),
    pytest.param(lambda: load_scenario(SCENARIOS / "websocket-step-scaling-connections.yaml",
                                       overrides={"duration": "3h", "faults": [{"type": "task_crash", "at": "1h", "count": 2}]}),
                 id="websocket"),
])
def test_an_injected_factory_builds_the_data_plane_and_the_protocol_is_all_the_run_uses(scenario):
    s = scenario()
    factory = Recording()
    sim = Simulation(s, dataplane=factory)
    assert len(factory.calls) == 1 and sim.dataplane._inner is factory.plane
    engine, keys = factory.calls[0]
    assert engine == s.engine
    websocket = {"websocket", "sessions_rng", "steady_start"} if s.workload.is_websocket else set()
    assert set(keys) == {"app", "tick", "arrivals", "rates", "algorithm", "rng", "records"} | websocket
    result = Result.from_simulation(sim.run())

    plain = Simulation(s).run()
    assert type(plain.dataplane) is type(factory.plane)
    for name, arr in plain.records.arrays():
        assert np.array_equal(arr, getattr(sim.records, name)), name
    assert plain.events == sim.events
    assert Result.from_simulation(plain).summary == result.summary
    kinds = {e[3].split(" ")[0] for e in sim.events if e[1] == "task_state"}
    assert "STOPPING" in kinds                             # tasks were killed and drained

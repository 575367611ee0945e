"""Shared helpers for the engine tests: a scenario builder and event look-ups."""
from __future__ import annotations

import copy
import math

import pytest
from hypothesis import settings

from fargatesim.scenario import scenario_from_dict

# Property tests draw the same examples on every run, so a result on one machine is the result
# on every machine (as the simulator's runs are). To search for new examples instead:
#     .venv/bin/pytest --hypothesis-profile=explore
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")

# A small valid scenario: one constant load on four steady-state 1 vCPU tasks.
BASE = {
    "name": "engine-test",
    "duration": "10m",
    "seed": 7,
    "traffic": [{"constant": {"rps": 100}}],
    "workload": {"cpu_ms": 10},
    "task_definition": {
        "cpu": 1024, "memory": 2048,
        "startup": {"distribution": "uniform", "low": "30s", "high": "60s"},
        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 8080}]}],
    },
    "service": {"desired_count": 4},
}


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


def build_scenario(*, app: dict | None = None, sidecar_cpu: float = 0, **changes):
    """BASE with `changes` merged in (mappings merge, lists replace); `app` merges into the app
    container; `sidecar_cpu` adds a non-essential sidecar using that many CPU units."""
    data = _merge(copy.deepcopy(BASE), changes)
    td = data["task_definition"]
    containers = [dict(c) for c in td["container_definitions"]]
    containers[0] = {**containers[0], **(app or {})}
    if sidecar_cpu:
        containers.append({"name": "sidecar", "essential": False, "base_cpu_units": sidecar_cpu})
    td["container_definitions"] = containers
    return scenario_from_dict(data)


ERROR_KINDS = ("elb_503", "elb_502", "target_503", "timeout_504", "reset_on_stop")


def accounting(sim, result):
    """total = ok + every error kind + in flight at the end, in the summary, the records and the
    per-period table alike; and what is still in flight arrived within the last timeout."""
    s, rec, ts = result.summary, sim.records, result.timeseries
    req = s["requests"]
    errors = req["errors"]
    assert set(errors) >= {"elb_503", "target_503", "timeout_504", "reset_on_stop"}
    assert req["total"] == req["ok"] + sum(errors.values()) + s["in_flight_at_end"]
    assert req["total"] == int(rec.arrivals.sum())
    assert req["ok"] == int(rec.ok.sum())
    for kind in ERROR_KINDS:
        assert errors.get(kind, 0) == int(getattr(rec, kind).sum()), kind
    for name in ("arrivals", "ok", *ERROR_KINDS):
        assert (getattr(rec, name) >= 0).all(), name
    # The period table adds up to the same numbers.
    assert int(ts["requests"].sum()) == req["total"]
    assert int(ts["ok"].sum()) == req["ok"]
    assert int(ts["errors"].sum()) == sum(errors.values())
    if sim.scenario.workload.is_websocket:
        # What is in flight at the end is the connections still open, each an attempt that
        # was accepted and neither closed nor dropped.
        assert s["in_flight_at_end"] == sim.dataplane.in_flight_total()
        assert s["in_flight_at_end"] == round(rec.inflight[-1])    # the open count of the last tick
        return
    # A request ends by its timeout at the latest (504), so what is in flight at the end
    # arrived within the last timeout (plus the rounding to ticks).
    last = int(math.ceil(sim.scenario.workload.timeout / sim.tick)) + 2
    assert 0 <= s["in_flight_at_end"] <= int(rec.arrivals[-last:].sum())


def event_times(sim, kind: str, subject: str | None = None, startswith: str = "") -> list[float]:
    """Times of the simulation's events of `kind` (for `subject`) whose detail starts so."""
    return [t for t, k, s, d in sim.events
            if k == kind and (subject is None or s == subject) and d.startswith(startswith)]


@pytest.fixture(scope="session")
def make_scenario():
    return build_scenario


@pytest.fixture(scope="session")
def events_of():
    return event_times


@pytest.fixture(scope="session")
def check_accounting():
    return accounting

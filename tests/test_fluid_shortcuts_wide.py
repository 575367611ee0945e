"""The fluid data plane's exact shortcuts, each switched off, give the same run byte for byte,
on scenarios wider than test_exact_speedups.py draws.

Shortcuts and their switches:
- one-row round robin (fluid._advance_round_robin):       RoutingView.fixed_shares -> None and
                                                           fluid._same_every_row -> False
- kept rows and kept per-cell values of a cut stretch:    StretchCut.prefix_exact -> False
- kept rows of a "simple" block (fluid._keep_rows):       a block is never "simple" for a cut
- no look through pending requests (fluid._held):         _held always True
- distinct columns peeled by comparison (columns.py):     columns._PEELED = 1 (projection)
- offered_rps / in_service not checkpointed:              fluid._ASSIGNED = {} (checkpointed)
- only the records written ahead checkpointed:            _WRITTEN_AHEAD = None (all saved)
The drawn scenarios add to test_engine_conservation.scenarios(): autoscaling (target tracking
on CPU, memory, requests per target, high-resolution CPU; step scaling with alarms), Fargate
Spot with interruptions, websocket workloads, bigger fleets. Direct data-plane cases, built
with a hand-made routing view, cut a stretch where the drawn runs rarely do.
"""
from contextlib import ExitStack, contextmanager

import numpy as np
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from test_engine_conservation import scenarios

from fargatesim.dataplane import columns, fluid
from fargatesim.dataplane.fluid import FluidDataPlane
from fargatesim.dataplane.records import TickRecords
from fargatesim.dataplane.stretch_cut import StretchCut
from fargatesim.elb.target_group import RoutingView
from fargatesim.engine import Simulation, app_model
from fargatesim.scenario import scenario_from_dict

FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])


# ---------------------------------------------------------------------------- switches
@contextmanager
def replaced(owner, name, value):
    missing = object()
    old = owner.__dict__.get(name, missing) if isinstance(owner, type) else getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if old is missing:
            delattr(owner, name)
        else:
            setattr(owner, name, old)


def _never_simple():
    """Blocks still take their own simple path, but a cut never keeps their rows as they are
    (_keep_rows): it restores the start and accounts [k0, k) again (_advance_kept)."""
    tally = FluidDataPlane._tally

    def wrapped(self, *args, **kwargs):
        out = tally(self, *args, **kwargs)
        self._chunk["simple"] = False
        return out
    return replaced(FluidDataPlane, "_tally", wrapped)


def _always_held():
    """Every block looks through its slots' pending requests."""
    return replaced(FluidDataPlane, "_held", property(lambda self: True, lambda self, value: None))


@contextmanager
def _no_one_row():
    with replaced(fluid, "_same_every_row", lambda weights: False), \
            replaced(RoutingView, "fixed_shares", lambda self: None):
        yield


SWITCHES = {
    "one_row": lambda: _no_one_row(),
    "prefix_exact": lambda: replaced(StretchCut, "prefix_exact", lambda self, kk: False),
    "keep_rows": _never_simple,
    "held": _always_held,
    "peeling": lambda: replaced(columns, "_PEELED", 1),
    "assigned": lambda: replaced(fluid, "_ASSIGNED", frozenset()),
    "written_ahead": lambda: replaced(FluidDataPlane, "_WRITTEN_AHEAD", None),
}


@contextmanager
def switched_off(*names):
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(SWITCHES[name]())
        yield


def outcome(data):
    sim = Simulation(scenario_from_dict(data)).run()
    targets = sorted((t.task.slot, t.state.value, t.passes, t.fails) for t in sim.target_group.targets.values())
    records = {name: arr.copy() for name, arr in sim.records.arrays()}
    extra = {}
    for name in ("drops", "reconnects"):
        if hasattr(sim.dataplane, name):
            extra[name] = getattr(sim.dataplane, name).tobytes()
    return sim.events, sim.snapshots, targets, records, extra, sim.in_flight_at_end


def assert_same(a, b):
    """Compare outcomes piece by piece, so that a failure says what differs."""
    names = ("events", "snapshots", "targets", "records", "websocket", "in_flight_at_end")
    for name, x, y in zip(names, a, b):
        if name == "records":
            # Counts to the bit; sums of floating-point seconds to the last bits only: a shortcut
            # that adds n equal targets' CPU as one column times n, where the plain path adds
            # them one by one, may round the last bit differently (1e-16 of a vCPU-second).
            differ = sorted(k for k in x if not (np.array_equal(x[k], y[k]) if x[k].dtype.kind in "iub"
                                                 else np.allclose(x[k], y[k], rtol=1e-12, atol=1e-12)))
            assert not differ, f"records differ: {differ}"
        else:
            assert x == y, f"{name} differ"


# ---------------------------------------------------------------------------- scenarios
def _tt(metric, target):
    return {"name": "tt", "policy_type": "TargetTrackingScaling",
            "target_tracking_scaling_policy_configuration": {
                "target_value": target, "scale_out_cooldown": 30, "scale_in_cooldown": 60,
                "predefined_metric_specification": {"predefined_metric_type": metric}}}


def _step_with_alarms(metric, namespace, statistic, high, low, period):
    policies = [
        {"name": "out", "policy_type": "StepScaling",
         "step_scaling_policy_configuration": {
             "adjustment_type": "ChangeInCapacity", "cooldown": 60,
             "step_adjustments": [{"metric_interval_lower_bound": 0, "scaling_adjustment": 2}]}},
        {"name": "in", "policy_type": "StepScaling",
         "step_scaling_policy_configuration": {
             "adjustment_type": "ChangeInCapacity", "cooldown": 60,
             "step_adjustments": [{"metric_interval_upper_bound": 0, "scaling_adjustment": -1}]}}]
    alarms = [
        {"alarm_name": "high", "namespace": namespace, "metric_name": metric, "statistic": statistic,
         "period": period, "evaluation_periods": 2, "datapoints_to_alarm": 1,
         "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": high, "alarm_actions": ["out"]},
        {"alarm_name": "low", "namespace": namespace, "metric_name": metric, "statistic": statistic,
         "period": period, "evaluation_periods": 3, "datapoints_to_alarm": 3,
         "comparison_operator": "LessThanThreshold", "threshold": low, "alarm_actions": ["in"]}]
    return policies, alarms


@st.composite
def scaling(draw):
    kind = draw(st.sampled_from(["tt_cpu", "tt_cpu_hr", "tt_mem", "tt_req", "step_cpu", "step_req",
                                 "step_5xx"]))
    lo = draw(st.integers(0, 2))
    bounds = {"min_capacity": lo, "max_capacity": lo + draw(st.integers(1, 12))}
    if kind.startswith("tt"):
        metric, target = {
            "tt_cpu": ("ECSServiceAverageCPUUtilization", draw(st.sampled_from([20, 50, 70]))),
            "tt_cpu_hr": ("ECSServiceAverageCPUUtilizationHighResolution", draw(st.sampled_from([20, 50]))),
            "tt_mem": ("ECSServiceAverageMemoryUtilization", draw(st.sampled_from([30, 60]))),
            "tt_req": ("ALBRequestCountPerTarget", draw(st.sampled_from([300, 1000, 3000]))),
        }[kind]
        return {**bounds, "policies": [_tt(metric, target)]}, []
    metric, namespace, statistic, high, low = {
        "step_cpu": ("CPUUtilization", "AWS/ECS", "Average", 60, 20),
        "step_req": ("RequestCountPerTarget", "AWS/ApplicationELB", "Sum", 2000, 500),
        "step_5xx": ("HTTPCode_Target_5XX_Count", "AWS/ApplicationELB", "Sum", 1, 0.5),
    }[kind]
    policies, alarms = _step_with_alarms(metric, namespace, statistic, high, low,
                                         draw(st.sampled_from([60, 60, 10])))
    return {**bounds, "policies": policies}, alarms


@st.composite
def wider_scenarios(draw, websocket=None):
    """scenarios() plus autoscaling, alarms, Spot, websocket workloads and bigger fleets."""
    data = draw(scenarios())
    if draw(st.booleans()):
        # More tasks: more kinds of targets at once (serving, starting, draining, unreachable).
        data["service"]["desired_count"] = draw(st.integers(3, 14))
        for component in data["traffic"]:
            for value in component.values():
                if isinstance(value, dict):
                    for key in ("rps", "peak_rps", "from_rps", "to_rps"):
                        if key in value:
                            value[key] = round(value[key] * 3, 1)
    if draw(st.booleans()):
        autoscaling, alarms = draw(scaling())
        data["autoscaling"] = autoscaling
        if alarms:
            data["alarms"] = alarms
    if draw(st.booleans()):
        data["service"]["capacity_provider_strategy"] = [
            {"capacity_provider": "FARGATE", "base": draw(st.integers(0, 2)), "weight": 1},
            {"capacity_provider": "FARGATE_SPOT", "weight": draw(st.integers(1, 3))}]
        data["faults"] = data["faults"] + draw(st.lists(st.one_of(
            st.builds(lambda r: {"type": "spot_interruption", "rate_per_task_hour": r},
                      st.sampled_from([0.5, 3.0, 20.0])),
            st.builds(lambda at, n: {"type": "spot_interruption", "at": at, "count": n},
                      st.integers(0, data["duration"]), st.integers(1, 4))), min_size=1, max_size=2))
    if websocket if websocket is not None else draw(st.integers(0, 3)) == 0:
        data["workload"] = {
            "kind": "websocket",
            "websocket": {
                "connection_duration": {"distribution": "exponential",
                                        "mean": draw(st.sampled_from([5, 60, 600]))},
                "messages_per_second": draw(st.sampled_from([0.0, 0.5, 5.0])),
                "cpu_ms_per_message": draw(st.sampled_from([0.5, 5.0])),
                "cpu_ms_per_handshake": draw(st.sampled_from([0, 5, 50])),
                "memory_mb_per_connection": draw(st.sampled_from([0, 0.25])),
                "reconnect_delay": draw(st.sampled_from([1, 5]))}}
        # Connections per second, not requests: keep the populations small.
        for component in data["traffic"]:
            for value in component.values():
                if isinstance(value, dict):
                    for key in ("rps", "peak_rps", "from_rps", "to_rps"):
                        if key in value:
                            value[key] = round(value[key] / 20, 1)
    return data


def _compare(data, *names):
    fast = outcome(data)
    with switched_off(*names):
        plain = outcome(data)
    assert_same(fast, plain)


# ---------------------------------------------------------------------------- drawn runs
# Six equal targets from the first tick: the one-row shortcut adds their CPU as one column times
# six, the plain path one by one (found on a CI run).
SIX_EQUAL_TARGETS = {
    "name": "prop", "duration": 600, "seed": 0, "tick": 1, "arrivals": "poisson",
    "traffic": [{"spike": {"at": 0, "peak_rps": 1.0, "rise": 0, "hold": 0, "decay": 66}}],
    "workload": {"cpu_ms": 16, "io_ms": 0, "memory_mb_per_request": 0, "timeout": 1},
    "task_definition": {"cpu": 256, "memory": 512, "startup": {"distribution": "uniform", "low": 5, "high": 7},
                        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 8080}],
                                                   "app_start": 19, "base_memory_mb": 0, "max_concurrency": None}]},
    "service": {"desired_count": 1, "cold_start": False, "health_check_grace_period_seconds": 0,
                "deployment_maximum_percent": 150, "stop_timeout": 2},
    "target_group": {"load_balancing_algorithm_type": "round_robin", "slow_start": 0, "deregistration_delay": 60,
                     "initial_health_checks": 1, "health_check": {"interval": 5, "timeout": 2, "healthy_threshold": 2,
                                                                  "unhealthy_threshold": 4}},
    "faults": [], "actions": [{"type": "set_desired_count", "at": 0, "value": 6}]}


@settings(max_examples=40, **FAST)
@given(data=wider_scenarios())
@example(data=SIX_EQUAL_TARGETS)
def test_all_shortcuts_off_give_the_same_run(data):
    """Every shortcut at once: the strongest comparison, on the widest scenarios."""
    _compare(data, *SWITCHES)


@settings(max_examples=25, **FAST)
@given(data=wider_scenarios())
def test_round_robin_one_row_path_with_scaling_spot_and_websockets(data):
    data["target_group"]["load_balancing_algorithm_type"] = "round_robin"
    _compare(data, "one_row")


@settings(max_examples=25, **FAST)
@given(data=wider_scenarios())
def test_kept_rows_with_scaling_spot_and_websockets(data):
    _compare(data, "keep_rows")


@settings(max_examples=25, **FAST)
@given(data=wider_scenarios())
def test_prefix_exact_with_scaling_spot_and_websockets(data):
    _compare(data, "prefix_exact")


@settings(max_examples=20, **FAST)
@given(data=wider_scenarios())
def test_held_flag_and_view_only_checkpoint(data):
    _compare(data, "held", "assigned")


@settings(max_examples=15, **FAST)
@given(data=wider_scenarios(websocket=True))
def test_websocket_runs_with_and_without_the_shortcuts(data):
    _compare(data, *SWITCHES)


@settings(max_examples=15, **FAST)
@given(data=wider_scenarios(websocket=False))
def test_distinct_columns_by_peeling_or_projection_in_runs(data):
    data["service"]["desired_count"] = max(data["service"]["desired_count"], 9)
    _compare(data, "peeling")


# ---------------------------------------------------------------------------- direct cuts
def _app(**workload):
    data = {"name": "direct", "duration": 600, "traffic": [{"constant": {"rps": 1}}],
            "workload": {"cpu_ms": 50, "io_ms": 5, "timeout": 30, **workload},
            "task_definition": {"cpu": 256, "memory": 512,
                                "container_definitions": [{"name": "app",
                                                           "port_mappings": [{"container_port": 8080}]}]}}
    return app_model(scenario_from_dict(data))


def _plane(app, rates, seed=0, tick=1.0):
    rates = np.asarray(rates, dtype=float)
    arrivals = np.random.default_rng(seed).poisson(rates * tick).astype(np.int64)
    return FluidDataPlane(app=app, tick=tick, arrivals=arrivals, rates=rates, algorithm="round_robin",
                          rng=np.random.default_rng(seed + 1), records=TickRecords(len(rates)))


def _view(serving, routed, tick=1.0):
    m = len(serving)
    return RoutingView(np.arange(m), np.array(serving), np.array(routed, dtype=float),
                       np.full(m, np.nan), 0.0, tick, int(np.sum(routed)))


def _state(plane, slots):
    return {"backlog": plane.backlog[slots].tobytes(), "load": plane.load[slots].tobytes(),
            "inflight": plane.inflight[slots].tobytes(), "hc": plane.health_response[slots].tobytes(),
            "pending": plane.pending[:, slots, :].tobytes()}


def _cut_against_plain(app, rates, view, k_cut, k_end, b0, load0, seed=0):
    """A stretch [0, k_end) cut at k_cut against a stretch [0, k_cut) computed as such."""
    slots = view.slots
    out = []
    for cut in (True, False):
        plane = _plane(app, rates, seed)
        for s in slots:
            plane.ensure_slot(int(s))
        plane.backlog[slots], plane.load[slots] = b0, load0
        if cut:
            plane.advance(k_end, view)
            plane.truncate(k_cut)
        else:
            plane.advance(k_cut, view)
        records = {name: arr[:k_cut].tobytes() for name, arr in plane.rec.arrays()}
        out.append((plane.k, records, _state(plane, slots)))
    (k_a, rec_a, st_a), (k_b, rec_b, st_b) = out
    assert k_a == k_b == k_cut
    differ = sorted(name for name in rec_a if rec_a[name] != rec_b[name])
    assert not differ, f"records of the kept rows differ from a block of those ticks: {differ}"
    assert st_a == st_b


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.floats(0.01, 50.0), st.floats(0.0, 2.0),
       st.integers(1, 10), st.integers(1, 10), st.integers(0, 2**16))
def test_cut_in_a_silent_prefix_of_a_one_row_stretch(n_serving, n_not, b0, load0, k_cut, silent_extra, seed):
    """Round robin over equal targets (one row of shares), some routed targets whose app does
    not answer (offered nothing), all with the same backlog: while the traffic is zero they are
    one kind of target, and the one-row path tells them apart by `rates.any()` over the whole
    block. A stretch cut inside its silent start must still give what a block of the silent
    ticks gives (the sums over the targets are sums over the distinct columns)."""
    app = _app()
    k_silent = k_cut + silent_extra
    k_end = k_silent + 20
    rates = np.concatenate([np.zeros(k_silent), np.full(k_end - k_silent, 30.0)])
    m = n_serving + n_not
    view = _view([True] * n_serving + [False] * n_not, [1.0] * m)
    _cut_against_plain(app, rates, view, k_cut, k_end, np.full(m, round(b0, 9)), np.full(m, round(load0, 3)), seed)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(0, 6), st.integers(2, 40), st.integers(0, 2**16),
       st.sampled_from([0.5, 1.0, 2.0]))
def test_cut_of_a_one_row_stretch_with_late_answers_and_timeouts(n_serving, n_not, k_cut, seed, tick):
    """Slow requests (answered ticks later, some past the timeout) in a one-row stretch cut
    anywhere: the kept or recomputed rows are those of a block of [0, k)."""
    app = _app(io_ms=2500, timeout=3)
    k_end = k_cut + 30
    rates = np.full(k_end, 40.0)
    m = n_serving + n_not
    view = _view([True] * n_serving + [False] * n_not, [1.0] * m, tick)
    plane_rates = rates
    _cut_against_plain(app, plane_rates, view, k_cut, k_end, np.full(m, 0.0), np.full(m, 0.5), seed)

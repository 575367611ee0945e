"""Alarm evaluation's and the routing view's shortcuts give the results of the plain ways, exactly.

- Alarms due at one instant that read one metric (target tracking's pair) compute it once, over
  the widest range, until one of them runs actions (AlarmEvaluator._evaluate_together):
  evaluating each alarm on its own gives the same run. Its premise: a period's datapoint is the
  same whatever range it was computed in, for every metric and statistic.
- MetricStore.datapoints computes only what each metric needs: the values of the plain formulas.
- alarm_state looks the comparison up once: the states of comparing datapoint by datapoint.
- The tasks up the service keeps as tasks change (TasksUp) are, after every event, those a walk
  over its tasks finds, and the routing view built from them is the one built from that walk.
On drawn scenarios (crashes, outages, target tracking, step scaling, metric math) compared as
bytes, and the sharing's invalidation case by case.
"""
import math
import operator
import warnings

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_autoscaling_engine import policy_sets
from test_engine_conservation import scenarios
from test_exact_speedups import FAST, outcome, replaced

from fargatesim.cloudwatch.alarm_state import _real_newest_first, alarm_state, breaches
from fargatesim.cloudwatch.alarms import AlarmEvaluator, MetricAlarm
from fargatesim.cloudwatch.metrics import SAMPLED, MetricStore, _reduce
from fargatesim.cloudwatch.shared_reads import SharedReads
from fargatesim.dataplane import request_latency
from fargatesim.dataplane.records import TickRecords
from fargatesim.ecs.task import CONTAINERS_UP, apps_answer
from fargatesim.engine import Simulation
from fargatesim.metric_catalogue import COMPARISON_OPERATORS, PUBLISHED_METRICS, STATISTICS
from fargatesim.scenario import scenario_from_dict


def alarm(name, namespace, metric, statistic, periods, op=">=", threshold=0.0, period=60):
    ops = {v: k for k, v in COMPARISON_OPERATORS.items()}
    return {"alarm_name": name, "namespace": namespace, "metric_name": metric, "statistic": statistic,
            "period": period, "evaluation_periods": periods, "comparison_operator": ops[op],
            "threshold": threshold}


PER_TASK = {
    "alarm_name": "requests-per-task",
    "metrics": [
        {"id": "m1", "return_data": False, "metric_stat": {
            "metric": {"namespace": "AWS/ApplicationELB", "metric_name": "RequestCount"}, "stat": "Sum"}},
        {"id": "m2", "return_data": False, "metric_stat": {
            "metric": {"namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount"}}},
        {"id": "e1", "expression": "m1 / m2"},
    ],
    "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": 600, "evaluation_periods": 2,
}
# Alarms without actions that read the metrics the scaling alarms read, or one another's.
EXTRA_ALARMS = [
    alarm("cpu-max", "AWS/ECS", "CPUUtilization", "Maximum", 3, ">", 80),
    alarm("cpu-avg-long", "AWS/ECS", "CPUUtilization", "Average", 8, "<", 30),
    alarm("latency", "AWS/ApplicationELB", "TargetResponseTime", "Average", 2, ">", 0.2),
    alarm("latency-long", "AWS/ApplicationELB", "TargetResponseTime", "Average", 6, ">", 0.5),
    alarm("errors", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 1, ">=", 1),
    alarm("requests", "AWS/ApplicationELB", "RequestCount", "Sum", 4, ">=", 20000),
    alarm("healthy", "AWS/ApplicationELB", "HealthyHostCount", "Minimum", 2, "<", 2),
    PER_TASK,
]


@st.composite
def scaled_scenarios(draw):
    data = draw(scenarios())
    policies, alarms = draw(policy_sets())
    extra = draw(st.lists(st.sampled_from(EXTRA_ALARMS), max_size=4, unique_by=lambda a: a["alarm_name"]))
    data["service"]["desired_count"] = max(1, data["service"]["desired_count"])
    data["autoscaling"] = {"min_capacity": 1, "max_capacity": draw(st.integers(2, 8)), "policies": policies}
    data["alarms"] = alarms + extra
    data["cloudwatch"] = {"metric_delay": draw(st.sampled_from([0, 60, 183])),
                          "high_resolution_metric_delay": draw(st.sampled_from([0, 26]))}
    return data


def alarm_outcome(data):
    sim = Simulation(scenario_from_dict(data)).run()
    alarms = [(a.name, a.state, a.last_first, a.last_values) for a in sim.alarms.alarms]
    return outcome(data), alarms


def one_by_one(self, group, visible):
    for a in group:
        self.evaluate(a, visible)


@settings(max_examples=15, **FAST)
@given(data=scaled_scenarios())
def test_alarms_of_one_instant_sharing_a_metric_give_the_run_of_evaluating_each_alone(data):
    shared = alarm_outcome(data)
    with replaced(AlarmEvaluator, "_evaluate_together", one_by_one):
        alone = alarm_outcome(data)
    assert shared == alone


# ------------------------------------------------------------------ the datapoints themselves
def plain_datapoints(store, namespace, metric, period, statistic, first, stop):
    """MetricStore.datapoints as it was: every intermediate computed for every metric."""
    per = store.ticks_per_period(period)
    n = max(0, stop - first)
    t0 = first * per
    r = store.rec
    block = lambda a: a[t0: t0 + n * per].reshape(n, per).astype(float)  # noqa: E731
    requests = block(r.arrivals).sum(axis=1)
    no_requests = requests == 0
    if metric in ("CPUUtilization", "MemoryUtilization"):
        used, cap = (r.cpu_used, r.cpu_capacity) if metric == "CPUUtilization" else (r.mem_used, r.mem_capacity)
        u, c = block(used), block(cap)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_tick = np.where(c > 0, 100 * u / c, np.nan)
            if statistic in ("Average", "Sum"):
                return np.where(c.sum(axis=1) > 0, 100 * u.sum(axis=1) / c.sum(axis=1), np.nan)
        return _reduce(per_tick, statistic)
    if metric == "RequestCount":
        return np.where(no_requests, np.nan, requests if statistic == "Sum" else requests / per)
    if metric == "RequestCountPerTarget":
        targets = block(r.in_service).mean(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(targets > 0, requests / np.maximum(targets, 1e-12), requests)
    if metric == "TargetResponseTime":
        return np.where(no_requests, np.nan, request_latency.mean_latency_by_group(r, store._app, t0, per, n))
    if metric == "HTTPCode_ELB_5XX_Count":
        elb = block(r.elb_503) + block(r.elb_502) + block(r.timeout_504) + block(r.reset_on_stop)
        return np.where(no_requests, np.nan, elb.sum(axis=1))
    if metric == "HTTPCode_Target_5XX_Count":
        return np.where(no_requests, np.nan, block(r.target_503).sum(axis=1))
    if metric == "NewConnectionCount":
        return np.where(no_requests, np.nan, requests)
    if metric == "ActiveConnectionCount":
        open_ = block(r.inflight)
        return np.where(no_requests & (open_.sum(axis=1) == 0), np.nan,
                        _reduce(open_, "Average" if statistic == "Sum" else statistic))
    times = (t0 + np.arange(n * per) + 1) * store.tick - 1e-9
    return _reduce(store._counts_at(times, SAMPLED[metric]).reshape(n, per), statistic)


EVERY_METRIC = [(ns, m, stat) for ns, names in PUBLISHED_METRICS.items() for m in names for stat in STATISTICS]


@settings(max_examples=6, **FAST)
@given(data=scenarios(), cuts=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
                                       min_size=3, max_size=3))
def test_datapoints_are_the_plain_formulas_and_the_same_in_any_range(data, cuts):
    sim = Simulation(scenario_from_dict(data)).run()
    store = sim.metrics
    periods = int(sim.n_ticks * sim.tick // 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # nanmax of a period without values
        for wide, narrow, stop in cuts:
            stop = min(stop, periods)
            wide, narrow = sorted((min(wide, stop), min(narrow, stop)))
            for ns, metric, stat in EVERY_METRIC:
                got = store.datapoints(ns, metric, 60, stat, narrow, stop)
                assert got.tobytes() == plain_datapoints(store, ns, metric, 60, stat, narrow, stop).tobytes()
                assert store.datapoints(ns, metric, 60, stat, wide, stop)[narrow - wide:].tobytes() == got.tobytes()


# ------------------------------------------------------------------ sharing, case by case
def evaluator(n_ticks=600):
    env = simpy.Environment()
    rec = TickRecords(n_ticks)
    rec.cpu_used[:], rec.cpu_capacity[:] = 80.0, 100.0
    store = MetricStore(rec, 1.0, None, None)
    return env, rec, store, AlarmEvaluator(env, store, delay_of=lambda period: 0.0,
                                           record_event=lambda *event: None)


def cpu_alarm(name, periods, op, threshold, actions=()):
    return MetricAlarm(name=name, namespace="AWS/ECS", metric_name="CPUUtilization", statistic="Average",
                       period=60, evaluation_periods=periods, datapoints_to_alarm=periods,
                       comparison_operator=op, threshold=threshold, actions=list(actions))


def test_alarms_of_one_instant_on_one_metric_compute_it_once():
    env, rec, store, ev = evaluator()
    computed = []
    plain = MetricStore.datapoints

    def counted(self, *args):
        computed.append(args)
        return plain(self, *args)

    ev.add(cpu_alarm("high", 3, "GreaterThanOrEqualToThreshold", 90))
    ev.add(cpu_alarm("low", 15, "LessThanThreshold", 10))
    with replaced(MetricStore, "datapoints", counted):
        env.run(until=61)
    assert len(computed) == 1
    assert ev.alarms[0].last_values == ev.alarms[1].last_values == [80.0]
    assert ev._reads is None    # the sharing ends with the instant


def test_an_alarms_actions_end_the_sharing_for_the_alarms_after_it():
    # An action that changes what the metric reads (here: the records themselves) must be seen
    # by the alarms evaluated after it at the same instant.
    env, rec, store, ev = evaluator()

    def idle_everything(alarm, now):
        rec.cpu_used[:] = 0.0

    ev.add(cpu_alarm("high", 1, "GreaterThanOrEqualToThreshold", 50, actions=[idle_everything]))
    ev.add(cpu_alarm("low", 3, "LessThanThreshold", 10))
    env.run(until=61)
    assert ev.alarms[0].state == "ALARM" and ev.alarms[0].last_values == [80.0]
    assert ev.alarms[1].last_values == [0.0]


def test_an_alarm_without_actions_keeps_the_sharing():
    env, rec, store, ev = evaluator()
    ev.add(cpu_alarm("high", 1, "GreaterThanOrEqualToThreshold", 50))
    ev.add(cpu_alarm("low", 3, "LessThanThreshold", 10))
    env.run(until=61)
    assert ev.alarms[0].state == "ALARM"
    assert ev.alarms[1].last_values == [80.0]


def test_shared_values_are_copies_and_only_a_covered_range_is_shared():
    env, rec, store, ev = evaluator()
    reads = SharedReads(store)
    first = reads.datapoints("AWS/ECS", "CPUUtilization", 60, "Average", 1, 3)
    first[:] = -1.0
    assert reads.datapoints("AWS/ECS", "CPUUtilization", 60, "Average", 2, 3).tolist() == [80.0]
    rec.cpu_used[:] = 40.0      # not while sharing; here to tell a computed range from a shared one
    assert reads.datapoints("AWS/ECS", "CPUUtilization", 60, "Average", 0, 3).tolist() == [40.0] * 3
    assert reads.datapoints("AWS/ECS", "CPUUtilization", 60, "Average", 1, 4).tolist() == [40.0] * 3
    assert reads.datapoints("AWS/ECS", "CPUUtilization", 60, "Maximum", 1, 3).tolist() == [40.0] * 2


# ------------------------------------------------------------------ alarm_state
def plain_real_datapoints(datapoints, threshold, comparison_operator, n):
    """(age, breaching) of the real datapoints, newest first, as alarm_state read them before:
    breaches() datapoint by datapoint."""
    size = max(len(datapoints), n)
    real = [(size - i, breaches(float(v), threshold, comparison_operator))
            for i, v in reversed(list(enumerate(datapoints, start=size - len(datapoints))))
            if not (v is None or v != v)]
    return real


values = st.one_of(st.none(), st.just(math.nan), st.just(np.float64("nan")),
                   st.floats(-5, 5, allow_nan=False), st.floats(-5, 5, allow_nan=False).map(np.float64))


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=8), st.sampled_from(list(COMPARISON_OPERATORS) + ["Bogus"]),
       st.floats(-5, 5, allow_nan=False), st.integers(1, 6))
def test_real_datapoints_are_those_of_comparing_one_by_one(datapoints, op, threshold, n):
    def outcome_of(f):
        try:
            return f()
        except ValueError as e:
            return str(e)

    expected = outcome_of(lambda: plain_real_datapoints(datapoints, threshold, op, n))
    got = outcome_of(lambda: _real_newest_first(datapoints, threshold, op))
    assert got == expected
    if op != "Bogus":
        compare = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}[COMPARISON_OPERATORS[op]]
        assert all(isinstance(b, bool) for _, b in got)
        assert [b for _, b in got] == [bool(compare(float(v), threshold)) for v in reversed(datapoints)
                                       if v is not None and v == v]


def test_an_unknown_operator_fails_only_with_a_real_datapoint():
    kw = dict(threshold=1.0, comparison_operator="Bogus", evaluation_periods=2, datapoints_to_alarm=2)
    assert alarm_state([None, math.nan], **kw) == "INSUFFICIENT_DATA"
    with pytest.raises(ValueError, match="comparison_operator"):
        alarm_state([None, 2.0], **kw)


# ------------------------------------------------------------------ the tasks up
def walked_tasks_up(service):
    return tuple(t for t in service.active() if t.state in CONTAINERS_UP)


def view_arrays(view):
    return (view.slots.tobytes(), view.serving.tobytes(), view._base.tobytes(), view._ramp_from.tobytes(),
            view.in_service)


@settings(max_examples=12, **FAST)
@given(data=scenarios())
def test_kept_tasks_up_are_the_walked_ones_and_give_the_same_view_after_every_event(data):
    data = {**data, "service": {**data["service"], "availability_zones": 3}}
    sim = Simulation(scenario_from_dict(data))
    step = sim.env.step

    def checked_step():
        step()
        now = sim.env.now
        kept, walked = sim.service.tasks_up(), walked_tasks_up(sim.service)
        assert kept == walked, now
        assert kept.slots.tolist() == [t.slot for t in walked]
        assert kept.answering(now).tolist() == apps_answer(list(walked), now).tolist()
        tg = sim.target_group
        assert view_arrays(tg.view(kept, now)) == view_arrays(tg.view(list(walked), now))

    sim.env.step = checked_step
    sim.run()


def test_tasks_up_are_never_changed_once_handed_out():
    s = scenario_from_dict({
        "name": "up", "duration": "20m", "seed": 3, "traffic": [{"constant": {"rps": 50}}],
        "workload": {"cpu_ms": 20, "io_ms": 5, "timeout": "30s"},
        "task_definition": {"cpu": 512, "memory": 1024, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 80}], "app_start": 5}]},
        "service": {"desired_count": 3, "cold_start": True, "availability_zones": 3},
        "faults": [{"type": "task_crash", "at": "8m"}, {"type": "az_outage", "at": "12m", "duration": "3m",
                                                        "zone": 1}]})
    sim = Simulation(s)
    seen = []
    step = sim.env.step

    def remembering_step():
        step()
        up = sim.service.tasks_up()
        seen.append((up, tuple(up), up.slots.copy(), up.answers_from.copy()))

    sim.env.step = remembering_step
    sim.run()
    assert len({id(up) for up, *_ in seen}) > 3
    for up, tasks, slots, answers_from in seen:
        assert tuple(up) == tasks and np.array_equal(up.slots, slots)
        assert np.array_equal(up.answers_from, answers_from, equal_nan=True)
        assert not up.slots.flags.writeable and not up.answers_from.flags.writeable

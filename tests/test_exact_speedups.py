"""The shortcuts of issue 13 give the results of the plain ways, exactly.

- Health checks: one instant evaluated for all targets at once (TargetGroup.check_all) gives
  the target states, and so the run, that checking target by target (check_each) gives.
- Look-ahead cuts: keeping the rows of a cut stretch (dataplane/stretch_cut.py) gives the
  records that computing them again gives.
- Round robin with one row of weights for a block: sums from the pattern of the split
  (dataplane/split_counts.py) and targets told apart by per-target values give the records
  of the per-tick, per-target path.
Both on drawn scenarios (crashes, broken health endpoints, zone outages, scaling actions, every
routing algorithm), compared as bytes.
"""
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_engine_conservation import scenarios

from fargatesim.dataplane import fluid
from fargatesim.dataplane.columns import distinct_columns
from fargatesim.dataplane.split_counts import CellSplit, RoundRobinSplit
from fargatesim.dataplane.stretch_cut import StretchCut
from fargatesim.ecs.task import Task, TaskState, answering, apps_answer
from fargatesim.elb.health_checks import check_passes, checks_pass
from fargatesim.elb.routing import split_equal
from fargatesim.elb.target import Target
from fargatesim.elb.target_group import TargetGroup
from fargatesim.engine import Simulation
from fargatesim.scenario import scenario_from_dict

FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow],
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])


@contextmanager
def replaced(cls, name, value):
    old = getattr(cls, name)
    setattr(cls, name, value)
    try:
        yield
    finally:
        setattr(cls, name, old)


def outcome(data):
    sim = Simulation(scenario_from_dict(data)).run()
    targets = sorted((t.task.slot, t.state.value, t.passes, t.fails) for t in sim.target_group.targets.values())
    return sim.events, sim.snapshots, targets, {name: arr.tobytes() for name, arr in sim.records.arrays()}


tasks = st.builds(
    lambda state, unreachable, ready, failing: Task(slot=0, zone=0, created_at=0.0, state=state,
                                                    unreachable=unreachable, app_ready_at=ready,
                                                    failing_health=failing),
    st.sampled_from(list(TaskState)), st.booleans(),
    st.one_of(st.none(), st.sampled_from([0.0, 5.0, 10.0, 15.0])), st.booleans())


@settings(max_examples=60, **FAST)
@given(st.lists(st.tuples(tasks, st.sampled_from([0.0, 0.5, 2.0, 2.0000001, np.inf, np.nan])), max_size=8),
       st.sampled_from([0.0, 5.0, 10.0, 12.5]))
def test_checks_pass_is_check_passes_for_each_target(drawn, now):
    timeout = 2.0
    task_list = [t for t, _ in drawn]
    response = np.array([r for _, r in drawn], dtype=float)
    expected = [bool(r <= timeout) and check_passes(Target(task=t, registered_at=0.0), now, 0.0, timeout)
                for t, r in drawn]
    answers = answering([t.state for t in task_list], [t.unreachable for t in task_list],
                        [t.app_ready_at for t in task_list], now)
    failing = [t.failing_health for t in task_list]
    assert checks_pass(answers, failing, response, timeout).tolist() == expected
    assert apps_answer(task_list, now).tolist() == [t.app_answers(now) for t in task_list]


@settings(max_examples=12, **FAST)
@given(data=scenarios())
def test_health_checks_all_at_once_give_the_states_of_one_by_one(data):
    vectorised = outcome(data)
    with replaced(TargetGroup, "check_all", TargetGroup.check_each):
        one_by_one = outcome(data)
    assert vectorised == one_by_one


@settings(max_examples=12, **FAST)
@given(data=scenarios())
def test_kept_rows_of_a_cut_stretch_are_the_recomputed_ones(data):
    kept = outcome(data)
    with replaced(StretchCut, "prefix_exact", lambda self, kk: False):
        recomputed = outcome(data)
    assert kept == recomputed


@settings(max_examples=12, **FAST)
@given(data=scenarios())
def test_round_robin_with_one_row_of_weights_is_the_per_tick_path(data):
    """The shortcut for round robin without a slow-start ramp (fluid._advance_round_robin)
    gives, bit for bit, what the general path gives from per-tick shares."""
    data["target_group"]["load_balancing_algorithm_type"] = "round_robin"
    one_row = outcome(data)
    with replaced(fluid, "_same_every_row", lambda weights: False):
        per_tick = outcome(data)
    assert one_row == per_tick


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda m: st.tuples(
           st.lists(st.booleans(), min_size=m, max_size=m),
           st.lists(st.booleans(), min_size=m, max_size=m),
           st.lists(st.integers(0, 2), min_size=m, max_size=m))),
       st.lists(st.integers(0, 10**6), min_size=1, max_size=20), st.integers(0, 10**6))
def test_round_robin_sums_are_those_of_the_per_target_split(targets, arrivals, first_tick):
    routed, serving, group = (np.array(column) for column in targets)
    arrivals = np.array(arrivals, dtype=np.int64)
    served = split_equal(arrivals, routed, first_tick) * serving if routed.any() else \
        np.zeros((len(arrivals), len(routed)), dtype=np.int64)
    _, inverse = np.unique(group, return_inverse=True)
    c = int(inverse.max()) + 1
    split = RoundRobinSplit(arrivals, routed, serving, first_tick)
    assert (split.total() == served.sum(axis=1)).all()
    assert (split.cells() == served).all()
    assert (RoundRobinSplit(arrivals, routed, serving, first_tick).column_sums(inverse, c)
            == CellSplit(served).column_sums(inverse, c)).all()
    expected = (split_equal(arrivals, routed, first_tick) * ~serving).sum(axis=1) if routed.any() else 0
    assert (split.unserved() == expected).all()
    kept = RoundRobinSplit(arrivals, routed, serving, first_tick).head(len(arrivals) // 2)
    assert (kept.total() == served[:len(arrivals) // 2].sum(axis=1)).all()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda kinds: st.tuples(
           st.lists(st.lists(st.sampled_from([0.0, 0.5, 1e-300, 3.0, -0.25]), min_size=5, max_size=5),
                    min_size=kinds, max_size=kinds),
           st.lists(st.integers(0, kinds - 1), min_size=1, max_size=40))))
def test_distinct_columns_group_equal_targets_in_the_order_they_first_appear(drawn):
    """A few kinds of targets are told apart by comparison, many by a projection: both give
    the same grouping and order."""
    prototypes, which = drawn
    key = np.array(prototypes).T[:, which]                      # (5 rows, one column per target)
    cols, inverse = distinct_columns(key)
    cols = np.arange(key.shape[1])[cols]
    assert (key[:, cols][:, inverse] == key).all()
    assert len(cols) == len({tuple(column) for column in key.T})
    assert (np.diff(cols) > 0).all() and (cols[inverse] <= np.arange(key.shape[1])).all()
    # Fewer rows that still tell the same columns apart give the same answer.
    rows = 3
    if len({tuple(column) for column in key[:rows].T}) == len(cols):
        short_cols, short_inverse = distinct_columns(key[:rows])
        assert np.array_equal(np.arange(key.shape[1])[short_cols], cols)
        assert np.array_equal(short_inverse, inverse)

"""The shortcuts of issue 13 give the results of the plain ways, exactly.

- Health checks: one instant evaluated for all targets at once (TargetGroup.check_all) gives
  the target states, and so the run, that checking target by target (check_each) gives.
- Look-ahead cuts: keeping the rows of a cut stretch (dataplane/stretch_cut.py) gives the
  records that computing them again gives.
- Round robin with one row of weights for a block: sums from the pattern of the split
  (dataplane/split_counts.py) and targets told apart by per-target values give the records
  of the per-tick, per-target path; the view's one row of shares (RoutingView.fixed_shares)
  is the first row of its weights' shares.
- Checkpoints that save only the records written ahead of the computed ticks restore what
  saving them all restores.
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
from fargatesim.elb.routing import shares, split_equal, splits_equally
from fargatesim.elb.target import Target
from fargatesim.elb.target_group import RoutingView, TargetGroup
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
    with replaced(fluid, "_same_every_row", lambda weights: False), \
            replaced(RoutingView, "fixed_shares", lambda self: None):
        per_tick = outcome(data)
    assert one_row == per_tick


weights = st.floats(0.0, 4.0).map(lambda w: 0.0 if w < 0.5 else w)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10).flatmap(lambda m: st.tuples(
           st.lists(st.one_of(st.just(0.0), st.just(1.0), weights), min_size=m, max_size=m),
           st.lists(st.one_of(st.just(np.nan), st.floats(0.0, 100.0)), min_size=m, max_size=m))),
       st.integers(0, 500), st.integers(1, 50))
def test_fixed_shares_are_the_shares_of_the_views_one_row_of_weights(columns, k0, n):
    base, ramp_from = (np.array(c, dtype=float) for c in columns)
    ramp_from = np.where(base > 0, ramp_from, np.nan)
    view = RoutingView(np.arange(len(base)), np.ones(len(base), dtype=bool), base, ramp_from,
                       slow_start_s=30.0, tick=1.0, in_service=int((base > 0).sum()))
    fixed = view.fixed_shares()
    if not np.isnan(ramp_from).all():
        assert fixed is None
        return
    w = view.weights(k0, n)
    p = shares(w[:1])
    assert fixed[0].tobytes() == p[0].tobytes()
    assert fixed[1] == (splits_equally(p) or not p.any())
    assert view.fixed_shares() is fixed            # asked once per view


@settings(max_examples=12, **FAST)
@given(data=scenarios())
def test_checkpoints_saving_only_the_records_written_ahead_restore_every_record(data):
    """A checkpoint saves only the records a kill writes ahead of the computed ticks
    (FluidDataPlane._WRITTEN_AHEAD) and a cut zeroes the others: the run of saving them all.
    Its premise, after every event: every other record is zero from the first tick not computed."""
    sim = Simulation(scenario_from_dict(data))
    dp, step = sim.dataplane, sim.env.step
    ahead = set(dp._WRITTEN_AHEAD) | set(fluid._ASSIGNED)

    def checked_step():
        step()
        for name, arr in sim.records.arrays():
            assert name in ahead or not arr[dp.k:].any(), (name, sim.env.now)

    sim.env.step = checked_step
    sim.run()
    with replaced(fluid.FluidDataPlane, "_WRITTEN_AHEAD", None):
        saving_all = outcome(data)
    assert outcome(data) == saving_all


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

"""The shortcuts of issue 13 give the results of the plain ways, exactly.

- Health checks: one instant evaluated for all targets at once (TargetGroup.check_all) gives
  the target states, and so the run, that checking target by target (check_each) gives.
- Look-ahead cuts: keeping the rows of a cut stretch (dataplane/stretch_cut.py) gives the
  records that computing them again gives.
Both on drawn scenarios (crashes, broken health endpoints, zone outages, scaling actions, every
routing algorithm), compared as bytes.
"""
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_engine_conservation import scenarios

from fargatesim.dataplane.stretch_cut import StretchCut
from fargatesim.ecs.task import Task, TaskState, answering, apps_answer
from fargatesim.elb.health_checks import check_passes, checks_pass
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

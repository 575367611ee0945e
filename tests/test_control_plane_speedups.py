"""The control plane's shortcuts give the results of the plain ways, exactly.

- Health checks: a check instant after a quiet one, with nothing changed since, reads only the
  response times (TargetGroup.check_instant); checking every target each time gives the same run.
- AZ rebalancing: the counted tasks per zone the service keeps are, after every event, what a
  walk over its tasks counts.
- Target states per state, kept as they change, are what a walk over the targets counts.
On drawn scenarios (crashes, broken health endpoints, zone outages, scaling actions), compared
as bytes; and the cache's invalidation case by case.
"""
from collections import Counter

import numpy as np
from hypothesis import given, settings
from test_engine_conservation import scenarios
from test_exact_speedups import FAST, outcome, replaced

from fargatesim.ecs import az_rebalancing
from fargatesim.elb.target import TargetState
from fargatesim.elb.target_group import TargetGroup
from fargatesim.engine import Simulation
from fargatesim.scenario import scenario_from_dict


def check_every_target(self, now, response_times_at):
    if self.targets:
        self.check_all(list(self.targets.values()), now, response_times_at)


@settings(max_examples=15, **FAST)
@given(data=scenarios())
def test_quiet_check_instants_give_the_run_of_checking_every_target(data):
    shortcut = outcome(data)
    with replaced(TargetGroup, "check_instant", check_every_target):
        plain = outcome(data)
    assert shortcut == plain


def walked_zones(service):
    return Counter(t.zone for t in service.counted())


def walked_target_states(group):
    counts = {s: 0 for s in TargetState}
    for t in group.targets.values():
        counts[t.state] += 1
    return counts


@settings(max_examples=15, **FAST)
@given(data=scenarios())
def test_kept_counts_are_the_walked_ones_after_every_event(data):
    data = {**data, "service": {**data["service"], "availability_zones": 3}}
    sim = Simulation(scenario_from_dict(data))
    step = sim.env.step

    def checked_step():
        step()
        kept = +sim.service.counted_by_zone()     # + drops the zones at zero
        assert kept == walked_zones(sim.service), sim.env.now
        assert sim.target_group.state_counts() == walked_target_states(sim.target_group), sim.env.now

    sim.env.step = checked_step
    sim.run()


# ---------------------------------------------------------------- the quiet instants' cache
STEADY = {
    "name": "steady", "duration": 600, "seed": 1,
    "traffic": [{"constant": {"rps": 10}}],
    "workload": {"cpu_ms": 5},
    "task_definition": {"cpu": 256, "memory": 512,
                        "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 8080}]}]},
    "service": {"desired_count": 3, "availability_zones": 3},
    "target_group": {"health_check": {"interval": 10, "timeout": 5, "unhealthy_threshold": 2,
                                      "healthy_threshold": 2}},
}


def fast(slots):
    return np.zeros(len(slots))


def quiet_group():
    """A steady service whose check instant at t = 10 was quiet."""
    sim = Simulation(scenario_from_dict(STEADY))
    tg = sim.target_group
    tg.check_instant(10.0, fast)
    assert all(t.state is TargetState.HEALTHY and t.fails == 0 for t in tg.targets.values())
    return sim, tg, sorted(tg.targets, key=lambda task: task.slot)


def test_a_health_endpoint_broken_after_a_quiet_instant_fails_the_next_check():
    sim, tg, tasks = quiet_group()
    sim.service.break_health(tasks[1])
    tg.check_instant(20.0, fast)
    assert [tg.targets[t].fails for t in tasks] == [0, 1, 0]


def test_a_health_endpoint_broken_behind_the_groups_back_is_not_seen():
    # What the test above guards against: the cache is in force after a quiet instant.
    sim, tg, tasks = quiet_group()
    tasks[1].failing_health = True
    tg.check_instant(20.0, fast)
    assert [tg.targets[t].fails for t in tasks] == [0, 0, 0]


def test_a_task_cut_off_after_a_quiet_instant_fails_the_next_check():
    sim, tg, tasks = quiet_group()
    sim.service.cut_off(tasks[2])
    tg.check_instant(20.0, fast)
    assert [tg.targets[t].fails for t in tasks] == [0, 0, 1]


def test_a_slow_response_after_a_quiet_instant_is_counted():
    sim, tg, tasks = quiet_group()
    slow_slot = tasks[0].slot
    tg.check_instant(20.0, lambda slots: np.where(slots == slow_slot, 6.0, 0.0))
    assert [tg.targets[t].fails for t in tasks] == [1, 0, 0]


def test_a_target_registered_after_a_quiet_instant_is_checked_at_the_next():
    sim, tg, tasks = quiet_group()
    new = sim.service.launch(cause="test")
    new.app_ready_at = 12.0
    sim.service._enter(new, new.state.RUNNING)
    tg.register(new, 12.0)
    tg.check_instant(20.0, fast)
    assert tg.targets[new].passes == 1


def test_a_target_registered_at_a_check_instant_keeps_the_next_instant_full():
    sim, tg, tasks = quiet_group()
    new = sim.service.launch(cause="test")
    new.app_ready_at = 20.0
    sim.service._enter(new, new.state.RUNNING)
    tg.register(new, 20.0)
    tg.check_instant(20.0, fast)          # not checked yet: registered at this instant
    assert tg.targets[new].passes == 0
    tg.check_instant(30.0, fast)
    assert tg.targets[new].passes == 1


def test_a_task_stopping_after_a_quiet_instant_leaves_the_checks():
    sim, tg, tasks = quiet_group()
    sim.service.stop_task(tasks[0], "test")
    assert tg.targets[tasks[0]].state is TargetState.DRAINING
    tg.check_instant(20.0, lambda slots: np.full(len(slots), 6.0))   # all slow
    assert [tg.targets[t].fails for t in tasks] == [0, 1, 1]


def test_after_a_quiet_instant_only_the_other_targets_are_read():
    sim, tg, tasks = quiet_group()
    new = sim.service.launch(cause="test")
    new.app_ready_at = 12.0
    sim.service._enter(new, new.state.RUNNING)
    tg.register(new, 12.0)
    tasks[1].failing_health = True      # behind the group's back: a quiet target is not read
    read = []

    def responses(slots):
        read.append(sorted(slots.tolist()))
        return fast(slots)

    tg.check_instant(20.0, responses)
    assert read == [sorted(t.slot for t in tasks), [new.slot]]
    assert tg.targets[new].passes == 1 and [tg.targets[t].fails for t in tasks] == [0, 0, 0]


def test_a_change_of_state_has_the_quiet_targets_after_it_checked_one_by_one():
    # tasks[0]'s endpoint breaks (the group is told), tasks[2]'s behind its back: at the
    # instant tasks[0] turns unhealthy, the targets after it are read again, one by one, as
    # checking every target would; tasks[2]'s failure is counted then, not before.
    sim, tg, tasks = quiet_group()
    sim.service.break_health(tasks[0])
    tasks[2].failing_health = True
    tg.check_instant(20.0, fast)
    assert [tg.targets[t].fails for t in tasks] == [1, 0, 0]
    tg.check_instant(30.0, fast)
    assert tg.targets[tasks[0]].state is not TargetState.HEALTHY
    assert [tg.targets[t].fails for t in tasks[1:]] == [0, 1]


def test_a_slow_quiet_target_has_every_target_read():
    sim, tg, tasks = quiet_group()
    tasks[1].failing_health = True      # behind the group's back, seen once every target is read
    slow_slot = tasks[0].slot
    tg.check_instant(20.0, lambda slots: np.where(slots == slow_slot, 6.0, 0.0))
    assert [tg.targets[t].fails for t in tasks] == [1, 1, 0]


# ---------------------------------------------------------------- zone counts
def zones(sim):
    return {z: n for z, n in sorted(sim.service.counted_by_zone().items()) if n}


def test_zone_counts_follow_launches_stops_and_flags():
    sim = Simulation(scenario_from_dict({**STEADY, "service": {"desired_count": 6, "availability_zones": 3}}))
    service = sim.service
    assert zones(sim) == {0: 2, 1: 2, 2: 2} == dict(walked_zones(service))
    by_zone = {z: [t for t in service.counted() if t.zone == z] for z in range(3)}
    service.stop_task(by_zone[0][0], "test")                      # 1 in zone 1 now
    service.crash(by_zone[1][0], "test")                          # launches its replacement
    assert zones(sim) == dict(walked_zones(service))
    replacement = service.tasks[-1]
    assert replacement.zone in (0, 1) and len(service.counted()) == 6
    service.move_to_zone(by_zone[2][0], 0)                        # flagged: no longer counted
    assert zones(sim) == dict(walked_zones(service))
    assert az_rebalancing.zone_counts(service) == Counter({z: walked_zones(service)[z] for z in range(3)})


def test_zone_counts_leave_out_a_zone_that_is_out():
    data = {**STEADY, "service": {"desired_count": 6, "availability_zones": 3},
            "faults": [{"type": "az_outage", "at": 60, "duration": 120, "zone": 2}]}
    sim = Simulation(scenario_from_dict(data))
    sim.env.run(until=61)
    counts = az_rebalancing.zone_counts(sim.service)
    assert 1 not in counts and counts == Counter({z: walked_zones(sim.service)[z] for z in (0, 2)})

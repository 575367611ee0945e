"""An Availability Zone outage and AZ rebalancing (fargatesim/ecs/az_outage.py, az_rebalancing.py)."""
from __future__ import annotations

from collections import Counter

import pytest

from fargatesim.ecs.az_rebalancing import CHECK_INTERVAL_S
from fargatesim.ecs.task import TaskState
from fargatesim.engine import Simulation
from fargatesim.scenario import ScenarioError, scenario_from_dict

AT, DURATION = 1800.0, 1200.0
INTERVAL, UNHEALTHY_THRESHOLD = 10, 3
# The check at the instant the zone fails already fails; unhealthy_threshold of them in a row.
UNHEALTHY_AT = AT + (UNHEALTHY_THRESHOLD - 1) * INTERVAL


def scenario(*, zone=2, zones=3, desired=6, rebalancing="ENABLED", rps=60.0, **service):
    return scenario_from_dict({
        "name": "az", "duration": "2h", "seed": 4,
        "traffic": [{"constant": {"rps": rps}}],
        "workload": {"cpu_ms": 20},
        "task_definition": {"cpu": 512, "memory": 1024,
                            "container_definitions": [{"name": "web", "port_mappings": [{"container_port": 80}]}]},
        "service": {"desired_count": desired, "availability_zones": zones,
                    "availability_zone_rebalancing": rebalancing, **service},
        "target_group": {"deregistration_delay": 30,
                         "health_check": {"interval": INTERVAL, "timeout": 5, "healthy_threshold": 2,
                                          "unhealthy_threshold": UNHEALTHY_THRESHOLD}},
        "faults": [{"type": "az_outage", "at": AT, "duration": DURATION, "zone": zone}],
    })


def run(**kw) -> Simulation:
    return Simulation(scenario(**kw)).run()


def in_zone_at(sim, t: float) -> Counter:
    """RUNNING tasks per zone (numbered from 1) at time t, from each task's history."""
    counts = Counter()
    for task in sim.service.tasks:
        state = None
        for when, s in task.history:
            if when <= t:
                state = s
        if state is TaskState.RUNNING:
            counts[task.zone + 1] += 1
    return counts


def records_between(sim, name, t0, t1):
    k0, k1 = int(t0 / sim.tick), int(t1 / sim.tick)
    return int(getattr(sim.records, name)[k0:k1].sum())


def test_the_zones_targets_turn_unhealthy_after_the_threshold_and_are_replaced_elsewhere():
    sim = run()
    cut = [t for t in sim.service.tasks if t.zone == 1 and t.created_at == 0]
    assert len(cut) == 2
    events = [e for e in sim.events if e[1] == "target_state" and e[2] in {t.id for t in cut}
              and "-> unhealthy" in e[3]]
    assert [e[0] for e in events] == [UNHEALTHY_AT, UNHEALTHY_AT]
    replacements = [t for t in sim.service.tasks if t.replacing in cut]
    assert len(replacements) == 2 and all(t.zone != 1 for t in replacements)


def test_nothing_is_placed_in_the_zone_while_it_is_out():
    sim = run()
    during = [t for t in sim.service.tasks if AT <= t.created_at < AT + DURATION]
    assert during and all(t.zone != 1 for t in during)
    assert in_zone_at(sim, AT + DURATION - 1)[2] == 0
    assert sum(in_zone_at(sim, AT + DURATION - 1).values()) == 6


def test_requests_fail_only_until_the_load_balancer_stops_routing_to_the_zone():
    sim = run()
    # Until the zone's targets are unhealthy, a third of the requests go to it and fail.
    failed = records_between(sim, "elb_502", AT, UNHEALTHY_AT)
    arrived = records_between(sim, "arrivals", AT, UNHEALTHY_AT)
    assert failed == pytest.approx(arrived / 3, rel=0.1)
    assert records_between(sim, "elb_502", UNHEALTHY_AT, sim.n_ticks * sim.tick) == 0
    assert int(sim.records.errors().sum()) == int(sim.records.elb_502.sum()) + int(sim.records.reset_on_stop.sum())


def test_rebalancing_moves_tasks_back_once_the_zone_returns():
    sim = run()
    end = AT + DURATION
    # The next check, a start-up, and the health checks that make the new task healthy.
    settled = end + CHECK_INTERVAL_S + 60 + 3 * INTERVAL
    assert in_zone_at(sim, settled + 60) == Counter({1: 2, 2: 2, 3: 2})
    moves = [e for e in sim.events if e[1] == "task_state" and "AZ rebalancing" in e[3] and "PROVISIONING" in e[3]]
    assert len(moves) == 2 and all(end <= e[0] <= end + CHECK_INTERVAL_S for e in moves)
    assert any(e[1] == "service" and "AZ rebalancing: 3 in zone 1, 0 in zone 2, 3 in zone 3" in e[3]
               for e in sim.events)


def test_without_rebalancing_the_zone_stays_empty():
    sim = run(rebalancing="DISABLED")
    assert in_zone_at(sim, sim.n_ticks * sim.tick - 1)[2] == 0
    assert not any("AZ rebalancing" in e[3] for e in sim.events)


def test_a_task_starting_in_the_zone_never_starts_and_is_replaced():
    # A cold start launches two tasks per zone; the zone fails while they are still starting.
    s = scenario_from_dict({**scenario().to_dict(),
                            "service": {**scenario().to_dict()["service"], "cold_start": True},
                            "faults": [{"type": "az_outage", "at": 5, "duration": 600, "zone": 2}]})
    sim = Simulation(s).run()
    starting = [t for t in sim.service.tasks if t.zone == 1 and t.created_at == 0]
    assert len(starting) == 2
    assert all(t.running_at is None and t.state is TaskState.STOPPED for t in starting)
    assert in_zone_at(sim, 300) == Counter({1: 3, 3: 3})


def test_every_request_is_accounted_for_through_an_outage_of_a_busy_service():
    sim = run(rps=140.0, desired=6)     # 93 % CPU: the survivors are overloaded until replacements come
    r = sim.records
    assert int(r.arrivals.sum()) == int(r.ok.sum() + r.errors().sum()) + sim.in_flight_at_end


def test_an_outage_of_a_single_zone_service_keeps_its_tasks_waiting_there():
    sim = run(zones=1, zone=1, desired=2)
    # Nowhere else to go: the replacements start in the zone and stay unreachable until it returns.
    assert all(t.zone == 0 for t in sim.service.tasks)
    assert records_between(sim, "ok", AT + 60, AT + DURATION) == 0
    assert records_between(sim, "ok", AT + DURATION + 120, AT + DURATION + 600) > 0


@pytest.mark.parametrize("change, where, words", [
    ({"zone": 4}, "faults[0].zone", ["from 1 to service.availability_zones (3)", "got 4"]),
    ({"zone": 0}, "faults[0].zone", ["0"]),
    ({"duration": 0}, "faults[0].duration", ["0"]),
])
def test_bad_outages_are_refused_with_the_key(change, where, words):
    data = scenario().to_dict()
    data["faults"][0].update(change)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.path == where
    for word in words:
        assert word in info.value.message


def test_the_overview_marks_the_outage_its_end_and_the_rebalancing():
    import pandas as pd

    from fargatesim.plots.events import AZ_REBALANCING, FAULTS, classify
    sim = run()
    events = pd.DataFrame(sim.events, columns=["t_s", "kind", "subject", "detail"])
    marks = {mark.label: list(times) for mark, times in classify(events)}
    assert marks[FAULTS["az_outage"].label] == [AT]
    assert marks[FAULTS["az_outage over"].label] == [AT + DURATION]
    assert marks[AZ_REBALANCING.label] == [AT + DURATION]
    assert "operator action" not in marks


def test_overlapping_outages_of_a_zone_end_with_the_last():
    s = scenario().to_dict()
    s["faults"] = [{"type": "az_outage", "at": AT, "duration": DURATION, "zone": 2},
                   {"type": "az_outage", "at": AT + 600, "duration": DURATION, "zone": 2}]
    sim = Simulation(scenario_from_dict(s)).run()
    end = AT + 600 + DURATION
    assert in_zone_at(sim, end - 1)[2] == 0
    assert not any(e[1] == "service" and "AZ rebalancing" in e[3] and e[0] < end for e in sim.events)
    assert any("still out" in e[3] for e in sim.events if e[0] == AT + DURATION)
    assert in_zone_at(sim, end + CHECK_INTERVAL_S + 60 + 3 * INTERVAL + 60)[2] == 2


def test_a_replacement_takes_the_zone_of_the_task_it_replaces():
    # No outage: an unhealthy task's replacement goes to its zone, so no rebalancing follows.
    s = scenario().to_dict()
    s["faults"] = [{"type": "task_unhealthy", "at": AT, "count": 1}]
    sim = Simulation(scenario_from_dict(s)).run()
    replaced = [t for t in sim.service.tasks if t.replacing is not None]
    assert len(replaced) == 1 and replaced[0].zone == replaced[0].replacing.zone
    assert not any("AZ rebalancing" in e[3] for e in sim.events)

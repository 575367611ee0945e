"""Rolling deployments, against the ECS best-practice guide's walk-through (aws-behaviour 9.12)."""
import pytest

from fargatesim.ecs.task import TaskState
from fargatesim.engine import Simulation
from fargatesim.scenario import scenario_from_dict

DEPLOY_AT = 600.0


def run(min_healthy, maximum, *, autoscaling=None, rps=60, duration="40m", deploy_at=DEPLOY_AT):
    data = {
        "name": "deploy", "duration": duration, "seed": 4,
        "traffic": [{"constant": {"rps": rps}}],
        "workload": {"cpu_ms": 20, "timeout": "30s"},
        "task_definition": {"cpu": 1024, "memory": 2048,
                            "startup": {"distribution": "uniform", "low": 30, "high": 40},
                            "container_definitions": [{"name": "app", "port_mappings": [{"container_port": 80}],
                                                       "app_start": 5}]},
        "service": {"desired_count": 6, "deployment_minimum_healthy_percent": min_healthy,
                    "deployment_maximum_percent": maximum},
        "target_group": {"deregistration_delay": 30,
                         "health_check": {"interval": 10, "timeout": 5, "healthy_threshold": 2,
                                          "unhealthy_threshold": 2}},
        "actions": [{"type": "deploy", "at": deploy_at}],
    }
    if autoscaling:
        data["autoscaling"] = autoscaling
    sim = Simulation(scenario_from_dict(data)).run()
    return sim


def launches_and_stops(sim):
    new = sorted(t.created_at for t in sim.service.tasks if t.revision == 2)
    old_stops = sorted(next(at for at, st in t.history if st is TaskState.DEACTIVATING)
                       for t in sim.service.tasks if t.revision == 1 and t.stop_requested)
    return new, old_stops


def healthy_during(sim, t0, t1):
    return [snap["healthy_targets"] for t, snap in sim.snapshots if t0 <= t <= t1]


def test_defaults_start_a_whole_new_set_then_stop_the_old_as_it_turns_healthy():
    sim = run(100, 200)
    new, old_stops = launches_and_stops(sim)
    assert len(new) == 6 and len(old_stops) == 6
    assert all(t == DEPLOY_AT for t in new)           # 200 %: room for all six at once
    assert min(old_stops) > DEPLOY_AT + 30             # nothing old stops before new ones serve
    assert min(healthy_during(sim, DEPLOY_AT, 1800)) >= 6   # 100 %: never below six healthy
    assert sim.service.live() and all(t.revision == 2 for t in sim.service.live())


def test_fifty_percent_stops_half_first_then_replaces_in_two_rounds():
    sim = run(50, 100)
    new, old_stops = launches_and_stops(sim)
    assert len(new) == 6 and len(old_stops) == 6
    # Round 1: three old stop at once to make room, three new start.
    assert old_stops[:3] == [DEPLOY_AT] * 3
    assert new[:3] == [DEPLOY_AT] * 3
    # Round 2 waits for the first three to be healthy, then the rest swap.
    assert old_stops[3] > DEPLOY_AT + 30 and new[3] >= old_stops[3]
    assert min(healthy_during(sim, DEPLOY_AT, 1800)) >= 3   # ceil(50 % of 6)
    events = sim.events
    assert any(kind == "deployment" and "completed" in detail for _, kind, _, detail in events)


def test_scale_in_is_suspended_while_a_deployment_runs():
    policy = {"name": "cpu", "policy_type": "TargetTrackingScaling",
              "target_tracking_scaling_policy_configuration": {
                  "target_value": 70, "scale_in_cooldown": 0,
                  "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}
    # Little load: AlarmLow goes to ALARM at 18 min (15 datapoints, published 3 min late),
    # while a deployment started 20 s earlier is still running.
    start = 17 * 60 + 40
    sim = run(100, 200, rps=5, autoscaling={"min_capacity": 1, "max_capacity": 10, "policies": [policy]},
              duration="60m", deploy_at=start)
    done = next(t for t, kind, _, d in sim.events if kind == "deployment" and "completed" in d)
    decisions = sim.scalable_target.decisions
    during = [d for d in decisions if start <= d.t < done]
    assert during and all(d.reason == "ScaleInSuspendedDuringDeployment" for d in during)
    after = [d for d in decisions if d.kind == "scale-in"]
    assert after and after[0].t >= done          # it scales in once the deployment is over


@pytest.mark.parametrize("min_healthy, maximum", [(100, 200), (50, 100), (0, 100)])
def test_deployments_lose_no_request_and_end_with_the_new_revision(min_healthy, maximum):
    sim = run(min_healthy, maximum)
    r = sim.records
    assert r.reset_on_stop.sum() == 0                 # old tasks drained before they stopped
    assert {t.revision for t in sim.service.live()} == {2}
    if min_healthy > 0:
        assert r.elb_503.sum() == 0

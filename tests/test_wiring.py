"""Wiring takes what it needs: install_autoscaling builds from the parts it is given and returns
what it started (the engine keeps it); the ECS service gets its sections and its EC2 cluster,
not the scenario; and a Spot strategy on a platform Fargate Spot does not run is the scenario's
error, raised when it is loaded, changed or built from a dict."""
from __future__ import annotations

import inspect
from datetime import datetime, timezone

import pytest
import simpy
import yaml
from conftest import BASE, build_scenario

from fargatesim.autoscaling.policies import StepScalingPolicy
from fargatesim.autoscaling.wiring import Autoscaling, install_autoscaling
from fargatesim.ecs.ec2_cluster import Ec2Cluster, cluster_for
from fargatesim.ecs.service import Service
from fargatesim.engine import Simulation
from fargatesim.scenario import ScenarioError, load_scenario, scenario_from_dict

CPU_TT = {"name": "cpu-50", "policy_type": "TargetTrackingScaling",
          "target_tracking_scaling_policy_configuration": {
              "target_value": 50,
              "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}}
STEP = {"name": "add-two", "policy_type": "StepScaling", "step_scaling_policy_configuration": {
    "adjustment_type": "ChangeInCapacity", "metric_aggregation_type": "Average",
    "step_adjustments": [{"metric_interval_lower_bound": 0, "scaling_adjustment": 2}]}}
HOURLY = {"name": "floor-5", "schedule": "cron(30 * * * ? *)", "scalable_target_action": {"min_capacity": 5}}
AUTOSCALING = {"min_capacity": 2, "max_capacity": 10, "policies": [CPU_TT, STEP], "scheduled_actions": [HOURLY]}


class AlarmsKept:
    """An alarm evaluator that only keeps the alarms it is given (it evaluates none)."""

    def __init__(self):
        self.alarms = []

    def add(self, alarm):
        self.alarms.append(alarm)
        return alarm


class StandInService:
    """What the scalable target and its policies read and set on an ECS service."""

    def __init__(self, desired: int):
        self.desired_count = self.running = desired
        self.deploying = False

    def running_count(self) -> int:
        return self.running

    def set_desired(self, value: int, cause: str, *, quiet: bool = False) -> None:
        self.desired_count = value


def test_install_autoscaling_builds_from_its_parts_and_returns_what_it_started():
    cfg = build_scenario(autoscaling=AUTOSCALING).autoscaling
    env, events = simpy.Environment(), []
    record = lambda *event: events.append(event)      # noqa: E731
    alarms = AlarmsKept()
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    got = install_autoscaling(env, cfg, service=StandInService(3), alarms=alarms, metric_delay=lambda p: 60.0,
                              record_event=record, touch=lambda: None, start=start, duration=3 * 3600.0,
                              resource_id="service/default/web")
    assert isinstance(got, Autoscaling)
    assert (got.target.min_capacity, got.target.max_capacity) == (2, 10)
    assert list(got.step_policies) == ["add-two"] and isinstance(got.step_policies["add-two"], StepScalingPolicy)
    assert got.scheduled == [(1800.0, "floor-5"), (5400.0, "floor-5"), (9000.0, "floor-5")]
    # Target tracking put its two alarms on the evaluator it was given, named after the resource.
    assert [a.name.split("-AlarmHigh-")[0].split("-AlarmLow-")[0] for a in alarms.alarms] == \
        ["TargetTracking-service/default/web"] * 2
    env.run(until=1801)
    assert got.target.min_capacity == 5


def test_install_autoscaling_refuses_custom_policies_without_bounds_naming_the_file():
    with pytest.raises(ScenarioError) as info:
        install_autoscaling(simpy.Environment(), None, service=StandInService(1), alarms=None,
                            metric_delay=lambda p: 60.0, record_event=print, touch=print,
                            start=datetime(2026, 1, 5, tzinfo=timezone.utc), duration=60.0,
                            resource_id="service/default/web", source="mine.yaml")
    assert info.value.path == "autoscaling" and str(info.value).startswith("mine.yaml: ")


def test_the_engine_keeps_what_install_autoscaling_returned():
    sim = Simulation(build_scenario(duration="2h", autoscaling=AUTOSCALING))
    assert sim.scheduled == [(1800.0, "floor-5"), (5400.0, "floor-5")]
    assert (sim.scalable_target.min_capacity, sim.scalable_target.max_capacity) == (2, 10)
    plain = Simulation(build_scenario())
    assert plain.scheduled == [] and plain.scalable_target is None and plain.alarms is None


def test_the_service_gets_its_sections_and_cluster_not_the_scenario():
    params = inspect.signature(Service).parameters
    assert "scenario" not in params
    assert list(params)[:3] == ["env", "cfg", "task_definition"] and params["cluster"].default is None
    fargate = build_scenario()
    assert cluster_for(simpy.Environment(), fargate.service, fargate.task_definition, fargate.pricing,
                       seed=fargate.seed, record_event=print) is None
    s = build_scenario(service={"launch_type": "EC2", "ec2": {"instance_type": "m5.large", "min_size": 2}})
    sim = Simulation(s)
    assert sim.service.cfg is s.service and sim.service.task_def is s.task_definition
    assert isinstance(sim.service.cluster, Ec2Cluster)
    assert sim.service.cluster.instance_type.name == "m5.large" and len(sim.service.cluster.instances) == 2


# ------------------------------------------------------------------ Spot on a platform it does not run
SPOT_ON_ARM = {"service": {"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": 1, "weight": 1},
                                                          {"capacity_provider": "FARGATE_SPOT", "weight": 3}]},
               "task_definition": {"runtime_platform": {"cpu_architecture": "ARM64"}}}
WHERE = "service.capacity_provider_strategy[1].capacity_provider"


def check(err: ScenarioError) -> None:
    assert err.path == WHERE
    assert err.message == ("expected a task definition that Fargate Spot runs (LINUX/X86_64); "
                           "task_definition.runtime_platform is LINUX/ARM64")


def test_spot_on_arm64_is_the_scenarios_error_when_loaded(tmp_path):
    data = {**BASE, "service": SPOT_ON_ARM["service"],
            "task_definition": {**BASE["task_definition"], **SPOT_ON_ARM["task_definition"]}}
    path = tmp_path / "spot-arm.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    check(info.value)
    assert str(info.value).startswith(f"{path}: ")
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    check(info.value)


def test_spot_on_arm64_is_the_scenarios_error_when_changed_into():
    on_spot = build_scenario(service=SPOT_ON_ARM["service"])
    on_arm = build_scenario(task_definition=SPOT_ON_ARM["task_definition"])
    Simulation(on_spot), Simulation(on_arm)                # each alone is fine
    with pytest.raises(ScenarioError) as info:
        on_spot.with_changes({"task_definition.runtime_platform.cpu_architecture": "ARM64"})
    check(info.value)
    with pytest.raises(ScenarioError) as info:
        on_arm.with_changes({"service.capacity_provider_strategy": SPOT_ON_ARM["service"]["capacity_provider_strategy"]})
    check(info.value)

"""launch_type EC2: tasks binpacked onto instances, the instance count following the tasks (ECS
cluster auto scaling), the instances billed per second; and the scenario keys that describe them."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from fargatesim.cost import PriceTable
from fargatesim.cost.ec2 import cluster_cost
from fargatesim.ecs.bin_packing import Capacity, binpack_choice, instances_needed, registered_capacity
from fargatesim.ecs.ec2_cluster import SCALE_IN_DATAPOINTS
from fargatesim.ecs.timings import PROVISIONING_SHARE
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import ScenarioError, load_scenario

from conftest import BASE, build_scenario

M5_LARGE_USD_H = 0.096
# build_scenario's task: 1024 CPU units and 2048 MiB, so an m5.large (2048 units) holds two.
TASK = Capacity(1024, 2048)
# Instances that register 150 s after launch and tasks that start 20 s after placement make the
# times below exact.
FIXED = {"instance_startup": 150, "task_startup": 20}


def ec2(**keys):
    return {"launch_type": "EC2", "ec2": {**FIXED, **keys}}


def run(**changes):
    sim = Simulation(build_scenario(**changes)).run()
    return sim, Result.from_simulation(sim)


def events(sim, kind, startswith=""):
    return [(t, s, d) for t, k, s, d in sim.events if k == kind and d.startswith(startswith)]


def instances_at(sim, t):
    return sum(1 for i in sim.service.cluster.instances
               if max(i.launched_at, 0) <= t and (i.terminated_at is None or i.terminated_at > t))


# ---------------------------------------------------------------------- bin packing by hand
def test_what_an_instance_registers():
    """1,024 CPU units per vCPU; the memory the OS reports (installed less 2.5 %) less
    ECS_RESERVED_MEMORY. AWS's m4.large example: 8 GiB installed, 7,985 MiB reported."""
    assert registered_capacity(2, 8) == Capacity(2048, 7987)
    assert abs(registered_capacity(2, 8).memory - 7985) <= 2
    assert registered_capacity(2, 4) == Capacity(2048, 3993)
    assert registered_capacity(2, 8, reserved_memory=256) == Capacity(2048, 7731)
    assert registered_capacity(4, 16, os_memory_overhead=0.0) == Capacity(4096, 16384)
    # CPU limits an m5.large to two 1 vCPU / 2 GB tasks; memory limits a c5.large to one.
    assert registered_capacity(2, 8).how_many(TASK) == 2
    assert registered_capacity(2, 4).how_many(TASK) == 1
    assert registered_capacity(8, 16).how_many(TASK) == 7


def test_binpack_takes_the_instance_with_the_least_memory_left_that_still_fits():
    free = [Capacity(2048, 4000), Capacity(1024, 1500), Capacity(1024, 3000), Capacity(512, 8000)]
    assert binpack_choice(free, Capacity(1024, 1024)) == 1       # 1,500 MiB left: the tightest
    assert binpack_choice(free, Capacity(1024, 2048)) == 2       # #1 lacks memory, #3 lacks CPU
    assert binpack_choice(free, Capacity(2048, 2048)) == 0
    assert binpack_choice(free, Capacity(4096, 1)) is None
    # ties go to the instance listed (registered) first
    assert binpack_choice([Capacity(1024, 2048), Capacity(1024, 2048)], TASK) == 0


def test_instances_needed_fills_the_instances_still_launching_first():
    m5 = registered_capacity(2, 8)
    assert instances_needed([TASK] * 5, [], m5) == (0, 3)
    assert instances_needed([TASK] * 5, [m5], m5) == (1, 2)
    assert instances_needed([TASK], [m5, m5], m5) == (1, 0)
    assert instances_needed([], [m5], m5) == (0, 0)
    # a task no instance of the type can hold is not counted (cluster auto scaling skips it)
    assert instances_needed([Capacity(4096, 1024)], [], m5) == (0, 0)


# ---------------------------------------------------------------------- the cluster in a run
def test_steady_tasks_are_binpacked_onto_as_few_instances_as_hold_them():
    sim, _ = run(duration="2m", service={"desired_count": 5, **ec2()})
    cluster = sim.service.cluster
    assert [len(i.tasks) for i in cluster.instances] == [2, 2, 1]
    assert all(i.registered for i in cluster.instances)


def test_a_task_waits_in_provisioning_until_a_launched_instance_registers():
    """2 tasks fill one m5.large; at 5 min the service wants 5: three wait. At the minute's
    scaling decision ECS launches the two instances they need; they register 150 s later, and
    each task is PENDING on one of them at that instant and RUNNING 20 s after."""
    sim, result = run(duration="15m", service={"desired_count": 2, **ec2()},
                      actions=[{"type": "set_desired_count", "at": "5m", "value": 5}])
    launched = events(sim, "container_instance", "pending")
    assert [t for t, _, _ in launched] == [300.0, 300.0]
    assert "3 task(s) waiting for capacity" in launched[0][2]
    assert "CapacityProviderReservation 300 %" in launched[0][2]      # M 3 (1 + 2), N 1
    registered = events(sim, "container_instance", "registered:")
    assert [t for t, _, _ in registered] == [450.0, 450.0]
    new_tasks = [t for t in sim.service.tasks if t.created_at == 300.0]
    assert len(new_tasks) == 3
    for task in new_tasks:
        states = dict((s.value, t) for t, s in task.history)
        assert states["PROVISIONING"] == 300.0 and states["PENDING"] == 450.0
        assert task.running_at == pytest.approx(470.0)
    pending = events(sim, "task_state", "PENDING (on i-")
    assert sorted(d for _, _, d in pending) == ["PENDING (on i-0002)", "PENDING (on i-0002)", "PENDING (on i-0003)"]
    # while they waited they were pending, not running
    row = result.timeseries.set_index("t_s").loc[360.0]
    assert row["running_count"] == 2 and row["pending_count"] == 3


def test_a_task_with_room_starts_at_once_and_faster_than_on_fargate():
    """With room on an instance there is no ENI provisioning: the task is PENDING as it is
    placed, and takes the Fargate draw less its ENI share to start (the same random draws)."""
    changes = dict(duration="5m", service={"desired_count": 2, "cold_start": True})
    fargate, _ = run(**changes)
    on_ec2, _ = run(**{**changes, "service": {**changes["service"], "launch_type": "EC2",
                                              "ec2": {"min_size": 1}}})
    for f, e in zip(fargate.service.tasks, on_ec2.service.tasks, strict=True):
        draw = f.running_at - f.created_at                        # PROVISIONING..RUNNING on Fargate
        assert e.history[1] == (0.0, e.history[1][1]) and e.history[1][1].value == "PENDING"
        assert e.running_at == pytest.approx(draw * (1 - PROVISIONING_SHARE))
    assert np.array_equal(fargate.records.arrivals, on_ec2.records.arrivals)


def test_target_capacity_keeps_spare_instances_and_new_tasks_use_them_at_once():
    """target_capacity 50: twice the instances the tasks need. 4 tasks need 2 m5.large, so 4
    run; 4 more tasks go onto the 2 spare ones at once, and the next minute ECS launches 4 more
    to be back at 50 %."""
    sim, _ = run(duration="12m", service={"desired_count": 4, **ec2(target_capacity=50)},
                 actions=[{"type": "set_desired_count", "at": "150s", "value": 8}])
    assert instances_at(sim, 0) == 4
    late = [t for t in sim.service.tasks if t.created_at == 150.0]
    assert len(late) == 4 and all(t.history[1] == (150.0, t.history[1][1]) for t in late)   # no wait
    assert [t for t, _, _ in events(sim, "container_instance", "pending")] == [180.0] * 4
    assert instances_at(sim, 600) == 8


def test_the_instance_count_follows_the_tasks_down_after_15_minutes_empty():
    """Scale-in from 6 tasks to 2: binpack stops the tasks so that whole instances empty; the
    two left share one instance, and the empty ones are terminated once CapacityProviderReservation
    has been below target for 15 one-minute datapoints, at most (N - 1) // 2 a minute."""
    sim, _ = run(duration="40m", service={"desired_count": 6, **ec2()},
                 target_group={"deregistration_delay": 0},
                 actions=[{"type": "set_desired_count", "at": "2m", "value": 2}])
    cluster = sim.service.cluster
    holding = [i for i in cluster.instances if i.tasks]
    assert len(holding) == 1 and len(holding[0].tasks) == 2
    # the stopped tasks free their instances a few seconds after 2m (SIGTERM, deprovisioning)
    terminated = [(t, s) for t, s, _ in events(sim, "container_instance", "terminated")]
    first_low = 180.0                                   # the first minute with N > desired
    assert [t for t, _ in terminated] == [first_low + (SCALE_IN_DATAPOINTS - 1) * 60] * 1 + \
        [first_low + SCALE_IN_DATAPOINTS * 60]
    assert instances_at(sim, 2399) == 1


def test_instance_warmup_blocks_the_next_scale_out():
    """A second need for an instance within instance_warmup_period of the last launch waits
    until the warm-up is over."""
    sim, _ = run(duration="15m", service={"desired_count": 2, **ec2(instance_warmup_period=300)},
                 actions=[{"type": "set_desired_count", "at": "1m", "value": 3},
                          {"type": "set_desired_count", "at": "5m", "value": 6}])
    assert [t for t, _, _ in events(sim, "container_instance", "pending")] == [60.0, 360.0]


def test_max_size_caps_the_instances_and_the_rest_wait():
    sim, result = run(duration="10m", service={"desired_count": 2, **ec2(max_size=2)},
                      actions=[{"type": "set_desired_count", "at": "1m", "value": 6}])
    assert len(sim.service.cluster.instances) == 2
    assert result.timeseries["running_count"].iloc[-1] == 4
    assert result.timeseries["pending_count"].iloc[-1] == 2


def test_a_stopped_waiting_task_gives_up_its_place_in_the_queue():
    sim, _ = run(duration="10m", service={"desired_count": 2, **ec2()},
                 actions=[{"type": "set_desired_count", "at": "1m", "value": 4},
                          {"type": "set_desired_count", "at": "90s", "value": 2}])
    cluster = sim.service.cluster
    assert cluster.waiting == []
    assert sum(len(i.tasks) for i in cluster.instances) == 2


# ---------------------------------------------------------------------- billing
def test_instances_are_billed_per_second_with_a_one_minute_minimum_by_hand():
    prices = PriceTable.load()
    instance = SimpleNamespace
    spans = [instance(instance_type="m5.large", launched_at=-86400.0, terminated_at=None),   # all hour
             instance(instance_type="m5.large", launched_at=100.0, terminated_at=130.0),     # 30 s: 60 billed
             instance(instance_type="m5.large", launched_at=200.4, terminated_at=1000.0)]    # 799.6 s: 800
    cost = cluster_cost(spans, 3600.0, prices, task_hours=1.5, instance_type="m5.large")
    assert cost["usd"] == pytest.approx(M5_LARGE_USD_H * (3600 + 60 + 800) / 3600, abs=1e-6)
    assert cost["billed_instance_hours"] == pytest.approx((3600 + 60 + 800) / 3600, abs=1e-6)
    assert cost["instance_hours"] == pytest.approx((3600 + 30 + 799.6) / 3600, abs=1e-6)
    assert (cost["instances"], cost["peak_instances"]) == (3, 2)
    assert cost["mean_instances"] == pytest.approx((3600 + 30 + 799.6) / 3600, abs=1e-3)
    assert cost["task_hours"] == 1.5
    # an instance terminated as another launches is not counted with it
    back_to_back = [instance(instance_type="c5.large", launched_at=0.0, terminated_at=600.0),
                    instance(instance_type="c5.large", launched_at=600.0, terminated_at=None)]
    assert cluster_cost(back_to_back, 1200.0, prices)["peak_instances"] == 1


def test_an_ec2_service_pays_for_its_instances_and_nothing_for_its_tasks():
    """Five steady tasks for an hour on m5.large: three instances, 3 x $0.096; no Fargate charge."""
    _, result = run(duration="1h", service={"desired_count": 5, **ec2()})
    cost = result.summary["cost"]
    assert cost["usd"] == pytest.approx(3 * M5_LARGE_USD_H, abs=1e-6)
    assert cost["ec2"] == {"instance_type": "m5.large", "instances": 3, "peak_instances": 3,
                           "mean_instances": 3.0, "instance_hours": 3.0, "billed_instance_hours": 3.0,
                           "usd": round(3 * M5_LARGE_USD_H, 6), "task_hours": 5.0}
    assert cost["fargate_vcpu_usd"] == cost["fargate_memory_usd"] == cost["billed_task_hours"] == 0.0
    assert cost["capacity_providers"]["FARGATE"]["usd"] == 0.0
    assert cost["task_hours"] == 5.0 and result.summary["tasks"]["task_hours"] == 5.0


def test_a_fargate_service_has_the_same_cost_keys_with_no_instances():
    _, result = run(duration="10m")
    ec2_cost = result.summary["cost"]["ec2"]
    assert ec2_cost["instance_type"] is None and ec2_cost["instances"] == 0 and ec2_cost["usd"] == 0.0


def test_same_seed_same_bytes(tmp_path):
    changes = dict(duration="40m", service={"desired_count": 3, "launch_type": "EC2"},
                   actions=[{"type": "set_desired_count", "at": "5m", "value": 9},
                            {"type": "set_desired_count", "at": "15m", "value": 3}])
    outputs = [run(**changes)[1].save(tmp_path / str(i), plot=False) for i in range(2)]
    for name in ("summary.json", "timeseries.csv", "events.csv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    summary = json.loads((outputs[0] / "summary.json").read_text())
    assert summary["cost"]["ec2"]["instances"] > 2


# ---------------------------------------------------------------------- bad input
def load(tmp_path, service, task=None):
    data = copy.deepcopy(BASE)
    data["service"] = {**data["service"], **service}
    data["task_definition"].update(task or {})
    path = tmp_path / "ec2.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path, lambda: load_scenario(path)


@pytest.mark.parametrize("service, key, words", [
    ({"launch_type": "EC2", "ec2": {"instance_type": "c5.large"}, "task": {"memory": 4096}},
     "service.ec2.instance_type",
     ["room for one task (1024 CPU units, 4,096 MiB)", "c5.large registers 2048 CPU units and 3,993 MiB",
      "(4 GiB less 2.5% for the OS", "types that fit: c5.2xlarge, c5.xlarge, m5.2xlarge"]),
    ({"launch_type": "EC2", "ec2": {"instance_type": "m6g.large"}}, "service.ec2.instance_type",
     ["architecture X86_64", "m6g.large is ARM64"]),
    ({"launch_type": "EC2", "ec2": {"instance_type": "m5.larg"}}, "service.ec2.instance_type",
     ["on-demand price in us-east-1", "did you mean 'm5.large'", "'m5.larg'"]),
    ({"ec2": {"instance_type": "m5.large"}}, "service.ec2", ["launch_type: EC2", "'FARGATE'"]),
    ({"launch_type": "EC2", "ec2": {"min_size": 5, "max_size": 2}}, "service.ec2.min_size",
     ["min_size <= max_size (2)", "got 5"]),
    ({"launch_type": "EC2", "ec2": {"target_capacity": 0}}, "service.ec2.target_capacity", ["from 1 to 100", "0"]),
    ({"launch_type": "EC2", "ec2": {"instance_typ": "m5.large"}}, "service.ec2.instance_typ",
     ["unknown key", "did you mean 'instance_type'"]),
    ({"launch_type": "EC2", "ec2": {"ecs_reserved_memory": 7000}}, "service.ec2.instance_type",
     ["room for one task", "987 MiB", "ecs_reserved_memory 7000"]),
    ({"launch_type": "EXTERNAL"}, "service.launch_type", ["not supported yet", "FARGATE, EC2"]),
    ({"launch_type": "EC2", "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}]},
     "service.launch_type", ["AWS takes one or the other", "'EC2'"]),
])
def test_bad_ec2_settings_name_the_key(tmp_path, service, key, words):
    service = dict(service)
    path, loading = load(tmp_path, service, service.pop("task", None))
    with pytest.raises(ScenarioError) as info:
        loading()
    err = info.value
    assert err.file == str(path) and err.path == key, str(err)
    for word in words:
        assert word in err.message, (word, err.message)


def test_a_task_too_big_for_any_ec2_task_is_refused(tmp_path):
    path, loading = load(tmp_path, {"launch_type": "EC2"})
    data = yaml.safe_load(path.read_text())
    data["task_definition"].update(cpu=16384, memory=32768)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.path == "service.ec2.instance_type"
    assert "at most 10240 CPU units" in info.value.message and "16384" in info.value.message


def test_bad_ec2_settings_exit_2_with_one_line_and_no_traceback(tmp_path):
    path, _ = load(tmp_path, {"launch_type": "EC2", "ec2": {"instance_type": "c5.large"}}, {"memory": 4096})
    proc = subprocess.run([sys.executable, "-m", "fargatesim.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"fargatesim: {path}: service.ec2.instance_type: expected an instance type")

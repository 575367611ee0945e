"""The EC2 instances a launch_type EC2 service runs on, scaled by ECS cluster auto scaling.

One Auto Scaling group of one instance type, with managed scaling and managed termination
protection (ECS developer guide, "Amazon ECS cluster auto scaling"):

- A task goes onto a registered instance by binpack on memory (bin_packing.py). When no
  instance has room it waits, in PROVISIONING, until one has: an instance registers, or a
  task stops and frees its CPU and memory.
- "Every minute, Amazon ECS collects information": each minute the cluster counts M, the
  instances its tasks need (the instances that hold a task, plus what the waiting tasks need by
  binpack, instances still launching filled first), and N, the instances in the group.
  CapacityProviderReservation is M / N x 100, and the target tracking policy ECS manages keeps
  it at target_capacity: the group should have ceil(M x 100 / target_capacity) instances,
  within min_size and max_size. Below 100, the difference is kept as empty, spare instances.
- Scale-out launches the missing instances at once (at least minimum_scaling_step_size, at
  most maximum_scaling_step_size), but not while an instance launched less than
  instance_warmup_period ago is still warming up ("the scale-out is blocked for instances that
  are within the instanceWarmupPeriod").
- Scale-in: "CloudWatch scale-in alarms require 15 data points (15 minutes)"; after that the
  group shrinks "by more than one instance and less than 50 %" each minute, here by
  max(1, (N - 1) // 2) at most, and only empty instances go (managed termination protection:
  "Amazon ECS only terminates EC2 instances that don't have any running Amazon ECS tasks").

Assumptions (AWS documents none of these):
- An instance takes `instance_startup` (a (sim) key, 2 to 4 minutes by default) from launch until
  its agent registers it; nothing runs on it before.
- A task placed on an instance takes `task_startup` until RUNNING; by default the task
  definition's start-up time less the share that ecs/timings.py gives Fargate's ENI provisioning:
  the image pull and container start, with nothing cached on the host.
- The scale-out alarm acts on the first minute above target_capacity; a scale-out step launches
  what M says is missing at once.
- Among empty instances, the newest is terminated first (the Auto Scaling group's default
  termination policy ends in a random choice).
- Availability Zones, ENI limits and host ports do not limit placement: tasks are taken to use
  bridge networking with dynamic host ports, or awsvpc with ENI trunking.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from . import timings
from .bin_packing import Capacity, binpack_choice, instances_needed, registered_capacity

SCALING_PERIOD_S = 60.0
# simpy runs events of one instant by priority (URGENT 0, NORMAL 1), then in creation order.
_AFTER_OTHER_EVENTS = 2
SCALE_IN_DATAPOINTS = 15
# The cluster draws from its own streams, hung off the scenario seed under this key (like the
# jobs' streams), so that an EC2 run leaves the engine's streams as a Fargate run draws them.
_SPAWN_KEY = 0x65633269   # "ec2i"
_STREAMS = ("instance_startup", "task_startup")


@dataclass(eq=False)
class ContainerInstance:
    number: int
    instance_type: str
    capacity: Capacity                  # what the agent registers
    launched_at: float                  # billing starts (negative: running before the simulation)
    registered_at: float | None = None  # the agent has registered it; tasks may go here
    terminated_at: float | None = None
    tasks: list = field(default_factory=list)   # placed and not yet STOPPED

    @property
    def id(self) -> str:
        return f"i-{self.number:04d}"

    @property
    def in_group(self) -> bool:
        return self.terminated_at is None

    @property
    def registered(self) -> bool:
        return self.registered_at is not None and self.terminated_at is None


class Ec2Cluster:
    def __init__(self, env: simpy.Environment, cfg, instance_type, task_size: Capacity, *, seed: int,
                 record_event, start_scaling: bool = True):
        """`cfg`: the scenario's service.ec2 block; `instance_type`: its Ec2InstanceType."""
        self.env = env
        self.cfg = cfg
        self.instance_type = instance_type
        self.task_size = task_size
        self.capacity = registered_capacity(instance_type.vcpu, instance_type.memory_gib,
                                            os_memory_overhead=cfg.os_memory_overhead,
                                            reserved_memory=cfg.ecs_reserved_memory)
        sequences = np.random.SeedSequence(seed, spawn_key=(_SPAWN_KEY,)).spawn(len(_STREAMS))
        self.rng = {name: np.random.default_rng(seq) for name, seq in zip(_STREAMS, sequences)}
        self._event = record_event
        self.instances: list[ContainerInstance] = []
        self.placement: dict = {}                        # task -> its ContainerInstance
        self.waiting: list[tuple[object, simpy.Event]] = []
        self._low_periods = 0
        for _ in range(cfg.min_size):
            self._add_running("min_size at start")
        if start_scaling:
            env.process(self._scaling())

    # ---------------------------------------------------------------- queries
    def in_group(self) -> list[ContainerInstance]:
        return [i for i in self.instances if i.in_group]

    def free(self, instance: ContainerInstance) -> Capacity:
        used_cpu = len(instance.tasks) * self.task_size.cpu
        used_memory = len(instance.tasks) * self.task_size.memory
        return Capacity(instance.capacity.cpu - used_cpu, instance.capacity.memory - used_memory)

    def reservation(self) -> tuple[int, int]:
        """(M, N) of CapacityProviderReservation = M / N x 100: instances needed, instances in the group."""
        group = self.in_group()
        launching = [i for i in group if not i.registered]
        holding = sum(1 for i in group if i.registered and i.tasks)
        used, fresh = instances_needed([self.task_size] * len(self.waiting),
                                       [self.capacity] * len(launching), self.capacity)
        return holding + used + fresh, len(group)

    def desired_instances(self) -> int:
        m, _ = self.reservation()
        wanted = math.ceil(m * 100 / self.cfg.target_capacity - 1e-9)
        return min(max(wanted, self.cfg.min_size), self.cfg.max_size)

    # ---------------------------------------------------------------- tasks
    def task_startup(self, fargate_startup: float) -> float:
        """Seconds from placement until RUNNING; `fargate_startup` is the task's own draw."""
        if self.cfg.task_startup is not None:
            return float(self.cfg.task_startup.sample(self.rng["task_startup"], 1)[0])
        return fargate_startup * (1.0 - timings.PROVISIONING_SHARE)

    def place(self, task):
        """A process step: the instance the task runs on, once one has room (it waits meanwhile)."""
        instance = self._binpack()
        if instance is not None:
            self._assign(task, instance)
            return instance
        ready = self.env.event()
        self.waiting.append((task, ready))
        try:
            instance = yield ready
        except simpy.Interrupt:
            self.release(task)      # stopped while waiting, or just as an instance took it
            raise
        return instance

    def release(self, task) -> None:
        """The task is gone (STOPPED, or stopped before it started): its CPU and memory are free."""
        self.waiting = [(t, ev) for t, ev in self.waiting if t is not task]
        instance = self.placement.pop(task, None)
        if instance is not None:
            instance.tasks.remove(task)
            self._place_waiting()

    def start_steady(self, tasks) -> None:
        """Tasks RUNNING at t = 0 sit on instances registered long before, with the spare
        instances target_capacity keeps."""
        for task in tasks:
            instance = self._binpack()
            if instance is None:
                if len(self.in_group()) >= self.cfg.max_size:
                    from ..scenario.errors import ScenarioError
                    per = self.capacity.how_many(self.task_size)
                    raise ScenarioError(
                        f"expected room for the {len(tasks)} tasks running at the start: max_size "
                        f"{self.cfg.max_size} instances of {self.instance_type.name} hold {per} each",
                        path="service.ec2.max_size")
                instance = self._add_running("steady state at start")
            self._assign(task, instance)
        for _ in range(self.desired_instances() - len(self.in_group())):
            self._add_running(f"steady state at start: spare for target_capacity {self.cfg.target_capacity} %")

    def tasks_to_stop(self, live: list, how_many: int) -> list:
        """Scale-in by binpack: the task whose instance keeps the most memory once it is gone;
        tasks not placed yet first (they hold nothing), the newest on a tie."""
        room = {i: self.free(i).memory for i in self.in_group()}
        pool, chosen = list(live), []
        for _ in range(min(how_many, len(pool))):
            def key(task):
                instance = self.placement.get(task)
                if instance is None:
                    return (0, 0, -task.created_at, -task.slot)
                return (1, -(room[instance] + self.task_size.memory), -task.created_at, -task.slot)
            victim = min(pool, key=key)
            if victim in self.placement:
                room[self.placement[victim]] += self.task_size.memory
            chosen.append(victim)
            pool.remove(victim)
        return chosen

    def _binpack(self) -> ContainerInstance | None:
        candidates = [i for i in self.instances if i.registered]
        k = binpack_choice([self.free(i) for i in candidates], self.task_size)
        return None if k is None else candidates[k]

    def _assign(self, task, instance: ContainerInstance) -> None:
        instance.tasks.append(task)
        self.placement[task] = instance

    def _place_waiting(self) -> None:
        still = []
        for task, ready in self.waiting:
            instance = self._binpack()
            if instance is None:
                still.append((task, ready))
            else:
                self._assign(task, instance)
                ready.succeed(instance)
        self.waiting = still

    # ---------------------------------------------------------------- instances
    def _new(self, launched_at: float) -> ContainerInstance:
        instance = ContainerInstance(number=len(self.instances) + 1, instance_type=self.instance_type.name,
                                     capacity=self.capacity, launched_at=launched_at)
        self.instances.append(instance)
        return instance

    def _add_running(self, why: str) -> ContainerInstance:
        # Launched long before t = 0 (out of any warm-up) and billed from t = 0.
        instance = self._new(-timings.STEADY_STATE_AGE_S)
        instance.registered_at = instance.launched_at
        self._event(0.0, "container_instance", instance.id, f"registered ({why}): {self._offer()}")
        return instance

    def _offer(self) -> str:
        c = self.capacity
        return f"{self.instance_type.name}, {c.cpu} CPU units and {c.memory:,} MiB for tasks"

    def _launch(self, why: str) -> None:
        instance = self._new(self.env.now)
        self._event(self.env.now, "container_instance", instance.id, f"pending (launched: {why})")
        self.env.process(self._boot(instance))

    def _boot(self, instance: ContainerInstance):
        yield self.env.timeout(float(self.cfg.instance_startup.sample(self.rng["instance_startup"], 1)[0]))
        instance.registered_at = self.env.now
        self._event(self.env.now, "container_instance", instance.id, f"registered: {self._offer()}")
        self._place_waiting()

    def _terminate(self, instance: ContainerInstance, why: str) -> None:
        instance.terminated_at = self.env.now
        self._event(self.env.now, "container_instance", instance.id, f"terminated ({why})")

    # ---------------------------------------------------------------- cluster auto scaling
    def _scaling(self):
        while True:
            # After every other event of the same instant: a minute's decision sees the tasks
            # launched and stopped at that very instant, whichever process happened to run first.
            yield _LateTimeout(self.env, SCALING_PERIOD_S)
            self.scale()

    def scale(self) -> None:
        """One minute's decision of the target tracking policy on CapacityProviderReservation."""
        m, n = self.reservation()
        desired = self.desired_instances()
        now = self.env.now
        if desired > n:
            self._low_periods = 0
            group = self.in_group()
            if any(now - i.launched_at < self.cfg.instance_warmup_period for i in group):
                return
            step = max(desired - n, self.cfg.minimum_scaling_step_size)
            step = min(step, self.cfg.maximum_scaling_step_size, self.cfg.max_size - n)
            why = (f"CapacityProviderReservation {_percent(m, n)} above target_capacity "
                   f"{self.cfg.target_capacity} %: {len(self.waiting)} task(s) waiting for capacity, "
                   f"{m} instance(s) needed, {n} in the group")
            for _ in range(step):
                self._launch(why)
        elif desired < n:
            self._low_periods += 1
            if self._low_periods < SCALE_IN_DATAPOINTS:
                return
            empty = [i for i in self.in_group() if i.registered and not i.tasks]
            empty.sort(key=lambda i: -i.number)
            for instance in empty[: min(n - desired, max(1, (n - 1) // 2))]:
                self._terminate(instance, f"empty; CapacityProviderReservation {_percent(m, n)} below "
                                          f"target_capacity {self.cfg.target_capacity} % for "
                                          f"{self._low_periods} minutes")
        else:
            self._low_periods = 0


class _LateTimeout(simpy.events.Event):
    """simpy's Timeout, processed after the other events of its instant (a lower priority)."""

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, _AFTER_OTHER_EVENTS, delay)


def _percent(m: int, n: int) -> str:
    if n == 0:
        return "above 100 % (no instance)" if m else "100 %"
    return f"{100 * m / n:.0f} %"


def cluster_for(env: simpy.Environment, service_cfg, task_definition, pricing, *, seed: int,
                record_event) -> Ec2Cluster | None:
    """The cluster a launch_type EC2 service runs on, None for one on Fargate.

    The instance type's size comes from the region's price table, the one the run bills it by.
    """
    if service_cfg.launch_type != "EC2":
        return None
    from ..cost.prices import PriceTable   # prices are data; loaded only when EC2 is asked for
    cfg = service_cfg.ec2
    instance_type = PriceTable.load(pricing.region, pricing).ec2_instance(cfg.instance_type)
    size = Capacity(task_definition.cpu, task_definition.memory)
    return Ec2Cluster(env, cfg, instance_type, size, seed=seed, record_event=record_event)

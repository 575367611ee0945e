"""The ECS service scheduler: keeps desired_count tasks running and replaces unhealthy ones.

Rules (aws-behaviour.md section 4):
- A stopped or crashed task is replaced to keep desired_count.
- An unhealthy task (its target failed the load balancer's health checks) is replaced first:
  the replacement starts within deployment_maximum_percent, and the unhealthy task is stopped
  once the replacement is healthy. Without room for a replacement it is stopped at once.
- The scheduler ignores unhealthy targets during health_check_grace_period_seconds after the
  task reached RUNNING.
- Stopping a running task: deregister its target (DEACTIVATING, for the deregistration delay),
  then STOPPING (SIGTERM; in-flight work may finish within stop_timeout), then DEPROVISIONING.
- Each new task runs on the capacity provider the service's strategy picks
  (capacity_providers.py); a Spot task that AWS reclaims is replaced at once (spot.py).
- With launch_type EC2 a task runs on a container instance of the service's cluster
  (ec2_cluster.py): it waits in PROVISIONING until an instance has room, and its CPU and memory
  are free again when it is STOPPED; scale-in follows binpack (bin_packing.py).
- New tasks go to the zone with the fewest of the service's tasks, never to a zone that is out
  (az_outage.py); availability_zone_rebalancing moves tasks back into balance (az_rebalancing.py).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Callable

import simpy

from . import timings
from .capacity_providers import EC2, FARGATE, FARGATE_SPOT, Strategy
from .placement import tasks_to_stop, zone_with_fewest
from .task import CONTAINERS_UP, Task, TasksUp, TaskState
from ..elb.target import Target, TargetState

if TYPE_CHECKING:
    from .ec2_cluster import Ec2Cluster


_RUNNING = frozenset({TaskState.RUNNING, TaskState.DEACTIVATING})
_PENDING = frozenset({TaskState.PROVISIONING, TaskState.PENDING, TaskState.ACTIVATING})


class _Spread:
    """Where counted tasks are: per capacity provider (of the current revision only) and per
    zone, for placing new tasks."""

    def __init__(self, counted: list[Task], revision: int):
        self.revision = revision
        self.providers = Counter(t.capacity_provider for t in counted if t.revision == revision)
        self.zones = Counter(t.zone for t in counted)

    def add(self, task: Task) -> None:
        if task.revision == self.revision:
            self.providers[task.capacity_provider] += 1
        self.zones[task.zone] += 1


class Service:
    def __init__(self, env: simpy.Environment, cfg, task_definition, *, target_group, dataplane, rng,
                 record_event: Callable[[float, str, str, str], None], touch: Callable[[], None],
                 cluster: Ec2Cluster | None = None):
        """`cfg`: the scenario's service section; `cluster`: the EC2 instances its tasks run on
        (ec2_cluster.cluster_for), None on Fargate."""
        self.env = env
        self.cfg = cfg
        self.task_def = task_definition
        self.tg = target_group
        self.dp = dataplane
        self.rng = rng
        self._event = record_event
        self._touch = touch                 # tells the engine that routing may have changed
        self.desired_count = self.cfg.desired_count
        self.tasks: list[Task] = []
        # The tasks not STOPPED yet, in launch order: the queries below run at every control
        # event, and a service that replaces tasks all day would otherwise walk every task ever.
        self._active: dict[Task, None] = {}
        # Tasks by (state, capacity provider), kept as states change: the engine reads the
        # counts at every control event, and a count that walked every task made starting a
        # service of thousands of tasks quadratic (5,000 tasks took 100 s).
        self._tally: Counter[tuple[TaskState, str]] = Counter()
        self.flagged: dict[Task, Task | None] = {}   # unhealthy task -> its replacement
        # The counted tasks per zone, kept as tasks start, stop and get flagged: AZ rebalancing
        # reads the spread every minute, and a walk over the tasks made that most of its cost.
        self._zones: Counter[int] = Counter()
        self._up = TasksUp()    # tasks_up(), kept as tasks change: the routing view reads it
        self.on_running: list[Callable[[Task], None]] = []
        self._processes: dict[Task, simpy.Process] = {}
        self.app_start = self.task_def.app_container.app_start
        self.revision = 1          # of the task definition; a deployment raises it
        self.deploying = False
        self.strategy = Strategy.of_service(self.cfg)
        # Events name the provider only when the scenario chose one; other runs read as before.
        self._names_provider = bool(self.cfg.capacity_provider_strategy)
        self.cluster = cluster
        self.impaired_zones: dict[int, int] = {}    # zones out (az_outage): how many outages each
        self.rebalancing: set[Task] = set()         # tasks moving zone, until their replacement is healthy
        if self.cfg.availability_zone_rebalancing == "ENABLED" and self.cfg.availability_zones > 1:
            from .az_rebalancing import rebalance_process
            env.process(rebalance_process(env, self, record_event))

    def _tick(self) -> int:
        return int(self.env.now / self.dp.tick + 1e-9)

    # ---------------------------------------------------------------- queries
    def active(self) -> list[Task]:
        """The tasks not STOPPED yet, in launch order."""
        return list(self._active)

    def live(self) -> list[Task]:
        return [t for t in self._active if t.live]

    def counted(self) -> list[Task]:
        return [t for t in self._active if t.live and t not in self.flagged]

    def counted_by_zone(self) -> Counter[int]:
        """How many counted tasks each zone has (a zone with none may be missing)."""
        return self._zones

    def _counts(self, task: Task) -> bool:
        """Whether the task is one of counted()'s."""
        return task.live and task not in self.flagged

    def _uncount(self, task: Task) -> None:
        """Call before a change that leaves the task out of counted()."""
        if self._counts(task):
            self._zones[task.zone] -= 1

    def _flag(self, task: Task, replacement: Task | None) -> None:
        self._uncount(task)
        self.flagged[task] = replacement

    def tasks_up(self) -> TasksUp:
        """The tasks with containers up, in launch order (a tuple with columns, see TasksUp)."""
        return self._up

    def running_count(self) -> int:
        """Tasks RUNNING and not being stopped: where target tracking starts its arithmetic."""
        return sum(1 for t in self._active if t.state is TaskState.RUNNING and not t.stop_requested)

    def counts(self) -> dict[str, int]:
        by_provider = self.running_by_provider()
        pending = sum(n for (state, _), n in self._tally.items() if state in _PENDING)
        return {"desired_count": self.desired_count, "running_count": sum(by_provider.values()),
                "pending_count": pending, **by_provider}

    def running_by_provider(self) -> dict[str, int]:
        """running_count split by capacity provider (running_fargate, running_fargate_spot)."""
        out = {f"running_{p.lower()}": 0 for p in (FARGATE, FARGATE_SPOT)}
        if self.cluster is not None:
            out["running_ec2"] = 0
        for (state, provider), n in self._tally.items():
            if state in _RUNNING and n:
                out[f"running_{provider.lower()}"] += n
        return out

    def _provider_note(self, task: Task) -> str:
        if self.cluster is not None and task in self.cluster.placement:
            return f" on {self.cluster.placement[task].id}"
        return f" on {task.capacity_provider}" if self._names_provider else ""

    # ---------------------------------------------------------------- state changes
    def _enter(self, task: Task, state: TaskState) -> None:
        self._tally[(task.state, task.capacity_provider)] -= 1
        counted = self._counts(task)
        up = task.state in CONTAINERS_UP
        task.state = state
        if counted != self._counts(task):
            self._zones[task.zone] += 1 if not counted else -1
        if up or state in CONTAINERS_UP:
            self._up = self._up.updated(task)
        self._tally[(state, task.capacity_provider)] += 1
        self.tg.task_changed(task)

    def _set_state(self, task: Task, state: TaskState, reason: str = "") -> None:
        self._enter(task, state)
        now = self.env.now
        task.history.append((now, state))
        detail = state.value + (f" ({reason})" if reason else "")
        self._event(now, "task_state", task.id, detail)
        self._touch()

    def start_steady(self, n: int) -> None:
        """Tasks already RUNNING and healthy at t = 0 (the service is in steady state)."""
        spread = _Spread(self.counted(), self.revision)
        tasks = [self._new_task(spread=spread) for _ in range(n)]
        if self.cluster is not None:
            self.cluster.start_steady(tasks)
        for task in tasks:
            age = timings.STEADY_STATE_AGE_S
            task.running_at, task.app_ready_at, task.billing_from = -age, -age, 0.0
            self._enter(task, TaskState.RUNNING)
            task.history.append((0.0, TaskState.RUNNING))
            self.tg.register(task, -age, TargetState.HEALTHY)
            self._event(0.0, "task_state", task.id, f"RUNNING (steady state at start{self._provider_note(task)})")
            for hook in self.on_running:
                hook(task)
        self._touch()

    def touch(self) -> None:
        """Something of the tasks changed outside the service (a zone is back)."""
        self._up = TasksUp(t for t in self._active if t.state in CONTAINERS_UP)
        self.tg.task_changed()
        self._touch()

    def break_health(self, task: Task) -> None:
        """A fault makes the task's health endpoint fail from now on."""
        task.failing_health = True
        self.tg.task_changed(task)

    def _new_task(self, zone: int | None = None, spread: _Spread | None = None) -> Task:
        # `spread`: the counted tasks' providers and zones, when the caller launches many at once
        spread = spread if spread is not None else _Spread(self.counted(), self.revision)
        # The strategy splits each deployment's tasks on their own, as ECS does per task set.
        provider = EC2 if self.cluster is not None else self.strategy.provider_for_new_task(spread.providers)
        if zone is None:
            # A task being replaced does not count: its replacement takes its zone's place.
            zone = zone_with_fewest(spread.zones, self.cfg.availability_zones, self.impaired_zones)
        task = Task(slot=len(self.tasks), zone=zone, created_at=self.env.now, revision=self.revision,
                    capacity_provider=provider, unreachable=zone in self.impaired_zones)
        self.tasks.append(task)
        self._active[task] = None
        self._tally[(task.state, task.capacity_provider)] += 1
        self._zones[task.zone] += 1
        spread.add(task)
        self.dp.ensure_slot(task.slot)
        return task

    def launch(self, replacing: Task | None = None, cause: str | None = None, *, zone: int | None = None,
               spread: _Spread | None = None) -> Task:
        """Start a task; `cause` says why in its event when it is not the desired count."""
        task = self._new_task(zone, spread)
        task.replacing = replacing
        if replacing is not None:
            self._flag(replacing, task)
        task.history.append((self.env.now, TaskState.PROVISIONING))
        if replacing in self.rebalancing:
            why = f"replaces {replacing.id} of zone {replacing.zone + 1} (AZ rebalancing) in zone {task.zone + 1}"
        elif replacing is not None:
            why = f"replaces unhealthy {replacing.id}"
        else:
            why = cause or f"desired_count {self.desired_count}"
        self._event(self.env.now, "task_state", task.id, f"PROVISIONING ({why}{self._provider_note(task)})")
        self._processes[task] = self.env.process(self._start(task))
        self._touch()
        return task

    def _start(self, task: Task):
        startup = float(self.task_def.startup.sample(self.rng, 1)[0])
        try:
            if self.cluster is None:
                yield self.env.timeout(startup * timings.PROVISIONING_SHARE)
                self._set_state(task, TaskState.PENDING)
                pulling = startup * (1 - timings.PROVISIONING_SHARE)
            else:
                instance = yield from self.cluster.place(task)
                self._set_state(task, TaskState.PENDING, f"on {instance.id}")
                pulling = self.cluster.task_startup(startup)
            task.billing_from = self.env.now
            yield self.env.timeout(pulling)
            self._set_state(task, TaskState.ACTIVATING)
            if timings.ACTIVATING_S:
                yield self.env.timeout(timings.ACTIVATING_S)
        except simpy.Interrupt:
            yield from self._finish_stop(task, containers_started=False)
            return
        task.running_at = self.env.now
        task.app_ready_at = self.env.now + self.app_start
        self._set_state(task, TaskState.RUNNING)
        self.tg.register(task, self.env.now)
        if self.app_start:
            self.env.process(self._app_ready(task))
        for hook in self.on_running:
            hook(task)

    def _app_ready(self, task: Task):
        yield self.env.timeout(self.app_start)
        self._touch()

    # ---------------------------------------------------------------- stopping
    def stop_task(self, task: Task, reason: str) -> None:
        """Graceful stop (scale-in, replacement): drain the target first."""
        if task.stop_requested or task.state is TaskState.STOPPED:
            return
        self._uncount(task)
        task.stop_requested, task.stop_reason = True, reason
        self.flagged.pop(task, None)
        self.rebalancing.discard(task)
        if task.state is TaskState.RUNNING:
            self._set_state(task, TaskState.DEACTIVATING, reason)
            self.tg.deregister(task, self.env.now, self._drained)
        elif task.state in (TaskState.PROVISIONING, TaskState.PENDING, TaskState.ACTIVATING):
            self._processes[task].interrupt(reason)
        self._touch()

    def _drained(self, task: Task) -> None:
        if task.state is TaskState.DEACTIVATING:
            self.env.process(self._finish_stop(task, containers_started=True))

    def crash(self, task: Task, reason: str) -> None:
        """An essential container exited: the containers are gone at once."""
        if task.state not in CONTAINERS_UP or task.state is TaskState.STOPPING:
            return
        already_deregistering = task.state is TaskState.DEACTIVATING
        self._uncount(task)
        task.stop_requested, task.stop_reason = True, reason
        self.flagged.pop(task, None)
        self.dp.kill(task.slot, self._tick())
        self._set_state(task, TaskState.STOPPING, reason)
        if not already_deregistering:
            self.tg.deregister(task, self.env.now, lambda t: None)
        self.env.process(self._deprovision(task))
        self.reconcile()

    def _finish_stop(self, task: Task, containers_started: bool):
        self._set_state(task, TaskState.STOPPING, task.stop_reason)
        if containers_started:
            yield from self._sigterm(task)
        yield from self._deprovision(task)

    def _sigterm(self, task: Task):
        # SIGTERM: the app finishes what it holds, within stop_timeout; SIGKILL resets the rest.
        finish = min(float(self.cfg.stop_timeout),
                     max(self.dp.tick, self.dp.drain_time(task.slot, self._tick())))
        yield self.env.timeout(finish)
        self.dp.kill(task.slot, self._tick())

    def _deprovision(self, task: Task):
        if task.state is not TaskState.DEPROVISIONING:
            self._set_state(task, TaskState.DEPROVISIONING)
        yield self.env.timeout(timings.DEPROVISIONING_S)
        task.stopped_at = self.env.now
        self._active.pop(task, None)
        self._set_state(task, TaskState.STOPPED, f"stopCode {task.stop_code}" if task.stop_code else "")
        if self.cluster is not None:
            self.cluster.release(task)

    def reclaim(self, task: Task, reason: str, stop_code: str) -> None:
        """AWS takes the task's capacity back (a Fargate Spot interruption).

        Unlike a scale-in, nothing waits for the deregistration delay: the warning comes with
        SIGTERM, so the target starts draining and the containers start stopping at once (within
        stop_timeout, at most 120 s on Fargate: always inside the two-minute warning). The task's
        desired status is STOPPED from the warning on, so the scheduler launches its replacement
        at once rather than when the task has stopped.
        """
        if task.state not in (TaskState.RUNNING, TaskState.DEACTIVATING):
            return
        was_stopping = task.stop_requested
        self._uncount(task)
        task.stop_requested, task.stop_reason, task.stop_code = True, reason, stop_code
        self.flagged.pop(task, None)
        # A task already draining keeps its deregistration; its own stop no longer follows it.
        self.tg.deregister(task, self.env.now, lambda t: None)
        self._set_state(task, TaskState.STOPPING, reason)
        self.env.process(self._reclaimed(task))
        if not was_stopping:
            self.reconcile(cause=f"replaces interrupted {task.id}")

    def _reclaimed(self, task: Task):
        yield from self._sigterm(task)
        yield from self._deprovision(task)

    # ---------------------------------------------------------------- desired count
    def set_desired(self, value: int, cause: str, *, quiet: bool = False) -> None:
        """Change the desired count; `quiet` when the caller logs the change itself."""
        old = self.desired_count
        self.desired_count = int(value)
        self._touch()
        if old != value and not quiet:
            self._event(self.env.now, "service", self.cfg.name,
                        f"desired_count {old} -> {value} ({cause})")
        self.reconcile()

    def reconcile(self, cause: str | None = None) -> None:
        """Launch or stop tasks to meet the desired count; `cause` names why a launch is needed."""
        counted = self.counted()
        missing = self.desired_count - len(counted)
        if missing > 0:
            orphans = [u for u, r in self.flagged.items() if r is None or not r.live]
            # Each launch adds a counted task and changes nothing else, so one spread serves them all.
            spread = _Spread(counted, self.revision)
            for _ in range(missing):
                self.launch(replacing=orphans.pop(0) if orphans else None, cause=cause, spread=spread)
        elif missing < 0 and not self.deploying:   # a deployment stops old tasks itself
            chosen = (self.cluster.tasks_to_stop(counted, -missing) if self.cluster is not None
                      else tasks_to_stop(counted, -missing, self.strategy))
            for task in chosen:
                self.stop_task(task, "scale-in" if task.replacing is None else "scale-in (replacement)")

    def room_for_one_more(self) -> bool:
        limit = math.floor(self.desired_count * self.cfg.deployment_maximum_percent / 100)
        active = sum(1 for t in self._active if t.state in (TaskState.PROVISIONING, TaskState.PENDING,
                                                          TaskState.ACTIVATING, TaskState.RUNNING))
        return active < limit

    # ---------------------------------------------------------------- health
    def on_target_change(self, target: Target, old: TargetState, now: float) -> None:
        task = target.task
        if target.state is TargetState.UNHEALTHY:
            self._unhealthy(task)
        elif target.state is TargetState.HEALTHY:
            for old, replacement in list(self.flagged.items()):
                if replacement is task:
                    why = "AZ rebalancing" if old in self.rebalancing else "replaced"
                    self.stop_task(old, f"{why}: replaced by healthy {task.id}")
        self._touch()

    def cut_off(self, task: Task) -> None:
        """The task's zone is out (az_outage): it stops answering, and what it held is lost."""
        task.unreachable = True
        self._up = self._up.updated(task)
        self.tg.task_changed(task)
        self.dp.kill(task.slot, self._tick())
        self._touch()

    def move_to_zone(self, task: Task, zone: int) -> Task:
        """AZ rebalancing: a replacement in `zone` first; `task` stops once it is healthy."""
        self.rebalancing.add(task)
        self._flag(task, None)
        return self.launch(replacing=task, zone=zone)

    def _unhealthy(self, task: Task) -> None:
        if task.stop_requested or task in self.flagged or task.state is not TaskState.RUNNING:
            return
        grace_end = (task.running_at or 0.0) + self.cfg.health_check_grace_period_seconds
        if self.env.now < grace_end:
            self.env.process(self._after_grace(task, grace_end))
            return
        if self.room_for_one_more():
            self._flag(task, None)
            self.launch(replacing=task)
        else:
            self.stop_task(task, "unhealthy, no room for a replacement")
            self.reconcile()

    def _after_grace(self, task: Task, grace_end: float):
        yield self.env.timeout(grace_end - self.env.now)
        target = self.tg.targets.get(task)
        if target is not None and target.state is TargetState.UNHEALTHY:
            self._unhealthy(task)

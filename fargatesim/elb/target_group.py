"""An ALB target group: registration, health, deregistration delay, slow start, routing view."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..ecs.task import Task, TasksUp, answering, apps_answer
from . import slow_start
from .health_checks import TARGET_COLUMNS, check_passes, checks_pass, next_state
from .target import CHECKED, Target, TargetState

_CHECKED = frozenset(CHECKED)
_CODE = {state: code for code, state in enumerate(TargetState)}
_NO_TARGET = -1


class RoutingView:
    """What the data plane needs to know, frozen between two control events."""

    def __init__(self, slots, serving, base_weight, ramp_from, slow_start_s, tick, in_service):
        self.slots = np.asarray(slots, dtype=np.int64)
        self.serving = np.asarray(serving, dtype=bool)
        self._base = np.asarray(base_weight, dtype=float)
        self._ramp_from = np.asarray(ramp_from, dtype=float)   # nan = not ramping
        self._slow = slow_start_s
        self._tick = tick
        self.in_service = in_service
        self._fixed: tuple | None | bool = False        # fixed_shares(), once asked

    def fixed_shares(self) -> tuple[np.ndarray, bool] | None:
        """When no target ramps up in slow start, the weights are one row for every tick:
        (p, equal), p the shares (m,) as routing.shares gives them and `equal` whether round
        robin hands them out equally (routing.splits_equally) or routes nothing. Else None.
        The data plane asks at every stretch; a view often serves several."""
        if self._fixed is False:
            if np.isnan(self._ramp_from).all():
                total = self._base.sum()
                p = self._base / total if total > 0 else np.zeros(len(self._base))
                routed = p[p > 0]
                self._fixed = p, bool(len(routed) == 0 or routed.max() - routed.min() < 1e-12)
            else:
                self._fixed = None
        return self._fixed

    def same_as(self, other: "RoutingView | None") -> bool:
        return (other is not None and self.in_service == other.in_service
                and np.array_equal(self.slots, other.slots)
                and np.array_equal(self.serving, other.serving)
                and np.array_equal(self._base, other._base)
                and np.array_equal(self._ramp_from, other._ramp_from, equal_nan=True))

    def weights(self, k0: int, n: int) -> np.ndarray:
        w = np.broadcast_to(self._base, (n, len(self._base)))
        ramping = ~np.isnan(self._ramp_from)
        if ramping.any():
            w = w.copy()
            times = (k0 + np.arange(n) + 0.5) * self._tick
            for j in np.flatnonzero(ramping):
                w[:, j] *= slow_start.ramp(times, self._ramp_from[j], self._slow)
        return w


class TargetGroup:
    def __init__(self, env, config, *, tick: float, on_change: Callable[[Target, TargetState, float], None],
                 record_event: Callable[[float, str, str, str], None]):
        self.env = env
        self.cfg = config
        self.tick = tick
        self.targets: dict[Task, Target] = {}
        self._on_change = on_change
        self._event = record_event
        # The targets whose last check found them healthy with nothing to count (quiet), and
        # nothing a check reads of them (their state, their task) changed since: at the next
        # instant only their response times can tell them apart from then. Kept per target, as
        # targets change: a service that launches a task every few minutes has most targets
        # quiet at most instants, and only the others are read.
        self._quiet: dict[Target, int] = {}       # target -> its task's slot
        self._quiet_slots: np.ndarray | None = None
        # Targets per state, kept as they change: the engine reads them at every control event.
        self._counts = {s: 0 for s in TargetState}
        # The state (_CODE) of each task slot's target, _NO_TARGET without one, kept as they
        # change: the routing view reads it for every task up at most control events. Read
        # for the service's tasks only (TasksUp), whose slots are one per task.
        self._slot_state = np.full(0, _NO_TARGET, dtype=np.int8)

    # ---------------------------------------------------------------- registration
    def register(self, task: Task, now: float, state: TargetState = TargetState.INITIAL) -> Target:
        target = Target(task=task, registered_at=now, state=state)
        if task in self.targets:
            self._counts[self.targets[task].state] -= 1
            self._unquiet(self.targets[task])
        self.targets[task] = target
        self._counts[state] += 1
        self._mark(task.slot, state)
        self._event(now, "target_state", task.id, f"registered -> {state.value}")
        return target

    def deregister(self, task: Task, now: float, on_drained: Callable[[Task], None]) -> None:
        """Start the deregistration delay; `on_drained` runs when it ends."""
        target = self.targets.get(task)
        if target is None or target.state in (TargetState.DRAINING, TargetState.UNUSED):
            on_drained(task)
            return
        self._set(target, TargetState.DRAINING, now, "Target.DeregistrationInProgress")
        self.env.process(self._drain(target, on_drained))

    def _drain(self, target: Target, on_drained):
        # For HTTP the load balancer keeps connections open, so the target drains for the
        # whole delay (aws-behaviour.md section 0, "draining").
        yield self.env.timeout(self.cfg.deregistration_delay)
        self._set(target, TargetState.UNUSED, self.env.now, "deregistration delay over")
        del self.targets[target.task]
        self._counts[target.state] -= 1
        self._mark(target.task.slot, None)
        self._unquiet(target)
        on_drained(target.task)

    def _set(self, target: Target, state: TargetState, now: float, reason: str) -> None:
        old = target.state
        if old is state:
            return
        target.state = state
        self._counts[old] -= 1
        self._counts[state] += 1
        self._mark(target.slot, state)
        self._unquiet(target)
        if state is TargetState.HEALTHY:
            # Without slow start nothing ramps: no need to walk the targets for the others.
            others = sum(1 for t in self.targets.values() if t is not target
                         and t.state is TargetState.HEALTHY and not self._ramping(t, now)
                         ) if self.cfg.slow_start > 0 else 0
            if slow_start.enters_slow_start(self.cfg.slow_start, others):
                target.slow_start_from = now
        else:
            target.slow_start_from = None
        self._event(now, "target_state", target.task.id, f"{old.value} -> {state.value} ({reason})")
        self._on_change(target, old, now)

    def _mark(self, slot: int, state: TargetState | None) -> None:
        self._grow(slot + 1)
        self._slot_state[slot] = _NO_TARGET if state is None else _CODE[state]

    def _grow(self, size: int) -> None:
        if size > len(self._slot_state):
            more = max(size, 2 * len(self._slot_state), 16) - len(self._slot_state)
            self._slot_state = np.concatenate([self._slot_state, np.full(more, _NO_TARGET, dtype=np.int8)])

    def _ramping(self, target: Target, now: float) -> bool:
        return (target.slow_start_from is not None
                and now < target.slow_start_from + self.cfg.slow_start)

    # ---------------------------------------------------------------- health checks
    def task_changed(self, task: Task | None = None) -> None:
        """Something a check reads of `task` (of every task when None) changed, its state,
        reachability or health endpoint: if it is a target, the next check instant reads it."""
        if task is None:
            self._quiet.clear()
            self._quiet_slots = None
        else:
            self._unquiet(self.targets.get(task))

    def _unquiet(self, target: Target | None) -> None:
        if target is not None and self._quiet.pop(target, None) is not None:
            self._quiet_slots = None

    def _found_quiet(self, targets) -> None:
        for target in targets:
            self._quiet[target] = target.slot
        self._quiet_slots = None

    def health_checks(self, response_times_at: Callable[[np.ndarray], np.ndarray]):
        """SimPy process: check every target at each interval instant."""
        hc = self.cfg.health_check
        while True:
            yield self.env.timeout(hc.interval - (self.env.now % hc.interval))
            self.check_instant(self.env.now, response_times_at)

    def check_instant(self, now: float, response_times_at) -> None:
        """One check instant. A quiet target (see _quiet) whose response is in time now is
        quiet again: its app that answered still does (nothing moves an app's start later), and
        passing once more leaves nothing to count. So when every quiet target answers in time,
        only the others are checked, as check_all would check them among all; a slow response
        of a quiet target has every target checked as usual."""
        if not self.targets:
            return
        quiet = self._quiet
        if quiet:
            if self._quiet_slots is None:
                self._quiet_slots = np.fromiter(quiet.values(), dtype=np.int64, count=len(quiet))
            if (response_times_at(self._quiet_slots) <= self.cfg.health_check.timeout).all():
                if len(quiet) == len(self.targets):
                    return
                everyone = list(self.targets.values())
                self.check_all([t for t in everyone if t not in quiet], now, response_times_at, everyone)
                return
            quiet.clear()
            self._quiet_slots = None
        self.check_all(list(self.targets.values()), now, response_times_at)

    def check_all(self, targets: list[Target], now: float, response_times_at,
                  everyone: list[Target] | None = None) -> None:
        """One check instant, evaluated for all `targets` in one step; `everyone`, when given,
        is every target in check order, `targets` among them, the others quiet and answering in
        time (check_instant).

        Only a change of state has side effects (the service may stop or launch tasks), and
        they can touch the targets not applied yet: from the first change on, the rest of
        everyone are checked one by one, as check_each does, so the outcome is the same.
        """
        given = targets
        state, registered, fails, slots, *task, failing = zip(*map(TARGET_COLUMNS, targets))
        in_checked_state = np.fromiter(map(_CHECKED.__contains__, state), dtype=bool, count=len(state))
        checked = in_checked_state & (np.array(registered) < now)
        if not checked.any():
            return
        if not checked.all():
            keep = np.flatnonzero(checked)
            targets = [targets[i] for i in keep]
            state, fails, slots, failing = ([column[i] for i in keep]
                                            for column in (state, fails, slots, failing))
            task = [[column[i] for i in keep] for column in task]
        timeout = self.cfg.health_check.timeout
        responses = response_times_at(np.array(slots))
        fast = responses <= timeout
        passed = checks_pass(answering(*task, now), failing, responses, timeout)
        # A healthy target passing again has nothing to count.
        quiet = passed & (np.array(fails) == 0) & np.fromiter(
            map(TargetState.HEALTHY.__eq__, state), dtype=bool, count=len(state))
        # Quiet before a change of state: found so before the change's side effects, which
        # take back those they touch.
        done = 0
        for i in np.flatnonzero(~quiet).tolist():
            self._found_quiet(targets[j] for j in range(done, i) if quiet[j])
            done = i + 1
            if self._apply(targets[i], bool(passed[i]), now):
                self._check_rest(targets[i], targets, fast, given, everyone, now)
                return
        self._found_quiet(targets[j] for j in range(done, len(targets)) if quiet[j])

    def _check_rest(self, changed: Target, targets, fast, given, everyone, now: float) -> None:
        """The targets after `changed` in check order, one by one: of `targets` (those checked
        at this instant, `fast` their responses in time) and of everyone not `given`."""
        if everyone is None:
            i = targets.index(changed)
            self._check_each(targets[i + 1:], fast[i + 1:], now)
            return
        in_time = dict(zip(targets, fast.tolist()))
        rest = everyone[everyone.index(changed) + 1:]
        # Those not given were quiet and answered in time (check_instant); those given but
        # not checked at this instant stay unchecked.
        given = set(given)
        rest = [t for t in rest if t in in_time or t not in given]
        self._check_each(rest, [in_time.get(t, True) for t in rest], now)

    def check_each(self, targets: list[Target], now: float, response_times_at,
                   everyone: list[Target] | None = None) -> None:
        """One check instant, target by target, every one of them (`everyone` when given):
        what check_all must agree with."""
        targets = [t for t in (targets if everyone is None else everyone)
                   if t.state in CHECKED and t.registered_at < now]
        if not targets:
            return
        fast = response_times_at(np.array([t.slot for t in targets])) <= self.cfg.health_check.timeout
        self._check_each(targets, fast, now)

    def _check_each(self, targets, fast, now: float) -> None:
        timeout = self.cfg.health_check.timeout
        for target, in_time in zip(targets, fast):
            passed = bool(in_time) and check_passes(target, now, 0.0, timeout)
            if passed and target.state is TargetState.HEALTHY and target.fails == 0:
                if self.targets.get(target.task) is target:     # not replaced by a side effect
                    self._found_quiet((target,))
                continue
            self._apply(target, passed, now)

    def _apply(self, target: Target, passed: bool, now: float) -> bool:
        """Count one check result; True when the target changed state."""
        hc = self.cfg.health_check
        new = next_state(target, passed, initial_checks=self.cfg.initial_health_checks,
                         healthy_threshold=hc.healthy_threshold,
                         unhealthy_threshold=hc.unhealthy_threshold)
        if new is target.state:
            return False
        self._set(target, new, now, "passed health checks" if passed else "Target.FailedHealthChecks")
        return True

    # ---------------------------------------------------------------- routing
    def state_counts(self) -> dict[str, int]:
        return dict(self._counts)

    def view(self, tasks_up: list[Task] | TasksUp, now: float) -> RoutingView:
        """Weights per running task: healthy targets, or all registered ones when failing open."""
        # Fail open: a target group with only unhealthy targets routes to all of them
        # (ALB guide, "fails open"); targets still in their initial checks get nothing,
        # and with no unhealthy target either the load balancer answers 503 itself.
        served = TargetState.HEALTHY if self._counts[TargetState.HEALTHY] else TargetState.UNHEALTHY
        in_service = self._counts[served]
        if isinstance(tasks_up, TasksUp):
            slots, answers = tasks_up.slots, tasks_up.answering(now)
            if len(slots):
                self._grow(int(slots[-1]) + 1)
            routed = self._slot_state[slots] == _CODE[served]
        else:
            slots, answers = [t.slot for t in tasks_up], apps_answer(tasks_up, now)
            routed = np.array([t is not None and t.state is served for t in map(self.targets.get, tasks_up)],
                              dtype=bool)
        ramp_from = np.full(len(tasks_up), np.nan)
        # Without slow start no target ramps: the instant it entered is never after now.
        if self.cfg.slow_start:
            for j, target in enumerate(map(self.targets.get, tasks_up)):
                if routed[j] and target.slow_start_from is not None and self._ramping(target, now):
                    ramp_from[j] = target.slow_start_from
        return RoutingView(slots, answers, routed.astype(float), ramp_from,
                           self.cfg.slow_start, self.tick, in_service)

"""An ALB target group: registration, health, deregistration delay, slow start, routing view."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..ecs.task import Task, answering, apps_answer
from . import slow_start
from .health_checks import TARGET_COLUMNS, check_passes, checks_pass, next_state
from .target import CHECKED, Target, TargetState

_CHECKED = frozenset(CHECKED)


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
        # Slots of the targets checked at the last check instant, when that instant found them
        # all healthy with nothing to count and no other target still to be checked; None once
        # anything a check reads (targets, their tasks) has changed since. Until then the
        # next instants can only differ in the response times: most instants of a long run.
        self._quiet: np.ndarray | None = None
        # Targets per state, kept as they change: the engine reads them at every control event.
        self._counts = {s: 0 for s in TargetState}

    # ---------------------------------------------------------------- registration
    def register(self, task: Task, now: float, state: TargetState = TargetState.INITIAL) -> Target:
        target = Target(task=task, registered_at=now, state=state)
        if task in self.targets:
            self._counts[self.targets[task].state] -= 1
        self.targets[task] = target
        self._counts[state] += 1
        self._quiet = None
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
        self._quiet = None
        on_drained(target.task)

    def _set(self, target: Target, state: TargetState, now: float, reason: str) -> None:
        old = target.state
        if old is state:
            return
        target.state = state
        self._counts[old] -= 1
        self._counts[state] += 1
        self._quiet = None
        if state is TargetState.HEALTHY:
            others = sum(1 for t in self.targets.values() if t is not target
                         and t.state is TargetState.HEALTHY and not self._ramping(t, now))
            if slow_start.enters_slow_start(self.cfg.slow_start, others):
                target.slow_start_from = now
        else:
            target.slow_start_from = None
        self._event(now, "target_state", target.task.id, f"{old.value} -> {state.value} ({reason})")
        self._on_change(target, old, now)

    def _ramping(self, target: Target, now: float) -> bool:
        return (target.slow_start_from is not None
                and now < target.slow_start_from + self.cfg.slow_start)

    # ---------------------------------------------------------------- health checks
    def task_changed(self, task: Task | None = None) -> None:
        """Something a check reads of `task` (of any task when None) changed, its state,
        reachability or health endpoint: if it is a target, the next check instant reads every
        target again."""
        if task is None or task in self.targets:
            self._quiet = None

    def health_checks(self, response_times_at: Callable[[np.ndarray], np.ndarray]):
        """SimPy process: check every target at each interval instant."""
        hc = self.cfg.health_check
        while True:
            yield self.env.timeout(hc.interval - (self.env.now % hc.interval))
            self.check_instant(self.env.now, response_times_at)

    def check_instant(self, now: float, response_times_at) -> None:
        """One check instant. After a quiet one, with nothing changed since, the targets,
        their states and counters, and whether their apps answer (an app that answered
        still does: nothing moves its start later) are as they were: only a slow response
        can change something, and then every target is checked as usual."""
        if self._quiet is not None and (response_times_at(self._quiet) <= self.cfg.health_check.timeout).all():
            return
        self._quiet = None
        if self.targets:
            self._quiet = self.check_all(list(self.targets.values()), now, response_times_at)

    def check_all(self, targets: list[Target], now: float, response_times_at) -> np.ndarray | None:
        """One check instant, evaluated for all targets in one step.

        Only a change of state has side effects (the service may stop or launch tasks), and
        they can touch the targets not applied yet: from the first change on, the rest are
        checked one by one, as check_each does, so the outcome is the same. Returns the slots
        checked when the instant was quiet (see check_instant), else None.
        """
        state, registered, fails, slots, *task, failing = zip(*map(TARGET_COLUMNS, targets))
        in_checked_state = np.fromiter(map(_CHECKED.__contains__, state), dtype=bool, count=len(state))
        checked = in_checked_state & (np.array(registered) < now)
        if not checked.any():
            return None
        # A target registered at this instant is checked at the next: this one is not quiet.
        all_due = np.array_equal(checked, in_checked_state)
        if not checked.all():
            keep = np.flatnonzero(checked)
            targets = [targets[i] for i in keep]
            state, fails, slots, failing = ([column[i] for i in keep]
                                            for column in (state, fails, slots, failing))
            task = [[column[i] for i in keep] for column in task]
        timeout = self.cfg.health_check.timeout
        checked_slots = np.array(slots)
        responses = response_times_at(checked_slots)
        fast = responses <= timeout
        passed = checks_pass(answering(*task, now), failing, responses, timeout)
        # A healthy target passing again has nothing to count.
        quiet = passed & (np.array(fails) == 0) & np.fromiter(
            map(TargetState.HEALTHY.__eq__, state), dtype=bool, count=len(state))
        if all_due and quiet.all():
            return checked_slots
        for i in np.flatnonzero(~quiet).tolist():
            if self._apply(targets[i], bool(passed[i]), now):
                self._check_each(targets[i + 1:], fast[i + 1:], now)
                return None
        return None

    def check_each(self, targets: list[Target], now: float, response_times_at) -> None:
        """One check instant, target by target: what check_all must agree with."""
        targets = [t for t in targets if t.state in CHECKED and t.registered_at < now]
        if not targets:
            return
        fast = response_times_at(np.array([t.slot for t in targets])) <= self.cfg.health_check.timeout
        self._check_each(targets, fast, now)

    def _check_each(self, targets, fast, now: float) -> None:
        timeout = self.cfg.health_check.timeout
        for target, in_time in zip(targets, fast):
            passed = bool(in_time) and check_passes(target, now, 0.0, timeout)
            if passed and target.state is TargetState.HEALTHY and target.fails == 0:
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

    def view(self, tasks_up: list[Task], now: float) -> RoutingView:
        """Weights per running task: healthy targets, or all registered ones when failing open."""
        # Fail open: a target group with only unhealthy targets routes to all of them
        # (ALB guide, "fails open"); targets still in their initial checks get nothing,
        # and with no unhealthy target either the load balancer answers 503 itself.
        served = TargetState.HEALTHY if self._counts[TargetState.HEALTHY] else TargetState.UNHEALTHY
        in_service = self._counts[served]
        targets = list(map(self.targets.get, tasks_up))
        routed = [t is not None and t.state is served for t in targets]
        ramp_from = np.full(len(targets), np.nan)
        # Without slow start no target ramps: the instant it entered is never after now.
        for j, target in enumerate(targets if self.cfg.slow_start else ()):
            if routed[j] and target.slow_start_from is not None and self._ramping(target, now):
                ramp_from[j] = target.slow_start_from
        return RoutingView([t.slot for t in tasks_up], apps_answer(tasks_up, now),
                           np.array(routed, dtype=float), ramp_from,
                           self.cfg.slow_start, self.tick, in_service)

"""The scalable target: min/max, cooldowns, and the rule that combines policies.

Policies only recommend a capacity (pure functions in target_tracking.py, step_scaling.py, or
a user's class); everything stateful happens here, in one place (aws-behaviour.md 1.4-1.8, 2.4,
2.5, 3):
- Recommendations that arrive at the same instant are combined: if any asks for more than the
  desired count, the largest wins (scale-out); otherwise the largest of those asking for less
  wins (scale-in). Target tracking policies scale in only when every target tracking policy
  with scale-in enabled is ready to, and then to the largest capacity any of them computes
  (the policy settles that once the instant's alarms are all evaluated).
- Scale-out cooldown: while it runs, capacity the last scale-out added counts as already
  there: a step policy's adjustment is applied to the capacity before that scale-out, so a
  larger step adds only the difference, and a percentage is a percentage of that capacity
  (it does not compound on tasks the cooldown's scale-outs added). Scale-in cooldown: no
  policy scales in until it ends; a scale-out ends it at once. Scheduled actions ignore both.
- The result is clamped to [min, max]; a scale-out that starts below min goes to min first.
- Scale-in is suspended during a deployment.
- A predictive scaling policy in ForecastAndScale mode holds a floor: the forecast capacity of
  the hour in force. No scale-in goes below it (the largest capacity wins), and its own
  scale-outs, like scheduled actions, neither wait for a cooldown nor start one. With
  IncreaseMaxCapacity it may raise the maximum.
Every decision carries a reason and lands in events.csv as a scaling_activity row; a reason
that repeats period after period is written once per episode. Reason codes: AWS's
AlreadyAtMaxCapacity, AlreadyAtMinCapacity and AlreadyAtDesiredCapacity, and the simulator's
own ScaleInCooldown, ScaleOutCooldown, ScaleInSuspendedDuringDeployment and
OtherPoliciesNotReadyToScaleIn where AWS logs no activity at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable


@dataclass
class Recommendation:
    policy: str
    capacity: int              # what the policy wants, before clamping
    base: int                  # the capacity it computed from (running count)
    why: str                   # e.g. "AlarmHigh in ALARM: CPUUtilization [..] > 60"
    scale_out_cooldown: float
    scale_in_cooldown: float
    direction: str = "any"     # "out": AlarmHigh may only add; "in": AlarmLow may only remove
    # Called when the instant's recommendations are combined (after every alarm of that
    # instant was evaluated): None when the recommendation no longer stands (another target
    # tracking policy is not ready to scale in), else the capacity it stands for and why.
    settle: Callable[[], tuple[int, str] | None] | None = None
    # A step adjustment (relative to `base`): the capacity it gives from another starting
    # capacity (the scale-out cooldown's rule). None: not an adjustment (ExactCapacity, target
    # tracking, a user's policy).
    capacity_from: Callable[[int], int] | None = None
    # False for a predictive scaling policy's scale-out: cooldowns are for dynamic policies.
    cooldowns: bool = True


@dataclass
class Decision:
    t: float
    policy: str
    kind: str                  # scale-out | scale-in | not-scaled | scheduled
    old: int
    new: int
    reason: str
    wanted: int | None = None  # what the winning recommendation asked for
    direction: str = "any"     # of that recommendation (see Recommendation.direction)
    in_cooldown: bool = False  # a scale-in cooldown was running when this decision was taken


@dataclass
class ScalableTarget:
    env: object
    service: object
    min_capacity: int
    max_capacity: int
    record_event: Callable[[float, str, str, str], None]
    touch: Callable[[], None]
    decisions: list = field(default_factory=list)
    scale_out_cooldown_until: float = float("-inf")
    scale_out_base: int = 0
    scale_in_cooldown_until: float = float("-inf")
    _pending: list = field(default_factory=list)
    _last_not_scaled: dict = field(default_factory=dict)
    floors: dict = field(default_factory=dict)   # predictive policy -> capacity it holds now

    def floor(self) -> tuple[int, str] | None:
        """The largest capacity a predictive policy holds now, and that policy; None: none."""
        held = [(c, name) for name, c in self.floors.items() if c is not None]
        return max(held) if held else None

    def set_floor(self, policy: str, capacity: int | None) -> None:
        self.floors[policy] = capacity

    def raise_max(self, policy: str, max_capacity: int, why: str) -> None:
        """IncreaseMaxCapacity: the maximum rises, and stays."""
        old, self.max_capacity = self.max_capacity, int(max_capacity)
        self.record_event(self.env.now, "scaling_activity", policy,
                          f"max_capacity {old} -> {self.max_capacity} ({why})")
        self.touch()

    @property
    def desired(self) -> int:
        return self.service.desired_count

    @property
    def scale_in_suspended(self) -> bool:
        return bool(getattr(self.service, "deploying", False))

    def recommend(self, rec: Recommendation) -> None:
        """Queue a recommendation; all those of one instant are combined once."""
        if not self._pending:
            self.env.process(self._decide_after_this_instant())
        self._pending.append(rec)

    def _decide_after_this_instant(self):
        yield self.env.timeout(0)
        recs, self._pending = self._pending, []
        ready = []
        for rec in recs:
            if rec.settle is None:
                ready.append(rec)
                continue
            settled = rec.settle()
            if settled is not None:
                capacity, why = settled
                ready.append(replace(rec, capacity=capacity, settle=None,
                                     why=f"{rec.why}; {why}" if why else rec.why))
            elif rec.capacity < self.desired:
                self._not_scaled(rec, "OtherPoliciesNotReadyToScaleIn", rec.capacity,
                                 f"wants {rec.capacity}; every target tracking policy must agree")
        self.decide(ready)

    # ------------------------------------------------------------------ combining
    def decide(self, recs: list[Recommendation]) -> None:
        now, current = self.env.now, self.desired
        in_out_cooldown = now < self.scale_out_cooldown_until
        wants = [(self._candidate(r, in_out_cooldown), r) for r in recs]
        outs = [(c, r) for c, r in wants if c > current and r.direction != "in"]
        ins = [(c, r) for c, r in wants if c < current and r.direction != "out"]
        if outs:
            capacity, rec = max(outs, key=lambda cr: cr[0])
            new = min(max(capacity, self.min_capacity), self.max_capacity)
            if new <= current:
                self._not_scaled(rec, "AlreadyAtMaxCapacity", capacity,
                                 f"wants {capacity}, max_capacity {self.max_capacity}")
                return
            self._apply(rec, "scale-out", current, new, capacity)
            if rec.cooldowns:
                self.scale_out_cooldown_until = now + rec.scale_out_cooldown
                self.scale_out_base = current if not in_out_cooldown else self.scale_out_base
                self.scale_in_cooldown_until = min(self.scale_in_cooldown_until, now)
            return
        if ins:
            capacity, rec = max(ins, key=lambda cr: cr[0])
            if self.scale_in_suspended:
                self._not_scaled(rec, "ScaleInSuspendedDuringDeployment", capacity, f"wants {capacity}")
                return
            if now < self.scale_in_cooldown_until:
                self._not_scaled(rec, "ScaleInCooldown", capacity,
                                 f"wants {capacity}, cooldown ends at {self.scale_in_cooldown_until:.0f} s")
                return
            new = max(min(capacity, self.max_capacity), self.min_capacity)
            held = self.floor()
            if held is not None and min(held[0], self.max_capacity) > new:
                new, why = min(held[0], self.max_capacity), f"; {held[1]} holds {held[0]} for the hour"
                if new >= current:
                    self._not_scaled(rec, "OtherPoliciesNotReadyToScaleIn", capacity,
                                     f"wants {capacity}; predictive policy {held[1]} holds {held[0]} for the hour")
                    return
                rec = replace(rec, why=rec.why + why)
            if new >= current:
                self._not_scaled(rec, "AlreadyAtMinCapacity", capacity,
                                 f"wants {capacity}, min_capacity {self.min_capacity}")
                return
            self._apply(rec, "scale-in", current, new, capacity)
            self.scale_in_cooldown_until = now + rec.scale_in_cooldown
            return
        for capacity, rec in wants:
            if self._counts_last_scale_out(rec, in_out_cooldown):
                # The step was already taken by the scale-out that started the cooldown.
                self._not_scaled(rec, "ScaleOutCooldown", capacity,
                                 f"wants {capacity} counting the last scale-out's tasks as there; "
                                 f"cooldown ends at {self.scale_out_cooldown_until:.0f} s")
                continue
            # A target tracking alarm asks for one direction only: AlarmHigh never removes.
            self._not_scaled(rec, "AlreadyAtDesiredCapacity", capacity, f"wants {capacity}")

    @staticmethod
    def _counts_last_scale_out(rec: Recommendation, in_out_cooldown: bool) -> bool:
        """A step out inside a scale-out cooldown: the capacity added by the scale-out that
        started the cooldown counts as there, so the step applies to the capacity before it
        and a larger step adds only the difference."""
        return in_out_cooldown and rec.capacity_from is not None and rec.capacity > rec.base

    def _candidate(self, rec: Recommendation, in_out_cooldown: bool) -> int:
        if self._counts_last_scale_out(rec, in_out_cooldown):
            return rec.capacity_from(self.scale_out_base)
        return rec.capacity

    def _apply(self, rec: Recommendation, kind: str, old: int, new: int, wanted: int) -> None:
        now = self.env.now
        self.decisions.append(Decision(now, rec.policy, kind, old, new, rec.why, wanted, rec.direction,
                                       in_cooldown=now < self.scale_in_cooldown_until))
        self.record_event(now, "scaling_activity", rec.policy,
                          f"{kind}: desired {old} -> {new} ({rec.why})")
        self._last_not_scaled.clear()
        self.service.set_desired(new, f"{kind} by {rec.policy}", quiet=True)

    def _not_scaled(self, rec: Recommendation, code: str, wanted: int, detail: str) -> None:
        now = self.env.now
        self.decisions.append(Decision(now, rec.policy, "not-scaled", self.desired, self.desired, code,
                                       wanted, rec.direction,
                                       in_cooldown=now < self.scale_in_cooldown_until))
        # Repeated alarms say the same thing every period: log a reason once per episode.
        if self._last_not_scaled.get(rec.policy) != code:
            self._last_not_scaled[rec.policy] = code
            self.record_event(now, "scaling_activity", rec.policy,
                              f"not scaled: {code} ({detail}; {rec.why})")

    # ------------------------------------------------------------------ scheduled actions
    def set_bounds(self, name: str, min_capacity: int | None, max_capacity: int | None) -> None:
        """A scheduled action: new min/max, and the desired count moved into them at once."""
        now, old = self.env.now, self.desired
        lo = self.min_capacity if min_capacity is None else int(min_capacity)
        hi = self.max_capacity if max_capacity is None else int(max_capacity)
        if lo > hi:
            # The schema refuses this against the registered bounds; an earlier scheduled action
            # can still have moved the other bound. Assumed (AWS documents only the check when
            # the action is put): the action fails and the bounds stay as they are.
            self.record_event(now, "scheduled_action", name,
                              f"failed: min_capacity {lo} above max_capacity {hi}; bounds left at "
                              f"{self.min_capacity}-{self.max_capacity}")
            return
        self.min_capacity, self.max_capacity = lo, hi
        new = min(max(old, self.min_capacity), self.max_capacity)
        self.record_event(now, "scheduled_action", name,
                          f"min_capacity {self.min_capacity}, max_capacity {self.max_capacity}"
                          + (f"; desired {old} -> {new}" if new != old else ""))
        self.touch()
        if new != old:
            self.decisions.append(Decision(now, name, "scheduled", old, new, "ScheduledAction"))
            self.service.set_desired(new, f"scheduled action {name}", quiet=True)

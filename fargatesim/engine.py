"""Wires one simulation together on one SimPy environment.

Two clocks share the environment. The control plane (tasks, target group, health checks,
faults, operator actions, alarms and scaling) is event-driven SimPy. The data plane advances in ticks and
is brought up to date, in one vectorised block, just before each control event runs, so it
always sees the routing that was in force during the ticks it computes.
"""
from __future__ import annotations

import math
import time as _time
from datetime import timedelta
from typing import Callable

import numpy as np
import simpy

from .cloudwatch.metrics import MetricStore
from .dataplane import DataPlaneFactory, make_dataplane
from .dataplane.app_model import AppModel
from .dataplane.records import TickRecords
from .ecs.actions import install_actions
from .ecs.ec2_cluster import cluster_for
from .ecs.faults import install_faults
from .ecs.service import Service
from .elb.target_group import TargetGroup
from .errors import SimulationError
from .scenario.budget import check_memory
from .snapshots import step_values
from .traffic import rate_curve, sample_arrivals

# One independent random stream per component, in a fixed order: adding a component at the
# end never changes the numbers the others draw.
STREAMS = ("arrivals", "routing", "startup", "faults", "dataplane", "autoscaling", "sessions", "memory_leak")
# How far the data plane computes ahead of the control plane in one stretch. Most control
# events only read it (health checks, metrics); one that changes routing cuts the stretch back,
# and what was computed past the cut is thrown away. The look-ahead adapts: after a cut stretch
# the next is twice the part that was used (at least SHORTEST_LOOKAHEAD_S), after an uncut one
# four times longer, up to LOOKAHEAD_S; so a run whose routing changes every few seconds (a
# service replacing tasks under overload) does not recompute ten minutes at each change.
LOOKAHEAD_S = 600.0
ADAPTIVE_LOOKAHEAD = True    # False: always LOOKAHEAD_S (benchmarks/churn_speed.py compares)
SHORTEST_LOOKAHEAD_S = 30.0  # below this, the cost of a stretch is its overhead, not its ticks


def app_model(scenario) -> AppModel:
    td, wl = scenario.task_definition, scenario.workload
    app = td.app_container
    return AppModel(
        task_cpu_units=float(td.cpu),
        task_memory_mb=float(td.memory),
        sidecar_cpu_units=float(sum(c.base_cpu_units for c in td.container_definitions)),
        base_memory_mb=float(sum(c.base_memory_mb for c in td.container_definitions)),
        memory_mb_per_request=float(wl.memory_mb_per_request),
        max_concurrency=float(app.max_concurrency) if app.max_concurrency else math.inf,
        cpu_dist=wl.unit_cpu_ms,
        io_dist=wl.io_ms,
        timeout_s=float(wl.timeout),
        # Several memory_leak faults add up: one leak of their summed rate.
        leak_mb_per_s=sum(f.mb_per_hour for f in scenario.faults if f.type == "memory_leak") / 3600.0,
    )


class Simulation:
    def __init__(self, scenario, policies=(), *, dataplane: DataPlaneFactory = make_dataplane,
                 trusted_modules=(), traffic_shift_s: float = 0.0):
        """`policies`: extra custom policy objects (see autoscaling/custom.py); `dataplane`:
        what builds the data plane, called as make_dataplane is (a test passes its own to run
        an engine with options a scenario cannot set); `trusted_modules`: module names from
        outside the scenario's folder its custom policies may come from (a name covers its
        submodules; see autoscaling/policy_files.py); `traffic_shift_s`: the run is the
        `traffic_shift_s` seconds before the scenario's traffic starts (a predictive policy's
        simulated history), its traffic read at those times."""
        # Refuse a run that cannot fit before allocating for it (scenario/budget.py), from
        # Python as from the command line.
        check_memory(scenario)
        self.scenario = s = scenario
        self.tick = float(s.tick)
        self.n_ticks = int(math.ceil(s.duration / self.tick - 1e-9))
        seeds = np.random.SeedSequence(s.seed).spawn(len(STREAMS))
        self.rng = {name: np.random.default_rng(seq) for name, seq in zip(STREAMS, seeds)}

        self.trusted_modules = trusted_modules
        self.rates = rate_curve(s.traffic, start=s.start + timedelta(seconds=traffic_shift_s),
                                duration=self.n_ticks * self.tick, tick=self.tick,
                                origin=-traffic_shift_s)[: self.n_ticks]
        self.arrivals = sample_arrivals(self.rates, self.tick, s.arrivals, self.rng["arrivals"])
        self.app = app_model(s)
        self.records = TickRecords(self.n_ticks)
        self.events: list[tuple[float, str, str, str]] = []
        self.snapshots: list[tuple[float, dict]] = []
        self._dirty = True
        self._view = None

        self.env = simpy.Environment()
        self.dataplane = dataplane(
            s.engine, app=self.app, tick=self.tick, arrivals=self.arrivals, rates=self.rates,
            algorithm=s.target_group.load_balancing_algorithm_type,
            rng=self.rng["routing"], records=self.records,
            **({"websocket": s.workload.websocket, "sessions_rng": self.rng["sessions"],
                "steady_start": not s.service.cold_start} if s.workload.is_websocket else {}))
        self.target_group = TargetGroup(self.env, s.target_group, tick=self.tick,
                                        on_change=self._target_changed, record_event=self.event)
        cluster = cluster_for(self.env, s.service, s.task_definition, s.pricing, seed=s.seed,
                              record_event=self.event)
        self.service = Service(self.env, s.service, s.task_definition, target_group=self.target_group,
                               dataplane=self.dataplane, rng=self.rng["startup"], record_event=self.event,
                               touch=self.touch, cluster=cluster)
        install_faults(self.env, self.service, s.faults, self.rng["faults"], self.event,
                       leak_rng=self.rng["memory_leak"])
        install_actions(self.env, self.service, s.actions, self.event)
        self.env.process(self.target_group.health_checks(self._health_response))
        self.metrics = MetricStore(self.records, self.tick, self.app, self._counts_at)
        self.alarms = self.scalable_target = None
        self.scheduled: list[tuple[float, str]] = []
        self.predictive = []
        if s.autoscaling is not None or policies or s.alarms:
            self._install_alarms_and_scaling(policies, trusted_modules)
        initial = s.service.desired_count
        if self.scalable_target is not None:
            # Registering a scalable target moves the current capacity into [min, max].
            t = self.scalable_target
            initial = min(max(initial, t.min_capacity), t.max_capacity)
            self.service.desired_count = initial
        if s.service.cold_start:
            self.service.reconcile()
        else:
            self.service.start_steady(initial)

    def _install_alarms_and_scaling(self, policies, trusted_modules) -> None:
        from .autoscaling.wiring import install_autoscaling
        from .cloudwatch.alarms import AlarmEvaluator, MetricAlarm
        self.alarms = AlarmEvaluator(self.env, self.metrics, delay_of=self.metric_delay,
                                     record_event=self.event)
        s = self.scenario
        step_policies = {}
        if s.autoscaling is not None or policies:
            scaling = install_autoscaling(
                self.env, s.autoscaling, service=self.service, alarms=self.alarms,
                metric_delay=self.metric_delay, record_event=self.event, touch=self.touch,
                start=s.start, duration=self.n_ticks * self.tick,
                resource_id=f"service/default/{s.service.name}", extra_policies=policies,
                source=s.source, base_dir=s.base_dir, trusted_modules=trusted_modules,
                predictive_history=self._predictive_history)
            self.scalable_target, step_policies, self.scheduled, self.predictive = (
                scaling.target, scaling.step_policies, scaling.scheduled, scaling.predictive)
        for cfg in s.alarms:
            alarm = MetricAlarm.from_config(cfg)
            alarm.actions = [step_policies[n] for n in cfg.alarm_actions if n in step_policies]
            self.alarms.add(alarm)

    def _predictive_history(self, i: int):
        """The history predictive policy i forecasts from, before its first hour in the run."""
        s = self.scenario
        cfg = s.autoscaling.policies[i].predictive_scaling_policy_configuration
        path = f"autoscaling.policies[{i}].predictive_scaling_policy_configuration.history"
        if cfg.history.source == "file":
            from .autoscaling.predictive_history import history_from_file
            return history_from_file(cfg, start=s.start, file=s.source, path=path + ".file")
        return simulated_history(s, cfg, trusted_modules=self.trusted_modules)

    # ---------------------------------------------------------------- wiring
    def event(self, t: float, kind: str, subject: str, detail: str) -> None:
        self.events.append((max(0.0, t), kind, subject, detail))

    def touch(self) -> None:
        self._dirty = True

    def _target_changed(self, target, old, now) -> None:
        self.touch()
        self.service.on_target_change(target, old, now)

    def metric_delay(self, period: int) -> float:
        cw = self.scenario.cloudwatch
        return float(cw.metric_delay if period >= 60 else cw.high_resolution_metric_delay)

    def _counts_at(self, times, key: str):
        return step_values(self.snapshots, times, key)

    def _health_response(self, slots):
        return self.dataplane.health_responses_at(slots, self._k_now())

    def _k_now(self) -> int:
        return int(math.floor(self.env.now / self.tick + 1e-9))

    def view(self):
        if self._dirty or self._view is None:
            new = self.target_group.view(self.service.tasks_up(), self.env.now)
            if not new.same_as(self._view):
                self.dataplane.truncate(self._k_now())
                self._view = new
            self._snapshot()
            self._dirty = False
        return self._view

    def _snapshot(self) -> None:
        counts = self.service.counts()
        tg = self.target_group.state_counts()
        counts.update(healthy_targets=tg["healthy"], unhealthy_targets=tg["unhealthy"],
                      draining_targets=tg["draining"], initial_targets=tg["initial"],
                      min_capacity=self.scalable_target.min_capacity if self.scalable_target else None,
                      max_capacity=self.scalable_target.max_capacity if self.scalable_target else None)
        if self.snapshots and self.snapshots[-1][0] == self.env.now:
            self.snapshots[-1] = (self.env.now, counts)
        elif not self.snapshots or self.snapshots[-1][1] != counts:
            self.snapshots.append((self.env.now, counts))

    # ---------------------------------------------------------------- run
    def run(self, progress: Callable[[float], None] | None = None) -> "Simulation":
        env, dp, end = self.env, self.dataplane, self.n_ticks * self.tick
        ahead = dp.lookahead_s or LOOKAHEAD_S
        longest = max(1, int(min(ahead, LOOKAHEAD_S) / self.tick))
        shortest = min(longest, max(1, int(SHORTEST_LOOKAHEAD_S / self.tick)))
        lookahead = longest
        # Where the last stretch started and the end it was asked for: anything that rewound
        # the data plane since (a change of routing, a task killed) left it short of that end.
        start = asked = 0
        next_report, wall0 = 0.0, _time.monotonic()
        while True:
            view = self.view()
            t_next = min(env.peek(), end)
            k_next = int(math.floor(t_next / self.tick + 1e-9))
            if dp.k < k_next:
                if ADAPTIVE_LOOKAHEAD:
                    lookahead = (min(longest, max(shortest, 2 * (dp.k - start))) if dp.k < asked
                                 else min(longest, 4 * lookahead))
                start, asked = dp.k, max(k_next, dp.k + lookahead)
                dp.advance(asked, view)
            if t_next >= end:
                break
            env.step()
            if progress is not None and env.now >= next_report:
                progress(env.now / end)
                next_report = env.now + end / 50
        dp.advance(self.n_ticks, self.view())
        self.wall_seconds = _time.monotonic() - wall0
        self._check_conservation()
        if progress is not None:
            progress(1.0)
        return self

    def _check_conservation(self) -> None:
        r = self.records
        total = int(r.arrivals.sum())
        ended = int(r.ok.sum() + r.errors().sum())
        in_flight = self.dataplane.in_flight_total()
        if total != ended + in_flight:
            raise SimulationError(
                f"request accounting broke: {total} arrived, {ended} ended, {in_flight} in flight")
        self.in_flight_at_end = in_flight


def simulated_history(scenario, cfg, *, trusted_modules=()):
    """A predictive policy's history (autoscaling/predictive_policy.History) from the scenario's
    own traffic over the cfg.history.days before its start: the fluid engine at one-minute
    ticks (20 s where a policy or alarm reads 20-second metrics), the other policies scaling as
    in the run, without faults, operator actions or jobs. Its full clock hours are kept."""
    from .autoscaling.predictive_metrics import HourlyReader
    from .autoscaling.predictive_policy import History
    s = scenario
    days = cfg.history.days
    span = days * 86400.0
    others = tuple(p for p in s.autoscaling.policies if p.policy_type != "PredictiveScaling")
    fine = any(p.policy_type == "TargetTrackingScaling"
               and p.target_tracking_scaling_policy_configuration.high_resolution for p in others)
    fine |= any(a.period < 60 for a in s.alarms)
    tick = max(float(s.tick), 20.0 if fine else 60.0)
    before = s.model_copy(update={
        "start": s.start - timedelta(seconds=span), "duration": span, "engine": "fluid", "tick": tick,
        "faults": (), "actions": (), "jobs": (), "autoscaling": s.autoscaling.model_copy(update={"policies": others})})
    sim = Simulation(before, trusted_modules=trusted_modules, traffic_shift_s=span).run()
    reader = HourlyReader(cfg.metric, sim.metrics)
    into_hour = (before.start.minute * 60 + before.start.second + before.start.microsecond / 1e6)
    first = (3600.0 - into_hour) % 3600.0        # the first clock hour that starts in the span
    hours = [reader.hour(h, h + 3600.0) for h in np.arange(first, span - 3600.0 + 1e-6, 3600.0)]
    load, scaling, capacity = (list(v) for v in zip(*hours)) if hours else ([], [], [])
    end = first + len(hours) * 3600.0 - span
    return History([x if np.isfinite(x) else 0.0 for x in load], scaling, capacity, end_s=end,
                   source=f"{days} days simulated before the start")


def simulate(scenario, *, policies=(), progress: Callable[[float], None] | None = None, trusted_modules=()):
    """Run a scenario (a Scenario, a path to a YAML file, or a dict) and return its Result.

    `policies`: custom scaling policy objects to add to the scenario's own (each needs a
    desired_capacity(obs) method; see fargatesim.autoscaling.custom). `trusted_modules`: module
    names from outside the scenario's folder its custom policies may come from.
    """
    from .results import Result
    from .scenario import Scenario, load_scenario
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    sim = Simulation(scenario, policies, trusted_modules=trusted_modules).run(progress)
    return Result.from_simulation(sim)

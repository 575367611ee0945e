"""Your own scaling policy, in Python.

A custom policy is any object with a method

    desired_capacity(self, obs: Observation) -> int | None

called every `evaluation_period` seconds (60 by default). It sees only what AWS would let a
real policy see: the service's counts and the CloudWatch metrics the simulator publishes, each
datapoint visible only after the scenario's publication delay. Return the capacity you want, or
None to leave things alone; the answer goes through the same combining, cooldowns and min/max
clamping as AWS's own policies, and lands in events.csv with its reason.

In a scenario file:

    autoscaling:
      policies:
        - name: queue-depth
          policy_type: Custom
          custom: {class: "mypolicies:InFlightPolicy", params: {per_task: 50}}

`mypolicies` is imported from the scenario file's folder (or anywhere on sys.path); the class
is instantiated with params as keyword arguments. From Python, pass instances instead:
`fargatesim.simulate(scenario, policies=[InFlightPolicy(per_task=50)])`.

A worked example, scaling on requests per task with a 20 % margin:

    import math

    class RequestsPerTask:
        def __init__(self, per_task=100):
            self.per_task = per_task

        def desired_capacity(self, obs):
            counts = obs.metric("AWS/ApplicationELB", "RequestCount", "Sum", count=1)
            if not counts or counts[-1] is None:
                return None
            rps = counts[-1] / 60
            return math.ceil(1.2 * rps / self.per_task)
"""
from __future__ import annotations

import importlib
import math
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import SimulationError
from .scalable_target import Recommendation


@dataclass
class Observation:
    """What a custom policy may look at when it is asked."""

    now: float                  # seconds since the start of the run
    time: datetime              # the same instant, UTC
    running: int                # tasks RUNNING (not being stopped)
    desired: int
    pending: int
    min_capacity: int
    max_capacity: int
    _evaluator: object = None
    _delay_of: object = None

    def metric(self, namespace: str, metric_name: str, statistic: str = "Average",
               period: int = 60, count: int = 1) -> list:
        """The `count` most recent visible datapoints, oldest first; None where missing."""
        visible = int(math.floor((self.now - self._delay_of(period)) / period))
        if visible <= 0:
            return []
        first = max(0, visible - count)
        raw = self._evaluator.store.datapoints(namespace, metric_name, period, statistic, first, visible)
        return [None if math.isnan(v) else float(v) for v in raw.tolist()]


@contextmanager
def _importable_from(folder):
    if folder is None:
        yield
        return
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


def load_policy_class(spec: str, base_dir=None):
    """'module:Class' -> the class; ImportError/AttributeError say what is missing."""
    module_name, _, class_name = spec.partition(":")
    with _importable_from(base_dir):
        module = importlib.import_module(module_name)
    return getattr(module, class_name)


class CustomPolicy:
    def __init__(self, name: str, obj, *, target, service, evaluator, delay_of, start: datetime,
                 evaluation_period: float = 60, scale_out_cooldown: float = 300,
                 scale_in_cooldown: float = 300):
        if not callable(getattr(obj, "desired_capacity", None)):
            raise TypeError(f"custom policy {name!r}: {type(obj).__name__} has no "
                            "desired_capacity(obs) method")
        self.name, self.obj = name, obj
        self.target, self.service = target, service
        self.evaluator, self.delay_of = evaluator, delay_of
        self.start = start
        self.period = float(evaluation_period)
        self.cooldowns = (float(scale_out_cooldown), float(scale_in_cooldown))

    def run(self, env):
        while True:
            yield env.timeout(self.period)
            counts = self.service.counts()
            obs = Observation(now=env.now, time=self.start + timedelta(seconds=env.now),
                              running=self.service.running_count(), desired=self.target.desired,
                              pending=counts["pending_count"], min_capacity=self.target.min_capacity,
                              max_capacity=self.target.max_capacity,
                              _evaluator=self.evaluator, _delay_of=self.delay_of)
            try:
                wanted = self.obj.desired_capacity(obs)
            except Exception as e:  # the user's code failed: stop the run and say where
                raise SimulationError(f"custom policy {self.name!r} raised {type(e).__name__}: {e} "
                                      f"at t = {env.now:g} s") from e
            if wanted is None:
                continue
            self.target.recommend(Recommendation(
                policy=self.name, capacity=int(wanted), base=obs.running,
                why=f"{type(self.obj).__name__}.desired_capacity returned {int(wanted)}",
                scale_out_cooldown=self.cooldowns[0], scale_in_cooldown=self.cooldowns[1]))

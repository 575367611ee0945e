"""Your own scaling policy, in Python.

A custom policy is any object with a method

    desired_capacity(self, obs: Observation) -> int | None

called every `evaluation_period` seconds (60 by default). It sees only what AWS would let a
real policy see: the service's counts and the CloudWatch metrics the simulator publishes, each
datapoint visible only after the scenario's publication delay. Return the capacity you want, or
None to leave things alone; the answer goes through the same combining, cooldowns and min/max
clamping as AWS's own policies, and lands in events.csv with its reason.

The answer is a whole number of tasks (an int, or a numpy integer). A fraction is rounded up,
as target tracking rounds a scale-out, and logged as such ("returned 3.7, used 4"); an answer
above 5,000, the ECS quota of tasks per service, is taken as 5,000. A bool, text ("7"), NaN,
infinity, a negative number, a list or anything else ends the run with a SimulationError
naming the policy and the simulated time. So does anything the policy's code raises, in its
module, its __init__ or desired_capacity, `sys.exit()` included: the message ends with the
lines of the user's own file the error went through. (KeyboardInterrupt is not caught; and
`os._exit()` ends the process at once, beyond anyone's catching.)

In a scenario file:

    autoscaling:
      policies:
        - name: queue-depth
          policy_type: Custom
          custom: {class: "mypolicies:InFlightPolicy", params: {per_task: 50}}

`mypolicies` is the file mypolicies.py in the scenario file's folder, and running the scenario
runs that file's code. Nothing else is imported unless you trust it (`--trust-module NAME`,
`trusted_modules=("NAME",)`): policy_files.py has the rule, checked without running anything
(`fargatesim validate`, or check_custom_policies); policy_loading.py runs each file as a module
of its own. The class is instantiated with params as keyword arguments. From Python, pass
instances instead: `fargatesim.simulate(scenario, policies=[InFlightPolicy(per_task=50)])`.

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

import math
import numbers
import reprlib
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from ..errors import SimulationError
from ..scenario.autoscaling import TASKS_PER_SERVICE, TASKS_PER_SERVICE_SOURCE
from .policy_failure import call_user_code, files_of
from .policy_loading import BEFORE_THE_RUN
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


class CustomPolicy:
    """A user's policy object asked every evaluation period; its answers recommended to the target."""

    def __init__(self, name: str, obj, *, target, service, evaluator, delay_of, start: datetime,
                 evaluation_period: float = 60, scale_out_cooldown: float = 300,
                 scale_in_cooldown: float = 300, label: str | None = None, in_user_code=None):
        """`label`: how messages name the policy (default: its name and class); `in_user_code`:
        which traceback frames are the user's (see policy_failure.files_of; default: the file
        that defines the object's class)."""
        self.name, self.obj = name, obj
        self.label = label or f"{name!r} ({type(obj).__qualname__})"
        self.in_user_code = in_user_code or files_of(_defining_file(obj))
        self.start = start
        method = call_user_code(lambda: getattr(obj, "desired_capacity", None), policy=self.label,
                                during=f"failed {BEFORE_THE_RUN}", in_user_code=self.in_user_code)
        if not callable(method):
            raise SimulationError(f"custom policy {self.label} {BEFORE_THE_RUN}: {type(obj).__name__} has no "
                                  "desired_capacity(obs) method")
        self.target, self.service = target, service
        self.evaluator, self.delay_of = evaluator, delay_of
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
            when = f"at t = {env.now:g} s ({obs.time:%Y-%m-%d %H:%M:%S} UTC)"
            answer = call_user_code(lambda: self.obj.desired_capacity(obs), policy=self.label,
                                    during=f"failed in desired_capacity {when}", in_user_code=self.in_user_code)
            if answer is None:
                continue
            capacity, problem, note = capacity_of(answer)
            if problem:
                raise SimulationError(f"custom policy {self.label}: desired_capacity returned {_shown(answer)} "
                                      f"{when}; {problem}")
            returned = f"{type(self.obj).__name__}.desired_capacity returned {_shown(answer)}{note}"
            self.target.recommend(Recommendation(
                policy=self.name, capacity=capacity, base=obs.running, why=returned,
                scale_out_cooldown=self.cooldowns[0], scale_in_cooldown=self.cooldowns[1]))


EXPECTED_ANSWER = f"expected a whole number of tasks from 0 to {TASKS_PER_SERVICE:,}, or None to leave things alone"


def capacity_of(answer) -> tuple[int, str | None, str]:
    """What a policy's answer asks for: (tasks, None, how it was read: "" when as given), or
    (0, what is wrong with it, "").

    A whole number is taken as it is (numpy's too); a fraction is rounded up, as target
    tracking rounds a scale-out, so the policy never gets less than it asked for; above the
    tasks-per-service quota it is that quota (no service can have more). Refused: a bool (True
    is not one task), text such as "7", NaN, infinity, a negative number, anything else."""
    if isinstance(answer, (bool, np.bool_)):
        return 0, f"{EXPECTED_ANSWER}; got a bool", ""
    if isinstance(answer, numbers.Integral):
        count = int(answer)
        if count < 0:
            return 0, f"{EXPECTED_ANSWER}; got a negative number", ""
        return (count, None, "") if count <= TASKS_PER_SERVICE else (TASKS_PER_SERVICE, None, _CAPPED)
    if not isinstance(answer, numbers.Real):
        return 0, f"{EXPECTED_ANSWER}; got a {type(answer).__name__}", ""
    try:
        value = float(answer)
    except (OverflowError, ValueError, TypeError):
        value = math.nan
    if not math.isfinite(value):
        return 0, f"{EXPECTED_ANSWER}; got a number that is not finite", ""
    if value < 0:
        return 0, f"{EXPECTED_ANSWER}; got a negative number", ""
    if value > TASKS_PER_SERVICE:
        return TASKS_PER_SERVICE, None, _CAPPED
    count = math.ceil(value)
    return count, None, f", used {count}"


_CAPPED = f", used {TASKS_PER_SERVICE} ({TASKS_PER_SERVICE_SOURCE})"


def _shown(value) -> str:
    """The answer as it can be shown: an integer of thousands of digits cannot be printed."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) \
            and abs(int(value)) > 10**15:
        return f"an integer of {int(value).bit_length()} bits"
    try:
        return reprlib.repr(value)
    except Exception:  # noqa: BLE001 - the user's __repr__ failing must not hide the answer's problem
        return f"a {type(value).__name__}"


def _defining_file(obj):
    module = sys.modules.get(type(obj).__module__)
    return getattr(module, "__file__", None)

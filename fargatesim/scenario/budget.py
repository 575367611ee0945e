"""How much memory a run of a scenario needs, checked against the machine before it starts.

A run keeps arrays per tick for its whole length (data-plane records, rates, arrivals, the
results' tables), per task for each stretch the data plane computes ahead, and, with the
request engine, numbers per request. Too long a run at too fine a tick used to allocate for
minutes and then end in MemoryError (`duration: 1000d` took 2.2 GB first); `check_memory`
refuses it at once, saying what to change.

The figures below are measured peaks of `fargatesim run` (resident memory, ru_maxrss) over
runs that differ only in the quantity, rounded up; tests/test_hostile_input.py checks that
the estimate stays above what a run really takes.
"""
from __future__ import annotations

import math
import os
import resource
from dataclasses import dataclass

from .errors import ScenarioError

MIB, GIB = 1 << 20, 1 << 30
# The interpreter with numpy, pandas, scipy, numba and matplotlib loaded, and a small run:
# 175 to 240 MB measured.
BASE_BYTES = 300 * MIB
# pyarrow, which pandas loads whenever it is installed (tune's trials.parquet needs it).
PYARROW_BYTES = 35 * MIB
# Per tick of the run: 17 series of TickRecords (dataplane/records.py), rates, arrivals, the
# metric store and the results' tables, built a chunk at a time: 90 bytes measured for one
# steady task (untouched series cost nothing), 330 for benchmarks/week_200_tasks.py (200 tasks
# scaling, crashes, every series written); and per trace component, whose rate is computed
# from arrays of its own: 700 bytes more measured.
TICK_BYTES = 512
TRACE_TICK_BYTES = 768
# Per task and per tick of the stretch the data plane computes at once (engine.LOOKAHEAD_S,
# 600 s; the request engine asks for 60 s): its blocks are (ticks x tasks) arrays, about 9
# float64 ones: 43 KB a task measured at 1 s ticks.
TASK_TICK_BYTES = 80
LOOKAHEAD_S = {"fluid": 600.0, "requests": 60.0}
# Per task slot and per tick of the request timeout: requests that end later wait in an int64
# array of (ok, 504) x slots x (timeout / tick + 2), which grows by doubling.
SLOT_HORIZON_BYTES = 32
# The request engine, per request of the run: its latency log (tick and latency, 8 bytes) and
# the per-request draws it keeps for the stretch: 46 to 48 bytes measured.
REQUEST_BYTES = 64
# A websocket run draws every session's length up front (8 bytes; 7 measured) and holds each
# open connection (its end, task and retry state).
SESSION_BYTES = 16
CONNECTION_BYTES = 64
# A trace is parsed whole (pandas' reader, then float64 times, counts and running totals):
# about ten times the CSV's size measured.
TRACE_FILE_FACTOR = 12
# numpy, numba and pandas map far more address space than they touch: an ordinary run maps
# about 1.3 GB. Under an address-space limit (ulimit -v) this much of it is not for data.
ADDRESS_SPACE_BASELINE = 3 * GIB // 2


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, in all and by what they grow with."""

    total: int
    ticks: int          # the run's ticks (duration / tick)
    per_tick: int       # bytes that scale with 1 / tick: the records, the stretches, the timeout horizon
    requests: int       # the request engine's per-request bytes
    sessions: int       # a websocket workload's sessions and connections
    traces: int         # trace files, parsed


def estimate_memory(scenario) -> MemoryEstimate:
    """What a run of `scenario` needs at its peak, from its length, tick, tasks and traffic."""
    tick = float(scenario.tick)
    ticks = math.ceil(scenario.duration / tick - 1e-9)
    end = ticks * tick
    tasks = _most_tasks(scenario)
    lookahead = LOOKAHEAD_S.get(scenario.engine, LOOKAHEAD_S["fluid"])
    stretch = max(1, int(lookahead / tick))
    workload = scenario.workload
    horizon = math.ceil(float(workload.timeout) / tick) + 2
    tick_bytes = TICK_BYTES + TRACE_TICK_BYTES * sum(1 for c in scenario.traffic if c.kind == "trace")
    per_tick = ticks * tick_bytes + tasks * stretch * TASK_TICK_BYTES + 2 * tasks * horizon * SLOT_HORIZON_BYTES

    offered = _requests_offered(scenario.traffic, scenario.start, end)
    requests = int(offered * REQUEST_BYTES) if scenario.engine == "requests" and not workload.is_websocket else 0
    sessions = 0
    if workload.is_websocket:
        # open at once, on average: sessions a second times how long each lasts (Little's law)
        open_connections = offered / end * workload.websocket.connection_duration.mean if end > 0 else 0.0
        sessions = int(offered * SESSION_BYTES + min(open_connections, offered) * CONNECTION_BYTES)
    traces = sum(_file_size(c.file) * TRACE_FILE_FACTOR for c in scenario.traffic if c.kind == "trace")
    total = BASE_BYTES + PYARROW_BYTES + per_tick + requests + sessions + traces
    return MemoryEstimate(total=int(total), ticks=ticks, per_tick=int(per_tick), requests=requests,
                          sessions=sessions, traces=int(traces))


def available_memory() -> tuple[int, str]:
    """Bytes a run may use here, and what sets that: the machine's memory, a container's
    memory limit (cgroup), or this process's address-space limit (ulimit -v)."""
    limits = []
    try:
        limits.append((os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "this machine's memory"))
    except (ValueError, OSError, AttributeError):  # a platform without these names
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append((int(text), "the memory limit of this container (cgroup)"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append((max(0, soft - ADDRESS_SPACE_BASELINE), "this process's address-space limit (ulimit -v)"))
    if not limits:
        return (1 << 62), "nothing known"
    return min(limits)


def check_memory(scenario, *, available: tuple[int, str] | None = None, at_once: int = 1) -> MemoryEstimate:
    """Raise ScenarioError, saying what to change, when a run of `scenario` would need more
    memory than is available (`available_memory()` unless given); else return the estimate.

    `at_once`: runs of it that will run side by side (compare and cost with --jobs N), each in
    a process of its own.
    """
    need = estimate_memory(scenario)
    have, limit = available if available is not None else available_memory()
    if need.total * at_once <= have:
        return need
    if need.total <= have:
        fits = have // need.total
        raise ScenarioError(f"{at_once} runs at once need about {_size(need.total * at_once)} of memory "
                            f"({_size(need.total)} each); {limit} is {_size(have)}: use --jobs {fits} or fewer",
                            file=scenario.source)
    fixed = need.total - need.per_tick
    parts = [f"{need.ticks:,} ticks of {scenario.tick:g} s"]
    if need.requests:
        parts.append(f"{_size(need.requests)} for the request engine's requests")
    if need.sessions:
        parts.append(f"{_size(need.sessions)} for the websocket sessions")
    if need.traces:
        parts.append(f"{_size(need.traces)} for trace files")
    text = f"this run needs about {_size(need.total)} of memory ({', '.join(parts)}); {limit} is {_size(have)}: "
    if need.requests > need.per_tick and need.requests > need.sessions:
        raise ScenarioError(text + "use engine fluid, or a shorter duration", file=scenario.source, path="engine")
    if fixed >= have:
        raise ScenarioError(text + "a shorter duration, or less traffic", file=scenario.source, path="duration")
    # What scales with 1 / tick fits in what is left at a tick this many times longer:
    tick = scenario.tick * need.per_tick / (have - fixed)
    if tick <= 60:
        advice = f"a tick of at least {_round_up(tick):g} s, or a shorter duration"
    else:
        advice = f"a shorter duration (at most about {_days(scenario.duration * (have - fixed) / need.per_tick)})"
    raise ScenarioError(text + advice, file=scenario.source, path="tick" if tick <= 60 else "duration")


def _most_tasks(scenario) -> int:
    """The most tasks the run can hold at once: the largest count it can ask for, with the
    extra percent a deployment starts beside the old tasks when it has one."""
    counts = [scenario.service.desired_count]
    scaling = scenario.autoscaling
    if scaling is not None:
        counts.append(scaling.max_capacity)
        for action in scaling.scheduled_actions:
            bounds = action.scalable_target_action
            counts += [n for n in (getattr(bounds, "min_capacity", None), getattr(bounds, "max_capacity", None))
                       if isinstance(n, int)]
    counts += [getattr(a, "value", 0) for a in scenario.actions if a.type == "set_desired_count"]
    deploys = any(a.type == "deploy" for a in scenario.actions)
    surge = max(100, scenario.service.deployment_maximum_percent) / 100 if deploys else 1.0
    return max(1, math.ceil(max(counts) * surge))


def _requests_offered(traffic, start, end: float) -> float:
    from ..traffic.curves import requests_between
    total = 0.0
    for component in traffic:
        total += float(requests_between(component, 0.0, end, start))
    return max(0.0, total)


def _file_size(path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _size(n: float) -> str:
    return f"{n / GIB:,.1f} GB" if n >= GIB else f"{n / MIB:,.0f} MB"


def _round_up(x: float) -> float:
    """1.3 -> 2, 0.13 -> 0.2, 13 -> 20: a tick to suggest, a little above what is needed."""
    scale = 10 ** math.floor(math.log10(x))
    return math.ceil(x / scale) * scale


def _days(seconds: float) -> str:
    return f"{seconds / 86400:,.1f} days" if seconds >= 86400 else f"{seconds / 3600:,.1f} h"

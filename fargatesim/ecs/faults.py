"""Faults injected into the service's tasks: crashes, failing health endpoints, Spot interruptions,
zone outages (az_outage.py), memory leaks (out_of_memory.py)."""
from __future__ import annotations

from ..clock import at
from .az_outage import install_az_outage
from .out_of_memory import install_memory_leak
from .spot import install_spot_interruptions
from .task import TaskState


def install_faults(env, service, faults, rng, record_event, *, leak_rng) -> None:
    """`leak_rng`: the memory leak's own stream (its draws must not move the other faults')."""
    if service.dp.leak:
        # Every memory_leak fault is in the data plane's one rate; one watch per task kills.
        install_memory_leak(env, service, leak_rng, record_event)
    for fault in faults:
        if fault.type == "task_crash" and fault.mtbf is not None:
            service.on_running.append(_crash_after_lifetime(env, service, fault.mtbf, rng, record_event))
        elif fault.type == "task_crash":
            env.process(at(env, fault.at, lambda f=fault: _crash_some(env, service, f.count, rng, record_event)))
        elif fault.type == "task_unhealthy":
            env.process(at(env, fault.at, lambda f=fault: _break_health(env, service, f.count, rng, record_event)))
        elif fault.type == "az_outage":
            install_az_outage(env, service, fault, record_event)
        elif fault.type == "spot_interruption":
            install_spot_interruptions(env, service, fault, rng, record_event)


def _running(service):
    return [t for t in service.tasks if t.state is TaskState.RUNNING and not t.stop_requested]


def _crash_after_lifetime(env, service, mtbf, rng, record_event):
    # Exponential lifetimes: crashes form a Poisson process of rate (running tasks) / mtbf.
    def hook(task):
        env.process(_crash_later(task, float(rng.exponential(mtbf))))

    def _crash_later(task, after):
        yield env.timeout(after)
        if task.state in (TaskState.RUNNING, TaskState.DEACTIVATING):
            record_event(env.now, "fault", task.id, "task_crash: essential container exited")
            service.crash(task, "Essential container in task exited")
    return hook


def _pick(running, count, rng):
    if not running:
        return []
    idx = rng.choice(len(running), size=min(count, len(running)), replace=False)
    return [running[i] for i in sorted(idx)]


def _crash_some(env, service, count, rng, record_event):
    for task in _pick(_running(service), count, rng):
        record_event(env.now, "fault", task.id, "task_crash: essential container exited")
        service.crash(task, "Essential container in task exited")


def _break_health(env, service, count, rng, record_event):
    for task in _pick([t for t in _running(service) if not t.failing_health], count, rng):
        service.break_health(task)
        record_event(env.now, "fault", task.id, "task_unhealthy: health endpoint starts failing")

"""The memory_leak fault in the control plane: a task whose memory is full is killed.

ECS stops a task whose essential container runs out of memory (stopCode
EssentialContainerExited, reason "OutOfMemoryError: Container killed due to memory usage"),
and the service replaces it like any stopped task. The data plane counts what each app leaked
in MemoryUtilization (dataplane/memory_leak.py); here each running task waits for its kill.

Assumptions, named once:
- The kill comes when the containers' base memory and the leak fill the task's memory. The
  requests' own memory (memory_mb_per_request) is left out of that test, so MemoryUtilization
  can read a little over 100 % in the last minute of a task.
- A service in steady state at t = 0 has been leaking for a while: its tasks' ages are spread
  uniformly over one lifetime (the time a task takes to fill its memory), as in the renewal
  process that replacements form, so their kills are staggered rather than simultaneous.
"""
from __future__ import annotations

from ..clock import until
from .task import TaskState

OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"


def install_memory_leak(env, service, rng, record_event) -> None:
    dp, app = service.dp, service.dp.app
    headroom = app.task_memory_mb - app.base_memory_mb
    lifetime = headroom / dp.leak.rate

    def hook(task):
        steady = task.running_at is not None and task.running_at < env.now
        since = env.now - float(rng.uniform(0.0, lifetime)) if steady else env.now
        dp.leak.start(task.slot, since)
        env.process(_kill_when_full(task, since + lifetime))

    def _kill_when_full(task, at):
        yield until(env, at)
        if task.state in (TaskState.RUNNING, TaskState.DEACTIVATING) and not task.stop_code:
            record_event(env.now, "fault", task.id,
                         f"memory_leak: out of memory ({app.task_memory_mb:g} MiB) after "
                         f"{(env.now - (at - lifetime)) / 3600:.2f} h")
            task.stop_code = "EssentialContainerExited"
            service.crash(task, OOM_REASON)

    service.on_running.append(hook)

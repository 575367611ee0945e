"""How many simulated requests per second does the request engine process?

The workload is M/M/10: Poisson arrivals at 90/s, exponential service at 10/s per server,
10 servers (one task whose app has 10 vCPU: 16 vCPU minus a 6 vCPU sidecar, so 10 cores of
speed 1, and 100 ms of CPU per request). Time is stretched, not the rate: many 1-second ticks,
so that millions of requests flow. Side by side, in one run:

- the request engine's data plane alone (`RequestDataPlane.advance` over all ticks with the
  routing fixed), first-come-first-served on 10 servers (the same queue as the two below) and
  processor sharing over 10 cores (the engine's model);
- the whole simulator (`Simulation.run()`: traffic, ECS service, target group, health checks,
  look-ahead) on the same workload;
- the same event loop run as plain Python on numpy arrays (NUMBA_DISABLE_JIT=1, in a
  subprocess, shorter): what the kernel costs without numba;
- a plain SimPy model of the same M/M/10 queue, one process per request (a Resource of 10);
- Ciw (if installed: `pip install ciw`), the same M/M/10 queue.

    .venv/bin/python benchmarks/request_engine_speed.py [--simulated 200000] [--repeat 3]

Prints figures only; nothing here is asserted.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LAMBDA, MU, SERVERS = 90.0, 10.0, 10


def scenario(simulated_s: float, seed: int = 1):
    from fargatesim.scenario import scenario_from_dict
    return scenario_from_dict({
        "name": "mm10", "duration": int(simulated_s), "seed": seed, "tick": 1,
        "traffic": [{"constant": {"rps": LAMBDA}}], "arrivals": "poisson",
        "workload": {"cpu_ms": {"distribution": "exponential", "mean": 1000.0 / MU},
                     "io_ms": 0, "timeout": "60s"},
        "task_definition": {"cpu": 16384, "memory": 32768, "container_definitions": [
            {"name": "app", "port_mappings": [{"container_port": 8080}]},
            {"name": "sidecar", "essential": False, "base_cpu_units": 6144}]},
        "service": {"desired_count": 1},
    })


def dataplane_alone(simulated_s: float, discipline: str, seed: int = 1) -> tuple[float, int, float]:
    """(requests per wall second, requests, mean response time) of the data plane alone."""
    from fargatesim.dataplane.records import TickRecords
    from fargatesim.dataplane.requests import RequestDataPlane
    from fargatesim.elb.target_group import RoutingView
    from fargatesim.engine import app_model
    s = scenario(simulated_s, seed)
    app = app_model(s)
    assert app.cores == SERVERS and app.core_speed == 1.0
    n = int(simulated_s)
    rng = np.random.default_rng(seed)
    rates = np.full(n, LAMBDA)
    arrivals = rng.poisson(rates)
    rec = TickRecords(n)
    dp = RequestDataPlane(app=app, tick=1.0, arrivals=arrivals, rates=rates, algorithm="round_robin",
                          rng=rng, records=rec, discipline=discipline)
    dp.ensure_slot(0)
    view = RoutingView([0], [True], [1.0], [np.nan], 0.0, 1.0, 1)
    dp.advance(1, view)                                  # compiled (or loaded from the cache)
    t0 = time.perf_counter()
    dp.advance(n, view)
    wall = time.perf_counter() - t0
    done = int(arrivals[1:].sum())
    return done / wall, done, float(dp.latencies.latencies.astype(float).mean())


def whole_simulator(simulated_s: float, discipline: str) -> tuple[float, int, float]:
    from fargatesim.dataplane.requests import RequestDataPlane
    from fargatesim.engine import Simulation
    s = scenario(simulated_s)

    def factory(engine, *, websocket=None, sessions_rng=None, steady_start=True, **kw):
        return RequestDataPlane(**kw, discipline=discipline)

    Simulation(scenario(60), dataplane=factory).run()   # compiled (or loaded from the cache)
    t0 = time.perf_counter()
    sim = Simulation(s, dataplane=factory).run()
    wall = time.perf_counter() - t0
    assert isinstance(sim.dataplane, RequestDataPlane)
    done = int(sim.records.arrivals.sum())
    return done / wall, done, float(sim.dataplane.latencies.latencies.astype(float).mean())


def plain_simpy(simulated_s: float, seed: int = 1) -> tuple[float, int, float]:
    """M/M/10 in SimPy: a Resource of 10, one process per request."""
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    rng = np.random.default_rng(seed)
    done, total = [0], [0.0]

    def request(demand):
        t = env.now
        with servers.request() as slot:
            yield slot
            yield env.timeout(demand)
        done[0] += 1
        total[0] += env.now - t

    def source():
        while True:
            yield env.timeout(rng.exponential(1 / LAMBDA))
            env.process(request(rng.exponential(1 / MU)))

    env.process(source())
    t0 = time.perf_counter()
    env.run(until=simulated_s)
    wall = time.perf_counter() - t0
    return done[0] / wall, done[0], total[0] / done[0]


def ciw_mm10(simulated_s: float, seed: int = 1):
    try:
        import ciw
    except ImportError:
        return None
    ciw.seed(seed)
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(LAMBDA)],
                                 service_distributions=[ciw.dists.Exponential(MU)],
                                 number_of_servers=[SERVERS])
    sim = ciw.Simulation(network)
    t0 = time.perf_counter()
    sim.simulate_until_max_time(simulated_s)
    wall = time.perf_counter() - t0
    records = sim.get_all_records()
    mean = float(np.mean([r.exit_date - r.arrival_date for r in records]))
    return len(records) / wall, len(records), mean


def no_jit(simulated_s: float) -> tuple[float, int, float] | None:
    """The kernel as plain Python (numba's JIT disabled), in a subprocess."""
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
            f"import request_engine_speed as b; print(*b.dataplane_alone({simulated_s}, 'fcfs'))")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return None
    rps, n, mean = out.stdout.split()
    return float(rps), int(n), float(mean)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulated", type=float, default=200_000.0,
                        help="simulated seconds for the request engine (default 200,000: 18 M requests)")
    parser.add_argument("--baseline", type=float, default=2_000.0,
                        help="simulated seconds for SimPy and Ciw (default 2,000: 180,000 requests)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    from fargatesim.dataplane import ps_kernel
    from fargatesim.dataplane.queueing import mmc_mean_wait

    theory = mmc_mean_wait(LAMBDA, MU, SERVERS) + 1 / MU
    print(f"M/M/10, arrivals {LAMBDA:g}/s, service {MU:g}/s per server: mean response "
          f"{theory * 1000:.2f} ms in theory (numba {'on' if ps_kernel.HAVE_NUMBA else 'MISSING'})")

    def show(label, result):
        if result is None:
            print(f"  {label:<52} not available")
            return
        rps, n, mean = result
        print(f"  {label:<52} {rps:>12,.0f} requests/s  ({n:,} requests, mean response "
              f"{mean * 1000:.2f} ms)")

    def best(fn, *a):
        runs = [fn(*a) for _ in range(args.repeat)]
        return max(runs, key=lambda r: r[0])

    show("request engine, data plane alone, FCFS (numba)", best(dataplane_alone, args.simulated, "fcfs"))
    show("request engine, data plane alone, PS (numba)", best(dataplane_alone, args.simulated, "ps"))
    show("request engine, whole simulator, FCFS (numba)", best(whole_simulator, args.simulated, "fcfs"))
    show("request engine, whole simulator, PS (numba)", best(whole_simulator, args.simulated, "ps"))
    show("same kernel without JIT (plain Python + numpy)", no_jit(min(args.baseline, 500.0)))
    show("plain SimPy, one process per request", best(plain_simpy, args.baseline))
    show("Ciw", best(ciw_mm10, args.baseline) if ciw_mm10(1.0) is not None else None)


if __name__ == "__main__":
    main()

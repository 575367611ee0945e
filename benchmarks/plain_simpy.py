"""A plain SimPy model of the same service, one process per request: the yardstick.

Requests arrive as a Poisson stream, are sent round robin to N tasks, each a SimPy Resource with
as many slots as the task has vCPUs, and hold a slot for their CPU time. This is how a textbook
SimPy model of the service looks; its cost grows with every request.
"""
from __future__ import annotations

import time

import numpy as np
import simpy


def requests_per_second(rate: float = 1000.0, tasks: int = 20, cpu_s: float = 0.02,
                        simulated_s: float = 60.0, seed: int = 1) -> float:
    """Simulated requests per wall-clock second of a plain SimPy model."""
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=1) for _ in range(tasks)]
    rng = np.random.default_rng(seed)
    done = [0]

    def request(server, demand):
        with server.request() as slot:
            yield slot
            yield env.timeout(demand)
        done[0] += 1

    def source():
        i = 0
        while True:
            yield env.timeout(rng.exponential(1 / rate))
            env.process(request(servers[i % tasks], rng.exponential(cpu_s)))
            i += 1

    env.process(source())
    t0 = time.perf_counter()
    env.run(until=simulated_s)
    return done[0] / (time.perf_counter() - t0)


if __name__ == "__main__":
    rps = requests_per_second()
    print(f"plain SimPy, one process per request: {rps:,.0f} simulated requests per second")

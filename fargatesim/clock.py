"""Waiting for a moment on the simulation's clock.

Faults, operator and scheduled actions, alarm evaluations and memory-leak kills are all planned
for absolute simulated times; a time already past fires at once rather than raising (simpy
refuses a negative delay).
"""
from __future__ import annotations


def until(env, t: float):
    """A simpy timeout that ends at simulated time t (at once if t is past)."""
    return env.timeout(max(0.0, t - env.now))


def at(env, t: float, fn):
    """A process that calls fn() at simulated time t."""
    yield until(env, t)
    fn()

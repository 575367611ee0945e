"""Errors that any layer may raise and the entry points report.

Kept below every module that raises them: a user's scaling policy that fails is reported from
autoscaling/ with the same error the engine raises when an invariant breaks.
"""
from __future__ import annotations


class SimulationError(RuntimeError):
    """The simulation itself failed (an invariant broke); exit code 1 on the command line."""

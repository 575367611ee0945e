"""Offered traffic: rate curves per tick from the scenario's components, and arrivals per tick."""

from .arrivals import sample_arrivals
from .curves import rate_curve, rate_of
from .trace import Trace, TraceError, load_trace

__all__ = ["rate_curve", "rate_of", "sample_arrivals", "load_trace", "Trace", "TraceError"]

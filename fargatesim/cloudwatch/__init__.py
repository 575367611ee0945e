"""CloudWatch: metrics computed from the data plane, and alarms.

    from fargatesim.cloudwatch import alarm_state
"""
from .alarm_state import alarm_state, breaches

__all__ = ["alarm_state", "breaches"]

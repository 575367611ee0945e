"""Policies that misbehave, each in its own way (tests/test_hostile_policies.py)."""
import math
import sys


def not_a_class():
    return 3


class ExitsWhenAsked:
    """Ends the program once the run is under way: sys.exit(0) would exit 0, silently."""

    def desired_capacity(self, obs):
        if obs.now >= 300:
            sys.exit(0)
        return None


class ExitsWhenCreated:
    def __init__(self, code=3):
        sys.exit(code)

    def desired_capacity(self, obs):
        return 1


class RaisesSystemExit:
    def desired_capacity(self, obs):
        raise SystemExit


class Interrupted:
    def desired_capacity(self, obs):
        raise KeyboardInterrupt


class Divides:
    def desired_capacity(self, obs):
        return self.share(obs.running)

    def share(self, running):
        return 10 // (running - running)


class Answers:
    """Returns `answer` every time it is asked: "nan" and "inf" stand for those floats, anything
    else is returned as it is ("7", True, 3.7, [3]...)."""

    def __init__(self, answer=None):
        self.answer = {"nan": math.nan, "inf": math.inf}.get(answer, answer) if isinstance(answer, str) else answer

    def desired_capacity(self, obs):
        return self.answer


class Lacks:
    def desired(self, obs):
        return 1

"""A custom scaling policy used by the tests: one task per `per_task` requests per second."""
import math


class RequestsPerTask:
    def __init__(self, per_task=50, margin=1.2):
        self.per_task = per_task
        self.margin = margin
        self.calls = 0

    def desired_capacity(self, obs):
        self.calls += 1
        counts = obs.metric("AWS/ApplicationELB", "RequestCount", "Sum", count=1)
        if not counts or counts[-1] is None:
            return None
        return math.ceil(self.margin * counts[-1] / 60 / self.per_task)

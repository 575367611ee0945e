"""CloudWatch metrics of the service and its target group, aggregated from per-tick records.

What the control plane may see of the data plane goes through here, as AWS's own metrics:
- AWS/ECS CPUUtilization, MemoryUtilization: 100 x units used by the service's tasks / units
  of the running tasks (ECS guide, "Service utilization"); Average over the period is the
  usage-weighted mean, Maximum/Minimum the extreme tick of the service average.
- AWS/ApplicationELB RequestCount (Sum), RequestCountPerTarget (Sum, which is the average per
  target in service), TargetResponseTime (Average, seconds, over requests answered ok),
  HTTPCode_ELB_5XX_Count (503 with no target, 502 from a target that does not answer or is
  reset, 504 timeouts), HTTPCode_Target_5XX_Count (503 from an app over its concurrency),
  HealthyHostCount, UnHealthyHostCount, ActiveConnectionCount and NewConnectionCount (below).
- ECS/ContainerInsights RunningTaskCount, PendingTaskCount, DesiredTaskCount: the service's
  counts sampled every tick (Average, Minimum, Maximum over the period).
ALB metrics other than RequestCountPerTarget have no datapoint in a period without requests
("ALB reports only while requests flow"); missing datapoints are NaN.

Connections (an assumption: the ALB guide defines ActiveConnectionCount as "the total number
of concurrent TCP connections active from clients to the load balancer and from the load
balancer to targets" without saying how a period's Sum is formed): with one simulated load
balancer node, ActiveConnectionCount's Sum and Average are the client connections open on
average over the period (Maximum and Minimum over its ticks); NewConnectionCount (Sum) counts
the connections clients opened in the period. For websocket workloads those are the connections;
for HTTP each request is counted as its own connection (clients without keep-alive).
"""
from __future__ import annotations

import numpy as np

# Exact per-request latencies where the request engine logged them, the fluid model's otherwise.
from ..dataplane import request_latency
# The scenario accepts exactly the metrics computed here: both read the one catalogue.
from ..metric_catalogue import ECS, PUBLISHED_METRICS, STATISTICS

# The control-plane count (engine snapshots) behind each sampled metric.
SAMPLED = {"HealthyHostCount": "healthy_targets", "UnHealthyHostCount": "unhealthy_targets",
           "RunningTaskCount": "running_count", "PendingTaskCount": "pending_count",
           "DesiredTaskCount": "desired_count"}


class MetricStore:
    def __init__(self, records, tick: float, app, counts_at):
        """counts_at(times, key) -> the control plane's count `key` (a SAMPLED value) at the
        given instants."""
        self.rec = records
        self._app = app
        self.tick = tick
        self._counts_at = counts_at

    def ticks_per_period(self, period: float) -> int:
        per = int(round(period / self.tick))
        if per < 1 or abs(per * self.tick - period) > 1e-9:
            raise ValueError(f"period {period} s is not a whole number of ticks of {self.tick} s")
        return per

    def datapoints(self, namespace: str, metric: str, period: float, statistic: str,
                   first: int, stop: int) -> np.ndarray:
        """Values of periods first..stop-1 (period i covers [i, i+1) x period; NaN = none)."""
        if metric not in PUBLISHED_METRICS.get(namespace, ()):
            raise KeyError(f"{namespace} {metric} is not published by the simulator")
        per = self.ticks_per_period(period)
        n = max(0, stop - first)
        t0 = first * per
        r = self.rec
        block = lambda a: a[t0: t0 + n * per].reshape(n, per).astype(float)

        # Alarms read these every period: each metric computes only what its own value needs.
        if metric in ("CPUUtilization", "MemoryUtilization"):
            used, cap = (r.cpu_used, r.cpu_capacity) if metric == "CPUUtilization" else (r.mem_used, r.mem_capacity)
            u, c = block(used), block(cap)
            with np.errstate(invalid="ignore", divide="ignore"):
                if statistic in ("Average", "Sum"):
                    total = c.sum(axis=1)
                    return np.where(total > 0, 100 * u.sum(axis=1) / total, np.nan)
                per_tick = np.where(c > 0, 100 * u / c, np.nan)
            return _reduce(per_tick, statistic)
        if metric in SAMPLED:
            # Control-plane counts: sampled at every tick of the period.
            times = (t0 + np.arange(n * per) + 1) * self.tick - 1e-9
            return _reduce(self._counts_at(times, SAMPLED[metric]).reshape(n, per), statistic)
        requests = block(r.arrivals).sum(axis=1)
        no_requests = requests == 0
        if metric == "RequestCount":
            return np.where(no_requests, np.nan, requests if statistic == "Sum" else requests / per)
        if metric == "RequestCountPerTarget":
            targets = block(r.in_service).mean(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(targets > 0, requests / np.maximum(targets, 1e-12), requests)
        if metric == "TargetResponseTime":
            return np.where(no_requests, np.nan,
                            request_latency.mean_latency_by_group(r, self._app, t0, per, n))
        if metric == "HTTPCode_ELB_5XX_Count":
            elb = block(r.elb_503) + block(r.elb_502) + block(r.timeout_504) + block(r.reset_on_stop)
            return np.where(no_requests, np.nan, elb.sum(axis=1))
        if metric == "HTTPCode_Target_5XX_Count":
            return np.where(no_requests, np.nan, block(r.target_503).sum(axis=1))
        if metric == "NewConnectionCount":
            return np.where(no_requests, np.nan, requests)
        open_ = block(r.inflight)     # ActiveConnectionCount
        return np.where(no_requests & (open_.sum(axis=1) == 0), np.nan,
                        _reduce(open_, "Average" if statistic == "Sum" else statistic))

    def tasks_behind(self, namespace: str, metric: str, period: float, index: int) -> float | None:
        """How many tasks (or targets) period `index`'s datapoint averages over, or None.

        Target tracking multiplies a utilisation by this count to get the load it measured;
        with metrics published minutes late, the count *then* is the right one, not today's.
        """
        per = self.ticks_per_period(period)
        sl = slice(index * per, (index + 1) * per)
        if namespace == ECS:
            return float(self.rec.cpu_capacity[sl].mean() / self._app.task_cpu_units)
        if metric == "RequestCountPerTarget":
            return float(self.rec.in_service[sl].mean())
        return None


def _reduce(values: np.ndarray, statistic: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if statistic == "Average":
            return np.nanmean(values, axis=1) if values.size else np.zeros(0)
        if statistic == "Maximum":
            return np.nanmax(values, axis=1)
        if statistic == "Minimum":
            return np.nanmin(values, axis=1)
        if statistic == "Sum":
            return np.nansum(values, axis=1)
        if statistic == "SampleCount":
            return np.sum(~np.isnan(values), axis=1).astype(float)
    raise ValueError(f"unknown statistic {statistic!r}; allowed: {', '.join(STATISTICS)}")

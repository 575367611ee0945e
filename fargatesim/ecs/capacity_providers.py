"""Which capacity provider a service's task runs on: a capacity provider strategy's base and weights.

The ECS developer guide ("Amazon ECS capacity providers"): the `base` tasks run on the one
provider that has a base; the tasks beyond it split by `weight` ("for every one task on a
provider of weight 1, four tasks on a provider of weight 4"); a provider of weight 0 gets no
task beyond its base. AWS's Spot workshop walks through base 2 on on-demand with weights 1:3:
two tasks on on-demand, then the rest one on-demand for every three on Spot.

How the scheduler rounds when the tasks do not split exactly is not documented. Here each new
task goes where the split stays closest to the weights: to the provider with the fewest tasks
beyond its base per unit of weight once it has the task (a divisor rule, so that n + 1 tasks
are always n tasks plus one: scaling out never moves a running task), ties to the provider
listed first. Scale-in is not documented either; it is taken as the mirror image, so that
scaling out and back in returns to the same split: the provider with the most tasks beyond
its base per unit of weight gives one up, ties to the one listed last, and a base is given up
only when no provider has tasks beyond its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
# Not a capacity provider: the label of a launch_type EC2 service's tasks (ec2_cluster.py).
EC2 = "EC2"


@dataclass(frozen=True)
class Strategy:
    """(provider, base, weight) in the order the strategy lists them."""

    items: tuple[tuple[str, int, int], ...]

    @classmethod
    def of_service(cls, service_cfg) -> "Strategy":
        """The service's strategy; launch_type FARGATE is a strategy of FARGATE alone."""
        items = tuple((i.capacity_provider, i.base, i.weight) for i in service_cfg.capacity_provider_strategy)
        return cls(items or ((FARGATE, 0, 1),))

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(p for p, _, _ in self.items)

    def _beyond_base(self, counts: Mapping[str, int]) -> dict[str, int]:
        return {p: max(0, counts.get(p, 0) - base) for p, base, _ in self.items}

    def provider_for_new_task(self, counts: Mapping[str, int]) -> str:
        """Where the next task goes, given the service's tasks per provider."""
        for p, base, _ in self.items:
            if counts.get(p, 0) < base:
                return p
        weighted = [(i, p, w) for i, (p, _, w) in enumerate(self.items) if w > 0]
        if not weighted:
            return self.items[0][0]     # a strategy of one provider with weight 0: it takes every task
        beyond = self._beyond_base(counts)
        return min(weighted, key=lambda ipw: (Fraction(beyond[ipw[1]] + 1, ipw[2]), ipw[0]))[1]

    def provider_to_shrink(self, counts: Mapping[str, int]) -> str | None:
        """The provider that gives up a task on scale-in (None when the service has none)."""
        beyond = self._beyond_base(counts)
        over = [(i, p) for i, (p, _, _) in enumerate(self.items) if beyond[p] > 0]
        if over:
            weight = {p: w for p, _, w in self.items}

            def key(ip):
                i, p = ip
                # A provider of weight 0 should hold nothing beyond its base: it goes first.
                return (weight[p] == 0, Fraction(beyond[p], weight[p] or 1), i)
            return max(over, key=key)[1]
        holding = [p for p in reversed(self.providers) if counts.get(p, 0) > 0]
        if holding:
            return holding[0]
        # Tasks on a provider the strategy does not list (none today): any of them.
        others = sorted(p for p, n in counts.items() if n > 0)
        return others[0] if others else None

    def split(self, n: int) -> dict[str, int]:
        """How n tasks launched one by one from none spread over the providers."""
        counts = {p: 0 for p in self.providers}
        for _ in range(n):
            counts[self.provider_for_new_task(counts)] += 1
        return counts

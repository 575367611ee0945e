"""How the studies' tables and figures write their figures: one format per kind of number.

`fargatesim compare` prints its table, `fargatesim cost` prints its own, and both figures label
their points; a figure must read the same in each, so each format is written once, here.
"""
from __future__ import annotations

import math
from typing import Sequence


def number(x, kind: str, unit: bool = True) -> str:
    """A figure as the printed tables show it; `kind` is "pct" (a fraction, shown in %), "usd",
    "count", "min", "ms" or anything else (3 significant digits); `unit=False` leaves out a
    trailing unit. NaN reads "n/a" and infinity "never" (a recovery that did not happen)."""
    x = float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "never"
    if kind == "pct":
        p = 100 * x
        text = "0" if p == 0 else f"{p:.0f}" if p >= 99.5 else f"{p:#.3g}" if p >= 0.001 else f"{p:.1g}"
        return text + (" %" if unit else "")
    if kind == "usd":
        return "$" + (f"{x:,.2f}" if x >= 1 else f"{x:#.3g}")
    if kind in ("count", "min"):
        return f"{x:,.0f}" if x == round(x) else f"{x:,.1f}"
    if kind == "ms":
        return f"{x:,.0f}" if x >= 100 else f"{x:#.3g}"
    return f"{x:,.1f}" if x >= 100 else f"{x:#.3g}"


def dollars(x) -> str:
    """A price down to the hundredth of a cent: a job's run costs fractions of a cent, and
    the cost table sets such prices beside each other."""
    x = float(x)
    if math.isnan(x):
        return "n/a"
    return "$" + (f"{x:,.2f}" if x >= 1 else f"{x:.4f}" if x >= 0.0001 else f"{x:.2g}")


def hours(x) -> str:
    x = float(x)
    if math.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 1 else f"{x:.3f}"


def duration(seconds: float) -> str:
    """A simulated span: whole days as days, else hours or minutes to 3 significant digits."""
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 60:.3g} min"


def seed_range(seeds: Sequence[int]) -> str:
    """Seeds as "0..9" when they run consecutively (three or more), else listed."""
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)

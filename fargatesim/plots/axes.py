"""Tick formats shared by the figures: clock time, counts (1k, 10k, 1M) and latency in ms."""
from __future__ import annotations

import math
from datetime import timezone

import matplotlib.dates as mdates
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

# About this many latency ticks fit a panel before their labels crowd (8.5 pt labels, ~180 px).
MAX_LOG_TICKS = 7


def time_axis(ax, span_s: float, maxticks: int = 14) -> None:
    """Clock times on the x axis, with dates when the run spans more than a day."""
    locator = mdates.AutoDateLocator(tz=timezone.utc, minticks=5, maxticks=maxticks)
    locator.intervald[mdates.MINUTELY] = [1, 2, 5, 10, 15, 20, 30]
    locator.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 8, 12]
    ax.xaxis.set_major_locator(locator)
    if span_s > 86400:
        fmt = mdates.DateFormatter("%b %d\n%H:%M", tz=timezone.utc)
    else:
        fmt = mdates.DateFormatter("%H:%M", tz=timezone.utc)
    ax.xaxis.set_major_formatter(fmt)


def si(value, _pos=None) -> str:
    """Counts and rates: 500, 1.5k, 10k, 2M (the same suffixes on every axis)."""
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:g}M"
    if a >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def ms(value, _pos=None) -> str:
    """Latency ticks, always in milliseconds: 0.5, 20, 1,000, 20,000."""
    if value < 1:
        return f"{value:g}"
    return f"{value:,.0f}"


def latency_axis(ax, lo: float, hi: float) -> None:
    """A log axis in ms from lo to hi, with as many 1-2-5 ticks as fit, else 1-3, else decades."""
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    decades = max(math.log10(hi / lo), 0.1)
    for subs in ((1.0, 2.0, 5.0), (1.0, 3.0), (1.0,)):
        if len(subs) * decades <= MAX_LOG_TICKS:
            break
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=MAX_LOG_TICKS + 2))
    ax.yaxis.set_major_formatter(FuncFormatter(ms))
    # Unlabelled minor ticks between labelled ones only add noise on a log axis this short.
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())

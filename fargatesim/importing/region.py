"""The region an imported service runs in (from its ARN), and the price table it is priced with."""
from __future__ import annotations

import re

from ..cost.prices import available_regions
from .impact import dropped

_REGION = re.compile(r"arn:aws[\w-]*:[\w-]+:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):")


def region_of(arn: str | None) -> str | None:
    m = _REGION.match(arn or "")
    return m["region"] if m else None


def pricing_section(arn: str | None, dropped_settings: list, notes: list[str], region: str | None = None) -> dict:
    """{region: ...} when a price table ships for the service's region; otherwise us-east-1's
    prices, and the region among the dropped settings."""
    region = region or region_of(arn)
    if region is None:
        notes.append("the service's region is not in the input: priced with us-east-1's prices")
        return {"region": "us-east-1"}
    if region in available_regions():
        return {"region": region}
    dropped_settings.append(dropped("pricing", "region", region))
    return {"region": "us-east-1"}

"""Price tables: one JSON file per region, shipped inside the package.

Prices are data, not code, so that a new region or a price change is a file edit and every number
carries its source and as-of date next to it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType
from typing import Any

ARCHITECTURES = ("X86_64", "ARM64")
OPERATING_SYSTEMS = ("LINUX", "WINDOWS")

# Keys a scenario's `pricing:` section may set; None means "keep the table's value".
OVERRIDE_KEYS = (
    "fargate_vcpu_hour",
    "fargate_gb_hour",
    "fargate_spot_discount",
    "fargate_ephemeral_gb_hour",
    "lambda_gb_second",
    "lambda_arm_gb_second",
    "lambda_request_per_million",
)
# A mapping of instance type to its on-demand USD per hour (types known to the table only).
EC2_OVERRIDE_KEY = "ec2_instance_hour"
# The scenario's pricing section also names the region; it is passed to load() separately.
_IGNORED_OVERRIDE_KEYS = ("region", EC2_OVERRIDE_KEY)

_FILE_PREFIX, _FILE_SUFFIX = "prices-", ".json"


def normalise_architecture(architecture: str) -> str:
    """'x86_64' / 'X86_64' / 'arm64' / 'ARM64' -> ECS's spelling (runtimePlatform.cpuArchitecture)."""
    arch = str(architecture).strip().upper()
    if arch not in ARCHITECTURES:
        expected = ", ".join(ARCHITECTURES)
        raise ValueError(f"unknown CPU architecture {architecture!r}; expected one of {expected}")
    return arch


def normalise_os(operating_system: str) -> str:
    """ECS names Windows by edition (WINDOWS_SERVER_2019_FULL, ...); all editions share one price."""
    name = str(operating_system).strip().upper()
    if name.startswith("WINDOWS"):
        return "WINDOWS"
    if name == "LINUX":
        return "LINUX"
    raise ValueError(f"unknown operating system {operating_system!r}; expected LINUX or WINDOWS_*")


@dataclass(frozen=True)
class FargateRate:
    """Fargate on-demand rates for one OS/architecture platform."""

    operating_system: str
    architecture: str
    vcpu_hour: float
    gb_hour: float
    os_licence_vcpu_hour: float = 0.0
    minimum_s: int = 60

    @property
    def vcpu_hour_total(self) -> float:
        """The licence fee is charged per vCPU-hour, so it simply adds to the vCPU rate."""
        return self.vcpu_hour + self.os_licence_vcpu_hour


@dataclass(frozen=True)
class Ec2InstanceType:
    name: str
    vcpu: int
    memory_gib: float
    usd_hour: float
    architecture: str


@dataclass(frozen=True)
class PriceTable:
    """All prices of one region. Build it with PriceTable.load(); it is immutable."""

    region: str
    currency: str
    as_of: str
    fargate_rates: Mapping[str, FargateRate] = field(hash=False, repr=False)
    fargate_ephemeral_gb_hour: float
    fargate_ephemeral_included_gib: float
    fargate_ephemeral_max_gib: float
    fargate_spot_discount: float
    fargate_spot_platforms: tuple[str, ...]
    fargate_spot_discounts_storage: bool
    lambda_gb_second_rates: Mapping[str, float] = field(hash=False, repr=False)
    lambda_request_per_million: float
    ec2_instances: Mapping[str, Ec2InstanceType] = field(hash=False, repr=False)
    ec2_minimum_s: int
    sources: Mapping[str, str] = field(hash=False, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, region: str = "us-east-1", overrides: Any = None) -> PriceTable:
        """Load the packaged table for `region`, then apply a scenario's pricing overrides.

        `overrides` is a mapping or an object (e.g. the parsed `pricing:` section) with any of
        OVERRIDE_KEYS; missing or None values keep the table's price.
        """
        available = available_regions()
        if region not in available:
            raise ValueError(
                f"no price table for region {region!r}; available regions: {', '.join(available)}"
            )
        path = resources.files(__package__).joinpath(f"{_FILE_PREFIX}{region}{_FILE_SUFFIX}")
        text = path.read_text("utf-8")
        return cls.from_dict(json.loads(text)).with_overrides(overrides)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        """Build a table from the JSON layout of prices-<region>.json."""
        fg = data["fargate"]
        rates = {}
        for platform, r in fg["rates"].items():
            os_name, arch = platform.split("/")
            rate = FargateRate(
                operating_system=normalise_os(os_name),
                architecture=normalise_architecture(arch),
                vcpu_hour=float(r["vcpu_hour"]),
                gb_hour=float(r["gb_hour"]),
                os_licence_vcpu_hour=float(r.get("os_licence_vcpu_hour", 0.0)),
                minimum_s=int(r.get("minimum_s", fg["minimum_s"])),
            )
            rates[_platform(rate.operating_system, rate.architecture)] = rate
        storage = data["fargate_ephemeral_storage"]
        spot = data["fargate_spot"]
        lam = data["lambda"]
        ec2 = data["ec2_on_demand"]
        instances = {
            name: Ec2InstanceType(
                name=name,
                vcpu=int(i["vcpu"]),
                memory_gib=float(i["memory_gib"]),
                usd_hour=float(i["usd_hour"]),
                architecture=normalise_architecture(i["architecture"]),
            )
            for name, i in ec2["instances"].items()
        }
        sections = ("fargate", "fargate_ephemeral_storage", "fargate_spot", "lambda", "ec2_on_demand")
        table = cls(
            region=data["region"],
            currency=data["currency"],
            as_of=data["as_of"],
            fargate_rates=MappingProxyType(rates),
            fargate_ephemeral_gb_hour=float(storage["gb_hour"]),
            fargate_ephemeral_included_gib=float(storage["included_gb"]),
            fargate_ephemeral_max_gib=float(storage["max_gb"]),
            fargate_spot_discount=float(spot["discount"]),
            fargate_spot_platforms=tuple(spot["platforms"]),
            fargate_spot_discounts_storage="storage" in spot["discounted_components"],
            lambda_gb_second_rates=MappingProxyType(
                {normalise_architecture(a): float(v) for a, v in lam["gb_second"].items()}
            ),
            lambda_request_per_million=float(lam["request_per_million"]),
            ec2_instances=MappingProxyType(instances),
            ec2_minimum_s=int(ec2["minimum_s"]),
            sources=MappingProxyType(
                {s: f"{data[s]['source']} (as of {data[s]['as_of']})" for s in sections}
            ),
        )
        table._validate()
        return table

    def with_overrides(self, overrides: Any) -> PriceTable:
        """A copy with a scenario's overrides applied.

        fargate_vcpu_hour and fargate_gb_hour replace the Linux/X86_64 rates only: that is the
        platform the scenario keys are documented against, and the other platforms have their own,
        unrelated list prices.
        """
        values = _read_overrides(overrides)
        ec2 = _read_ec2_overrides(overrides)
        if not values and not ec2:
            return self
        linux_x86 = _platform("LINUX", "X86_64")
        rates = dict(self.fargate_rates)
        rate = rates[linux_x86]
        rates[linux_x86] = replace(
            rate,
            vcpu_hour=values.get("fargate_vcpu_hour", rate.vcpu_hour),
            gb_hour=values.get("fargate_gb_hour", rate.gb_hour),
        )
        table = replace(
            self,
            fargate_rates=MappingProxyType(rates),
            fargate_spot_discount=values.get("fargate_spot_discount", self.fargate_spot_discount),
            fargate_ephemeral_gb_hour=values.get("fargate_ephemeral_gb_hour", self.fargate_ephemeral_gb_hour),
            lambda_gb_second_rates=MappingProxyType({
                "X86_64": values.get("lambda_gb_second", self.lambda_gb_second_rates["X86_64"]),
                "ARM64": values.get("lambda_arm_gb_second", self.lambda_gb_second_rates["ARM64"]),
            }),
            lambda_request_per_million=values.get("lambda_request_per_million", self.lambda_request_per_million),
            ec2_instances=MappingProxyType(self._ec2_with(ec2)),
        )
        table._validate()
        return table

    def _ec2_with(self, prices: dict[str, float]) -> dict[str, Ec2InstanceType]:
        out = dict(self.ec2_instances)
        for name, usd in prices.items():
            if name not in out:
                raise ValueError(f"pricing override {EC2_OVERRIDE_KEY}: no instance type {name!r} in the table; "
                                 f"known types: {', '.join(sorted(out))}")
            out[name] = replace(out[name], usd_hour=usd)
        return out

    def _validate(self) -> None:
        if not 0.0 <= self.fargate_spot_discount <= 1.0:
            raise ValueError(f"fargate_spot_discount must be within 0..1, got {self.fargate_spot_discount}")
        numbers = [self.fargate_ephemeral_gb_hour, self.lambda_request_per_million]
        for r in self.fargate_rates.values():
            numbers += [r.vcpu_hour, r.gb_hour, r.os_licence_vcpu_hour]
        numbers += list(self.lambda_gb_second_rates.values())
        numbers += [i.usd_hour for i in self.ec2_instances.values()]
        if any(not math.isfinite(v) or v < 0 for v in numbers):
            raise ValueError("prices must be finite and not negative")

    # -- accessors ----------------------------------------------------------------------------

    def fargate_rate(self, architecture: str = "X86_64", operating_system: str = "LINUX") -> FargateRate:
        key = _platform(normalise_os(operating_system), normalise_architecture(architecture))
        try:
            return self.fargate_rates[key]
        except KeyError:
            raise ValueError(
                f"Fargate has no {key} price in {self.region}; "
                f"priced platforms: {', '.join(self.fargate_rates)}"
            ) from None

    def fargate_spot_multiplier(self, architecture: str = "X86_64", operating_system: str = "LINUX") -> float:
        """Factor applied to the discounted components of a Spot task's charge."""
        key = _platform(normalise_os(operating_system), normalise_architecture(architecture))
        if key not in self.fargate_spot_platforms:
            raise ValueError(
                f"Fargate Spot does not run {key}; Spot platforms: {', '.join(self.fargate_spot_platforms)}"
            )
        return 1.0 - self.fargate_spot_discount

    def ec2_instance(self, instance_type: str) -> Ec2InstanceType:
        try:
            return self.ec2_instances[instance_type]
        except KeyError:
            raise ValueError(
                f"no on-demand price for EC2 instance type {instance_type!r} in {self.region}; "
                f"known types: {', '.join(sorted(self.ec2_instances))}"
            ) from None

    def lambda_gb_second(self, architecture: str = "X86_64") -> float:
        return self.lambda_gb_second_rates[normalise_architecture(architecture)]

    @property
    def lambda_request_usd(self) -> float:
        return self.lambda_request_per_million / 1_000_000


def available_regions() -> list[str]:
    """Regions with a packaged price table, sorted."""
    names = (p.name for p in resources.files(__package__).iterdir())
    tables = (n for n in names if n.startswith(_FILE_PREFIX) and n.endswith(_FILE_SUFFIX))
    return sorted(n[len(_FILE_PREFIX) : -len(_FILE_SUFFIX)] for n in tables)


def _platform(operating_system: str, architecture: str) -> str:
    return f"{operating_system}/{architecture}"


def _read_overrides(overrides: Any) -> dict[str, float]:
    if overrides is None:
        return {}
    if isinstance(overrides, Mapping):
        # A typo in a mapping key would otherwise silently keep the default price.
        unknown = set(overrides) - set(OVERRIDE_KEYS) - set(_IGNORED_OVERRIDE_KEYS)
        if unknown:
            raise ValueError(
                f"unknown pricing override(s) {', '.join(sorted(map(str, unknown)))}; "
                f"known: {', '.join(OVERRIDE_KEYS)}"
            )
        raw = {k: overrides.get(k) for k in OVERRIDE_KEYS}
    else:
        raw = {k: getattr(overrides, k, None) for k in OVERRIDE_KEYS}
    values = {}
    for key, value in raw.items():
        if value is None:
            continue
        try:
            values[key] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"pricing override {key} must be a number, got {value!r}") from None
    return values


def _read_ec2_overrides(overrides: Any) -> dict[str, float]:
    raw = (overrides.get(EC2_OVERRIDE_KEY) if isinstance(overrides, Mapping)
           else getattr(overrides, EC2_OVERRIDE_KEY, None)) if overrides is not None else None
    if not raw:
        return {}
    out = {}
    for name, value in dict(raw).items():
        try:
            out[str(name)] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"pricing override {EC2_OVERRIDE_KEY}.{name} must be a number, got {value!r}") from None
        if out[str(name)] < 0:
            raise ValueError(f"pricing override {EC2_OVERRIDE_KEY}.{name} must be >= 0, got {value!r}")
    return out

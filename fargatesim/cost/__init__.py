"""What a simulated service costs: Fargate as AWS bills it, with Lambda and EC2 for comparison."""

from .ec2 import InstanceCharge, instance_charge
from .fargate import TASK_FIELDS, TaskCharge, billed_seconds, service_cost, task_charge
from .lambda_pricing import (
    LAMBDA_ACCOUNT_CONCURRENCY,
    LAMBDA_MB_PER_VCPU,
    LAMBDA_MEMORY_DEFAULT_MB,
    LAMBDA_MEMORY_MAX_MB,
    LAMBDA_MEMORY_MIN_MB,
    LAMBDA_SCALING_ENVIRONMENTS,
    LAMBDA_SCALING_PERIOD_S,
    LAMBDA_TIMEOUT_DEFAULT_S,
    LAMBDA_TIMEOUT_MAX_S,
    LambdaMemory,
    lambda_charge,
    lambda_memory_for_vcpu,
)
from .prices import (
    ARCHITECTURES,
    OVERRIDE_KEYS,
    Ec2InstanceType,
    FargateRate,
    PriceTable,
    available_regions,
)

__all__ = [
    "ARCHITECTURES",
    "LAMBDA_ACCOUNT_CONCURRENCY",
    "LAMBDA_MB_PER_VCPU",
    "LAMBDA_MEMORY_DEFAULT_MB",
    "LAMBDA_MEMORY_MAX_MB",
    "LAMBDA_MEMORY_MIN_MB",
    "LAMBDA_SCALING_ENVIRONMENTS",
    "LAMBDA_SCALING_PERIOD_S",
    "LAMBDA_TIMEOUT_DEFAULT_S",
    "LAMBDA_TIMEOUT_MAX_S",
    "OVERRIDE_KEYS",
    "TASK_FIELDS",
    "Ec2InstanceType",
    "FargateRate",
    "InstanceCharge",
    "LambdaMemory",
    "PriceTable",
    "TaskCharge",
    "available_regions",
    "billed_seconds",
    "instance_charge",
    "lambda_charge",
    "lambda_memory_for_vcpu",
    "service_cost",
    "task_charge",
]

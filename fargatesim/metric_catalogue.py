"""The CloudWatch metrics the simulator publishes, the statistics and comparison operators
alarms read them with, and the metric behind each predefined target tracking metric type.

The scenario checks a file against these names, cloudwatch/ computes the metrics and evaluates
the alarms, and autoscaling/ builds a target tracking policy's alarms; all three must agree.
They live in the lowest layer, as plain data that imports nothing, so every layer above reads
the same table, none can close an import loop through it, and reading it loads nothing else.
"""

ECS, ELB, INSIGHTS = "AWS/ECS", "AWS/ApplicationELB", "ECS/ContainerInsights"

# namespace -> metric names.  cloudwatch/metrics.py computes these and no others, so an alarm
# or policy on any other metric could never act.
PUBLISHED_METRICS: dict[str, tuple[str, ...]] = {
    ECS: ("CPUUtilization", "MemoryUtilization"),
    ELB: (
        "RequestCount",
        "RequestCountPerTarget",
        "TargetResponseTime",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "HealthyHostCount",
        "UnHealthyHostCount",
        "ActiveConnectionCount",
        "NewConnectionCount",
    ),
    INSIGHTS: ("RunningTaskCount", "PendingTaskCount", "DesiredTaskCount"),
}

STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")

# PutMetricAlarm ComparisonOperator -> how a datapoint breaches: ``value <symbol> threshold``,
# the statistic being the first operand (API Reference, PutMetricAlarm).
COMPARISON_OPERATORS: dict[str, str] = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}

# predefined metric type -> (namespace, metric name, statistic, period in seconds), as in the
# Application Auto Scaling User Guide ("Monitoring with CloudWatch", predefined metric table);
# the HighResolution types read 20-second periods (API Reference, PredefinedMetricType).
PREDEFINED_METRIC_TYPES: dict[str, tuple[str, str, str, int]] = {
    "ECSServiceAverageCPUUtilization": (ECS, "CPUUtilization", "Average", 60),
    "ECSServiceAverageMemoryUtilization": (ECS, "MemoryUtilization", "Average", 60),
    "ALBRequestCountPerTarget": (ELB, "RequestCountPerTarget", "Sum", 60),
    "ECSServiceAverageCPUUtilizationHighResolution": (ECS, "CPUUtilization", "Average", 20),
    "ECSServiceAverageMemoryUtilizationHighResolution": (ECS, "MemoryUtilization", "Average", 20),
}

# Predictive scaling's predefined metric types for ECS -> (role, what it measures). AWS lists the
# nine names alike for pairs, load and scaling metrics (API Reference,
# PredictiveScalingPredefinedMetricPairSpecification); by their names, as EC2 Auto Scaling's
# ASG* types, three are pairs, three load metrics (the service's total) and three scaling
# metrics (the per-task average). What each measures, per hour:
#   cpu, memory:  load = the sum over tasks of their utilisation (%), averaged over the hour;
#                 scaling = the service's average utilisation (%);
#   requests:     load = RequestCount over the hour; scaling = RequestCountPerTarget per minute.
PREDICTIVE_METRIC_TYPES: dict[str, tuple[str, str]] = {
    "ECSServiceCPUUtilization": ("pair", "cpu"),
    "ECSServiceMemoryUtilization": ("pair", "memory"),
    "ALBRequestCount": ("pair", "requests"),
    "ECSServiceTotalCPUUtilization": ("load", "cpu"),
    "ECSServiceTotalMemoryUtilization": ("load", "memory"),
    "TotalALBRequestCount": ("load", "requests"),
    "ECSServiceAverageCPUUtilization": ("scaling", "cpu"),
    "ECSServiceAverageMemoryUtilization": ("scaling", "memory"),
    "ALBRequestCountPerTarget": ("scaling", "requests"),
}

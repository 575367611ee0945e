"""AWS settings that fargatesim knows but does not simulate.

A scenario written from a real configuration (the AWS CLI's output, a Terraform resource)
carries settings that change nothing the simulator models: networking, IAM, tags, logging,
identifiers and ARNs, the resource ids that tie an Application Auto Scaling target to its
service. They are accepted and listed in one warning (`ScenarioWarning`, printed by
`fargatesim validate` and `run`) instead of being refused as unknown keys; a key that is in
neither the section's own keys nor this list is still an error, with a did-you-mean.

Names are the AWS API parameters in snake_case, which is how Terraform spells them too; keyed
by the model of the scenario section that holds them. Sources: the ECS API reference
(CreateService, RegisterTaskDefinition, ContainerDefinition, PortMapping), the Elastic Load
Balancing v2 reference (CreateTargetGroup, target group attributes), the Application Auto
Scaling reference (RegisterScalableTarget, PutScalingPolicy, PutScheduledAction), the CloudWatch
reference (PutMetricAlarm), and the Terraform AWS provider's resources of the same names.
"""
from __future__ import annotations

_IDS = {"arn", "id", "tags", "tags_all", "region"}

NOT_SIMULATED: dict[str, frozenset[str]] = {
    "Service": frozenset(_IDS | {
        "cluster", "cluster_arn", "service_arn", "service_name", "task_definition", "service_registries",
        "platform_version", "platform_family", "role", "role_arn", "iam_role", "deployment_configuration",
        "deployment_controller", "deployment_circuit_breaker",
        "placement_constraints", "placement_strategy", "ordered_placement_strategy", "network_configuration",
        "scheduling_strategy", "enable_ecs_managed_tags", "propagate_tags", "enable_execute_command",
        "service_connect_configuration", "volume_configuration", "client_token", "force_new_deployment",
        "force_delete", "wait_for_steady_state", "triggers", "alarms", "status", "running_count",
        "pending_count", "created_at", "created_by", "events", "deployments", "task_sets",
    }),
    "LoadBalancer": frozenset({"target_group_arn", "load_balancer_name", "elb_name"}),
    "TaskDefinition": frozenset(_IDS | {
        "task_role_arn", "execution_role_arn", "network_mode", "volumes", "volume", "placement_constraints",
        "requires_compatibilities", "pid_mode", "ipc_mode", "proxy_configuration", "inference_accelerators",
        "inference_accelerator",
        "task_definition_arn", "arn_without_revision", "revision", "status", "requires_attributes",
        "compatibilities", "registered_at", "registered_by", "deregistered_at", "skip_destroy", "track_latest",
        "enable_fault_injection",
    }),
    "ContainerDefinition": frozenset({
        "repository_credentials", "links", "entry_point", "command", "environment_files", "mount_points",
        "volumes_from", "linux_parameters", "depends_on", "start_timeout", "hostname", "user",
        "working_directory", "disable_networking", "privileged", "readonly_root_filesystem", "dns_servers",
        "dns_search_domains", "extra_hosts", "docker_security_options", "interactive", "pseudo_terminal",
        "docker_labels", "ulimits", "log_configuration", "system_controls", "resource_requirements",
        "firelens_configuration", "credential_specs", "restart_policy", "version_consistency",
    }),
    "PortMapping": frozenset({"name", "app_protocol", "container_port_range"}),
    "TargetGroup": frozenset(_IDS | {
        "name", "name_prefix", "arn_suffix", "target_group_arn", "target_group_name", "port", "protocol",
        "protocol_version", "vpc_id", "target_type", "ip_address_type", "stickiness", "load_balancer_arns",
        "lambda_multi_value_headers_enabled", "proxy_protocol_v2", "preserve_client_ip",
        "connection_termination", "target_failover", "target_health_state", "target_group_health",
        "load_balancing_cross_zone_enabled", "load_balancing_anomaly_mitigation",
    }),
    # `enabled`: an ALB target group of instances or IPs always checks its targets.
    "TargetGroupHealthCheck": frozenset({"port", "protocol", "enabled"}),
    # A query's account (cross-account alarms) and an expression's own period.
    "MetricQuery": frozenset({"account_id", "period"}),
    "Autoscaling": frozenset(_IDS | {
        "resource_id", "scalable_dimension", "service_namespace", "role_arn", "suspended_state",
        "creation_time", "scalable_target_arn",
    }),
    "ScalingPolicy": frozenset(_IDS | {
        "policy_arn", "resource_id", "scalable_dimension", "service_namespace", "alarms", "creation_time",
    }),
    "ScheduledAction": frozenset(_IDS | {
        "scheduled_action_arn", "resource_id", "scalable_dimension", "service_namespace", "creation_time",
    }),
    "Alarm": frozenset(_IDS | {
        "alarm_arn", "alarm_description", "actions_enabled", "insufficient_data_actions", "unit",
        "alarm_configuration_updated_timestamp", "state_value", "state_reason", "state_reason_data",
        "state_updated_timestamp", "state_transitioned_timestamp", "evaluate_low_sample_count_percentiles",
    }),
}

# Where each model's keys sit in a scenario file, for the warning that lists them.
SECTIONS = {
    "Service": "service", "LoadBalancer": "service.load_balancer",
    "TaskDefinition": "task_definition",
    "ContainerDefinition": "task_definition.container_definitions[]",
    "PortMapping": "task_definition.container_definitions[].port_mappings[]",
    "TargetGroup": "target_group", "TargetGroupHealthCheck": "target_group.health_check",
    "MetricQuery": "alarms[].metrics[]",
    "Autoscaling": "autoscaling", "ScalingPolicy": "autoscaling.policies[]",
    "ScheduledAction": "autoscaling.scheduled_actions[]", "Alarm": "alarms[]",
}


def not_simulated_message(found: dict[str, list[str]]) -> str:
    """The one warning listing the ignored settings, section by section."""
    parts = [f"{SECTIONS.get(model, model)}: {', '.join(keys)}" for model, keys in found.items()]
    count = sum(len(keys) for keys in found.values())
    return (f"{count} AWS setting{'s' if count != 1 else ''} that fargatesim does not simulate, ignored "
            f"(networking, IAM, tags, identifiers, ...): " + "; ".join(parts))

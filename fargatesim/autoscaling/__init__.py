"""Application Auto Scaling: the pure decision functions, usable on their own.

    from fargatesim.autoscaling import step_scaling_capacity, target_tracking_capacity, schedule_times

They take the same configuration mappings a scenario file holds, and the engine itself uses
them; the stateful parts (cooldowns, combining, clamping) live in scalable_target.py.

    from fargatesim.autoscaling import check_autoscaling, check_custom_policies

check what a scenario's autoscaling would do before it runs: custom policy classes, without
running their code (policy_files.py), and scheduled actions that never fire (a warning).
"""
from .checks import check_autoscaling
from .policy_files import check_custom_policies
from .schedule import schedule_times
from .step_scaling import aggregate, matching_step, percent_change, step_scaling_capacity
from .target_tracking import alarm_thresholds, metric_of, target_tracking_capacity

__all__ = ["aggregate", "alarm_thresholds", "check_autoscaling", "check_custom_policies", "matching_step",
           "metric_of", "percent_change", "schedule_times", "step_scaling_capacity", "target_tracking_capacity"]

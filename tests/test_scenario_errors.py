"""Bad scenarios: each gives one ScenarioError naming the file, the key path, what was expected and what was given."""

import copy
import pickle
from pathlib import Path

import pytest
import yaml

from fargatesim.scenario import ScenarioError, load_scenario, scenario_from_dict

REFERENCE = Path(__file__).parent / "data" / "reference-scenario.yaml"
BASE = yaml.safe_load(REFERENCE.read_text())


def error_for(tmp_path: Path, change=None, *, text: str | None = None) -> ScenarioError:
    """The error from loading the reference scenario after `change(data)`, or from `text`."""
    if text is None:
        data = copy.deepcopy(BASE)
        change(data)
        text = yaml.safe_dump(data, sort_keys=False)
    path = tmp_path / "scenario-under-test.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.file == str(path)
    assert str(err).startswith(f"{path}: ")
    assert "Input should be" not in err.message  # no raw pydantic wording
    return err


def put(path: str, value):
    """A change that sets a dotted path (list indexes as numbers) in the scenario data."""

    def change(data):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parents:
            data = data[p]
        data[last] = value

    return change


def steps(*bounds):
    return put(
        "autoscaling.policies.1.step_scaling_policy_configuration.step_adjustments",
        [{"metric_interval_lower_bound": lo, "metric_interval_upper_bound": hi, "scaling_adjustment": 1}
         for lo, hi in bounds],
    )


# ---------------------------------------------------------------------- the file itself
def test_malformed_yaml_gives_line_and_column(tmp_path):
    err = error_for(tmp_path, text="name: x\nservice:\n  desired_count: 3\n   name: y\n")
    assert err.path == ""
    assert "line 4, column 8" in err.message and "mapping values are not allowed" in err.message


def test_duplicate_keys_are_refused(tmp_path):
    err = error_for(tmp_path, text="name: x\nseed: 1\nseed: 2\n")
    assert "line 3" in err.message and "duplicate key 'seed'" in err.message and "line 2" in err.message


@pytest.mark.parametrize("text, words", [("- a\n- b\n", ["top level", "got list"]), ("", ["empty"]),
                                         ("# only a comment\n", ["empty"])])
def test_the_top_level_must_be_a_mapping(tmp_path, text, words):
    err = error_for(tmp_path, text=text)
    assert err.path == "" and all(w in err.message for w in words)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert info.value.file == str(tmp_path / "nope.yaml") and "not found" in info.value.message


def test_dict_errors_have_no_file():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"name": "x", "traffic": [{"constant": {"rps": 1}}], "workload": {"cpu_ms": 5}})
    assert info.value.file is None and str(info.value) == f"{info.value.path}: {info.value.message}"
    assert info.value.path == "task_definition" and "missing required key 'task_definition'" in info.value.message


def test_every_missing_section_is_named_at_once():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"name": "x"})
    assert info.value.path == "traffic" and "missing required key 'traffic'" in info.value.message
    assert info.value.problems == [(key, f"missing required key {key!r}")
                                   for key in ("traffic", "workload", "task_definition")]
    assert str(info.value).splitlines() == ["3 problems:", "  traffic: missing required key 'traffic'",
                                            "  workload: missing required key 'workload'",
                                            "  task_definition: missing required key 'task_definition'"]


def test_errors_pickle_with_their_parts():
    err = pickle.loads(pickle.dumps(ScenarioError("expected x; got y", file="a.yaml", path="seed")))
    assert (err.file, err.path, err.message, str(err)) == ("a.yaml", "seed", "expected x; got y",
                                                           "a.yaml: seed: expected x; got y")
    assert str(ScenarioError("bad", file="a.yaml")) == "a.yaml: bad"


# ---------------------------------------------------------------------- keys and types
def test_unknown_key_suggests_the_right_one(tmp_path):
    err = error_for(tmp_path, put("service.desird_count", 3))
    assert err.path == "service.desird_count"
    assert "unknown key 'desird_count'" in err.message and "did you mean 'desired_count'?" in err.message
    assert "allowed keys here: name, desired_count, launch_type" in err.message


def test_unknown_top_level_key_lists_the_sections(tmp_path):
    err = error_for(tmp_path, put("trafic", []))
    assert err.path == "trafic" and "did you mean 'traffic'?" in err.message
    assert "workload, task_definition, service, target_group, autoscaling" in err.message


def test_loader_only_keys_cannot_come_from_the_file(tmp_path):
    err = error_for(tmp_path, put("base_dir", "/elsewhere"))
    assert err.path == "base_dir" and "unknown key 'base_dir'" in err.message
    assert "base_dir" not in err.message.split("allowed keys here:")[1]


def test_wrong_type_echoes_the_value(tmp_path):
    err = error_for(tmp_path, put("service.desired_count", "four"))
    assert err.path == "service.desired_count" and err.message == "expected a whole number; got 'four'"
    err = error_for(tmp_path, put("target_group", [1, 2]))
    assert err.path == "target_group" and "expected a mapping" in err.message and "[1, 2]" in err.message


def test_missing_required_key(tmp_path):
    def drop(data):
        del data["workload"]["cpu_ms"]

    err = error_for(tmp_path, drop)
    assert err.path == "workload.cpu_ms" and "missing required key 'cpu_ms'" in err.message


def test_enum_values_are_listed_with_a_suggestion(tmp_path):
    err = error_for(tmp_path, put("target_group.load_balancing_algorithm_type", "least_outstanding"))
    assert err.path == "target_group.load_balancing_algorithm_type"
    assert "round_robin, least_outstanding_requests, weighted_random" in err.message
    assert "got 'least_outstanding'" in err.message and "did you mean 'least_outstanding_requests'?" in err.message


@pytest.mark.parametrize(
    "path, value, where, words",
    [
        ("name", "checkout api", "name", ["letters, digits", "'checkout api'"]),
        ("tick", 0, "tick", ["> 0 and <= 60", "got 0"]),
        ("tick", "2m", "tick", ["<= 60", "'2m'"]),
        ("duration", "500ms", "duration", ["at least one tick (1 s)"]),
        ("seed", -1, "seed", [">= 0", "-1"]),
        ("start", "yesterday", "start", ["date and time", "'yesterday'"]),
        ("workload.timeout", "30 seconds", "workload.timeout", ["'90s', '5m'", "'30 seconds'"]),
        ("workload.cpu_ms", {"distribution": "lognormal", "mean": 25, "sd": 1}, "workload.cpu_ms.sd",
         ["unknown key 'sd' for a lognormal distribution", "allowed: mean, cv"]),
        ("workload.cpu_ms", 0, "workload.cpu_ms", ["mean > 0"]),
        ("task_definition.startup", {"distribution": "uniform", "low": "1m", "high": "30s"},
         "task_definition.startup.high", ["high > low (60)", "got 30"]),
        ("target_group.deregistration_delay", 4000, "target_group.deregistration_delay", ["from 0 to 3600", "4000"]),
        ("target_group.slow_start", 10, "target_group.slow_start", ["0 (off)", "30 to 900", "got 10"]),
        ("target_group.health_check.timeout", 30, "target_group.health_check.timeout", ["timeout < interval (30 s)"]),
        ("target_group.health_check.healthy_threshold", 1, "target_group.health_check.healthy_threshold",
         ["from 2 to 10", "got 1"]),
        ("target_group.health_check.matcher", "600", "target_group.health_check.matcher", ["200 to 499", "'600'"]),
        ("service.deployment_minimum_healthy_percent", 150, "service.deployment_minimum_healthy_percent",
         ["from 0 to 100"]),
        ("service.stop_timeout", 300, "service.stop_timeout", ["from 2 to 120"]),
        ("task_definition.ephemeral_storage.size_in_gib", 10, "task_definition.ephemeral_storage.size_in_gib",
         ["from 20 to 200"]),
        ("task_definition.container_definitions.0.health_check.interval", 1,
         "task_definition.container_definitions[0].health_check.interval", ["from 5 to 300", "got 1"]),
        ("task_definition.container_definitions.0.port_mappings", [{"container_port": 80, "host_port": 8080}],
         "task_definition.container_definitions[0].port_mappings[0].host_port", ["equal to container_port (80)"]),
        ("slo.error_rate", 2, "slo.error_rate", ["from 0 to 1", "got 2"]),
        ("autoscaling.policies.0.target_tracking_scaling_policy_configuration.alarm_low_ratio", 1.5,
         "autoscaling.policies[0].target_tracking_scaling_policy_configuration.alarm_low_ratio", ["> 0 and < 1"]),
    ],
)
def test_values_out_of_range(tmp_path, path, value, where, words):
    err = error_for(tmp_path, put(path, value))
    assert err.path == where
    for word in words:
        assert word in err.message


# ---------------------------------------------------------------------- task definition
def test_invalid_fargate_pair_lists_the_allowed_memory(tmp_path):
    def change(data):
        data["task_definition"].update(cpu=256, memory=4096)

    err = error_for(tmp_path, change)
    assert err.path == "task_definition.memory"
    assert "cpu 256" in err.message and "512, 1024, 2048" in err.message and "got 4096" in err.message


def test_invalid_fargate_cpu_lists_the_allowed_cpus(tmp_path):
    err = error_for(tmp_path, put("task_definition.cpu", 300))
    assert err.path == "task_definition.cpu"
    assert "256, 512, 1024, 2048, 4096, 8192, 16384" in err.message and "got 300" in err.message


@pytest.mark.parametrize(
    "path, value, where, words",
    [
        ("task_definition.container_definitions.1.port_mappings", [{"container_port": 9000}],
         "task_definition.container_definitions", ["exactly one container with port_mappings", "'app', 'otel-collector'"]),
        ("task_definition.container_definitions.0.port_mappings", [],
         "task_definition.container_definitions", ["exactly one container with port_mappings", "got 0"]),
        ("task_definition.container_definitions.1.name", "app",
         "task_definition.container_definitions[1].name", ["unique container names", "'app' twice"]),
        ("task_definition.container_definitions.0.essential", False,
         "task_definition.container_definitions", ["at least one container with essential: true"]),
        ("task_definition.container_definitions.1.base_memory_mb", 724,
         "task_definition.container_definitions", ["base_memory_mb", "less than the task's 1024 MiB", "got 1024"]),
        ("task_definition.container_definitions.1.base_cpu_units", 600,
         "task_definition.container_definitions", ["base_cpu_units", "512 CPU units"]),
    ],
)
def test_container_rules(tmp_path, path, value, where, words):
    err = error_for(tmp_path, put(path, value))
    assert err.path == where
    for word in words:
        assert word in err.message


# ---------------------------------------------------------------------- traffic
def test_negative_rate(tmp_path):
    err = error_for(tmp_path, put("traffic.1.spike.peak_rps", -5))
    assert err.path == "traffic[1].spike.peak_rps" and err.message == "expected a number >= 0; got -5"


def test_unknown_traffic_kind(tmp_path):
    err = error_for(tmp_path, put("traffic.0", {"diurnl": {"mean_rps": 1}}))
    assert err.path == "traffic[0].diurnl"
    assert "did you mean 'diurnal'?" in err.message and "constant, diurnal, spike, ramp, steps, trace" in err.message


def test_two_kinds_in_one_item(tmp_path):
    err = error_for(tmp_path, put("traffic.0", {"constant": {"rps": 1}, "spike": {"at": 0, "peak_rps": 1}}))
    assert err.path == "traffic[0]" and "one component per list item" in err.message


def test_unknown_key_in_a_component(tmp_path):
    err = error_for(tmp_path, put("traffic.0.diurnal.peak", "14:00"))
    assert err.path == "traffic[0].diurnal.peak"
    assert "did you mean 'peak_at'?" in err.message and "mean_rps, peak_to_trough, peak_at, weekend_factor" in err.message
    assert "kind" not in err.message


def test_steps_must_increase(tmp_path):
    err = error_for(tmp_path, put("traffic.0", {"steps": [{"at": "1h", "rps": 1}, {"at": "30m", "rps": 2}]}))
    assert err.path == "traffic[0].steps[1].at" and "strictly increasing" in err.message and "1800" in err.message


def test_ramp_end_after_start(tmp_path):
    err = error_for(tmp_path, put("traffic.0", {"ramp": {"from_rps": 0, "to_rps": 1, "start": "2h", "end": "1h"}}))
    assert err.path == "traffic[0].ramp.end" and "end > start (7200 s)" in err.message


def test_sexagesimal_numbers_are_not_durations(tmp_path):
    # YAML 1.1 would read 1:30 as 90; the scenario loader refuses it instead of guessing
    err = error_for(tmp_path, text=REFERENCE.read_text().replace("spike: {at: 10h,", "spike: {at: 1:30,"))
    assert err.path == "traffic[1].spike.at" and "'1:30'" in err.message


def test_missing_trace_file(tmp_path):
    err = error_for(tmp_path, put("traffic.0", {"trace": {"file": "traces/none.csv"}}))
    assert err.path == "traffic[0].trace.file"
    assert "trace file not found: 'traces/none.csv'" in err.message and str(tmp_path / "traces") in err.message


@pytest.mark.parametrize(
    "content, words",
    [("time,count\n0,1\n1,2\n", ["header 'time_s,requests'", "not time_s or requests"]),
     ("time_s,requests\n0,1\n1,lots\n", ["line 3", "requests (column 2)"])],
)
def test_malformed_trace_file(tmp_path, content, words):
    (tmp_path / "bad.csv").write_text(content)
    err = error_for(tmp_path, put("traffic.0", {"trace": {"file": "bad.csv"}}))
    assert err.path == "traffic[0].trace.file" and "'bad.csv'" in err.message
    for word in words:
        assert word in err.message
    # the file may not be the user's: what it holds is described, never quoted
    assert "count" not in err.message and "lots" not in err.message


# ---------------------------------------------------------------------- things not supported yet
@pytest.mark.parametrize(
    "path, value, where, words",
    [
        ("engine", "request", "engine", ["fluid", "requests"]),
        ("workload.kind", "websocket", "workload.cpu_ms", ["kind websocket", "cpu_ms_per_message"]),
        ("workload.websocket", {"messages_per_second": 1}, "workload.websocket", ["kind websocket"]),
        ("service.launch_type", "EXTERNAL", "service.launch_type", ["'EXTERNAL' is not supported yet", "FARGATE, EC2"]),
        ("service.capacity_provider_strategy", [{"capacity_provider": "FARGATE_SPOTT", "weight": 1}],
         "service.capacity_provider_strategy[0].capacity_provider", ["did you mean 'FARGATE_SPOT'?"]),
        ("faults.0", {"type": "memory_leek", "mb_per_hour": 40}, "faults[0].type",
         ["did you mean 'memory_leak'?", "task_crash, task_unhealthy, spot_interruption, az_outage, memory_leak"]),
        ("faults.0", {"type": "az_outage", "at": "6h"}, "faults[0].duration", ["required"]),
        ("faults.0", {"type": "task_crsh", "mtbf": "1h"}, "faults[0].type",
         ["did you mean 'task_crash'?", "task_crash, task_unhealthy"]),
        ("faults.0", {"type": "task_crash", "mtbf": "1h", "at": "2h"}, "faults[0]", ["exactly one of mtbf", "both"]),
        ("faults.1", {"type": "task_unhealthy", "at": "3h", "cnt": 2}, "faults[1].cnt", ["did you mean 'count'?"]),
        ("actions", [{"type": "deplyo", "at": "9h"}], "actions[0].type",
         ["did you mean 'deploy'?", "set_desired_count"]),
        ("actions", [{"type": "set_desired_count", "at": "-1h", "value": 2}], "actions[0].at", ["not negative"]),
        ("autoscaling.policies.0.policy_type", "PredictiveScaling", "autoscaling.policies[0]"
         ".target_tracking_scaling_policy_configuration",
         ["expected predictive_scaling_policy_configuration for a PredictiveScaling policy"]),
    ],
)
def test_not_supported_and_invalid_events(tmp_path, path, value, where, words):
    err = error_for(tmp_path, put(path, value))
    assert err.path == where
    for word in words:
        assert word in err.message


# ---------------------------------------------------------------------- autoscaling
POLICY = "autoscaling.policies[1].step_scaling_policy_configuration.step_adjustments"


def test_step_adjustment_gap(tmp_path):
    err = error_for(tmp_path, steps((0, 400), (500, None)))
    assert err.path == f"{POLICY}[1].metric_interval_lower_bound"
    assert "without gaps" in err.message and "threshold+400 and threshold+500" in err.message


def test_step_adjustment_overlap(tmp_path):
    err = error_for(tmp_path, steps((500, None), (0, 600)))
    assert err.path == f"{POLICY}[0].metric_interval_lower_bound"
    assert "do not overlap" in err.message and "step 0 starts at 500" in err.message


@pytest.mark.parametrize(
    "bounds, where, words",
    [
        (((None, 0), (None, 10)), "[1].metric_interval_lower_bound", ["at most one step without metric_interval_lower"]),
        (((0, None), (10, None)), "[1].metric_interval_upper_bound", ["at most one step without metric_interval_upper"]),
        (((-10, 0), (0, None)), "[0].metric_interval_lower_bound", ["negative", "-10"]),
        (((None, 0), (0, 10)), "[1].metric_interval_upper_bound", ["positive", "got 10"]),
        (((None, None),), "[0]", ["got neither"]),
        (((10, 5), (None, 10)), "[0].metric_interval_upper_bound", ["> metric_interval_lower_bound (10)", "got 5"]),
    ],
)
def test_step_adjustment_rules(tmp_path, bounds, where, words):
    err = error_for(tmp_path, steps(*bounds))
    assert err.path == POLICY + where
    for word in words:
        assert word in err.message


def test_exact_capacity_needs_non_negative_adjustments(tmp_path):
    def change(data):
        config = data["autoscaling"]["policies"][1]["step_scaling_policy_configuration"]
        config["adjustment_type"] = "ExactCapacity"
        config["step_adjustments"][1]["scaling_adjustment"] = -1

    err = error_for(tmp_path, change)
    assert err.path == f"{POLICY}[1].scaling_adjustment" and ">= 0 with ExactCapacity" in err.message


def test_policy_configuration_must_match_the_type(tmp_path):
    def change(data):
        del data["autoscaling"]["policies"][0]["policy_type"]

    err = error_for(tmp_path, change)
    assert err.path == "autoscaling.policies[0].target_tracking_scaling_policy_configuration"
    assert "defaults to StepScaling" in err.message and "step_scaling_policy_configuration" in err.message


def test_target_tracking_needs_exactly_one_metric(tmp_path):
    spec = {"namespace": "AWS/ApplicationELB", "metric_name": "TargetResponseTime", "statistic": "Average"}
    err = error_for(tmp_path, put(
        "autoscaling.policies.0.target_tracking_scaling_policy_configuration.customized_metric_specification", spec))
    assert err.path == "autoscaling.policies[0].target_tracking_scaling_policy_configuration.customized_metric_specification"
    assert "exactly one of predefined_metric_specification and customized_metric_specification" in err.message


def test_capacity_bounds(tmp_path):
    err = error_for(tmp_path, put("autoscaling.max_capacity", 1))
    assert err.path == "autoscaling.max_capacity" and "max_capacity >= min_capacity (2)" in err.message


def test_duplicate_policy_names(tmp_path):
    err = error_for(tmp_path, put("autoscaling.policies.1.name", "cpu-60"))
    assert err.path == "autoscaling.policies[1].name" and "'cpu-60' twice" in err.message


@pytest.mark.parametrize(
    "schedule, words",
    [
        ("cron(0 25 ? * MON-FRI *)", ["hours field", "0 to 23", "got '25'"]),
        ("cron(0 7 * * MON-FRI)", ["six fields", "got 5"]),
        ("cron(0 7 1 * MON *)", ["'?' in day-of-month or day-of-week"]),
        ("cron(0 7 ? * FUNDAY *)", ["day-of-week field", "SUN-SAT", "'FUNDAY'"]),
        ("cron(0 7 ? 13 MON *)", ["month field", "1 to 12"]),
        ("cron(*/0 * * * ? *)", ["minutes field"]),
        ("rate(0 minutes)", ["positive whole number"]),
        ("rate(5 weeks)", ["minute, minutes, hour, hours, day, days"]),
        ("at(2026-02-30T10:00:00)", ["real date"]),
        ("every monday", ["at(yyyy-mm-ddThh:mm:ss), rate(", "cron("]),
    ],
)
def test_bad_schedule(tmp_path, schedule, words):
    err = error_for(tmp_path, put("autoscaling.scheduled_actions.0.schedule", schedule))
    assert err.path == "autoscaling.scheduled_actions[0].schedule"
    assert repr(schedule) in err.message
    for word in words:
        assert word in err.message


def test_bad_timezone(tmp_path):
    err = error_for(tmp_path, put("autoscaling.scheduled_actions.1.timezone", "Europe/Berln"))
    assert err.path == "autoscaling.scheduled_actions[1].timezone"
    assert "IANA time zone" in err.message and "'Europe/Berln'" in err.message
    assert "did you mean 'Europe/Berlin'?" in err.message


def test_scheduled_action_window(tmp_path):
    def change(data):
        data["autoscaling"]["scheduled_actions"][0].update(start_time="2026-01-06T00:00:00Z",
                                                           end_time="2026-01-05T00:00:00Z")

    err = error_for(tmp_path, change)
    assert err.path == "autoscaling.scheduled_actions[0].end_time" and "after start_time" in err.message


def test_scalable_target_action_needs_a_bound(tmp_path):
    err = error_for(tmp_path, put("autoscaling.scheduled_actions.0.scalable_target_action", {}))
    assert err.path == "autoscaling.scheduled_actions[0].scalable_target_action" and "got neither" in err.message
    err = error_for(tmp_path, put("autoscaling.scheduled_actions.0.scalable_target_action",
                                  {"min_capacity": 5, "max_capacity": 2}))
    assert err.path == "autoscaling.scheduled_actions[0].scalable_target_action.max_capacity"


# ---------------------------------------------------------------------- alarms
def test_alarm_action_naming_a_missing_policy(tmp_path):
    err = error_for(tmp_path, put("alarms.0.alarm_actions", ["requests-step-ot"]))
    assert err.path == "alarms[0].alarm_actions[0]"
    assert "StepScaling policy" in err.message and "'requests-step-ot'" in err.message
    assert "did you mean 'requests-step-out'?" in err.message


def test_alarm_action_naming_a_target_tracking_policy(tmp_path):
    err = error_for(tmp_path, put("alarms.0.ok_actions", ["cpu-60"]))
    assert err.path == "alarms[0].ok_actions[0]" and "'cpu-60' is a TargetTrackingScaling policy" in err.message


def test_alarm_action_without_autoscaling(tmp_path):
    err = error_for(tmp_path, put("autoscaling", None))
    assert err.path == "alarms[0].alarm_actions[0]" and "no autoscaling section" in err.message


@pytest.mark.parametrize(
    "key, value, where, words",
    [
        ("period", 45, "period", ["10, 20, 30 or a multiple of 60", "got 45"]),
        ("evaluation_periods", 2000, "evaluation_periods", ["<= 86400", "2000 x 60"]),
        ("datapoints_to_alarm", 3, "datapoints_to_alarm", ["from 1 to evaluation_periods (2)", "got 3"]),
        ("metric_name", "RequestCountPerTargt", "metric_name",
         ["did you mean 'RequestCountPerTarget'?", "RequestCount, RequestCountPerTarget"]),
        ("namespace", "AWS/ELB", "namespace", ["AWS/ECS, AWS/ApplicationELB", "'AWS/ELB'"]),
        ("comparison_operator", "GreaterThan", "comparison_operator",
         ["GreaterThanOrEqualToThreshold, GreaterThanThreshold", "got 'GreaterThan'"]),
        ("treat_missing_data", "zero", "treat_missing_data", ["missing, notBreaching, breaching, ignore"]),
        ("alarm_name", "", "alarm_name", ["not empty"]),
    ],
)
def test_alarm_settings(tmp_path, key, value, where, words):
    err = error_for(tmp_path, put(f"alarms.0.{key}", value))
    assert err.path == f"alarms[0].{where}"
    for word in words:
        assert word in err.message


def test_duplicate_alarm_names(tmp_path):
    def change(data):
        data["alarms"].append(copy.deepcopy(data["alarms"][0]))

    err = error_for(tmp_path, change)
    assert err.path == "alarms[1].alarm_name" and "'requests-high' twice" in err.message


# ---------------------------------------------------------------------- scheduled bounds
@pytest.mark.parametrize(
    "bounds, where, words",
    [
        ({"min_capacity": 41}, "min_capacity", ["max_capacity (40)", "got 41"]),
        ({"max_capacity": 1}, "max_capacity", ["min_capacity (2)", "got 1"]),
    ],
)
def test_a_scheduled_bound_alone_may_not_cross_the_other(tmp_path, bounds, where, words):
    # aws-behaviour.md 3: "If only MinCapacity is given and it exceeds the current MaxCapacity,
    # both must be given" (and the same for MaxCapacity below MinCapacity).
    def change(data):
        data["autoscaling"]["min_capacity"] = 2
        data["autoscaling"]["scheduled_actions"][0]["scalable_target_action"] = bounds

    err = error_for(tmp_path, change)
    assert err.path == f"autoscaling.scheduled_actions[0].scalable_target_action.{where}"
    for word in words:
        assert word in err.message


def test_a_scheduled_action_giving_both_bounds_may_move_past_the_registered_ones(tmp_path):
    data = copy.deepcopy(BASE)
    data["autoscaling"]["scheduled_actions"][0]["scalable_target_action"] = {"min_capacity": 50, "max_capacity": 60}
    scenario = scenario_from_dict(data)
    assert scenario.autoscaling.scheduled_actions[0].scalable_target_action.min_capacity == 50

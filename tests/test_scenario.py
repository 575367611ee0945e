"""Loading scenarios: the reference file, defaults, conversions, derived values, round trips."""

import json
import pickle
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pydantic
import pytest
import yaml

from fargatesim.scenario import (
    FARGATE_SIZES,
    ConstantTraffic,
    Distribution,
    DiurnalTraffic,
    RampTraffic,
    Scenario,
    ScenarioError,
    SpikeTraffic,
    StepsTraffic,
    TraceTraffic,
    load_scenario,
    parse_schedule,
    scenario_from_dict,
)

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "reference-scenario.yaml"

MINIMAL = """\
name: tiny
traffic:
  - constant: {rps: 50}
workload:
  cpu_ms: 10
task_definition:
  cpu: 256
  memory: 512
  container_definitions:
    - name: web
      port_mappings: [{container_port: 80}]
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def minimal(**changes) -> dict:
    data = yaml.safe_load(MINIMAL)
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def reference() -> Scenario:
    return load_scenario(REFERENCE)


# ---------------------------------------------------------------------- the reference file
def test_reference_scenario_loads_with_its_values(reference):
    s = reference
    assert s.name == "checkout-api"
    assert s.source == str(REFERENCE) and s.base_dir == REFERENCE.resolve().parent
    assert s.duration == 86400 and s.tick == 1 and s.seed == 42 and s.engine == "fluid"
    assert s.start == datetime(2026, 1, 5, tzinfo=timezone.utc)
    assert s.arrivals == "poisson"

    diurnal, spike = s.traffic
    assert diurnal == DiurnalTraffic(mean_rps=300, peak_to_trough=4, peak_at=14 * 3600, weekend_factor=0.6)
    assert (spike.kind, spike.at, spike.peak_rps, spike.rise, spike.hold, spike.decay) == (
        "spike", 36000, 2000, 120, 600, 300)

    w = s.workload
    assert w.kind == "http" and w.cpu_ms == Distribution.lognormal(25, 1.0)
    assert w.io_ms == Distribution.constant(15) and w.memory_mb_per_request == 0.5 and w.timeout == 30

    td = s.task_definition
    assert (td.family, td.cpu, td.memory, td.vcpu, td.memory_gib) == ("checkout-api", 512, 1024, 0.5, 1.0)
    assert td.runtime_platform.cpu_architecture == "X86_64" and td.ephemeral_storage.size_in_gib == 20
    assert td.startup == Distribution.uniform(30, 60)
    assert td.app_container.name == "app" and [c.name for c in td.sidecars] == ["otel-collector"]
    app = td.app_container
    assert app.port_mappings[0].container_port == 8080 and app.port_mappings[0].protocol == "tcp"
    assert app.environment[0].name == "LOG_LEVEL" and app.secrets[0].value_from.startswith("arn:aws:secretsmanager")
    assert app.health_check.command == ("CMD-SHELL", "curl -f localhost:8080/health")
    assert (app.app_start, app.base_memory_mb, app.max_concurrency) == (8, 300, 200)
    assert td.sidecars[0].essential is False and td.sidecars[0].base_cpu_units == 20

    svc = s.service
    assert (svc.name, svc.desired_count, svc.launch_type, svc.health_check_grace_period_seconds) == (
        "checkout-api", 4, "FARGATE", 60)
    assert (svc.availability_zones, svc.stop_timeout, svc.cold_start) == (3, 30, False)

    tg = s.target_group
    assert tg.health_check.path == "/health" and tg.health_check.matcher == "200" and tg.deregistration_delay == 300

    a = s.autoscaling
    assert (a.min_capacity, a.max_capacity) == (2, 40)
    tt, step = a.policies
    assert tt.configuration.target_value == 60 and tt.configuration.scale_out_cooldown == 60
    assert tt.configuration.metric == ("AWS/ECS", "CPUUtilization") and not tt.configuration.high_resolution
    assert step.policy_type == "StepScaling" and step.configuration.adjustment_type == "ChangeInCapacity"
    assert [(x.lower, x.upper, x.scaling_adjustment) for x in step.configuration.step_adjustments] == [
        (0, 500, 1), (500, float("inf"), 3)]
    morning = a.scheduled_actions[0]
    assert morning.timezone == "Europe/Berlin" and morning.scalable_target_action.min_capacity == 8
    assert morning.parsed_schedule.cron_fields == ("0", "7", "?", "*", "MON-FRI", "*")
    assert a.policy("cpu-60") is tt and a.policy("nope") is None

    (alarm,) = s.alarms
    assert alarm.alarm_actions == ("requests-step-out",) and alarm.datapoints_to_alarm == 2

    crash, unhealthy = s.faults
    assert (crash.type, crash.mtbf, crash.at) == ("task_crash", 48 * 3600, None)
    assert (unhealthy.type, unhealthy.at, unhealthy.count) == ("task_unhealthy", 3 * 3600, 1)
    assert s.actions == ()  # `actions:` with nothing after it
    assert (s.slo.latency_p99_ms, s.slo.error_rate) == (300, 0.001)
    assert s.pricing.region == "us-east-1" and s.pricing.fargate_vcpu_hour is None


def test_reference_fixture_is_the_shared_reference_text():
    text = REFERENCE.read_text()
    assert text.startswith("# fargatesim scenario reference")
    assert "RESULTS CONTRACT" in text


# ---------------------------------------------------------------------- defaults
def test_defaults_are_filled_in(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL))
    assert s.description == "" and s.duration == 3600 and s.tick == 1 and s.seed == 0
    assert s.start == datetime(2026, 1, 5, tzinfo=timezone.utc)
    assert s.engine == "fluid" and s.arrivals == "poisson"
    assert s.workload.kind == "http" and s.workload.io_ms == Distribution.constant(0)
    assert s.workload.timeout == 60 and s.workload.memory_mb_per_request == 0

    td = s.task_definition
    assert td.family == "tiny"  # the service's name, which is the scenario's
    assert td.startup == Distribution.uniform(30, 60)
    assert (td.runtime_platform.cpu_architecture, td.runtime_platform.operating_system_family) == ("X86_64", "LINUX")
    c = td.container_definitions[0]
    assert c.essential and c.image == "" and c.health_check is None and c.max_concurrency is None
    assert (c.app_start, c.base_memory_mb, c.base_cpu_units) == (0, 0, 0)

    svc = s.service
    assert (svc.name, svc.desired_count, svc.launch_type) == ("tiny", 1, "FARGATE")
    assert (svc.deployment_minimum_healthy_percent, svc.deployment_maximum_percent) == (100, 200)
    assert (svc.health_check_grace_period_seconds, svc.availability_zones, svc.stop_timeout) == (0, 3, 30)

    tg = s.target_group
    assert (tg.load_balancing_algorithm_type, tg.deregistration_delay, tg.slow_start) == ("round_robin", 300, 0)
    hc = tg.health_check
    assert (hc.path, hc.interval, hc.timeout, hc.healthy_threshold, hc.unhealthy_threshold, hc.matcher) == (
        "/", 30, 6, 5, 2, "200")
    assert tg.initial_health_checks == 1

    assert s.autoscaling is None and s.alarms == () and s.faults == () and s.actions == ()
    assert s.slo.latency_p99_ms is None and s.slo.error_rate is None
    assert s.pricing.region == "us-east-1" and s.pricing.fargate_spot_discount is None


def test_policy_and_alarm_defaults():
    s = scenario_from_dict(minimal(
        autoscaling={"min_capacity": 1, "max_capacity": 3, "policies": [
            {"name": "tt", "policy_type": "TargetTrackingScaling", "target_tracking_scaling_policy_configuration": {
                "target_value": 50, "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilizationHighResolution"}}},
            {"name": "out", "step_scaling_policy_configuration": {
                "adjustment_type": "ChangeInCapacity", "step_adjustments": [{"metric_interval_lower_bound": 0,
                                                                             "scaling_adjustment": 1}]}},
        ]},
        alarms=[{"alarm_name": "cpu", "namespace": "AWS/ECS", "metric_name": "CPUUtilization", "evaluation_periods": 3,
                 "comparison_operator": "GreaterThanThreshold", "threshold": 70, "alarm_actions": ["out"]}],
    ))
    tt, out = s.autoscaling.policies
    c = tt.configuration
    assert (c.scale_out_cooldown, c.scale_in_cooldown, c.disable_scale_in) == (300, 300, False)
    assert (c.alarm_high_datapoints, c.alarm_low_datapoints, c.alarm_low_ratio) == (3, 15, 0.9)
    assert c.high_resolution
    assert out.policy_type == "StepScaling"  # Terraform's default
    assert (out.configuration.cooldown, out.configuration.metric_aggregation_type) == (300, "Average")
    alarm = s.alarms[0]
    assert (alarm.statistic, alarm.period, alarm.treat_missing_data) == ("Average", 60, "missing")
    assert alarm.datapoints_to_alarm == 3  # defaults to evaluation_periods
    assert alarm.ok_actions == () and alarm.dimensions is None


# ---------------------------------------------------------------------- conversions
def test_duration_keys_are_seconds_and_aws_second_keys_take_durations(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL + textwrap.dedent("""\
        duration: 1h30m
        tick: 250ms
        service: {health_check_grace_period_seconds: 2m, stop_timeout: "1m"}
        target_group: {deregistration_delay: 5m, slow_start: 30s, health_check: {interval: 10s, timeout: 5}}
        """)))
    assert s.duration == 5400 and s.tick == 0.25
    assert s.service.health_check_grace_period_seconds == 120 and s.service.stop_timeout == 60
    assert s.target_group.deregistration_delay == 300 and s.target_group.slow_start == 30
    assert isinstance(s.target_group.deregistration_delay, int)
    assert s.target_group.health_check.interval == 10


def test_every_traffic_kind(tmp_path):
    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "t.csv").write_text("time_s,requests\n0,10\n60,20\n120,5\n")
    text = MINIMAL.replace("  - constant: {rps: 50}\n", (
        "  - constant: {rps: 50}\n"
        "  - diurnal: {mean_rps: 100, peak_at: 09:30}\n"
        "  - spike: {at: 2h, peak_rps: 500, rise: 1m}\n"
        "  - ramp: {from_rps: 0, to_rps: 10, start: 0, end: 30m}\n"
        "  - steps: [{at: 0, rps: 1}, {at: 1h, rps: 2}]\n"
        "  - trace: {file: traces/t.csv, scale: 2, loop: true, offset: 1d}\n"
    ))
    s = load_scenario(write(tmp_path, text))
    kinds = [c.kind for c in s.traffic]
    assert kinds == ["constant", "diurnal", "spike", "ramp", "steps", "trace"]
    const, diurnal, spike, ramp, steps, trace = s.traffic
    assert isinstance(const, ConstantTraffic) and const.rps == 50
    assert isinstance(diurnal, DiurnalTraffic) and diurnal.peak_at == 9.5 * 3600  # unquoted 09:30 is a time
    assert diurnal.peak_to_trough == 2 and diurnal.weekend_factor == 1
    assert isinstance(spike, SpikeTraffic) and (spike.at, spike.rise, spike.hold, spike.decay) == (7200, 60, 0, 0)
    assert isinstance(ramp, RampTraffic) and ramp.end == 1800
    assert isinstance(steps, StepsTraffic) and [(x.at, x.rps) for x in steps.steps] == [(0, 1), (3600, 2)]
    assert isinstance(trace, TraceTraffic)
    assert trace.file == (tmp_path / "traces" / "t.csv").resolve() and trace.file.is_absolute()
    assert (trace.scale, trace.loop, trace.offset) == (2, True, 86400)


def test_trace_path_is_relative_to_the_scenario_file_not_the_working_dir(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.csv").write_text("time_s,requests\n0,1\n1,2\n")
    path = write(tmp_path / "sub", MINIMAL.replace("constant: {rps: 50}", "trace: {file: t.csv}"))
    monkeypatch.chdir(tmp_path)
    s = load_scenario(Path("sub") / "scenario.yaml")
    assert s.traffic[0].file == (tmp_path / "sub" / "t.csv").resolve()
    assert s.source == str(Path("sub") / "scenario.yaml") and s.base_dir == path.parent.resolve()


def test_start_times_become_utc():
    naive = scenario_from_dict(minimal(start="2026-03-01T08:00:00"))
    assert naive.start == datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    berlin = scenario_from_dict(minimal(start="2026-03-01T08:00:00+01:00"))
    assert berlin.start == datetime(2026, 3, 1, 7, tzinfo=timezone.utc) and berlin.start.tzinfo == timezone.utc


def test_empty_sections_take_their_defaults(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL + "service:\nslo:\nalarms:\nfaults:\nactions:\nautoscaling:\n"))
    assert s.service.name == "tiny" and s.slo.error_rate is None
    assert s.alarms == s.faults == s.actions == () and s.autoscaling is None


def test_service_name_names_the_family_unless_given():
    assert scenario_from_dict(minimal(service={"name": "api"})).task_definition.family == "api"
    td = dict(minimal()["task_definition"], family="fam")
    s = scenario_from_dict(minimal(service={"name": "api"}, task_definition=td))
    assert (s.service.name, s.task_definition.family) == ("api", "fam")


def test_desired_count_may_lie_outside_the_scaling_bounds():
    s = scenario_from_dict(minimal(service={"desired_count": 10}, autoscaling={"min_capacity": 1, "max_capacity": 3}))
    assert s.service.desired_count == 10


@pytest.mark.parametrize("cpu", sorted(FARGATE_SIZES))
def test_every_fargate_size_is_accepted(cpu):
    for memory in (FARGATE_SIZES[cpu][0], FARGATE_SIZES[cpu][-1]):
        td = dict(minimal()["task_definition"], cpu=cpu, memory=memory)
        assert scenario_from_dict(minimal(task_definition=td)).task_definition.memory == memory


def test_fargate_table_matches_aws():
    assert FARGATE_SIZES[256] == (512, 1024, 2048)
    assert FARGATE_SIZES[512] == (1024, 2048, 3072, 4096)
    assert FARGATE_SIZES[4096][-1] == 30 * 1024 and FARGATE_SIZES[8192][1] == 20 * 1024
    assert FARGATE_SIZES[16384] == tuple(range(32 * 1024, 120 * 1024 + 1, 8 * 1024))


@pytest.mark.parametrize(
    "expr, kind",
    [
        ("cron(0 10 * * ? *)", "cron"),
        ("cron(15 12 * * ? *)", "cron"),
        ("cron(0 18 ? * MON-FRI *)", "cron"),
        ("cron(0 8 1 * ? *)", "cron"),
        ("cron(0/15 * * * ? *)", "cron"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "cron"),
        ("cron(30 6 * * 2 *)", "cron"),
        ("cron(0 9 L * ? 2026)", "cron"),
        ("cron(0 9 ? * 6#3 *)", "cron"),
        ("cron(0 9 15W JAN,JUL ? 2026-2030)", "cron"),
        ("cron(30 0 7 ? * MON-FRI *)", "cron"),  # seven fields: leading seconds
        ("rate(1 minute)", "rate"),
        ("rate(5 minutes)", "rate"),
        ("rate(2 days)", "rate"),
        ("at(2026-01-05T09:00:00)", "at"),
    ],
)
def test_valid_schedules(expr, kind):
    assert parse_schedule(expr).kind == kind
    action = {"name": "a", "schedule": expr, "scalable_target_action": {"max_capacity": 5}}
    s = scenario_from_dict(minimal(autoscaling={"min_capacity": 0, "max_capacity": 9, "scheduled_actions": [action]}))
    assert s.autoscaling.scheduled_actions[0].schedule == expr


def test_parsed_schedules():
    assert parse_schedule("rate(5 minutes)").rate_seconds == 300
    assert parse_schedule("at(2026-01-05T09:00:00)").at == datetime(2026, 1, 5, 9)
    assert parse_schedule("cron(30 0 7 ? * MON-FRI *)").cron_fields == ("0", "7", "?", "*", "MON-FRI", "*")


def test_scheduled_action_window_and_zone():
    action = {"name": "a", "schedule": "rate(1 hour)", "timezone": "America/New_York",
              "start_time": "2026-01-05T00:00:00Z", "end_time": "2026-01-06T00:00:00",
              "scalable_target_action": {"min_capacity": 1, "max_capacity": 2}}
    s = scenario_from_dict(minimal(autoscaling={"min_capacity": 0, "max_capacity": 9, "scheduled_actions": [action]}))
    a = s.autoscaling.scheduled_actions[0]
    assert a.zone.key == "America/New_York" and a.end_time == datetime(2026, 1, 6, tzinfo=timezone.utc)


def test_step_policy_with_steps_below_the_threshold():
    # AWS's scale-in shape: one open lower bound, ranges meeting at the threshold
    steps = [{"metric_interval_upper_bound": -10, "scaling_adjustment": -2},
             {"metric_interval_lower_bound": -10, "metric_interval_upper_bound": 0, "scaling_adjustment": -1}]
    policy = {"name": "in", "step_scaling_policy_configuration": {"adjustment_type": "PercentChangeInCapacity",
                                                                   "min_adjustment_magnitude": 2,
                                                                   "step_adjustments": steps}}
    s = scenario_from_dict(minimal(autoscaling={"min_capacity": 0, "max_capacity": 9, "policies": [policy]}))
    config = s.autoscaling.policies[0].configuration
    assert config.min_adjustment_magnitude == 2 and config.step_adjustments[0].lower == float("-inf")


def test_custom_policy_class_key():
    policy = {"name": "mine", "policy_type": "Custom",
              "custom": {"class": "mypolicies:QueueDepthPolicy", "params": {"per_task": 50}}}
    s = scenario_from_dict(minimal(autoscaling={"min_capacity": 0, "max_capacity": 9, "policies": [policy]}))
    custom = s.autoscaling.policies[0].configuration
    assert custom.class_ == "mypolicies:QueueDepthPolicy" and custom.params == {"per_task": 50}
    assert s.to_dict()["autoscaling"]["policies"][0]["custom"]["class"] == "mypolicies:QueueDepthPolicy"


def test_faults_and_actions():
    s = scenario_from_dict(minimal(
        faults=[{"type": "task_crash", "at": "2h", "count": 2}, {"type": "task_unhealthy", "at": 60}],
        actions=[{"type": "set_desired_count", "at": "5h", "value": 6}],
    ))
    assert (s.faults[0].at, s.faults[0].count, s.faults[0].mtbf) == (7200, 2, None)
    assert (s.actions[0].type, s.actions[0].at, s.actions[0].value) == ("set_desired_count", 18000, 6)


# ---------------------------------------------------------------------- objects
def test_scenarios_are_frozen(reference):
    with pytest.raises(pydantic.ValidationError):
        reference.seed = 1
    with pytest.raises(pydantic.ValidationError):
        reference.service.desired_count = 9
    assert isinstance(reference.traffic, tuple) and isinstance(reference.task_definition.container_definitions, tuple)


def test_to_dict_round_trips(reference, tmp_path):
    data = reference.to_dict()
    json.dumps(data)  # plain data only
    assert data["traffic"][1] == {"spike": {"at": 36000.0, "peak_rps": 2000.0, "rise": 120.0, "hold": 600.0,
                                            "decay": 300.0}}
    assert "source" not in data and "base_dir" not in data
    again = scenario_from_dict(data, source=reference.source, base_dir=reference.base_dir)
    assert again == reference
    # and through a YAML file, as a user would save it
    path = tmp_path / "saved.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_scenario(path).to_dict() == data


def test_to_dict_round_trips_steps_and_traces(tmp_path):
    (tmp_path / "t.csv").write_text("time_s,requests\n0,1\n1,2\n")
    s = load_scenario(write(tmp_path, MINIMAL.replace(
        "  - constant: {rps: 50}", "  - steps: [{at: 0, rps: 1}, {at: 5m, rps: 3}]\n  - trace: {file: t.csv}")))
    data = s.to_dict()
    assert data["traffic"][0] == {"steps": [{"at": 0.0, "rps": 1.0}, {"at": 300.0, "rps": 3.0}]}
    assert scenario_from_dict(data, source=s.source, base_dir=s.base_dir) == s


def test_pickle(reference):
    assert pickle.loads(pickle.dumps(reference)) == reference


def test_a_dict_source_reads_traces_from_the_working_dir(tmp_path, monkeypatch):
    (tmp_path / "t.csv").write_text("time_s,requests\n0,1\n1,2\n")
    monkeypatch.chdir(tmp_path)
    s = load_scenario(minimal(traffic=[{"trace": {"file": "t.csv"}}]))
    assert s.source is None and s.base_dir == Path.cwd()
    assert s.traffic[0].file == tmp_path.resolve() / "t.csv"


def test_models_can_be_built_in_code():
    s = scenario_from_dict(minimal())
    built = Scenario(name="tiny", traffic=[ConstantTraffic(rps=50)], workload=s.workload,
                     task_definition=s.task_definition, source="made-in-code")
    assert built.source == "made-in-code" and built.traffic == s.traffic


# ---------------------------------------------------------------------- overrides
def test_overrides(reference):
    s = load_scenario(REFERENCE, overrides={
        "seed": 7,
        "duration": "6h",
        "service.desired_count": 9,
        "traffic[1].spike.peak_rps": 10,
        "target_group": {"health_check": {"interval": 10, "timeout": 5}},
    })
    assert (s.seed, s.duration, s.service.desired_count, s.traffic[1].peak_rps) == (7, 21600, 9, 10)
    assert s.target_group.health_check.interval == 10
    assert s.target_group.health_check.path == "/health"  # merged, not replaced
    assert s.target_group.deregistration_delay == reference.target_group.deregistration_delay


def test_override_of_a_missing_list_item():
    with pytest.raises(ScenarioError) as info:
        load_scenario(REFERENCE, overrides={"traffic[5].spike.at": 1})
    assert info.value.path == "traffic[5].spike.at"
    assert "no item [5]" in info.value.message and "2 items" in info.value.message


def test_override_errors_are_reported_like_file_errors():
    with pytest.raises(ScenarioError) as info:
        load_scenario(REFERENCE, overrides={"duration": "soon"})
    assert (info.value.file, info.value.path) == (str(REFERENCE), "duration")
    assert "'soon'" in info.value.message

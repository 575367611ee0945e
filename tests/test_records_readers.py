"""Readers of what a service records: ALB access logs, web server access logs, CloudWatch
get-metric-data, ECS describe-tasks (fargatesim/records/)."""
import copy
import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import botocore
import numpy as np
import pandas as pd
import pytest

from fargatesim.records import (access_log_frame, alb_log_frame, metric_data_document, read_access_logs, read_alb_logs,
                                read_metric_data, read_tasks, record_files, startup_seconds)
from fargatesim.scenario import ScenarioError

FIXTURES = Path(__file__).parent / "fixtures" / "records"
REPO = Path(__file__).parent.parent
ALB = FIXTURES / "alb-documented-entries.log"


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ---------------------------------------------------------------------- ALB access logs
def test_every_documented_entry_type():
    frame = alb_log_frame(ALB)
    assert list(frame["type"]) == ["http", "https", "h2", "ws", "wss", "http", "http", "https", "http"]
    first = frame.iloc[0]
    assert first["time_s"] == pytest.approx(epoch("2018-07-02T22:23:00.186641Z"), abs=1e-6)
    # The arrival is request_creation_time, when the load balancer received the request.
    assert first["arrival_s"] == pytest.approx(epoch("2018-07-02T22:22:48.364000Z"), abs=1e-6)
    assert (first["method"], first["url"], first["target"]) == ("GET", "http://www.example.com:80/", "10.0.0.1:80")
    assert (first["elb_status_code"], first["target_status_code"], first["received_bytes"],
            first["sent_bytes"]) == (200, 200, 34, 366)
    https = frame.iloc[1]
    assert (https["request_processing_time"], https["target_processing_time"],
            https["response_processing_time"]) == (0.086, 0.048, 0.037)
    assert https["actions_executed"] == "authenticate,forward"
    assert list(frame["elb_status_code"][3:5]) == [101, 101]           # WebSocket upgrades


def test_lambda_targets_redirects_and_requests_that_never_reached_a_target():
    frame = alb_log_frame(ALB)
    ok, failed, redirect, unreached = (frame.iloc[i] for i in (5, 6, 7, 8))
    assert ok["target"] == "" and ok["target_status_code"] == 200              # a Lambda function has no ip:port
    assert (failed["elb_status_code"], failed["target_status_code"], failed["error_reason"]) == \
        (502, -1, "LambdaInvalidResponse")
    assert redirect["actions_executed"] == "redirect" and redirect["target_group_arn"] == ""
    # -1 processing times (the load balancer sent it to no target) are unknown, not negative.
    for row in (redirect, unreached):
        assert np.isnan([row["request_processing_time"], row["target_processing_time"],
                         row["response_processing_time"]]).all()
    assert (unreached["elb_status_code"], unreached["target"]) == (503, "")


def test_a_gzip_folder_as_s3_delivers_it_reads_as_the_plain_file(tmp_path):
    lines = ALB.read_text().splitlines(keepends=True)
    day = tmp_path / "AWSLogs" / "123456789012" / "elasticloadbalancing" / "us-east-2" / "2018" / "07" / "02"
    day.mkdir(parents=True)
    for i, part in enumerate((lines[:4], lines[4:])):
        name = f"123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20180702T22{i}5Z_" \
               f"10.0.0.1_abc{i}.log.gz"
        with gzip.open(day / name, "wt") as f:
            f.writelines(part)
    (tmp_path / "AWSLogs" / "ELBAccessLogTestFile").write_text("written when logs were turned on\n")
    pd.testing.assert_frame_equal(alb_log_frame(tmp_path / "AWSLogs"), alb_log_frame(ALB))


def test_lines_of_an_older_load_balancer_and_fields_added_since(tmp_path):
    # An entry of 2016 ends after trace_id (no request_creation_time): its arrival is its time
    # less the processing times measured. Fields AWS adds later are read past.
    old = ('https 2016-08-10T23:39:43.065466Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 '
           '10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" '
           'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/'
           'my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259"\n')
    new = ALB.read_text().splitlines()[0] + ' "-" "-" "-" "some-field-of-2030"\n'
    (tmp_path / "mixed.log").write_text(old + new)
    frame = alb_log_frame(tmp_path / "mixed.log")
    assert frame["arrival_s"][0] == pytest.approx(epoch("2016-08-10T23:39:43.065466Z") - 0.171, abs=1e-6)
    assert frame["classification"][0] == "" and frame["elb_status_code"][1] == 200


def cut(text: str, line: int, at: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = lines[line - 1][: lines[line - 1].index(at)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("change, line, message", [
    (lambda s: s.replace("0.086 0.048", "0.086 fast"), 2, "target_processing_time as a number; got 'fast'"),
    (lambda s: s.replace("https 2018-07-02T22:23:00.186641Z", "https 2018-07-32T22:23:00.186641Z"), 2,
     "time as an ISO 8601 time"),
    (lambda s: s.replace("wss 2018", "gopher 2018"), 5, "starting with its type (http, https, h2, grpcs, ws, wss)"),
    (lambda s: cut(s, 7, ' "GET'), 7, "an ALB access log entry of at least 13 fields"),       # cut short
    (lambda s: s.replace(" 101 101 218 587", " 101 101 218 5x7"), 4, "sent_bytes as a number or -; got '5x7'"),
])
def test_a_malformed_line_names_its_file_and_line(tmp_path, change, line, message):
    (tmp_path / "bad.log").write_text(change(ALB.read_text()))
    with pytest.raises(ScenarioError) as e:
        alb_log_frame(tmp_path / "bad.log")
    assert (e.value.file, e.value.path) == (str(tmp_path / "bad.log"), f"line {line}")
    assert message in e.value.message
    assert str(e.value).startswith(f"{tmp_path / 'bad.log'}: line {line}: expected ")


def test_chunks_cover_every_line_once(tmp_path):
    (tmp_path / "many.log").write_text(ALB.read_text() * 5)
    chunks = list(read_alb_logs(tmp_path / "many.log", chunk_lines=4))
    assert [len(c) for c in chunks] == [4] * 11 + [1]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), alb_log_frame(tmp_path / "many.log"))


# ---------------------------------------------------------------------- Common / Combined Log Format
NGINX = ('203.0.113.7 - - [07/Dec/2026:10:15:32 +0000] "GET /api/items?page=2 HTTP/1.1" 200 5316 '
         '"https://shop.example/" "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"')
APACHE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
NASA_ODD = 'pipe1.nyc.pipeline.com - - [01/Jul/1995:00:22:43 -0400] "GET /shuttle/missions/sts-71/movies/sts-71-mir-dock.mpg" 200 946425'
NASA_GARBLED = 'dd15-062.compuserve.com - - [01/Jul/1995:00:01:12 -0400] "GET /news/sci.space.shuttle/archive/sci-space-shuttle-22-apr-1995-40.txt HTTP/1.0" 404 -'


def test_nginx_apache_and_nasa_lines(tmp_path):
    (tmp_path / "access.log").write_text("\n".join([NGINX, APACHE, NASA_ODD, NASA_GARBLED]) + "\n")
    frame = access_log_frame(tmp_path / "access.log")
    assert frame["arrival_s"].tolist() == [epoch("2026-12-07T10:15:32+00:00"), epoch("2000-10-10T13:55:36-07:00"),
                                           epoch("1995-07-01T00:22:43-04:00"), epoch("1995-07-01T00:01:12-04:00")]
    assert frame["method"].tolist() == ["GET"] * 4
    assert frame["path"][0] == "/api/items?page=2" and frame["user_agent"][0].startswith("Mozilla/5.0")
    assert (frame["status"][3], frame["bytes"][3]) == (404, 0)        # "-" bytes: nothing sent
    assert frame["referer"][1] == "" and frame["bytes"][2] == 946425


def test_a_malformed_access_log_line(tmp_path):
    (tmp_path / "access.log").write_text(f"{APACHE}\n{APACHE.replace('[10/Oct/2000', '[10/Oct/200')}\n")
    with pytest.raises(ScenarioError) as e:
        access_log_frame(tmp_path / "access.log")
    assert e.value.path == "line 2" and "a time such as [10/Jul/1995:00:00:01 -0400]" in e.value.message
    (tmp_path / "access.log").write_text("this is not a log line\n")
    with pytest.raises(ScenarioError) as e:
        access_log_frame(tmp_path / "access.log")
    assert e.value.path == "line 1" and "Common or Combined Log Format" in e.value.message


def test_the_nasa_trace_through_the_common_log_reader(tmp_path):
    # Four hours of the shipped NASA trace (its launch-day morning), written one line per request
    # at its second as the original logs were (UTC-4), then read back: exactly the same counts.
    trace = pd.read_csv(REPO / "scenarios" / "traces" / "nasa-1995-07-10-week-1s.csv")
    start = 3 * 86400 + 8 * 3600                         # Thu 1995-07-13 08:00 local
    hours = trace[(trace.time_s >= start) & (trace.time_s < start + 4 * 3600)]
    origin = datetime(1995, 7, 10, tzinfo=timezone(timedelta(hours=-4)))
    with gzip.open(tmp_path / "access_log_Jul95.gz", "wt") as f:
        for t, n in zip(hours.time_s, hours.requests):
            stamp = (origin + timedelta(seconds=int(t))).strftime("%d/%b/%Y:%H:%M:%S -0400")
            f.writelines(f'host{i}.example - - [{stamp}] "GET /shuttle/countdown/ HTTP/1.0" 200 3985\n'
                         for i in range(int(n)))
    arrivals = np.concatenate([c["arrival_s"].to_numpy() for c in read_access_logs(tmp_path, chunk_lines=5000)])
    seconds = arrivals - origin.timestamp()
    counts = np.bincount(seconds.astype(np.int64) - start, minlength=4 * 3600)
    assert counts.sum() == hours.requests.sum() > 10_000
    np.testing.assert_array_equal(counts, hours.requests.to_numpy())


# ---------------------------------------------------------------------- CloudWatch and ECS
def test_get_metric_data_oldest_first():
    frame = read_metric_data(FIXTURES / "get-metric-data.json")
    cpu = frame[frame["id"] == "cpu"]
    assert cpu["value"].tolist() == [38.75, 40.0, 58.25, 61.5]
    assert cpu["time_s"].tolist() == [epoch("2024-05-01T12:00:00+00:00") + 60 * i for i in range(4)]
    assert frame[frame["id"] == "requests"]["label"].unique().tolist() == ["RequestCount"]


def test_get_metric_data_pages_and_epoch_seconds(tmp_path):
    data = json.loads((FIXTURES / "get-metric-data.json").read_text())
    first, second = copy.deepcopy(data), copy.deepcopy(data)
    first["MetricDataResults"][0]["Timestamps"] = [epoch(t) for t in first["MetricDataResults"][0]["Timestamps"]]
    second["MetricDataResults"][0]["Timestamps"][0] = "2024-05-01T12:04:00+00:00"     # one more, three again
    (tmp_path / "page-1.json").write_text(json.dumps(first))
    (tmp_path / "page-2.json").write_text(json.dumps(second))
    cpu = read_metric_data(tmp_path).query("id == 'cpu'")
    assert len(cpu) == 5 and cpu["time_s"].is_monotonic_increasing


@pytest.mark.parametrize("edit, path", [
    (lambda d: d["MetricDataResults"][0]["Values"].pop(), "MetricDataResults[0]"),
    (lambda d: d["MetricDataResults"][1]["Values"].__setitem__(1, "high"), "MetricDataResults[1].Values[1]"),
    (lambda d: d["MetricDataResults"][0]["Timestamps"].__setitem__(2, "yesterday"),
     "MetricDataResults[0].Timestamps[2]"),
])
def test_a_malformed_metric_data_output_names_its_key(tmp_path, edit, path):
    data = json.loads((FIXTURES / "get-metric-data.json").read_text())
    edit(data)
    (tmp_path / "m.json").write_text(json.dumps(data))
    with pytest.raises(ScenarioError) as e:
        read_metric_data(tmp_path / "m.json")
    assert e.value.path == path


def botocore_example(service: str, operation: str) -> dict:
    (file,) = (Path(botocore.__file__).parent / "data" / service).glob("*/examples-1.json")
    return json.loads(file.read_text())["examples"][operation][0]["output"]


def test_describe_tasks_of_botocores_example_and_with_times(tmp_path):
    # botocore's DescribeTasks example predates the task timestamps; a running Fargate task
    # described today has them, as ISO 8601 from the CLI.
    example = botocore_example("ecs", "DescribeTasks")
    (tmp_path / "example.json").write_text(json.dumps(example))
    frame = read_tasks(tmp_path / "example.json")
    assert frame["task_arn"].tolist() == [t["taskArn"] for t in example["tasks"]]
    assert frame["last_status"].tolist() == ["RUNNING"] and np.isnan(frame["started_s"][0])
    timed = copy.deepcopy(example)
    timed["tasks"][0].update(createdAt="2024-05-01T12:00:00.125000+00:00", pullStartedAt="2024-05-01T12:00:09+00:00",
                             pullStoppedAt="2024-05-01T12:00:21+00:00", startedAt="2024-05-01T12:00:41.625000+00:00")
    second = copy.deepcopy(timed["tasks"][0])
    second.update(taskArn=second["taskArn"] + "2", createdAt=1714564800.0, startedAt=1714564836.5)
    timed["tasks"].append(second)
    (tmp_path / "timed.json").write_text(json.dumps(timed))
    assert startup_seconds(read_tasks(tmp_path / "timed.json")).tolist() == [41.5, 36.5]


# ---------------------------------------------------------------- the CloudWatch console's CSV

CONSOLE_CSV = """\ufeffLabel,checkout-api CPUUtilization (Average),RequestCount,checkout RequestCountPerTarget,Custom thing
2026-01-05 00:00:00,38.5,54000,27000,1
2026-01-05 00:01:00,,55020,27510,2
2026-01-05T00:02:00Z,40.25,56100,28050,
"""


def test_the_console_csv_is_read_as_metric_data(tmp_path):
    (tmp_path / "graph.csv").write_text(CONSOLE_CSV)
    kinds = record_files(tmp_path)
    assert kinds["metric_data"] == [tmp_path / "graph.csv"]
    frame = read_metric_data(tmp_path / "graph.csv")
    cpu = frame[frame["label"] == "CPUUtilization"]
    assert cpu["value"].tolist() == [38.5, 40.25]            # the empty cell is no datapoint
    assert cpu["time_s"].tolist() == [1_767_571_200.0, 1_767_571_320.0]
    # The longest metric name wins, and a column naming no known metric keeps its own label.
    assert set(frame["label"]) == {"CPUUtilization", "RequestCount", "RequestCountPerTarget", "Custom thing"}
    assert frame[frame["label"] == "RequestCount"]["value"].tolist() == [54000, 55020, 56100]


def test_the_console_csv_and_get_metric_data_read_alike(tmp_path):
    times = np.arange(1_767_571_200, 1_767_571_200 + 600, 60, dtype=float)
    values = np.linspace(20, 60, len(times))
    (tmp_path / "m.json").write_text(json.dumps(metric_data_document([("cpu", "CPUUtilization", times, values)])))
    stamps = pd.to_datetime(times, unit="s").strftime("%Y-%m-%d %H:%M:%S")
    (tmp_path / "m.csv").write_text("Label,CPUUtilization\n" + "".join(f"{t},{float(v)!r}\n" for t, v in zip(stamps, values)))
    from_json, from_csv = read_metric_data(tmp_path / "m.json"), read_metric_data(tmp_path / "m.csv")
    np.testing.assert_array_equal(from_json["time_s"], from_csv["time_s"])
    np.testing.assert_array_equal(from_json["value"], from_csv["value"])


@pytest.mark.parametrize("line, expected", [
    ("2026-01-05 00:03:00,forty,1,2,3", "a number in column 2"),
    ("2026-01-05 00:03:00,1,2", "5 comma-separated cells"),
    ("yesterday,1,2,3,4", None),
])
def test_a_malformed_console_csv_row_names_its_line(tmp_path, line, expected):
    (tmp_path / "graph.csv").write_text(CONSOLE_CSV + line + "\n")
    with pytest.raises(ScenarioError) as e:
        read_metric_data(tmp_path / "graph.csv")
    assert "line 5" in str(e.value) and str(tmp_path / "graph.csv") in str(e.value)
    if expected:
        assert expected in str(e.value)
    else:
        assert "a time such as" in str(e.value)

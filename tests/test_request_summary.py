"""Access logs summed up in one streaming pass: arrivals per second, and per minute the moments
and percentiles of the target's processing time, whatever the chunking."""
import gzip

import numpy as np
import pytest

from fargatesim.records import alb_log_frame, alb_log_lines, record_files
from fargatesim.records import request_summary
from fargatesim.records.request_summary import summarise_requests

START = 1_767_571_200.0        # a minute's start


def _log(path, rng, n=6_000, minutes=5):
    arrival = np.sort(START + rng.uniform(0, 60 * minutes, n))
    target = rng.lognormal(np.log(0.05), 0.8, n)
    timed_out = rng.random(n) < 0.01
    target[timed_out] = np.nan
    elb = np.where(timed_out, 504, 200)
    response = np.where(timed_out, arrival + 25.0, arrival + np.nan_to_num(target))
    with gzip.open(path, "wt") as f:
        f.writelines(alb_log_lines(arrival, response, target, elb, np.where(timed_out, -1, 200), elb="app/x/1",
                                   target="10.0.1.5:8080", target_group_arn="arn:aws:elasticloadbalancing:tg"))
    return arrival, np.round(target, 3), timed_out


@pytest.mark.parametrize("chunk_lines, merge_every", [(None, 64), (97, 3)])
def test_a_summary_is_the_same_however_the_logs_are_chunked(tmp_path, monkeypatch, chunk_lines, merge_every):
    monkeypatch.setattr(request_summary, "_MERGE_EVERY", merge_every)
    rng = np.random.default_rng(3)
    arrival, target, timed_out = _log(tmp_path / "a.log.gz", rng)
    summary = summarise_requests(record_files(tmp_path)["alb_logs"], chunk_lines=chunk_lines)
    assert summary.requests == len(arrival) and summary.timed
    arrivals = summary.arrivals()
    assert arrivals["requests"].sum() == len(arrival)
    np.testing.assert_array_equal(arrivals["requests"], np.bincount(np.floor(arrival - arrivals["time_s"][0])
                                                                    .astype(int)))
    assert summary.timeouts_s == pytest.approx([25.0] * int(timed_out.sum()), abs=1e-5)
    minutes = summary.minutes()
    assert len(minutes) == 5
    for i, (start, row) in enumerate(minutes.iterrows()):
        inside = (np.floor(arrival / 60) * 60 == start) & ~timed_out
        assert row["answered"] == inside.sum()
        assert row["target_mean_s"] == pytest.approx(target[inside].mean(), rel=1e-9)
        assert row["target_var_s2"] == pytest.approx(target[inside].var(ddof=1), rel=1e-6)
        # Read off logarithmic bins 2 % wide: within half a bin (and a millisecond's rounding).
        for q in (50, 99):
            exact = np.percentile(target[inside], q, method="inverted_cdf")   # the rank a histogram keeps
            assert row[f"p{q}_s"] == pytest.approx(exact, rel=0.015, abs=1e-3)


def test_access_logs_give_arrivals_only(tmp_path):
    (tmp_path / "access.log").write_text(
        '203.0.113.9 - - [10/Jul/1995:12:00:01 -0400] "GET / HTTP/1.0" 200 10\n' * 3
        + '203.0.113.9 - - [10/Jul/1995:12:00:03 -0400] "GET / HTTP/1.0" 200 10\n')
    summary = summarise_requests([], record_files(tmp_path)["access_logs"])
    assert not summary.timed and summary.minutes().empty
    assert summary.arrivals()["requests"].tolist() == [3, 0, 1]


def test_the_written_log_reads_back_with_its_minutes(tmp_path):
    rng = np.random.default_rng(4)
    _log(tmp_path / "b.log.gz", rng, n=500, minutes=2)
    frame = alb_log_frame(tmp_path / "b.log.gz")
    summary = summarise_requests([tmp_path / "b.log.gz"])
    assert summary.minutes()["answered"].sum() == int((frame["elb_status_code"] == 200).sum())

"""Go-style `Time` strings and an epoch `TimeStamp` column beside them (Nezha per-pod metric CSVs)."""

from pathlib import Path

import pandas as pd

from analysis.engines.metrics import analyze_metrics, load_metrics
from analysis.engines.metrics.timeparse import parse_time_column

FIX = Path(__file__).parent / "fixtures" / "go_time_pod_metric.csv"


def test_go_time_strings_parse_with_offset_and_monotonic_suffix():
    col = pd.Series(["2023-01-29 10:47:09.096851078 +0000 UTC m=+7560.173012939",
                     "2023-01-29 11:48:09.5 +0100 CET m=+7620.1",
                     "2023-01-29 10:49:09 +0000 UTC"])
    got = parse_time_column(col)
    assert [str(t) for t in got] == ["2023-01-29 10:47:09.096851078+00:00", "2023-01-29 10:48:09.500000+00:00",
                                     "2023-01-29 10:49:09+00:00"]


def test_pod_file_is_a_time_series_per_column_on_the_epoch_axis():
    mt = load_metrics(FIX.read_bytes(), FIX.name)
    counts = mt.frame.groupby("series", observed=True).size()
    assert len(counts) == 2  # CpuUsageRate and PodServerLatencyP90 for the one pod; no TimeStamp/Time series
    assert set(counts) == {15}
    assert all("TimeStamp" not in s and "Time{" not in s for s in counts.index)
    assert mt.frame["timestamp"].min() == pd.Timestamp("2023-01-29 10:47:11", tz="UTC")
    assert any("'Time'" in n for n in mt.notes)


def test_cpu_jump_in_the_pod_file_is_detected():
    ma = analyze_metrics(load_metrics(FIX.read_bytes(), FIX.name), artifact_id="m", name=FIX.name)
    cpu = next(s for s in ma.series if s.name.startswith("CpuUsageRate"))
    assert cpu.labels.get("PodName") == "ts-demo-service-5f55b6cf68-77cfw"
    assert any(a.direction == "up" and a.start >= pd.Timestamp("2023-01-29 10:56:00", tz="UTC") for a in cpu.anomalies)


def test_hex_ids_that_look_like_exponents_are_labels_not_a_crash():
    data = ("Timestamp,TraceID,Value\n"
            "2023-01-29T10:55:17Z,e541125179047969,1.0\n"
            "2023-01-29T10:56:17Z,e541125179047970,2.0\n"
            "2023-01-29T10:57:17Z,00f1,3.0\n").encode()
    mt = load_metrics(data, "ids.csv")
    assert len(mt.frame) == 3

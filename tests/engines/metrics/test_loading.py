"""load_metrics on one small file per layout and timestamp family, and on broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.engines.metrics import load_metrics
from analysis.errors import IngestError

FIX = Path(__file__).parent / "fixtures"
T0 = pd.Timestamp("2024-03-12T11:00:00Z")


def load(name: str):
    return load_metrics((FIX / name).read_bytes(), name)


# name, layout, {series: n points}, first timestamp (UTC)
CASES = [
    ("wide_iso_z.csv", "wide", {"cpu_percent": 4, "latency": 3, "errors_per_min": 4}, T0),
    ("long_labels_offset.csv", "long",
     {'http_requests_per_sec{service="checkout",pod="checkout-5c8d7f9b4-q2zxk"}': 3,
      'http_requests_per_sec{service="cart",pod="cart-7d9f8b6c5-abcde"}': 3}, T0),
    ("cloudwatch_AWS-RDS_orders-db_CPUUtilization.csv", "cloudwatch",
     {'CPUUtilization{namespace="AWS/RDS",resource="orders-db"}': 3}, pd.Timestamp("2024-05-07T06:00:00Z")),
    ("prometheus_epoch_s.csv", "prometheus",
     {'container_memory_working_set_bytes{namespace="reco",pod="reco-svc-6b7c9d8f5-cmlgh"}': 2,
      'kube_pod_container_status_restarts_total{namespace="reco",pod="reco-svc-6b7c9d8f5-cmlgh"}': 2},
     pd.Timestamp(1721376000, unit="s", tz="UTC")),
    ("grafana_series_semicolon.csv", "grafana", {"api p99": 2, "db p99": 2}, T0),
    ("grafana_joined_epoch_ms.csv", "grafana", {"api-gateway 5xx": 3, "checkout latency": 3}, T0),
    ("datadog_wide.csv", "datadog", {"avg:system.cpu.user{host:web-1,service:cart}": 2,
                                     "avg:system.mem.used{host:web-1,service:cart}": 2}, T0),
    ("datadog_long_scope.csv", "datadog", {'system.load.1{host="db-1",env="prod"}': 2}, T0),
    ("locale_dotted_dayfirst.csv", "wide", {"CPU-Last": 3, "Speicher": 3}, pd.Timestamp("2024-03-12T13:00:00Z")),
    ("tab_us_ampm.tsv", "wide", {"requests": 3, "errors": 3}, pd.Timestamp("2024-03-12T13:00:00Z")),
    ("epoch_ns.csv", "wide", {"queue_depth": 3}, T0),
    ("date_and_time_columns.csv", "wide", {"CPU": 3}, pd.Timestamp("2024-03-12T13:21:00Z")),
    ("prometheus_label_set_column.csv", "long", {'up{instance="a:9100"}': 2}, T0),
    ("numeric_label_column.csv", "long", {'rate{code="200"}': 2, 'rate{code="500"}': 2},
     pd.Timestamp("2024-03-12T13:21:00Z")),
]


@pytest.mark.parametrize("name,layout,series,first", CASES, ids=[c[0] for c in CASES])
def test_layouts_and_timestamp_families(name, layout, series, first):
    table = load(name)
    assert table.layout == layout
    counts = table.frame.groupby("series").size().to_dict()
    assert counts == series
    assert str(table.frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert table.frame["value"].dtype == "float64"
    assert table.frame["timestamp"].min() == first
    assert list(table.frame.columns) == ["timestamp", "series", "value"]


def test_offsets_are_converted_to_utc():
    table = load("long_labels_offset.csv")
    assert table.frame["timestamp"].min() == T0  # 12:00+01:00


def test_decimal_commas_units_and_si_prefixes():
    grafana = load("grafana_series_semicolon.csv").frame
    assert sorted(grafana.loc[grafana.series == "db p99", "value"]) == [1.5, 1.75]
    joined = load("grafana_joined_epoch_ms.csv")
    lat = joined.frame.loc[joined.frame.series == "checkout latency", "value"].tolist()
    assert lat == [120.0, 1200.0, 130.0]  # "1.2 s" in a millisecond column
    assert joined.units["checkout latency"] == "ms" and joined.units["api-gateway 5xx"] == "%"
    german = load("locale_dotted_dayfirst.csv").frame
    assert german.loc[german.series == "Speicher", "value"].tolist() == [1024.5, 1030.25, 1031.0]


def test_labels_units_and_services():
    table = load("long_labels_offset.csv")
    name = 'http_requests_per_sec{service="checkout",pod="checkout-5c8d7f9b4-q2zxk"}'
    assert table.labels[name] == {"service": "checkout", "pod": "checkout-5c8d7f9b4-q2zxk"}
    assert table.units[name] == "/s"
    wide = load("wide_iso_z.csv")
    assert wide.units["latency"] == "ms"
    cw = load("cloudwatch_AWS-RDS_orders-db_CPUUtilization.csv")
    assert list(cw.units.values()) == ["Percent"]


def test_repairs_are_noted():
    table = load("unsorted_duplicates_gap.csv")
    notes = " | ".join(table.notes)
    assert "duplicate" in notes and "sorted" in notes and "gaps" in notes
    assert table.frame["value"].tolist() == [1.0, 3.0, 3.0, 5.0, 5.0]  # 11:01 duplicates (2, 4) averaged
    assert table.frame["timestamp"].is_monotonic_increasing
    wide = load("wide_iso_z.csv")
    assert any("non-numeric" in n or "empty" in n for n in wide.notes)


@pytest.mark.parametrize("name,phrase", [
    ("bad_empty.csv", "is empty"),
    ("bad_no_time.csv", "No time column"),
    ("bad_no_numeric.csv", "No numeric column"),
    ("bad_timestamps.csv", "Row 2"),
])
def test_bad_files_give_one_clear_sentence(name, phrase):
    with pytest.raises(IngestError) as exc:
        load(name)
    msg = str(exc.value)
    assert phrase in msg and name in msg
    assert "\n" not in msg and msg.endswith(".") and msg.count(". ") == 0


def test_ragged_rows_are_trimmed_with_a_note():
    table = load("bad_ragged.csv")  # row 3 has two extra fields (an Excel export with a stray column)
    assert table.frame["value"].tolist() == [1.0, 2.0, 3.0]
    assert any("more fields than the header" in n for n in table.notes)


def test_one_row_per_timestamp_means_no_label_columns():
    data = b"time,cpu,lat\n" + b"".join(f"2024-03-01T11:{i:02d}:00Z,{40 + i % 3}.0,{100 + i}.0\n".encode()
                                       for i in range(30))
    assert sorted(load_metrics(data, "m.csv").frame["series"].unique()) == ["cpu", "lat"]
    per_cpu = b"time,cpu,value\n" + b"".join(f"2024-03-01T11:{i:02d}:00Z,{c},{i}.0\n".encode()
                                             for i in range(30) for c in (0, 1))
    assert sorted(load_metrics(per_cpu, "m.csv").frame["series"].unique()) == ['value{cpu="0"}', 'value{cpu="1"}']


def test_binary_is_refused():
    with pytest.raises(IngestError, match="binary"):
        load_metrics(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "chart.png")


def test_latin1_file_with_unit_in_header():
    table = load("latin1_units.csv")
    assert sorted(table.frame["series"].unique()) == ["Druck", "Température"]
    assert table.units["Température"] == "°C"
    assert table.frame.loc[table.frame.series == "Température", "value"].tolist() == [21.5, 21.7]

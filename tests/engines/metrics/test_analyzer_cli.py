"""analyze_metrics across series, and the ``metrics`` CLI command (text, JSON, --scores)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from analysis.cli.main import main
from analysis.engines.metrics import analyze_metrics, load_metrics


def _incident_csv(tmp_path):
    rng = np.random.default_rng(7)
    n = 180
    t = pd.date_range("2024-05-30T09:00:00Z", periods=n, freq="1min")
    timeout = 0.24 + 0.005 * rng.standard_normal(n)
    timeout[100:] = 0.05 + 0.001 * rng.standard_normal(n - 100)  # config change: client timeout 50 ms
    errors = np.abs(0.01 + 0.003 * rng.standard_normal(n))
    errors[101:] += 8.0  # errors follow one minute later
    traffic = 18 + rng.standard_normal(n)
    df = pd.DataFrame({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       'grpc_client_handling_seconds_p99{grpc_service="warehouse"}': timeout.round(4),
                       "inventory_http_5xx_per_sec": errors.round(3), "inventory_requests_per_sec": traffic.round(2)})
    path = tmp_path / "inventory_1m.csv"
    df.to_csv(path, index=False)
    return path


def test_analysis_orders_onsets_groups_and_builds_findings(tmp_path):
    path = _incident_csv(tmp_path)
    table = load_metrics(path.read_bytes(), path.name)
    result = analyze_metrics(table, artifact_id="art1", name=path.name)
    order = [s for s, _ in result.onset_order]
    assert order[:2] == ['grpc_client_handling_seconds_p99{grpc_service="warehouse"}', "inventory_http_5xx_per_sec"]
    assert result.onset_order[0][1] == pd.Timestamp("2024-05-30T10:40:00Z")
    assert "inventory_requests_per_sec" not in order
    assert result.groups == [sorted(order[:2])]
    f = next(f for f in result.findings if f.attributes["series"] == "inventory_http_5xx_per_sec")
    assert f.agent == "metrics" and f.kind == "change_point" and f.attributes["direction"] == "up"
    ev = f.evidence[0]
    assert ev.kind == "metric_window" and ev.artifact_id == "art1" and ev.series == "inventory_http_5xx_per_sec"
    assert "→" in ev.excerpt and f.service == "inventory"
    assert "error_rate_up" in f.signals
    down = next(f for f in result.findings if f.attributes["series"].startswith("grpc_client"))
    assert down.attributes["direction"] == "down" and down.attributes["magnitude"] < -0.7


def test_cli_text_json_and_scores(tmp_path):
    path = _incident_csv(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    scores = tmp_path / "scores.csv"
    assert main(["metrics", str(path), "--scores", str(scores)], out=out, err=err) == 0
    assert "layout wide" in out.getvalue() and "What moved first" in out.getvalue()
    sc = pd.read_csv(scores)
    assert list(sc.columns) == ["timestamp", "series", "value", "score"]
    assert len(sc) == 3 * 180 and sc["score"].between(0, 1).all()
    errs = sc[sc.series == "inventory_http_5xx_per_sec"].reset_index(drop=True)
    assert errs.loc[101, "score"] > 0.9 and errs.loc[:99, "score"].max() < errs.loc[101, "score"]
    out = io.StringIO()
    assert main(["metrics", str(path), "--json"], out=out, err=err) == 0
    doc = json.loads(out.getvalue())
    assert doc["layout"] == "wide" and len(doc["series"]) == 3 and doc["findings"]


def test_cli_bad_file_exit_2_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("host,status\nweb-1,ok\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["metrics", str(bad)], out=out, err=err) == 2
    assert err.getvalue().count("\n") == 1 and "No time column" in err.getvalue()

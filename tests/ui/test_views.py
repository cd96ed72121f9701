"""Pure view helpers: escaping for Streamlit Markdown, the log viewer's HTML, charts, the service graph."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from analysis.models import TimelineEvent
from components.charts import focus_range, metric_figure, timeline_figure
from components.format import category_label, md, size
from components.log_view import line_level, log_html
from components.report_view import _dot_id

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=timezone.utc)


def test_md_makes_markup_literal():
    out = md("**b** [l](https://x.io) :red[r] :material/bug: <b>x</b> a@b.io `c`")
    for raw in ("**b**", "[l]", ":red[", "<b>", "a@b", "`c`", "https://"):
        assert raw not in out, raw
    assert "\\*\\*b\\*\\*" in out and "\\:red\\[r\\]" in out and "&lt;b&gt;" in out and "a\\@b" in out
    assert "\\:material/bug\\:" in out


def test_log_html_escapes_numbers_colours_and_highlights():
    lines = [(1, "2025-03-04 INFO ok <script>alert(1)</script>"), (2, "2025-03-04 ERROR boom"),
             (3, "java.lang.IllegalStateException: x"), (4, "\tat a.b.C(C.java:1)"), (5, "WARN slow")]
    html = log_html(lines, highlight=(2, 3))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<tr class="info" data-line="1"><td class="n">1</td>' in html
    assert '<tr class="error hit" data-line="2">' in html and '<tr class="error hit" data-line="3">' in html
    assert '<tr class="error" data-line="4">' in html  # a stack frame inherits its record's level
    assert '<tr class="warn" data-line="5">' in html
    assert line_level("ts [main] DEBUG x") == "debug" and line_level("no level here") == ""
    access = '10.0.0.7 - - [12/Mar/2024:13:22:05 +0000] "POST /api/checkout HTTP/1.1" {} 312 "-" "curl/8" 0.412'
    assert line_level(access.format(503)) == "error"
    assert line_level(access.format(200)) == "" and line_level(access.format(404)) == ""


def test_metric_figure_one_panel_per_series_with_window():
    import pandas as pd

    frame = pd.DataFrame({"timestamp": [T0 + timedelta(minutes=i) for i in range(4)] * 2,
                          "series": ["<b>cpu</b>"] * 4 + ["mem"] * 4, "value": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    fig = metric_figure(frame, window=(T0, T0 + timedelta(minutes=2)))
    assert [t.name for t in fig.data] == ["&lt;b&gt;cpu&lt;/b&gt;", "mem"]
    assert len(fig.layout.shapes) == 2  # the window shaded on both panels


def test_timeline_focuses_on_warning_events_only_when_info_stretches_the_axis():
    far = TimelineEvent(time=T0, source="log", kind="summary", title="top entities", severity="info")
    near = [TimelineEvent(time=T0 + timedelta(hours=1, minutes=i), source="metrics", kind="anomaly", title=f"e{i}",
                          severity="high") for i in range(3)]
    lo, hi = focus_range([far, *near])
    assert lo > T0 and hi > near[-1].time
    assert focus_range(near) is None
    fig = timeline_figure([far, *near], onset=near[0].time)
    assert {t.name for t in fig.data} == {"info", "high"}


def test_dot_ids_cannot_break_out_of_their_quotes():
    assert _dot_id('a" -> "evil') == '"a\\" -> \\"evil"'
    assert _dot_id("x\\") == '"x\\\\"'


def test_formatting():
    assert category_label("network_dns") == "Network / DNS" and category_label(None) == "—"
    assert (size(10), size(2048), size(3 * 1024 * 1024)) == ("10 B", "2.0 KB", "3.0 MB")


def test_cancel_requests_are_per_incident_and_cleared():
    from components.runs_view import cancel_requested, request_cancel

    request_cancel("inc-a")
    assert cancel_requested("inc-a") and not cancel_requested("inc-b")
    assert cancel_requested("inc-a", clear=True)
    assert not cancel_requested("inc-a")

"""The core flow through the pages: create -> upload -> analyse -> report -> review -> export, and bad input."""

from __future__ import annotations

import gzip

import pytest

from analysis.models import IncidentInput
from analysis.settings import Settings
from analysis.store import Store
from tests.ui.conftest import assert_clean, make_csv, make_evil_zip, make_log, make_png, new_app, texts

SUBMIT_UPLOAD = "FormSubmitter:upload.form-Upload"


def _incident_page(title: str = "Checkout errors after deploy"):
    store = Store(Settings().data_dir)
    inc = store.create_incident(IncidentInput(title=title, services=["checkout"]))
    at = new_app()
    at.query_params["incident"] = inc.id
    at.switch_page("pages/incident.py").run()
    assert_clean(at)
    return at, store, inc


def _upload(at, files):
    uploader = at.file_uploader(key="upload.files")
    for name, data, mime in files:
        uploader.upload(name, data, mime)
    at.button(key=SUBMIT_UPLOAD).click().run()
    return at


def test_create_upload_analyse_report_review_export(data_dir, samples_dir):
    at, store, inc = _incident_page()
    _upload(at, [("checkout.log", make_log(), "text/plain"), ("metrics.csv", make_csv(), "text/csv"),
                 ("dash.png", make_png(), "image/png"), ("old.log.gz", gzip.compress(make_log()), "application/gzip")])
    assert_clean(at)
    assert any("Added 4 artifact(s)" in s for s in texts(at, "success")), texts(at, "success") + texts(at, "error")
    assert sorted(a.kind.value for a in store.list_artifacts(inc.id)) == ["log", "log", "metrics", "screenshot"]

    at.button(key="incident.analyse").click().run()
    assert_clean(at)
    assert [b.key for b in at.button] == ["report.analyse"]  # st.switch_page went to the report page
    at.switch_page("pages/report.py").run()  # AppTest does not remember a script's switch_page for later runs
    at.button(key="report.analyse").click().run()
    assert_clean(at)
    [run] = store.list_runs(inc.id)
    assert run.status == "completed"
    report = store.get_report(run.id)
    assert report is not None and report.agents, "a stored report with agent sections"
    assert [m.label for m in at.metric][:2] == ["Top hypothesis", "Confidence"]
    assert any(t.value == "Runs" or "Runs" in t.value for t in at.markdown)
    # Markdown, JSON and the three spreadsheet-safe CSVs (in a popover) are offered as downloads
    assert len(at.get("download_button")) == 5, at.get("download_button")
    if report.hypotheses:  # engines present: the ranked cards are shown best first
        heads = [m.value for m in at.markdown if m.value.startswith("#### ")]
        assert heads and heads[0].startswith("#### 1. ")
        top = report.hypotheses[0]
        key = f"hyp.{run.id}.{top.id}"
        for i, ref in enumerate(top.evidence):  # evidence opens the exact place it names
            at.session_state[f"{key}.ev.{i}"] = True
        at.run()
        assert_clean(at)
        html = "".join(h.value for h in at.html)
        for ref in top.evidence:
            if ref.kind == "log_lines":
                assert f'class="hit" data-line="{ref.line_start}"' in html or \
                    f'hit" data-line="{ref.line_start}"' in html, ref.locator()
        if any(ref.kind == "metric_window" for ref in top.evidence):
            assert at.get("plotly_chart"), "the metric window is drawn"
        at.text_input(key=f"{key}.note").input("matches the deploy time")
        at.button(key=f"{key}.accept").click().run()
        assert_clean(at)
        assert store.verdicts(run.id) == {top.id: "accepted"}
        assert any(r.note == "matches the deploy time" for r in store.list_reviews(inc.id))
    else:
        assert any("No hypothesis could be formed" in t for t in texts(at, "info"))
    if report.findings:  # any finding's evidence can be opened, not only a hypothesis'
        at.selectbox(key="report.finding").select(report.findings[0].id).run()
        assert_clean(at)
    if report.service_graph:
        assert at.get("graphviz_chart"), "the inferred service graph is drawn"
    labels = [b.label for b in at.get("download_button")]
    assert "Export Markdown" in labels and "Export JSON" in labels



def test_bad_inputs_each_give_one_sentence_and_touch_nothing(data_dir, samples_dir):
    at, store, inc = _incident_page()
    _upload(at, [("good.log", make_log(), "text/plain")])
    before = store.list_artifacts(inc.id)
    assert len(before) == 1
    bad = [("empty.log", b"", "text/plain"),
           ("binary.log", bytes(range(256)) * 40, "text/plain"),
           ("notime.csv", b"host,cpu\na,1\nb,2\nc,3\n", "text/csv"),
           ("corrupt.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20, "image/png"),
           ("evil.zip", make_evil_zip(), "application/zip")]
    _upload(at, bad)
    assert_clean(at)
    errors = texts(at, "error")
    assert len(errors) == len(bad), errors
    for (name, _, _), sentence in zip(bad, errors):
        assert name.split(".")[0] in sentence, (name, sentence)
        assert "Traceback" not in sentence and sentence.count("\n") == 0
    assert store.list_artifacts(inc.id) == before
    assert not (data_dir.parent / "x").exists() and not (data_dir / "x").exists()


def test_lifecycle_refuses_illegal_moves(data_dir, samples_dir):
    at, store, inc = _incident_page()
    at.selectbox(key="lifecycle.target").select("resolved")
    at.button(key="lifecycle.move").click().run()
    assert any("cannot move from detected to resolved" in e for e in texts(at, "error")), texts(at, "error")
    assert store.get_incident(inc.id).status.value == "detected"
    at.selectbox(key="lifecycle.target").select("acknowledged")
    at.button(key="lifecycle.move").click().run()
    assert_clean(at)
    assert store.get_incident(inc.id).status.value == "acknowledged"
    assert any("Status moved to Acknowledged" in s for s in texts(at, "success"))
    form = f"incident.edit.{inc.id}"
    at.text_input(key=f"{form}.title").input("Checkout errors after deploy 2.4.1")
    at.selectbox(key=f"{form}.severity").select("SEV1")
    at.button(key=f"FormSubmitter:{form}-Save changes").click().run()
    assert_clean(at)
    saved = store.get_incident(inc.id)
    assert (saved.title, saved.severity.value, saved.status.value) == ("Checkout errors after deploy 2.4.1", "SEV1",
                                                                        "acknowledged")


def test_state_survives_a_restart(data_dir, samples_dir):
    from analysis.workflow import run_stored_analysis, upload

    store = Store(Settings().data_dir)
    inc = store.create_incident(IncidentInput(title="Survives restart"))
    upload(store, inc.id, [("checkout.log", make_log())], Settings())
    run_stored_analysis(store, inc.id, Settings())
    import streamlit as st

    st.cache_resource.clear()  # a new app process: nothing cached, only the data directory
    again = new_app()
    again.query_params["incident"] = inc.id
    again.switch_page("pages/report.py").run()
    assert_clean(again)
    assert texts(again, "title") == ["Survives restart"]
    assert [m.label for m in again.metric][:1] == ["Top hypothesis"]

    again.button(key="report.analyse").click().run()  # a new run keeps the earlier one and is shown
    assert_clean(again)
    runs = store.list_runs(inc.id)
    assert [r.status for r in runs] == ["completed", "completed"]
    [picker] = [s for s in again.selectbox if s.key and s.key.startswith("report.run.")]
    assert picker.value == runs[0].id


@pytest.mark.parametrize("page", ["pages/incident.py", "pages/report.py"])
def test_unknown_incident_in_url_is_explained(data_dir, samples_dir, page):
    at = new_app()
    at.query_params["incident"] = "inc-does-not-exist"
    at.switch_page(page).run()
    assert not at.exception
    assert any("does not exist" in w for w in texts(at, "warning"))

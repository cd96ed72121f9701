"""Pipeline behaviour independent of engine quality: failures degrade, backends refine, budget holds."""

from __future__ import annotations

from datetime import datetime, timezone

from analysis.agents.base import AgentContext
from analysis.llm.scripted import ScriptedBackend
from analysis.models import AgentReport, Category, Hypothesis, IncidentInput
from analysis.pipeline import analyze


class Boom:
    name = "log"

    def run(self, ctx: AgentContext) -> AgentReport:
        raise RuntimeError("engine bug")


class Proposer:
    name = "supervisor"

    def run(self, ctx: AgentContext) -> AgentReport:
        return AgentReport(agent="supervisor", hypotheses=[Hypothesis(
            id="h1", category=Category.disk_full, service="svc", statement="disk filled", confidence=0.4)])


def test_agent_crash_degrades_but_keeps_the_run(settings):
    rep = analyze(IncidentInput(title="t"), [], settings=settings, agents=[Boom(), Proposer()])
    assert rep.degraded is True
    assert [h.category for h in rep.hypotheses] == [Category.disk_full]
    assert any("engine bug" in g.why for g in rep.gaps)


def test_backend_refines_and_backend_failure_is_a_gap(settings):
    def raise_(ctx, offline):
        raise ConnectionError("endpoint died")

    def lower(ctx, offline):
        h = offline.hypotheses[0].model_copy(update={"confidence": 0.2})
        return offline.model_copy(update={"hypotheses": [h], "backend": "scripted"})

    backend = ScriptedBackend({"supervisor": lower})
    rep = analyze(IncidentInput(title="t"), [], settings=settings, agents=[Proposer()], backend=backend)
    assert rep.hypotheses[0].confidence == 0.2 and backend.calls == ["supervisor"]
    rep = analyze(IncidentInput(title="t"), [], settings=settings, agents=[Proposer()],
                  backend=ScriptedBackend({"supervisor": raise_}))
    assert rep.degraded and rep.hypotheses[0].confidence == 0.4
    assert any("endpoint died" in g.why for g in rep.gaps)


def test_time_budget_skips_later_agents_with_a_gap(settings):
    tight = settings.model_copy(update={"analysis_time_budget_s": -1})
    rep = analyze(IncidentInput(title="t"), [], settings=tight, agents=[Proposer()])
    assert rep.hypotheses == [] and "time budget" in rep.gaps[0].why


def test_progress_lines_name_each_agent(settings):
    seen = []
    analyze(IncidentInput(title="t"), [], settings=settings, agents=[Boom(), Proposer()],
            progress=lambda a, m: seen.append((a, m)), clock=lambda: datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert ("log", "started") in seen and ("supervisor", "started") in seen


def test_cancel_stops_at_an_agent_boundary_and_the_run_is_kept_as_cancelled(store, settings):
    import pytest

    from analysis.errors import AnalysisError
    from analysis.workflow import run_stored_analysis

    inc = store.create_incident(IncidentInput(title="t"))
    with pytest.raises(AnalysisError, match="cancelled"):
        run_stored_analysis(store, inc.id, settings, cancelled=lambda: True)
    assert [r.status for r in store.list_runs(inc.id)] == ["cancelled"]


def test_supervisor_cross_checks_screenshots_against_metric_csvs(settings):
    from datetime import datetime, timezone

    from analysis.agents.supervisor import SupervisorAgent
    from analysis.engines.metrics.models import MetricAnalysis, SeriesSummary
    from analysis.engines.vision.models import PanelAnomaly, PanelReading, ScreenshotReading

    t = datetime(2025, 1, 1, 10, 0, tzinfo=timezone.utc)
    shot = ScreenshotReading(artifact_id="art-img", name="dash.png", width=800, height=400, theme="dark",
                             incident_visible=True, ocr_engine="test", panels=[PanelReading(
                                 title="checkout 5xx per minute", bbox=[0, 0, 400, 200], unit=None, kind="timeseries",
                                 anomalies=[PanelAnomaly(bbox=[200, 20, 300, 180], direction="up", start=t, end=t)])])
    metrics = MetricAnalysis(artifact_id="art-csv", name="m.csv", layout="wide", series=[SeriesSummary(
        name="checkout_5xx_per_min", unit="", labels={}, service=None, n=60, start=t, end=t, anomalies=[],
        change_points=[], onset=None, score_max=0.0)])
    ctx = AgentContext(incident=IncidentInput(title="t"), artifacts=[], settings=settings, clock=lambda: t)
    ctx.engine_outputs.update({"vision": [shot], "metrics": [metrics]})
    found = SupervisorAgent._cross_check(ctx)
    assert found and found[0].kind == "screenshot_crosscheck" and "checkout_5xx_per_min" in found[0].title

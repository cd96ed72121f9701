"""Golden tests: one small incident per taxonomy category (six of them cascades) through the real
log and metric engines; the top hypothesis must name the category, the culprit and the onset."""

from __future__ import annotations

from datetime import datetime

from analysis.models import Category

import pytest
from reasoning_golden import IDS, expect_for, result_for


@pytest.fixture(params=IDS)
def incident_id(request: pytest.FixtureRequest) -> str:
    return request.param


def test_every_category_has_a_golden_incident() -> None:
    cats = {expect_for(i)["category"] for i in IDS}
    assert cats == {c.value for c in Category}
    assert sum(1 for i in IDS if expect_for(i).get("cascade")) >= 3


def test_top_hypothesis_category(incident_id: str) -> None:
    res = result_for(incident_id)
    assert res.hypotheses, "no hypothesis"
    assert res.hypotheses[0].category.value == expect_for(incident_id)["category"], [
        (h.category.value, h.service, h.confidence) for h in res.hypotheses]


def test_top_hypothesis_culprit(incident_id: str) -> None:
    top = result_for(incident_id).hypotheses[0]
    assert (top.service or "").lower() in expect_for(incident_id)["culprit"], top.service


def test_top_hypothesis_onset_within_two_minutes(incident_id: str) -> None:
    top = result_for(incident_id).hypotheses[0]
    want = datetime.fromisoformat(expect_for(incident_id)["onset"])
    assert top.onset is not None
    assert abs((top.onset - want).total_seconds()) <= 120, (top.onset, want)


def test_cascade_culprit_is_not_the_symptom_service() -> None:
    cascades = [i for i in IDS if expect_for(i).get("cascade")]
    assert len(cascades) >= 3
    for inc_id in cascades:
        exp = expect_for(inc_id)
        top = result_for(inc_id).hypotheses[0]
        assert top.service and top.service.lower() in exp["culprit"], (inc_id, top.service)
        assert top.service.lower() != exp["symptom"].lower()


def test_top_is_confident_and_explained(incident_id: str) -> None:
    res = result_for(incident_id)
    top = res.hypotheses[0]
    assert not res.inconclusive
    assert top.confidence >= 0.3
    assert top.evidence, "top hypothesis has no supporting evidence"
    assert any(line.startswith("confidence =") for line in top.reasoning)
    assert 3 <= len(res.hypotheses) <= 5
    confs = [h.confidence for h in res.hypotheses]
    assert confs == sorted(confs, reverse=True)

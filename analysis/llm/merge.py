"""Turning a model's answer into the agent's report: merge with the offline result, confidence cap, degrade.

``merge_review`` annotates the offline findings with the model's relevance notes (log, metrics,
vision); ``merge_supervisor`` lays the model's hypotheses over the engine's with evidence and
confidence taken from code (capped at the engine's evidence-based confidence, or at
:data:`NEW_CATEGORY_CAP` for a cause the engine did not propose); ``degrade`` returns the offline
report with the reason and a Gap; ``stamp`` records backend, model, prompt version and usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from analysis.agents.base import AgentContext
from analysis.llm.bedrock import ConverseResult
from analysis.llm.prompts import PROMPTS, AgentReview, SupervisorAnswer, VisionReview
from analysis.models import AgentReport, EvidenceRef, Finding, Gap, Hypothesis, utc

NEW_CATEGORY_CAP = 0.30
_REL_RANK = {"high": 0, "medium": 1, None: 2, "low": 3, "noise": 4}


@dataclass
class Usage:
    """Tokens and cost of one agent's Bedrock calls in a run."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    calls: int = 0

    def add(self, result: ConverseResult, cost: float) -> None:
        self.tokens_in += result.tokens_in + result.cache_read + result.cache_write
        self.tokens_out += result.tokens_out
        self.cost = round(self.cost + cost, 6)
        self.calls += 1


def degrade(offline: AgentReport, agent: str, reason: str, usage: Usage) -> AgentReport:
    """The offline report, marked degraded with the one-sentence reason and a Gap naming the gap."""
    report = offline.model_copy(deep=True)
    report.degraded = True
    report.degraded_reason = reason
    report.tokens_in += usage.tokens_in
    report.tokens_out += usage.tokens_out
    report.cost_usd = round(report.cost_usd + usage.cost, 6)
    report.gaps.append(Gap(what=f"bedrock {agent} agent", why=reason,
                           would_settle="the offline result is shown instead; fix the cause and re-run"))
    return report


def stamp(report: AgentReport, agent: str, model_id: str, usage: Usage) -> AgentReport:
    """Record backend, model, prompt version, tokens and cost on a refined report."""
    report.backend = "bedrock"
    report.model = model_id
    report.prompt_version = PROMPTS[agent].version
    report.tokens_in = usage.tokens_in
    report.tokens_out = usage.tokens_out
    report.cost_usd = usage.cost
    return report


def merge_review(agent: str, offline: AgentReport, review: AgentReview, sent: list[tuple[Any, Any]]) -> AgentReport:
    """Offline findings re-ordered by the model's relevance notes, plus one cited "model review" finding."""
    report = offline.model_copy(deep=True)
    by_id = {f.id: f for f in report.findings}
    notes = {n.finding_id: n for n in review.finding_notes if n.finding_id in by_id}
    for fid, n in notes.items():
        f = by_id[fid]
        f.attributes = {**f.attributes, "llm_relevance": n.relevance, "llm_note": n.note}
    order = {f.id: i for i, f in enumerate(report.findings)}
    report.findings.sort(key=lambda f: (_REL_RANK.get(f.attributes.get("llm_relevance")), order[f.id]))
    cited = [by_id[fid] for fid, n in notes.items() if n.relevance in ("high", "medium")]
    evidence = [e for f in cited for e in f.evidence][:8]
    attributes: dict[str, Any] = {"cited": [f.id for f in cited],
                                  "ignored_ids": sorted({n.finding_id for n in review.finding_notes} - set(by_id))}
    if isinstance(review, VisionReview):
        attributes["incident_visible"] = review.incident_visible
        attributes["panels"] = [p.model_dump() for p in review.panels]
        for art, (w, h) in sent:
            evidence.append(EvidenceRef(kind="image_region", artifact_id=art.id, artifact_name=art.name,
                                        bbox=[0, 0, int(w), int(h)], excerpt="whole screenshot as sent to the model"))
    if evidence and review.summary.strip():
        report.findings.insert(0, Finding(
            id=f"{agent}-bedrock-review", agent=agent, kind="llm_review", title=f"Model review of the {agent} evidence",
            detail=review.summary.strip(), severity="info", evidence=evidence, attributes=attributes,
            score=0.0))
    for m in review.missing:
        if m.strip():
            report.gaps.append(Gap(what=f"{agent} (model)", why=m.strip()[:300]))
    return report


def _evidence_window(evs: list[EvidenceRef]) -> tuple[datetime | None, datetime | None]:
    times = [t for e in evs for t in (e.start, e.end) if t is not None]
    return (min(times), max(times)) if times else (None, None)


def merge_supervisor(offline: AgentReport, answer: SupervisorAnswer, ctx: AgentContext) -> AgentReport:
    """Model hypotheses over the engine's: evidence and the confidence cap come from code."""
    report = offline.model_copy(deep=True)
    findings = {f.id: f for r in ctx.reports.values() for f in r.findings}
    engine = list(report.hypotheses)
    by_id = {h.id: h for h in engine}
    used: set[str] = set()
    merged: list[tuple[float, int, Hypothesis]] = []
    dropped: list[str] = []
    for rank, draft in enumerate(answer.hypotheses):
        match = by_id.get(draft.refines or "") if draft.refines else None
        if match is not None and match.category != draft.category:
            match = None
        if match is None:
            match = next((h for h in engine if h.category == draft.category and h.id not in used
                          and (not draft.service or not h.service or h.service.lower() == draft.service.lower())), None)
        if match is None:
            match = next((h for h in engine if h.category == draft.category and h.id not in used), None)
        cited = [findings[i] for i in draft.finding_ids if i in findings]
        evidence = list(match.evidence) if match else []
        for f in cited:
            for e in f.evidence[:2]:
                if e not in evidence:
                    evidence.append(e)
        if not evidence:
            dropped.append(f"{draft.category.value}: cites no known finding with evidence")
            continue
        if match is not None:
            cap = match.confidence
            why_cap = f"capped at the engine's evidence-based confidence {cap:.2f}"
        else:
            cap = min(NEW_CATEGORY_CAP, 0.5 * max((f.score for f in cited), default=0.0))
            why_cap = (f"not proposed by the evidence engine: capped at {cap:.2f} "
                       f"(half the strongest cited finding, at most {NEW_CATEGORY_CAP:.2f})")
        conf = round(min(draft.confidence, cap), 3)
        lo, hi = _evidence_window(evidence)
        onset = match.onset if match else None
        if draft.onset is not None:
            o = utc(draft.onset)
            if lo is None or (lo - timedelta(minutes=10) <= o <= hi + timedelta(minutes=10)):
                onset = o
        reasoning = [f"model ({draft.confidence:.2f} stated) — {why_cap}", *draft.reasoning[:5]]
        if match is not None:
            if draft.service and match.service and draft.service.lower() != match.service.lower():
                reasoning.insert(1, f"culprit changed by the model from {match.service} to {draft.service}")
            reasoning += [f"engine: {r}" for r in match.reasoning[:6]]
            used.add(match.id)
        hyp = Hypothesis(
            id=match.id if match else f"hyp-bedrock-{rank + 1}", category=draft.category,
            service=draft.service or (match.service if match else None), onset=onset, statement=draft.statement,
            confidence=conf, status=match.status if match else "proposed", evidence=evidence,
            refuting=list(match.refuting) if match else [], reasoning=reasoning,
            remediation=list(match.remediation) if match else [],
            finding_ids=sorted(set((match.finding_ids if match else []) + [f.id for f in cited])))
        merged.append((conf, rank, hyp))
    if not merged:
        report.gaps.append(Gap(what="bedrock supervisor", why="the model proposed no hypothesis backed by known "
                                                              "evidence; the engine's ranking is kept"))
        return report
    for i, h in enumerate(engine):
        if h.id not in used:
            merged.append((h.confidence, len(answer.hypotheses) + i, h))
    merged.sort(key=lambda x: (-x[0], x[1]))
    report.hypotheses = [h for _, _, h in merged]
    for d in dropped:
        report.gaps.append(Gap(what="bedrock supervisor hypothesis dropped", why=d))
    for g in answer.gaps:
        if g.strip():
            report.gaps.append(Gap(what="supervisor (model)", why=g.strip()[:300]))
    return report

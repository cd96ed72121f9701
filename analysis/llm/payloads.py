"""What each Bedrock agent sends: the redacted JSON payload, the screenshot image blocks, and the preview.

``build_payload`` bounds the engine's findings and context per agent (every string redacted before
it is cut); ``prepare_image`` resizes a screenshot within Bedrock's limits and blacks out sensitive
text; ``preview_payload`` / ``preview_analysis`` show the analyst exactly what would leave the
machine, before any call. Nothing here calls AWS.
"""

from __future__ import annotations

import io
import json
from typing import Any

from pydantic import BaseModel, Field

from analysis.agents.base import AgentContext
from analysis.llm.prompts import PROMPTS
from analysis.llm.redact import Redactor, redact_image
from analysis.models import AgentReport, ArtifactKind, Finding, Hypothesis
from analysis.settings import Settings

MAX_FINDINGS = {"log": 40, "metrics": 40, "vision": 30, "supervisor": 60}
MAX_IMAGES = 6
IMAGE_MAX_EDGE = 1568
IMAGE_MAX_BYTES = 3_750_000
_SEV_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


class PayloadPreview(BaseModel):
    """What one agent would send (already redacted): shown before the first call of an analysis."""

    agent: str
    model: str
    prompt_version: str
    system: str
    text: str
    images: list[str] = Field(default_factory=list)
    redactions: dict[str, int] = Field(default_factory=dict)


def dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    return dict(obj) if isinstance(obj, dict) else {}


def compact(obj: Any, *, max_list: int = 15, max_str: int = 300, depth: int = 5, red: Redactor | None = None) -> Any:
    """Bound a JSON-like structure: long lists cut, long strings cut (after redaction, so no secret is
    cut into an unrecognisable fragment), deep nesting dropped."""
    if isinstance(obj, str):
        obj = red.redact(obj) if red is not None else obj
        return obj if len(obj) <= max_str else obj[: max_str - 1] + "…"
    if depth <= 0:
        return None
    if isinstance(obj, dict):
        return {(red.redact(k) if red is not None else k): compact(v, max_list=max_list, max_str=max_str, depth=depth - 1, red=red) for k, v in obj.items()
                if v not in (None, [], {}, "")}
    if isinstance(obj, (list, tuple)):
        return [compact(v, max_list=max_list, max_str=max_str, depth=depth - 1, red=red) for v in list(obj)[:max_list]]
    if isinstance(obj, float):
        return round(obj, 4)
    return obj


def _finding_view(f: Finding, red: Redactor | None = None) -> dict[str, Any]:
    view = {"id": f.id, "agent": f.agent, "kind": f.kind, "title": f.title, "detail": f.detail, "severity": f.severity,
            "service": f.service, "start": f.start.isoformat() if f.start else None,
            "end": f.end.isoformat() if f.end else None, "signals": f.signals, "score": round(f.score, 3),
            "evidence": [{"at": e.locator(), "excerpt": e.excerpt} for e in f.evidence[:3]]}
    return compact(view, max_str=300, red=red)


def _top_findings(findings: list[Finding], limit: int) -> list[Finding]:
    ranked = sorted(findings, key=lambda f: (_SEV_RANK.get(f.severity, 5), -f.score, f.id))
    return ranked[:limit]


def _incident_view(ctx: AgentContext, red: Redactor | None = None) -> dict[str, Any]:
    inc = ctx.incident
    return compact({"title": inc.title, "description": inc.description, "services": inc.services,
                     "severity": getattr(inc.severity, "value", str(inc.severity))}, max_str=2000, red=red)


def _log_context(ctx: AgentContext, red: Redactor | None = None) -> list[dict[str, Any]]:
    out = []
    for la in ctx.engine_outputs.get("log", []):
        d = dump(la)
        templates = sorted(d.get("templates", []), key=lambda t: (not t.get("is_error"), -int(t.get("count") or 0),
                                                                  str(t.get("id"))))[:25]
        out.append(compact({
            "file": d.get("name"), "format": d.get("format"), "lines": d.get("line_count"),
            "start": d.get("start"), "end": d.get("end"), "services": d.get("services"),
            "templates": [{"id": t.get("id"), "template": t.get("template"), "count": t.get("count"),
                           "level": t.get("level"), "first_seen": t.get("first_seen"), "last_seen": t.get("last_seen"),
                           "error": t.get("is_error")} for t in templates],
            "notes": d.get("notes")}, max_list=25, max_str=240, red=red))
    return out


def _metric_context(ctx: AgentContext, red: Redactor | None = None) -> list[dict[str, Any]]:
    out = []
    for ma in ctx.engine_outputs.get("metrics", []):
        d = dump(ma)
        series = sorted(d.get("series", []), key=lambda s: (-float(s.get("score_max") or 0), str(s.get("name"))))[:30]
        out.append(compact({
            "file": d.get("name"), "layout": d.get("layout"),
            "series": [{"name": s.get("name"), "unit": s.get("unit"), "service": s.get("service"), "n": s.get("n"),
                        "start": s.get("start"), "end": s.get("end"), "onset": s.get("onset"),
                        "score_max": s.get("score_max"), "anomalies": (s.get("anomalies") or [])[:3],
                        "change_points": (s.get("change_points") or [])[:3]} for s in series],
            "onset_order": d.get("onset_order"), "groups": d.get("groups"), "notes": d.get("notes")},
            max_list=30, max_str=200, red=red))
    return out


def _vision_context(ctx: AgentContext, red: Redactor | None = None) -> list[dict[str, Any]]:
    out = []
    for sr in ctx.engine_outputs.get("vision", []):
        d = dump(sr)
        for volatile in ("findings", "seconds"):  # findings are sent separately; timings would defeat the cache
            d.pop(volatile, None)
        out.append(compact(d, max_list=24, max_str=200, red=red))
    return out


def _hypothesis_view(h: Hypothesis, red: Redactor | None = None) -> dict[str, Any]:
    return compact({"id": h.id, "category": h.category.value, "service": h.service,
                     "onset": h.onset.isoformat() if h.onset else None, "confidence": round(h.confidence, 3),
                     "statement": h.statement, "finding_ids": h.finding_ids[:15], "reasoning": h.reasoning[:6]},
                    max_str=400, red=red)


def build_payload(agent: str, ctx: AgentContext, offline: AgentReport, red: Redactor | None = None) -> dict[str, Any]:
    """The JSON payload for ``agent``; every string is redacted (before truncation) when ``red`` is given."""
    payload: dict[str, Any] = {"incident": _incident_view(ctx, red)}
    if agent == "supervisor":
        findings = [f for name in ("log", "metrics", "vision") for f in ctx.reports.get(name, AgentReport(agent=name)).findings]
        payload["findings"] = [_finding_view(f, red) for f in _top_findings(findings, MAX_FINDINGS[agent])]
        payload["engine_hypotheses"] = [_hypothesis_view(h, red) for h in offline.hypotheses[:8]]
        sup = (ctx.engine_outputs.get("supervisor") or [None])[0]
        if sup is not None:
            d = dump(sup)
            payload["timeline"] = compact(d.get("timeline", []), max_list=30, max_str=160, red=red)
            payload["similar_incidents"] = compact(d.get("similar", []), max_list=5, max_str=300, red=red)
        payload["gaps"] = compact([g.model_dump() for g in offline.gaps[:10]], red=red)
        payload["logs"] = [{"file": x.get("file"), "templates": x.get("templates", [])[:10]} for x in _log_context(ctx, red)]
        payload["metric_series"] = [{"file": m.get("file"), "series": [s.get("name") for s in m.get("series", [])]}
                                    for m in _metric_context(ctx, red)]
        return payload
    payload["findings"] = [_finding_view(f, red) for f in _top_findings(offline.findings, MAX_FINDINGS[agent])]
    payload["gaps"] = compact([g.model_dump() for g in offline.gaps[:10]], red=red)
    if agent == "log":
        payload["logs"] = _log_context(ctx, red)
    elif agent == "metrics":
        payload["metrics"] = _metric_context(ctx, red)
    elif agent == "vision":
        payload["screenshots"] = _vision_context(ctx, red)
    return payload


def has_material(agent: str, ctx: AgentContext, offline: AgentReport) -> bool:
    if agent == "supervisor":
        return bool(offline.hypotheses) or any(r.findings for r in ctx.reports.values())
    if agent == "vision":
        return bool(offline.findings) or bool(ctx.of_kind(ArtifactKind.screenshot))
    return bool(offline.findings)


def prepare_image(image: Any, redactor: Redactor) -> tuple[dict[str, Any], int] | None:
    """Resize within Bedrock's limits, black out sensitive text, encode; None when it cannot be checked."""
    img = image.convert("RGB")
    scale = min(1.0, IMAGE_MAX_EDGE / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    masked = redact_image(img, redactor)
    if masked is None:
        return None
    img, boxes = masked
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    data, fmt = buf.getvalue(), "png"
    quality = 85
    while len(data) > IMAGE_MAX_BYTES and quality >= 40:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality)
        data, fmt = buf.getvalue(), "jpeg"
        quality -= 15
    return {"image": {"format": fmt, "source": {"bytes": data}}}, boxes


def preview_payload(agent: str, ctx: AgentContext, offline: AgentReport | None = None,
                    redactor: Redactor | None = None) -> PayloadPreview:
    """The redacted text an agent would send, the images it would attach and what was redacted."""
    offline = offline or ctx.reports.get(agent) or AgentReport(agent=agent)
    redactor = redactor or Redactor()
    text = json.dumps(redactor.redact_obj(build_payload(agent, ctx, offline, redactor)), ensure_ascii=False, indent=1)
    images = [a.name for a in ctx.of_kind(ArtifactKind.screenshot)[:MAX_IMAGES]] if agent == "vision" else []
    prompt = PROMPTS[agent]
    return PayloadPreview(agent=agent, model=model_for(ctx.settings, agent), prompt_version=prompt.version,
                          system=prompt.system, text=text, images=images, redactions=redactor.counts())


class _CaptureBackend:
    """Pipeline backend that records each agent's context and offline report and changes nothing."""

    name = "preview"

    def __init__(self) -> None:
        self.seen: dict[str, tuple[AgentContext, AgentReport]] = {}

    def refine(self, agent: str, ctx: AgentContext, offline: AgentReport) -> AgentReport:
        self.seen[agent] = (ctx, offline)
        return offline


def preview_analysis(incident: Any, artifacts: list[Any], settings: Settings, *, knowledge: Any = None,
                     incident_id: str = "", run_id: str = "preview") -> list[PayloadPreview]:
    """What every agent would send for this incident, before any call: runs the offline engines once and
    redacts each agent's payload with one shared redactor (the same placeholders a real run would use)."""
    from analysis.pipeline import analyze

    capture = _CaptureBackend()
    analyze(incident, artifacts, settings=settings, backend=capture, knowledge=knowledge, incident_id=incident_id,
            run_id=run_id)
    red = Redactor()
    out = []
    for agent in ("log", "metrics", "vision", "supervisor"):
        if agent in capture.seen:
            ctx, offline = capture.seen[agent]
            out.append(preview_payload(agent, ctx, offline, red))
    return out


def model_for(settings: Settings, agent: str) -> str:
    return str(getattr(settings, f"bedrock_model_{agent}"))

"""Versioned prompts and the structured-output contract of each Bedrock agent.

Each agent answers through exactly one forced tool whose ``inputSchema`` is generated from a
pydantic model here (:data:`OUTPUT_MODELS`); the tool input is validated against the same model.
A prompt's ``version`` goes into the cache key and the report, so changing a prompt or a schema
means bumping its version. The supervisor additionally gets investigation tools
(:data:`SUPERVISOR_TOOLS`) for a bounded tool loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from analysis.models import Category


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FindingNote(_Out):
    """The model's judgement of one offline finding (it cannot invent findings or evidence)."""

    finding_id: str = Field(description="id of a finding given in the input")
    relevance: Literal["high", "medium", "low", "noise"]
    note: str = Field(default="", max_length=600, description="one or two sentences: why, in SRE terms")


class AgentReview(_Out):
    """Log and metrics agents: a review of the engine's findings."""

    summary: str = Field(max_length=1500, description="what these artifacts say about the incident, 2-4 sentences")
    finding_notes: list[FindingNote] = Field(default_factory=list, max_length=40)
    missing: list[str] = Field(default_factory=list, max_length=8,
                               description="what could not be checked from these artifacts and would settle it")


class PanelNote(_Out):
    """What the model sees in one dashboard panel."""

    title: str = Field(max_length=200)
    incident_visible: bool
    direction: Literal["up", "down", "none", "unknown"] = "unknown"
    note: str = Field(default="", max_length=400)


class VisionReview(AgentReview):
    """Vision agent: the review plus what the screenshots show."""

    incident_visible: bool = Field(description="does any screenshot show the incident (an anomaly or firing alert)?")
    panels: list[PanelNote] = Field(default_factory=list, max_length=24)


class HypothesisDraft(_Out):
    """One root-cause hypothesis proposed by the supervisor model."""

    category: Category
    service: str | None = Field(default=None, max_length=120, description="culprit service (not just the symptom)")
    onset: datetime | None = Field(default=None, description="first impact, ISO 8601 UTC")
    statement: str = Field(max_length=800)
    confidence: float = Field(ge=0.0, le=1.0, description="your confidence; the workbench caps it from the evidence")
    finding_ids: list[str] = Field(min_length=1, max_length=20, description="ids of the findings that support it")
    reasoning: list[str] = Field(default_factory=list, max_length=6)
    refines: str | None = Field(default=None, description="id of the engine hypothesis this refines, if any")


class SupervisorAnswer(_Out):
    """The supervisor's final answer: ranked hypotheses, best first."""

    summary: str = Field(max_length=1500)
    hypotheses: list[HypothesisDraft] = Field(max_length=5)
    gaps: list[str] = Field(default_factory=list, max_length=8)


class SearchLogsInput(_Out):
    text: str | None = Field(default=None, description="case-insensitive substring to look for")
    template_id: str | None = Field(default=None, description="a template id from the log findings")
    start: datetime | None = Field(default=None, description="ISO 8601 UTC lower bound")
    end: datetime | None = Field(default=None, description="ISO 8601 UTC upper bound")
    limit: int = Field(default=20, ge=1, le=50)


class MetricWindowInput(_Out):
    series: str = Field(description="series name as listed in the metric findings")
    start: datetime | None = None
    end: datetime | None = None


class SimilarIncidentsInput(_Out):
    text: str = Field(min_length=3, max_length=500, description="symptoms or suspected cause to look up")


class Prompt(BaseModel):
    """One agent's versioned prompt and answer tool."""

    agent: str
    version: str
    system: str
    tool_name: str
    tool_description: str
    output: type[BaseModel]


_COMMON = (
    "You are an SRE assistant inside SRE Workbench. Deterministic engines have already analysed the "
    "incident's artifacts; their findings (with ids and evidence) are your evidence. Values like <IP_3>, "
    "<HOST_2>, <USER_1>, <SECRET_4> are redaction placeholders: keep them verbatim, never guess what they "
    "hide. Only cite finding ids that appear in the input. Be concise and concrete. Answer only by "
    "calling the provided tool."
)

PROMPTS: dict[str, Prompt] = {
    "log": Prompt(
        agent="log", version="log-v1", tool_name="submit_log_review", output=AgentReview,
        tool_description="Submit the review of the log findings.",
        system=_COMMON + " Task: review the log engine's findings (error clusters, new templates, rate "
        "changes). Mark which findings matter for the incident and which are benign noise or red herrings."),
    "metrics": Prompt(
        agent="metrics", version="metrics-v1", tool_name="submit_metrics_review", output=AgentReview,
        tool_description="Submit the review of the metric findings.",
        system=_COMMON + " Task: review the metric engine's anomalies and change points. Say which series "
        "moved first, which are causes and which are symptoms, and which findings are noise."),
    "vision": Prompt(
        agent="vision", version="vision-v1", tool_name="submit_vision_review", output=VisionReview,
        tool_description="Submit what the dashboard screenshots show.",
        system=_COMMON + " Task: read the attached dashboard screenshots together with what the offline "
        "OCR/chart reader found. Black boxes are redacted text. Say whether the incident is visible, "
        "per panel what moved and in which direction."),
    "supervisor": Prompt(
        agent="supervisor", version="supervisor-v1", tool_name="submit_analysis", output=SupervisorAnswer,
        tool_description="Submit the final ranked root-cause hypotheses (best first).",
        system=_COMMON + " Task: reconcile the log, metric and screenshot findings into at most five "
        "root-cause hypotheses, best first, each with a taxonomy category, the culprit service (the cause, "
        "not the service showing symptoms), onset and the supporting finding ids. You may call "
        "search_logs, metric_window and similar_incidents a few times to check a hypothesis before "
        "submitting; tool outputs are truncated. Confidence you state is capped by the workbench from "
        "the evidence."),
}

SUPERVISOR_TOOLS: dict[str, tuple[str, type[BaseModel]]] = {
    "search_logs": ("Search the incident's log lines by text or template id, optionally in a UTC time range.",
                    SearchLogsInput),
    "metric_window": ("Values of one metric series between start and end (UTC), downsampled.", MetricWindowInput),
    "similar_incidents": ("Past incidents from the knowledge base similar to a description.", SimilarIncidentsInput),
}


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema of ``model`` with ``$ref``s inlined and titles dropped (smaller, portable)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].split("/")[-1]]
                merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
                return walk(merged)
            return {k: walk(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def tool_spec(name: str, description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"toolSpec": {"name": name, "description": description, "inputSchema": {"json": inline_schema(model)}}}


def answer_tool(agent: str) -> dict[str, Any]:
    p = PROMPTS[agent]
    return tool_spec(p.tool_name, p.tool_description, p.output)


def supervisor_tools() -> list[dict[str, Any]]:
    return [tool_spec(name, desc, model) for name, (desc, model) in sorted(SUPERVISOR_TOOLS.items())]

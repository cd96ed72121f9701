"""Supervisor agent: reconciles the other agents' evidence into ranked, evidence-backed hypotheses."""

from __future__ import annotations

from analysis.agents.base import AgentContext
from analysis.models import AgentReport, ArtifactKind, Gap


class SupervisorAgent:
    """Runs the reasoning engine (``analysis.engines.reasoning``) over everything the agents found."""

    name = "supervisor"

    def run(self, ctx: AgentContext) -> AgentReport:
        from analysis.engines.reasoning import reason
        from analysis.engines.reasoning.models import EvidenceBundle

        ctx.progress("supervisor", "building the timeline and service graph")
        notes = []
        for art in ctx.of_kind(ArtifactKind.note):
            notes.append("\n".join(art.lines()))
        similar = []
        if ctx.knowledge is not None:
            ctx.progress("supervisor", "looking for similar past incidents")
            similar = ctx.knowledge.similar_for(ctx.incident, ctx.reports)
            ctx.engine_outputs["similar"] = similar
        bundle = EvidenceBundle(incident=ctx.incident, logs=ctx.engine_outputs.get("log", []),
                                metrics=ctx.engine_outputs.get("metrics", []),
                                screenshots=ctx.engine_outputs.get("vision", []), notes=notes, similar=similar)
        result = reason(bundle)
        agreement = self._cross_check(ctx)
        ctx.engine_outputs["supervisor"] = [result]
        ctx.progress("supervisor", f"{len(result.hypotheses)} hypotheses"
                                   + (" (inconclusive)" if result.inconclusive else ""))
        gaps = list(result.gaps)
        if ctx.knowledge is not None and getattr(ctx.knowledge, "error", ""):
            gaps.append(Gap(what="similar past incidents", why=f"the knowledge base could not be searched ({ctx.knowledge.error})",
                            would_settle="check the knowledge base location in Settings"))
        return AgentReport(agent="supervisor", hypotheses=result.hypotheses, gaps=gaps, findings=agreement)

    @staticmethod
    def _cross_check(ctx: AgentContext) -> list:
        """Does each screenshot panel agree with a metric CSV of the same quantity (title/unit/name match)?"""
        readings, metrics = ctx.engine_outputs.get("vision", []), ctx.engine_outputs.get("metrics", [])
        if not readings or not metrics:
            return []
        from analysis.engines.vision import cross_check

        ctx.progress("supervisor", "cross-checking screenshots against the metric CSVs")
        return [f for reading in readings for f in cross_check(reading, metrics)]

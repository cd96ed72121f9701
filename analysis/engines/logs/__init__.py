"""Log intelligence engine: format detection, multi-line records, template mining and findings.

Public API::

    analyze_log(lines, *, artifact_id, name) -> LogAnalysis
    iter_records(lines, name="") -> Iterator[LogRecord]
    iter_assignments(lines) -> Iterator[tuple[int, str, str]]   # (line, template_id, template)
    TemplateMiner

``analyze_log``/``iter_records``/``iter_assignments`` also take keyword-only ``now`` (the clock used to
infer missing syslog years; pass it for deterministic results) and ``analyze_log`` a ``year_hint``.
Modules: :mod:`.timestamps`, :mod:`.headers` (format families), :mod:`.structured` (JSON, logfmt),
:mod:`.access` (access logs), :mod:`.records` (multi-line records), :mod:`.masking`, :mod:`.miner`,
:mod:`.stats`, :mod:`.findings`, :mod:`.analyzer`, :mod:`.services`, :mod:`.levels`, :mod:`.models`,
:mod:`.tracegraph` (per-service activity and the trace-id call graph: ``LogAnalysis.trace_graph``).
"""

from analysis.engines.logs.analyzer import analyze_log, iter_assignments
from analysis.engines.logs.miner import TemplateMiner, template_id
from analysis.engines.logs.models import LogAnalysis, LogRecord, TemplateStat
from analysis.engines.logs.records import iter_records

__all__ = ["LogAnalysis", "LogRecord", "TemplateMiner", "TemplateStat", "analyze_log", "iter_assignments",
           "iter_records", "template_id"]

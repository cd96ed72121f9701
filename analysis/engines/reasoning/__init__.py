"""Root-cause reasoning (the offline supervisor): ranked, explained hypotheses from all evidence.

Public API::

    from analysis.engines.reasoning import EvidenceBundle, SupervisorResult, reason
    result = reason(EvidenceBundle(incident=..., logs=[...], metrics=[...], screenshots=[...]))

Modules: :mod:`.catalogue` (signal families), :mod:`.entities` (names, targets, aliases),
:mod:`.observe` (engine outputs -> observations), :mod:`.hypotheses` (category scoring,
signatures, culprit, onset), :mod:`.confidence` (the documented formula), :mod:`.remediation`
(runbook steps + command safety check), :mod:`.timeline`, :mod:`.graph`, :mod:`.fleet` (metric
fleet ranking), :mod:`.tracecalls` (culprit from the logs' trace-id call graph), :mod:`.engine`.
"""

from .engine import reason
from .models import EvidenceBundle, Observation, SupervisorResult
from .remediation import assess_command

__all__ = ["EvidenceBundle", "Observation", "SupervisorResult", "assess_command", "reason"]

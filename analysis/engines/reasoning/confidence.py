"""The confidence formula: how sure the offline supervisor is of one hypothesis, computed by code.

For a hypothesis with raw evidence score ``S`` (sum over evidence families of
``weight(family -> category) x strength(observation) x modality factor``, plus signature bonuses)::

    E = 1 - exp(-S / 1.6)                         evidence strength, saturating in [0, 1)
    a = (modalities - 1) / 2, capped to 1          agreement: logs, metrics, screenshots agreeing
    T = 1 if the culprit moved no later than the first symptom (+2 min), 0.35 if it moved later,
        0.7 when either time is unknown           timing: cause precedes symptoms
    C = 0.375 x artifact kinds present (logs, metrics) + 0.5 if the culprit has its own evidence
        (its own log lines or series), capped to 1   coverage
    share = S / (S + S_runner_up + 0.5)            competition; the 0.5 is "unexplained" mass so a
                                                   lone weak hypothesis does not get share 1
    z = -2.6 + 1.8 E + 0.3 a + 0.35 T + 0.35 C + 2.5 share
    conf = 1 / (1 + exp(-z)) + prior, clipped to [0.02, 0.95]

The coefficients were fitted (logistic regression, L2 0.01) on the golden incidents of
``tests/engines/reasoning`` in four evidence variants each (full, logs only, metrics only, minus
the main log) and rounded; ``bench/calibration_bench.py`` reports the Brier score and the
reliability table. ``prior`` is at most 0.03: a knowledge-base match of the same category
(similar past incidents are a weak prior, never the deciding evidence). The run is
**inconclusive** when the best hypothesis has ``conf < 0.30`` or ``S < 0.45`` (thin evidence).
The reasoning trail prints each factor so a reader sees why the number is what it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INCONCLUSIVE_CONF = 0.30
INCONCLUSIVE_SCORE = 0.45


@dataclass(frozen=True)
class ConfidenceInputs:
    score: float
    runner_up: float
    modalities: int
    timing: float
    kinds_present: int
    culprit_direct: bool
    prior: float = 0.0


def timing_factor(culprit_onset, symptom_onset) -> float:  # type: ignore[no-untyped-def]
    """1 when the culprit moved first (2 min slack), 0.35 when it moved after the symptoms."""
    if culprit_onset is None or symptom_onset is None:
        return 0.7
    return 1.0 if (culprit_onset - symptom_onset).total_seconds() <= 120 else 0.35


def confidence(x: ConfidenceInputs) -> tuple[float, list[str]]:
    """Confidence in [0.02, 0.95] and the reasoning lines that explain it."""
    e = 1.0 - math.exp(-max(x.score, 0.0) / 1.6)
    a = min(1.0, max(0, x.modalities - 1) / 2.0)
    c = min(1.0, 0.375 * x.kinds_present + (0.5 if x.culprit_direct else 0.0))
    share = x.score / (x.score + x.runner_up + 0.5)
    prior = max(0.0, min(0.03, x.prior))
    z = -2.6 + 1.8 * e + 0.3 * a + 0.35 * x.timing + 0.35 * c + 2.5 * share
    conf = 1.0 / (1.0 + math.exp(-z)) + prior
    conf = max(0.02, min(0.95, conf))
    trail = [
        f"evidence strength E={e:.2f} (raw score {x.score:.2f})",
        f"agreement a={a:.2f} ({x.modalities} modalit{'y' if x.modalities == 1 else 'ies'} agree)",
        f"timing T={x.timing:.2f} ({'cause precedes symptoms' if x.timing >= 1 else 'cause after symptoms' if x.timing < 0.5 else 'order unknown'})",
        f"coverage C={c:.2f} ({x.kinds_present} artifact kind(s); culprit {'has' if x.culprit_direct else 'lacks'} its own evidence)",
        f"competition share={share:.2f} vs runner-up score {x.runner_up:.2f}",
    ]
    if prior > 0:
        trail.append(f"similar past incident prior +{prior:.2f}")
    trail.append(f"confidence = {conf:.2f}")
    return round(conf, 3), trail

"""Hypothesis generation: score every taxonomy category from the observations, pick its culprit
and onset, and apply the evidence *signatures* that separate look-alike causes.

Scoring. Each observation supports categories through its family's weights; its contribution is
``weight x strength x modality factor`` (symptoms count at a third: they say *that* something
broke, not *what*). Within one family the strongest observation counts fully and the rest add a
quarter (capped), so a thousand copies of one error do not outvote a second, independent signal.

Signatures (documented, generic):

- *deploy*: a version change / new replica set on service X followed within 45 min by new or
  surging error templates on X -> deployment_regression on X, onset = first such error.
- *config*: a config reload / setting change / flag flip on X followed within 30 min by new errors,
  timeouts or latency on X -> config_change on X (a dependency timing out right after its caller's
  timeout setting changed is the caller's config, not the dependency).
- *cascade*: callers' timeouts, refusals and pool errors name their target; the culprit of a
  dependency, database, cache, DNS or node hypothesis is that target (the earliest-anomalous
  thing the symptoms point at), not the service that logged the symptom.

Culprit = the entity (emitter, or target for the families above) with the largest contribution;
onset = first impact: the earliest new/surging *cause* log evidence attributed to that culprit
(metric anomalies when logs have none; warnings and precursors only as a last resort).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analysis.models import Category

from .entities import TECH_CACHE, TECH_DB, TECH_QUEUE, canonical, kind_of, resolve, tokens
from .models import Observation

_PEER_REJECTS = re.compile(r"(fatal alert|received alert|alert certificate|bad certificate|client certificate|keystore)", re.IGNORECASE)
MODALITY_FACTOR = {"log": 1.0, "metric": 0.9, "screenshot": 0.45, "note": 0.35, "kb": 0.0}
ROLE_FACTOR = {"cause": 1.0, "precursor": 0.7, "change": 0.8, "symptom": 0.33}
TARGET_KIND = {"database_overload": "db", "cache_failure": "cache", "node_failure": "node", "network_dns": "dns"}
KIND_CATEGORY = {"db": "database_overload", "cache": "cache_failure", "dns": "network_dns", "node": "node_failure"}
TARGET_CATS = {"database_overload", "cache_failure", "node_failure", "dependency_failure", "network_dns"}
ERROR_FAMILIES = {"error", "server_error", "access_5xx", "dependency_timeout", "dependency_refused", "data_corruption",
                  "db_pool_exhausted", "auth_failure", "latency", "access_latency", "errors", "success_drop"}
CALLER_ONLY = {"dependency_refused"}  # a restarting service refuses its own probes: only callers' refusals count
DEPLOY_ERRORS = {"error", "server_error", "access_5xx", "data_corruption", "errors", "dependency_refused"}


@dataclass
class Candidate:
    """A category under consideration, with its evidence, culprit and onset."""

    category: str
    score: float = 0.0
    support: list[tuple[Observation, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    culprit: str = ""
    onset: datetime | None = None
    signature: str = ""
    signature_onset: datetime | None = None
    signature_culprit: str = ""
    signature_change: datetime | None = None
    signature_bonus: float = 0.0
    entity_scores: dict[str, float] = field(default_factory=dict)

    @property
    def modalities(self) -> set[str]:
        return {o.modality for o, c in self.support if c > 0.05 and o.modality in ("log", "metric", "screenshot")}


def _family_sum(items: list[float]) -> float:
    if not items:
        return 0.0
    items = sorted(items, reverse=True)
    top = items[0]
    return min(top * 1.5, top + 0.25 * sum(items[1:]))


class EntityIndex:
    """Names seen in the evidence, by kind, with how much evidence mentions each."""

    def __init__(self, obs: list[Observation], services: list[str]) -> None:
        self.services = services
        self.weight: dict[str, float] = defaultdict(float)
        for o in obs:
            if o.service:
                self.weight[o.service] += o.strength
            for t in o.targets:
                self.weight[t] += 0.5 * o.strength
        for s in services:
            self.weight[canonical(s)] += 0.01

    def final(self, name: str) -> str:
        """Display name: the analyst's service name when the match is clear (``postgresql`` -> ``orders-db``)."""
        if not name:
            return name
        r = resolve(name, self.services)
        if r in self.services:
            return r
        kind = kind_of(name)
        if kind in ("db", "cache", "queue"):
            listed = [s for s in self.services if kind_of(s) == kind]
            if len(listed) == 1:
                pure = set(tokens(name)) <= (set(TECH_DB) | set(TECH_CACHE) | set(TECH_QUEUE) | {"primary", "replica", "main"})
                shared = (set(tokens(name)) & set(tokens(listed[0]))) - set(TECH_DB) - set(TECH_CACHE) - set(TECH_QUEUE)
                if pure or shared:
                    return listed[0]
        return name

    def best_of_kind(self, kind: str) -> str:
        cands = [(w, n) for n, w in self.weight.items() if kind_of(n) == kind]
        listed = [s for s in self.services if kind_of(s) == kind]
        if len(listed) == 1 and not any(w > 0.5 for w, _ in cands):
            return listed[0]
        if cands:
            return sorted(cands, key=lambda x: (-x[0], x[1]))[0][1]
        return listed[0] if len(listed) == 1 else ""


def entity_for(o: Observation, cat: str, idx: EntityIndex) -> str:
    """Which entity this observation blames for ``cat``."""
    wanted = TARGET_KIND.get(cat)
    if cat == "certificate_expiry":
        # our certificate rejected by the peer (fatal alert, keystore warning) -> us; their certificate
        # failing our verification (x509 expired for host X) -> the server we called
        if o.family == "cert_invalid" and o.targets and not _PEER_REJECTS.search(o.text):
            return o.targets[0]
        return o.service
    if cat == "data_corruption":
        # corrupt data read from a store: the store is the culprit, not the reader
        for t in o.targets:
            if kind_of(t) in ("db", "cache", "queue"):
                return t
        return o.service
    if cat == "traffic_surge":
        zone = o.attributes.get("zone")
        if zone and (resolve(zone, idx.services) in idx.services or idx.weight.get(zone, 0.0) > 0.5):
            return zone  # a limit zone named after the service it protects
        return o.service
    if o.culprit_rule == "target" and cat in TARGET_CATS:
        if wanted:
            for t in o.targets:
                if kind_of(t) == wanted:
                    return t
        elif cat == "dependency_failure":
            ext = [t for t in o.targets if kind_of(t) == "external"]
            if ext:
                return ext[0]
            others = [t for t in o.targets if t != o.service]
            if others:
                return others[0]
    if wanted:
        if kind_of(o.service) == wanted:
            return o.service
        best = idx.best_of_kind(wanted)
        if best:
            return best
    return o.service


def score_candidates(obs: list[Observation], services: list[str]) -> dict[str, Candidate]:
    """Raw category scores with supporting observations, before signatures."""
    idx = EntityIndex(obs, services)
    cands = {c.value: Candidate(category=c.value) for c in Category}
    per_fam: dict[str, dict[str, list[float]]] = {c: defaultdict(list) for c in cands}
    for o in obs:
        for cat, w in o.weights.items():
            if cat not in cands or w <= 0:
                continue
            contrib = w * o.strength * MODALITY_FACTOR.get(o.modality, 0.5) * ROLE_FACTOR.get(o.role, 0.5)
            named = [t for t in o.targets if t != o.service]
            if cat == "dependency_failure" and not named:
                contrib *= 0.5  # a dependency failure is only as good as the dependency it names
            elif cat == "dependency_failure" and KIND_CATEGORY.get(kind_of(named[0])):
                # a failing dependency that is a database / cache / DNS server / node is that category's problem
                via = KIND_CATEGORY[kind_of(named[0])]
                cands[via].support.append((o, 0.8 * contrib))
                per_fam[via][f"{o.modality}:via-{o.family}"].append(0.8 * contrib)
                contrib *= 0.5
            if contrib <= 0:
                continue
            cands[cat].support.append((o, contrib))
            per_fam[cat][f"{o.modality}:{o.family}"].append(contrib)
    for cat, cand in cands.items():
        cand.score = sum(_family_sum(v) for v in per_fam[cat].values())
        ent: dict[str, float] = defaultdict(float)
        for o, c in cand.support:
            e = idx.final(entity_for(o, cat, idx))
            if e:
                if cat == "auth_credentials" and kind_of(e) in ("db", "cache", "queue"):
                    c *= 0.3  # a datastore rejecting a login is the messenger; the client holds the stale secret
                ent[e] += c
        cand.entity_scores = dict(ent)
    _apply_signatures(obs, cands, services, idx)
    for cat, cand in cands.items():
        _choose_culprit_and_onset(cand, idx, services)
    _interposed_cause(cands)
    _first_mover_adjustment(cands)
    _explained_by_parent(cands)
    return cands


def _interposed_cause(cands: dict[str, Candidate]) -> None:
    """A change's signature weakens when another failure starts between the change and the errors:
    errors that follow a database lock storm by a minute are better explained by it than by a deploy
    made ten minutes earlier."""
    for name in ("deployment_regression", "config_change"):
        c = cands[name]
        if not c.signature or c.signature_change is None or c.signature_onset is None:
            continue
        for other in cands.values():
            if other is c or other.category in ("deployment_regression", "config_change") or other.onset is None:
                continue
            if other.score >= 0.5 and other.culprit and other.culprit != c.culprit \
                    and c.signature_change + timedelta(seconds=60) < other.onset <= c.signature_onset:
                c.score = max(0.0, c.score - 0.7 * c.signature_bonus)
                c.notes.append(f"{other.category} on {other.culprit} began at {other.onset:%H:%M:%S}, between the change "
                               f"({c.signature_change:%H:%M:%S}) and the errors: signature discounted")
                break


#: parent -> categories whose evidence the parent's failure produces downstream
EXPLAINS: dict[str, tuple[str, ...]] = {
    "cache_failure": ("database_overload", "cpu_saturation", "memory_exhaustion", "deployment_regression"),
    "traffic_surge": ("cpu_saturation", "queue_backlog", "database_overload", "dependency_failure", "memory_exhaustion",
                      "deployment_regression"),
    "node_failure": ("dependency_failure", "network_dns", "disk_full", "memory_exhaustion", "deployment_regression"),
    "database_overload": ("dependency_failure", "queue_backlog", "cpu_saturation", "deployment_regression"),
    "network_dns": ("dependency_failure", "deployment_regression"),
    "memory_exhaustion": ("cpu_saturation", "dependency_failure", "deployment_regression"),
    "config_change": ("dependency_failure", "auth_credentials", "traffic_surge"),
    "certificate_expiry": ("dependency_failure", "auth_credentials", "deployment_regression"),
    "auth_credentials": ("dependency_failure", "deployment_regression"),
    "disk_full": ("database_overload", "data_corruption", "node_failure", "deployment_regression"),
    "cpu_saturation": ("dependency_failure", "queue_backlog"),
    "deployment_regression": ("dependency_failure", "memory_exhaustion", "cpu_saturation"),
    "dependency_failure": ("queue_backlog", "deployment_regression"),
}


def _explained_by_parent(cands: dict[str, Candidate]) -> None:
    """A category whose symptoms a stronger-or-comparable, earlier failure produces downstream is
    down-weighted (x0.75): a cache that stopped storing explains the database load that follows."""
    order = sorted(cands.values(), key=lambda c: (-c.score, c.category))
    done: set[str] = set()
    for parent in order:
        if parent.score < 0.5 or parent.onset is None or parent.category in done:
            continue
        for child_name in EXPLAINS.get(parent.category, ()):
            child = cands[child_name]
            if child_name in done or child.onset is None or child.score <= 0 or child.score > 1.6 * parent.score:
                continue
            if parent.onset <= child.onset + timedelta(minutes=1):
                child.score *= 0.75
                done.add(child_name)
                child.notes.append(f"explained downstream by {parent.category} on {parent.culprit} from "
                                   f"{parent.onset:%H:%M:%S} (x0.75)")


def _first_mover_adjustment(cands: dict[str, Candidate]) -> None:
    """Among strong candidates blaming different entities, the one that moved first explains the rest.

    Candidates scoring at least half the best are ordered by onset; one whose onset comes more than
    3 minutes after another's gets x0.8, the earliest gets x1.1 (cascade: the later anomaly is
    more likely a consequence).
    """
    best = max((c.score for c in cands.values()), default=0.0)
    strong = [c for c in cands.values() if c.score >= 0.5 * best and c.score > 0.3 and c.onset is not None]
    if len(strong) < 2:
        return
    first = min(strong, key=lambda c: (c.onset, -c.score))
    for c in strong:
        if c is first:
            c.score *= 1.1
            c.notes.append(f"moved first among the strong explanations ({c.onset:%H:%M:%S}) (x1.1)")
        elif c.culprit != first.culprit and (c.onset - first.onset).total_seconds() > 180:
            c.score *= 0.8
            c.notes.append(f"starts {c.onset:%H:%M:%S}, after {first.category} on {first.culprit} "
                           f"({first.onset:%H:%M:%S}): likely a consequence (x0.8)")


def _same(a: str, b: str, services: list[str]) -> bool:
    if not a or not b:
        return False
    return a == b or resolve(a, services) == resolve(b, services) or a.endswith("-" + b) or b.endswith("-" + a)


_CONFIG_WORDS = {"config", "configs", "cfg", "conf", "settings", "setting", "env", "configmap", "cm", "flags", "flag", "properties",
                 "secret", "values"}
_SERVICE_WORDS = {"service", "svc", "api", "app", "server", "srv"}


def same_config_owner(subject: str, service: str, services: list[str]) -> bool:
    """``checkout-config`` (a ConfigMap) belongs to ``checkout-service``; stricter names must match exactly."""
    if _same(subject, service, services):
        return True
    a = [t for t in tokens(subject) if t not in _CONFIG_WORDS]
    b = [t for t in tokens(resolve(service, services)) if t not in _SERVICE_WORDS]
    return bool(a) and a == b and len("".join(a)) >= 4


def _best_change_hit(changes: list[Observation], live: list[Observation], families: set[str], services: list[str],
                     after: timedelta, before: timedelta = timedelta(seconds=60),
                     ) -> tuple[float, Observation, datetime, str, list[Observation]] | None:
    """Of ``changes``, the one whose follow-up errors (:func:`_change_hits`) are strongest, earliest on ties:
    (strength, change, when, subject, errors)."""
    best: tuple[float, Observation, datetime, str, list[Observation]] | None = None
    for c in changes:
        hit = _change_hits(c, live, families, services, after, before)
        if hit is None:
            continue
        t, subj, errs = hit
        s = max(e.strength for e in errs)
        if best is None or s > best[0] or (s == best[0] and t < best[2]):
            best = (s, c, t, subj, errs)
    return best


def _change_hits(c: Observation, live: list[Observation], families: set[str], services: list[str], after: timedelta,
                 before: timedelta = timedelta(seconds=60)) -> tuple[datetime, str, list[Observation]] | None:
    """The first occurrence of change ``c`` followed (within ``after``) by new errors on its subject."""
    subjects = [c.service] + [x for x in c.attributes.get("subjects", []) if x != c.service]
    occ = c.attributes.get("occurrences") or [c.time]
    best: tuple[float, datetime, str, list[Observation]] | None = None
    for t in occ:
        for subj in subjects:
            same = same_config_owner if c.family == "config_reload" else _same
            errs = [e for e in live if e.family in families and t - before <= e.time <= t + after
                    and ((same(subj, e.service, services) and e.family not in CALLER_ONLY)
                         or any(_same(x, subj, services) for x in e.targets))]
            if not errs:
                continue
            s = max(e.strength for e in errs)
            if best is None or s > best[0] + 1e-9:
                best = (s, t, subj, errs)
    return None if best is None else (best[1], best[2], best[3])


def _apply_signatures(obs: list[Observation], cands: dict[str, Candidate], services: list[str], idx: EntityIndex) -> None:
    changes = [o for o in obs if o.role == "change" and o.time is not None]
    live = [o for o in obs if o.role != "change" and o.time is not None and o.novelty in ("new", "surge")
            and o.strength >= 0.2 and o.modality in ("log", "metric")]
    # deploy: version change then new errors on the same service
    best = _best_change_hit([c for c in changes if c.family == "version_change"
                             or (c.family == "replica_scaling" and "up" in c.text.lower())],
                            live, DEPLOY_ERRORS, services, timedelta(minutes=45))
    if best:
        s, c, t, subj, errs = best
        cand = cands["deployment_regression"]
        bonus = 1.1 * s + 0.4 * c.strength
        cand.score += bonus
        first = min(errs, key=lambda e: e.time)
        cand.support.append((c, 0.4 * c.strength))
        for e in errs[:5]:
            cand.support.append((e, 0.2 * e.strength))
        cand.signature = "deploy"
        cand.signature_change, cand.signature_bonus = t, bonus
        cand.signature_onset = first.time
        cand.signature_culprit = idx.final(subj)
        cand.notes.append(f"signature: {c.family.replace('_', ' ')} on {subj} at {t:%H:%M:%S} followed by new errors "
                          f"from {first.time:%H:%M:%S} (+{bonus:.2f})")
    # config: reload / setting change then new errors, timeouts or latency on the same service
    bestc = _best_change_hit([c for c in changes if c.family == "config_reload"], live,
                             ERROR_FAMILIES | {"dependency_timeout", "access_latency"}, services,
                             timedelta(minutes=30), timedelta(seconds=30))
    if bestc:
        s, c, t, subj, errs = bestc
        cand = cands["config_change"]
        bonus = 1.3 * s + 0.3 * c.strength
        cand.score += bonus
        first = min(errs, key=lambda e: e.time)
        cand.support.append((c, 0.3 * c.strength))
        for e in errs[:5]:
            cand.support.append((e, 0.2 * e.strength))
        cand.signature = "config"
        cand.signature_change, cand.signature_bonus = t, bonus
        exact = t == (c.attributes.get("occurrences") or [c.time])[0]  # later occurrences are minute-floored
        cand.signature_onset = min(first.time, t) if exact and (first.time - t).total_seconds() < 120 else first.time
        cand.signature_culprit = idx.final(subj)
        cand.notes.append(f"signature: configuration change on {subj} at {t:%H:%M:%S} followed by errors/timeouts "
                          f"from {first.time:%H:%M:%S} (+{bonus:.2f})")
        # a dependency that times out right after its caller's config changed is not the culprit
        dep = cands["dependency_failure"]
        if dep.score > 0:
            dep.score *= 0.6
            dep.notes.append("caller's configuration changed just before the dependency errors began (x0.6)")


def _choose_culprit_and_onset(cand: Candidate, idx: EntityIndex, services: list[str]) -> None:
    if cand.signature_culprit:
        cand.culprit = cand.signature_culprit
    elif cand.entity_scores:
        cand.culprit = sorted(cand.entity_scores.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    if cand.signature_onset is not None:
        cand.onset = cand.signature_onset
        return
    mine = [(o, c) for o, c in cand.support if o.time is not None and idx.final(entity_for(o, cand.category, idx)) == cand.culprit]
    if not mine:
        mine = [(o, c) for o, c in cand.support if o.time is not None]
    tiers = (
        lambda o: o.role == "cause" and o.modality == "log" and o.novelty in ("new", "surge") and o.strength >= 0.25,
        lambda o: o.role == "cause" and o.modality == "metric" and o.strength >= 0.3,
        lambda o: o.role == "cause" and o.novelty != "baseline",
        lambda o: o.role in ("change", "precursor") and o.novelty != "baseline",
        lambda o: True,
    )
    for tier in tiers:
        ts = [o.time for o, _ in mine if tier(o)]
        if ts:
            cand.onset = min(ts)
            return

"""The offline supervisor: evidence bundle in, ranked and explained hypotheses out.

Pipeline (deterministic; no clock, no randomness): observations from every modality
(:mod:`.observe`; the logs' trace-id call graph: :mod:`.tracecalls`) -> category candidates with signatures, culprit and onset (:mod:`.hypotheses`)
-> confidence (:mod:`.confidence`) -> refuting evidence, gaps, remediation (:mod:`.remediation`)
-> timeline, service graph and first movers (:mod:`.timeline`, :mod:`.graph`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from analysis.models import Category, EvidenceRef, Gap, Hypothesis

from .catalogue import match_metric
from .clocks import align_clocks
from .confidence import INCONCLUSIVE_CONF, INCONCLUSIVE_SCORE, ConfidenceInputs, confidence, timing_factor
from .entities import canonical, kind_of, pick_of_kind, resolve
from .fleet import fleet_scores, incident_window, metric_window, window_onset
from .graph import build_graph
from .hypotheses import EXPLAINS, Candidate, EntityIndex, score_candidates
from .models import EvidenceBundle, Observation, SupervisorResult
from .observe import log_observations
from .observe_series import metric_observations, note_observations, screenshot_observations
from .remediation import check_steps, from_past_incident, remediation_for
from .timeline import change_events, finding_events, first_movers, merge, observation_events
from .tracecalls import trace_edges, trace_observations, trace_rerank

PHRASE = {
    "deployment_regression": "a new release introduced a regression",
    "config_change": "a configuration change broke it",
    "memory_exhaustion": "memory exhaustion (OOM kills / restarts)",
    "cpu_saturation": "CPU saturation or throttling",
    "disk_full": "a full disk / volume",
    "database_overload": "database overload (slow queries, lock waits, exhausted connections)",
    "network_dns": "DNS resolution or network failure",
    "dependency_failure": "a failing downstream dependency",
    "certificate_expiry": "an expired or invalid certificate",
    "auth_credentials": "rejected or expired credentials",
    "traffic_surge": "a traffic surge beyond capacity",
    "cache_failure": "a cache failure (rejected writes, evictions, falling hit ratio)",
    "queue_backlog": "a queue backlog / consumer lag",
    "node_failure": "a failing node or host",
    "data_corruption": "corrupted data",
}
MAX_HYPOTHESES = 5
MIN_HYPOTHESES = 3


def _g(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def collect_observations(bundle: EvidenceBundle) -> list[Observation]:
    """Every observation from every modality, with unique ids."""
    obs: list[Observation] = []
    services = list(bundle.incident.services)
    for la in bundle.logs:
        obs.extend(log_observations(la, start_index=len(obs) + 1, services=services))
    obs.extend(trace_observations(list(bundle.logs), start_index=len(obs) + 1))
    for ma in bundle.metrics:
        obs.extend(metric_observations(ma, start_index=len(obs) + 1, services=services))
    for sr in bundle.screenshots:
        obs.extend(screenshot_observations(sr, start_index=len(obs) + 1))
    obs.extend(note_observations(bundle.notes, start_index=len(obs) + 1))
    # the analyst's description: symptoms only, so a very weak hint that only breaks ties when the
    # artifacts say nothing
    for o in note_observations([f"{bundle.incident.title}. {bundle.incident.description}"], start_index=len(obs) + 1):
        o.strength = 0.1
        o.title = "incident description: " + o.family
        o.evidence[0].artifact_name = "incident description"
        obs.append(o)
    for i, o in enumerate(obs):
        o.id = f"obs-{i + 1:05d}"
    _cross_file_novelty(obs, bundle.logs)
    return obs


def _cross_file_novelty(obs: list[Observation], logs: list[Any]) -> None:
    """Novelty across short, consecutive files of one stream (rotated or per-minute exports).

    A single file shorter than 20 minutes cannot tell new from routine. When several files of the
    same format together cover the window, a template first seen well after the group's start
    (>= 60 s and >= 25 % of the group's span) is new; one present from the start is routine.
    """
    groups: dict[str, list[Any]] = defaultdict(list)
    for la in logs:
        groups[str(_g(la, "format", "") or "")].append(la)
    for fmt, las in groups.items():
        spans = [(_g(la, "start"), _g(la, "end")) for la in las if _g(la, "start") and _g(la, "end")]
        if len(las) < 2 or len(spans) < 2:
            continue
        gs, ge = min(a for a, _ in spans), max(b for _, b in spans)
        span = (ge - gs).total_seconds()
        if span <= 0 or span >= 1200:
            continue
        names = {str(_g(la, "name", "")) for la in las}
        mine = [o for o in obs if o.modality == "log" and o.attributes.get("artifact") in names
                and not o.attributes.get("access") and o.novelty == "unknown" and o.time is not None]
        first: dict[tuple[str, str], datetime] = {}
        for o in mine:
            k = (o.service, o.title)
            if k not in first or o.time < first[k]:
                first[k] = o.time
        for o in mine:
            lead = (first[(o.service, o.title)] - gs).total_seconds()
            if lead >= max(60.0, 0.25 * span):
                o.novelty = "new"
                o.time = first[(o.service, o.title)]
                o.strength = round(min(1.0, o.strength * 1.6), 4)
            else:
                o.novelty = "baseline"
                o.strength = round(o.strength * 0.4, 4)


def _quiet_series(bundle: EvidenceBundle) -> dict[str, list[EvidenceRef]]:
    """Series that match a family but stayed normal: refuting evidence for its categories."""
    out: dict[str, list[EvidenceRef]] = defaultdict(list)
    for ma in bundle.metrics:
        for s in _g(ma, "series", None) or []:
            if _g(s, "anomalies", None) or _g(s, "change_points", None):
                continue
            name = str(_g(s, "name", ""))
            for fam in match_metric(name):
                for cat in fam.weights:
                    if fam.weights[cat] >= 0.5 and len(out[cat]) < 3:
                        out[cat].append(EvidenceRef(kind="metric_window", artifact_id=str(_g(ma, "artifact_id", "") or ""),
                                                    artifact_name=str(_g(ma, "name", "") or ""), series=name,
                                                    start=_g(s, "start"), end=_g(s, "end"),
                                                    excerpt=f"{name} stayed within its normal range"))
    return out


def _final_name(cand: Candidate, services: list[str]) -> str:
    name = cand.culprit
    want = {"database_overload": "db", "cache_failure": "cache"}.get(cand.category)
    if want and kind_of(name) == want:
        listed = pick_of_kind(want, services)
        if listed and (name in ("postgres", "postgresql", "mysql", "redis", "memcached", "mongodb", "db", "database")
                       or listed.lower() in name.lower() or name.lower() in listed.lower()):
            return listed
    return resolve(name, services)


def _kb_prior(similar: list[Any]) -> dict[str, float]:
    prior: dict[str, float] = defaultdict(float)
    for hit in similar:
        entry = _g(hit, "entry")
        cat = _g(entry, "category") if entry is not None else None
        if cat:
            prior[str(cat)] = max(prior[str(cat)], 0.03 * float(_g(hit, "score", 0.0) or 0.0))
    return prior


def incident_anchor(obs: list[Observation], window_min: int = 20) -> datetime | None:
    """The centre of the densest 20-minute window of new/surging evidence (strength-weighted)."""
    pts = sorted((o.time, o.strength) for o in obs if o.time is not None and o.novelty in ("new", "surge")
                 and o.role in ("cause", "symptom") and o.strength >= 0.3 and o.modality in ("log", "metric"))
    if not pts:
        return None
    best, best_w, j, acc = pts[0][0], -1.0, 0, 0.0
    for i, (t, w) in enumerate(pts):
        acc += w
        while (t - pts[j][0]).total_seconds() > window_min * 60:
            acc -= pts[j][1]
            j += 1
        if acc > best_w + 1e-9:
            best_w, best = acc, pts[j][0]
    return best


def _symptom_onset(obs: list[Observation]) -> datetime | None:
    """First user-visible symptom near the incident: the earliest strong symptom at most 30 min
    before the densest window of anomalies (older blips are background noise)."""
    anchor = incident_anchor(obs)
    ts = [o.time for o in obs if o.time is not None and o.role == "symptom" and o.novelty in ("new", "surge")
          and o.strength >= 0.4 and o.modality in ("log", "metric")
          and (anchor is None or (anchor - o.time).total_seconds() <= 1800)]
    return min(ts) if ts else None


def _refs(support: list[tuple[Observation, float]], limit: int = 8) -> tuple[list[EvidenceRef], list[str]]:
    refs: list[EvidenceRef] = []
    ids: list[str] = []
    seen: set[str] = set()
    for o, _c in sorted(support, key=lambda x: (-x[1], x[0].id)):
        for r in o.evidence:
            key = r.locator() + r.excerpt[:40]
            if key in seen:
                continue
            seen.add(key)
            refs.append(r)
        if o.finding_id:
            ids.append(o.finding_id)
        if len(refs) >= limit:
            break
    return refs[:limit], ids


def _fleet_rerank(bundle: EvidenceBundle, obs: list[Observation], hyps: list[Hypothesis],
                  cand_of: dict[int, Candidate]) -> None:
    """Fleet of per-service metrics and a top hypothesis resting on metrics alone: every metric-only
    hypothesis names the most window-abnormal service among those its metric evidence covers (against their
    own history and their peers, see ``fleet``), and metric-only hypotheses are ordered by that abnormality."""
    if not hyps or not bundle.metrics:
        return
    window = incident_window(list(bundle.logs), None) or metric_window(list(bundle.metrics))
    ranked = fleet_scores(list(bundle.metrics), window)
    if not ranked or ranked[0][1] <= 0:
        return

    def metric_only(h: Hypothesis) -> bool:
        c = cand_of.get(id(h))
        return c is not None and bool(c.support) and all(o.modality == "metric" for o, w in c.support if w > 0.05)

    if not metric_only(hyps[0]):
        return  # log (or other) evidence names the top culprit directly
    score = dict(ranked)
    pos = {svc: i + 1 for i, (svc, _) in enumerate(ranked)}
    slots = [i for i, h in enumerate(hyps) if metric_only(h)]
    movable = [hyps[i] for i in slots]
    for h in movable:
        covered = {canonical(o.service) for o, w in cand_of[id(h)].support if o.modality == "metric" and w > 0.05}
        best = max(sorted(covered), key=lambda s: score.get(s, 0.0), default=None)
        cur = canonical(h.service or "")
        if best and score.get(best, 0.0) > score.get(cur, 0.0):
            onset = window_onset(list(bundle.metrics), window, best) or h.onset
            onset_txt = f" from {onset:%Y-%m-%d %H:%M:%S} UTC" if onset else ""
            h.statement = f"{best}: {PHRASE[h.category.value]}{onset_txt}."
            h.service, h.onset = best, onset
        svc = canonical(h.service or "")
        if svc in pos:
            h.reasoning.insert(1, f"fleet rank {pos[svc]} of {len(ranked)}: {svc}'s own metrics change "
                                  f"{score[svc]:.1f} robust z in the incident window against their history and peers "
                                  f"(most abnormal: {ranked[0][0]} {ranked[0][1]:.1f})")
    order = sorted(movable, key=lambda h: -score.get(canonical(h.service or ""), 0.0))  # stable: ties keep order
    confs = sorted((h.confidence for h in movable), reverse=True)
    for i, h, c in zip(slots, order, confs):
        hyps[i] = h
        h.confidence = c  # the slot's confidence: the ranking, not the evidence strength, changed
    for i, x in enumerate(hyps):
        x.id = f"h{i + 1}"


def reason(bundle: EvidenceBundle) -> SupervisorResult:
    """Rank root-cause hypotheses for one incident from all engine outputs (deterministic)."""
    services = list(bundle.incident.services)
    obs = collect_observations(bundle)
    clock_notes = align_clocks(obs)
    cands = score_candidates(obs, services)
    prior = _kb_prior(bundle.similar)
    quiet = _quiet_series(bundle)
    symptom_t = _symptom_onset(obs)
    kinds_present = int(bool(bundle.logs)) + int(bool(bundle.metrics))

    ranked = sorted(cands.values(), key=lambda c: (-(c.score + prior.get(c.category, 0.0)), c.category))
    chosen = [c for c in ranked if c.score > 0.05][:MAX_HYPOTHESES]
    if len(chosen) < MIN_HYPOTHESES:
        # competing explanations to rule out: causes that commonly produce the top one's symptoms,
        # then whatever has some evidence
        top_cat = chosen[0].category if chosen else ""
        rivals = [p for p, kids in EXPLAINS.items() if top_cat in kids] + list(EXPLAINS.get(top_cat, ()))
        for c in sorted(ranked, key=lambda c: (c.category not in rivals, rivals.index(c.category) if c.category in rivals else 0,
                                              -c.score, c.category)):
            if len(chosen) >= MIN_HYPOTHESES:
                break
            if c not in chosen:
                chosen.append(c)

    movers = first_movers(obs, services, namer=EntityIndex(obs, services).final)
    hyps: list[Hypothesis] = []
    for i, cand in enumerate(chosen):
        others = [c.score for c in ranked if c is not cand]
        runner = max(others) if others else 0.0
        culprit = _final_name(cand, services) or (next(iter(movers), None) if movers else None) or (services[0] if services else None)
        timing = timing_factor(cand.onset, symptom_t)
        direct = any(resolve(o.service, services) == culprit and c > 0.05 for o, c in cand.support)
        conf, trail = confidence(ConfidenceInputs(score=cand.score, runner_up=runner, modalities=len(cand.modalities),
                                                  timing=timing, kinds_present=kinds_present, culprit_direct=direct,
                                                  prior=prior.get(cand.category, 0.0)))
        if cand.score <= 0.05:
            conf = min(conf, 0.05)
            trail[-1] = f"confidence = {conf:.2f} (no direct evidence: capped at 0.05)"
        refs, fids = _refs(cand.support)
        refuting = list(quiet.get(cand.category, []))
        reasoning = list(cand.notes)
        fams = sorted({o.family for o, c in cand.support if c > 0.05})
        if fams:
            reasoning.insert(0, "supporting families: " + ", ".join(fams))
        else:
            reasoning.insert(0, "no direct evidence in the artifacts; listed as a competing explanation only")
        if cand.category == "deployment_regression" and not cand.signature:
            reasoning.append("no version change followed by new errors on the same service was found")
        if cand.category == "config_change" and not cand.signature:
            reasoning.append("no configuration change followed by new errors on the same service was found")
        if timing < 0.5 and cand.onset and symptom_t:
            reasoning.append(f"culprit evidence starts {cand.onset:%H:%M:%S}, after the first symptom {symptom_t:%H:%M:%S}")
        if refuting:
            reasoning.append(f"{len(refuting)} related series stayed normal (refuting)")
        reasoning.extend(trail)
        status = "supported" if conf >= 0.5 else "proposed"
        onset_txt = f" from {cand.onset:%Y-%m-%d %H:%M:%S} UTC" if cand.onset else ""
        statement = f"{culprit or 'unknown service'}: {PHRASE[cand.category]}{onset_txt}."
        steps = remediation_for(cand.category, culprit)
        for hit in bundle.similar:
            entry = _g(hit, "entry")
            if entry is not None and _g(entry, "category") == cand.category:
                steps += from_past_incident(str(_g(entry, "title", "")), str(_g(entry, "resolution", "") or ""),
                                            list(_g(entry, "runbook", None) or []))
                break
        hyps.append(Hypothesis(
            id=f"h{i + 1}", category=Category(cand.category), service=culprit, onset=cand.onset, statement=statement,
            confidence=conf, status=status, evidence=refs, refuting=refuting, reasoning=reasoning, remediation=check_steps(steps),
            finding_ids=fids,
        ))
    score_of = {h.id: c.score for h, c in zip(hyps, chosen)}
    cand_of = {id(h): c for h, c in zip(hyps, chosen)}
    hyps.sort(key=lambda h: (-h.confidence, -score_of[h.id], h.id))
    for i, h in enumerate(hyps):
        h.id = f"h{i + 1}"

    _fleet_rerank(bundle, obs, hyps, cand_of)
    trace_rerank(hyps, cand_of)
    top = hyps[0] if hyps else None
    top_score = max((c.score for c in chosen), default=0.0)
    inconclusive = top is None or top.confidence < INCONCLUSIVE_CONF or top_score < INCONCLUSIVE_SCORE

    events = change_events(obs, services) + observation_events(obs, services)
    for la in bundle.logs:
        events += finding_events(list(_g(la, "findings", None) or []), "log")
    for ma in bundle.metrics:
        events += finding_events(list(_g(ma, "findings", None) or []), "metrics")
    for sr in bundle.screenshots:
        events += finding_events(list(_g(sr, "findings", None) or []), "vision")

    gaps = _gaps(bundle, obs, hyps, inconclusive)
    for note in clock_notes:
        gaps.append(Gap(what="clock alignment", why=note, would_settle="logs written with an explicit UTC offset"))
        for h in hyps:
            h.reasoning.insert(1, note)
    return SupervisorResult(
        hypotheses=hyps,
        timeline=merge(events),
        service_graph=build_graph(obs, services, implied={c.category: _final_name(c, services) for c in chosen
                                                          if c.category in ("database_overload", "cache_failure") and c.score > 0.3},
                                  extra=trace_edges(list(bundle.logs))),
        gaps=gaps,
        inconclusive=inconclusive,
        first_movers=movers,
    )


def _gaps(bundle: EvidenceBundle, obs: list[Observation], hyps: list[Hypothesis], inconclusive: bool) -> list[Gap]:
    gaps: list[Gap] = []
    if not bundle.logs:
        gaps.append(Gap(what="log evidence", why="no log files were provided",
                        would_settle="application and infrastructure logs covering the incident window"))
    if not bundle.metrics:
        gaps.append(Gap(what="metric trends (what moved first, resource saturation)", why="no metric export was provided",
                        would_settle="a metrics CSV (CPU, memory, latency, error rate) from 1 h before the onset"))
    if bundle.logs and not any(o.time for o in obs if o.modality == "log"):
        gaps.append(Gap(what="log timing", why="no timestamps could be read from the logs",
                        would_settle="logs with timestamps (or the time zone they are written in)"))
    for sr in bundle.screenshots:
        if not (_g(sr, "panels", None) or []):
            gaps.append(Gap(what=f"screenshot {_g(sr, 'name', '')}", why="no chart panel could be read",
                            would_settle="a higher-resolution dashboard export or the underlying metric CSV"))
    if hyps:
        top = hyps[0]
        seen = {canonical(str(_g(la, 'name', ''))) for la in bundle.logs} | {o.service for o in obs if o.modality in ('log', 'metric')}
        if top.service and resolve(top.service, []) and canonical(top.service) not in seen and not any(
                resolve(s, [top.service]) == top.service for s in seen):
            gaps.append(Gap(what=f"{top.service}'s own behaviour", why=f"{top.service} is blamed from its callers' evidence only",
                            would_settle=f"logs or metrics of {top.service} itself"))
        if top.category.value in ("deployment_regression", "config_change") and not any(o.role == "change" for o in obs):
            gaps.append(Gap(what="change history", why="no deploy or config event was found in the artifacts",
                            would_settle="deployment/rollout events (kubectl get events, CI/CD log) for the incident window"))
    if inconclusive:
        gaps.append(Gap(what="a decisive signal", why="the evidence is thin or split between explanations",
                        would_settle="logs of the failing component around the first alert, plus its resource metrics"))
    return gaps

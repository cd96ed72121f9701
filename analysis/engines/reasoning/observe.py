"""Reduce log engine outputs (log templates, access statistics) to :class:`Observation` records
(metric, screenshot and note observations live in :mod:`.observe_series`): family, role, emitting service, named targets,
onset, strength and evidence pointers.

Strength is what the confidence formula builds on. For a log template it is
``novelty x volume x level``: a template that first appears mid-log (``new``) or whose rate jumps
(``surge``) is strong; one that runs at the same rate all along (``baseline``, the usual red
herring) is weak. For a metric anomaly it is the detector's peak score scaled by the size of the
move. Engine results are read by attribute so the reasoning copes with partial engine outputs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from analysis.models import EvidenceRef, utc

from .catalogue import match_text
from .entities import GENERIC, canonical, node_names, resolve, targets_in
from .models import Observation

_LEVEL_ERR = {"error", "err", "fatal", "critical", "crit", "alert", "emerg", "panic", "severe"}
_LEVEL_WARN = {"warn", "warning"}
_SUBJECT = re.compile(
    r"\b(?:deployment|replicaset|statefulset|daemonset|pod|configmap|secret|job|cronjob|hpa|horizontalpodautoscaler|service|rollout)"
    r"[/ ]([a-z0-9][a-z0-9.-]+)|replica set ([a-z0-9][a-z0-9-]+)|created pod: ([a-z0-9][a-z0-9-]+)"
    r"|image \"?[a-z0-9.-]+(?::\d+)?/(?:[a-z0-9._-]+/)*([a-z0-9._-]+):",
    re.IGNORECASE,
)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _dt(v: Any) -> datetime | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return utc(v)
    try:
        s = str(v).replace("Z", "+00:00")
        return utc(datetime.fromisoformat(s))
    except ValueError:
        return None


def _level(v: Any) -> str:
    return str(v or "").strip().lower()


def _is_err_level(level: str) -> bool:
    return level in _LEVEL_ERR


def subject_in(text: str) -> str:
    """The Kubernetes object or image a change event is about (``deployment/checkout`` -> ``checkout``)."""
    for m in _SUBJECT.finditer(text):
        raw = next((g for g in m.groups() if g), "")
        c = canonical(raw)
        if c and c not in GENERIC:
            return c
    return ""


_POD_NAME = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)-(?=[a-z0-9]*\d)[a-z0-9]{8,10}-[a-z0-9]{5}\b")


_MSG_KEYS = re.compile(r"^(err|error|errors|exception|exc|reason|cause|detail|details|description|message|msg|status|"
                       r"error_message|errormessage|stack|stacktrace|event|text)$", re.IGNORECASE)
_JSON_FIELD = re.compile(r'"(err|error|exception|reason|cause|detail|message|stack|status)"\s*:\s*"((?:[^"\\]|\\.){3,300})',
                         re.IGNORECASE)
_LOGFMT_ERR = re.compile(r'\b(err|error|exception|reason|cause|detail|status)=("([^"]*)"|(\S+))', re.IGNORECASE)


def structured_message(sample: str) -> str:
    """Message-bearing field values of a JSON or logfmt line (``err=...``, ``"error": {...}``).

    Templates of structured logs carry only the main message; the error detail that names the
    mechanism (``connection refused``, ``OOM command not allowed``) is often in another field.
    """
    s = sample.strip()
    out: list[str] = []
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError:
            obj = None

        def walk(v: Any, key: str, depth: int) -> None:
            if depth > 3 or len(out) > 8:
                return
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(x, str(k), depth + 1)
            elif isinstance(v, str) and _MSG_KEYS.match(key):
                out.append(v[:300])

        if isinstance(obj, dict):
            for k, v in obj.items():
                if str(k).lower() not in ("msg", "message"):  # the main message is the template already
                    walk(v, str(k), 1)
        else:  # truncated sample: pick quoted message-like fields by pattern
            for m in _JSON_FIELD.finditer(s):
                out.append(m.group(2)[:300])
    else:
        for m in _LOGFMT_ERR.finditer(s):
            out.append((m.group(3) or m.group(4) or "")[:300])
    return " ".join(out)


def emitter_of(services: Any, fallback: str, text: str = "") -> str:
    """Dominant emitting service of a template (its ``services`` counter), else a Kubernetes pod name
    written in the line, else the artifact name."""
    best = ""
    if isinstance(services, dict) and services:
        for name, _n in sorted(services.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            c = canonical(name)
            if c and c not in GENERIC:
                best = c
                break
    if not best and text:
        m = _POD_NAME.search(text)
        if m:
            best = canonical(m.group(1))
    return best or canonical(fallback)


# --------------------------------------------------------------------------------------------
# Temporal profile of a template: new, surge, or baseline.
# --------------------------------------------------------------------------------------------
def temporal_profile(per_minute: dict[Any, int] | None, first_seen: datetime | None, span_start: datetime | None,
                     span_end: datetime | None) -> tuple[str, datetime | None, float]:
    """(novelty, onset, ratio) of a template from its per-minute counts and the log's span."""
    if first_seen is None:
        return "unknown", None, 1.0
    if span_start is None or span_end is None or span_end <= span_start:
        return "unknown", first_seen, 1.0
    span = (span_end - span_start).total_seconds()
    if span < 1200:
        return "unknown", first_seen, 1.0  # too short a log to tell new from routine
    lead = (first_seen - span_start).total_seconds()
    if lead >= max(600.0, 0.1 * span):
        return "new", first_seen, 99.0
    if not per_minute:
        return "baseline", first_seen, 1.0
    t0 = span_start.replace(second=0, microsecond=0)
    n = int((span_end - t0).total_seconds() // 60) + 1
    if n < 6:
        return "unknown", first_seen, 1.0
    counts = np.zeros(n, dtype=float)
    for k, c in per_minute.items():
        t = _dt(k)
        if t is None:
            continue
        i = int((t - t0).total_seconds() // 60)
        if 0 <= i < n:
            counts[i] += float(c)
    total = counts.sum()
    if total <= 0:
        return "baseline", first_seen, 1.0
    cs = np.concatenate([[0.0], np.cumsum(counts)])
    ks = np.arange(5, n - 1)
    if ks.size == 0:
        return "baseline", first_seen, 1.0
    w = np.minimum(20, n - ks)
    before = cs[ks] / ks
    after = (cs[ks + w] - cs[ks]) / w
    ratio = (after + 0.02) / (before + 0.02 + 1.0 / n)
    ok = (cs[ks + w] - cs[ks]) >= 3
    ratio = np.where(ok, ratio, 0.0)
    j = int(np.argmax(ratio))
    best = float(ratio[j])
    if best >= 4.0:
        k = int(ks[j])
        nz = np.nonzero(counts[k:])[0]
        onset_i = k + (int(nz[0]) if nz.size else 0)
        return "surge", t0 + timedelta(minutes=onset_i), best
    return "baseline", first_seen, best


_ZONE = re.compile(r"\bzone\s*[=:]?\s*\"?([A-Za-z0-9_.-]{3,})", re.IGNORECASE)


def _occurrences(per_minute: Any, first_seen: datetime | None, limit: int = 50) -> list[datetime]:
    """Minutes in which a (change) template occurred, first occurrence exact."""
    out: list[datetime] = [first_seen] if first_seen else []
    for k in sorted((per_minute or {}).keys()):
        t = _dt(k)
        if t is None or (first_seen and t <= first_seen):
            continue
        out.append(t)
        if len(out) >= limit:
            break
    return out


def _novelty_factor(novelty: str, ratio: float) -> float:
    if novelty == "new":
        return 1.0
    if novelty == "surge":
        return float(min(1.0, 0.55 + 0.2 * math.log2(max(ratio, 4.0) / 4.0)))
    if novelty == "unknown":
        return 0.5
    return 0.12


def _count_factor(count: int) -> float:
    return float(min(1.0, 0.45 + 0.28 * math.log10(1 + max(count, 0))))


# --------------------------------------------------------------------------------------------
# Logs
# --------------------------------------------------------------------------------------------
def _line_ref(la: Any, t: Any, excerpt: str) -> EvidenceRef:
    lines = list(_get(t, "lines", None) or [])
    first = _get(t, "first_line", None) or (lines[0] if lines else None)
    last = first
    if lines:
        last = max(int(x) for x in lines[:50]) if len(lines) > 1 else first
        if last is not None and first is not None and last - first > 40:
            last = first
    return EvidenceRef(kind="log_lines", artifact_id=str(_get(la, "artifact_id", "") or ""),
                       artifact_name=str(_get(la, "name", "") or ""), line_start=first, line_end=last,
                       excerpt=excerpt[:300])


def log_observations(la: Any, start_index: int = 0, services: Iterable[str] = ()) -> list[Observation]:
    """Observations from one :class:`LogAnalysis`: every template that matches a family or is an error."""
    out: list[Observation] = []
    name = str(_get(la, "name", "") or "")
    span_start, span_end = _dt(_get(la, "start")), _dt(_get(la, "end"))
    is_access = bool(_get(la, "access_per_minute", None)) or "access" in str(_get(la, "format", "") or "")
    services = list(services)
    owner = _generic_owner(la, services)
    exc_by_tid: dict[str, str] = {}
    for f in _get(la, "findings", None) or []:
        attrs = _get(f, "attributes", None) or {}
        exc = attrs.get("exception") if isinstance(attrs, dict) else None
        if exc:
            for tid in attrs.get("template_ids") or [attrs.get("template_id")]:
                if tid:
                    exc_by_tid[str(tid)] = str(exc)
    idx = start_index
    for t in _get(la, "templates", None) or []:
        template = str(_get(t, "template", "") or "")
        sample = str(_get(t, "sample", "") or "")
        text = template if not sample else f"{template}\n{sample}"
        level = _level(_get(t, "level", ""))
        is_err = bool(_get(t, "is_error", False)) or _is_err_level(level)
        extra = structured_message(sample)
        exc = exc_by_tid.get(str(_get(t, "id", "")), "")
        if exc:
            extra = f"{extra} {exc}"  # the exception class of a multi-line record (OutOfMemoryError, SSLHandshakeException)
        fams = match_text(f"{template} {extra}" if extra else template, sample)
        if not fams and not is_err:
            continue
        count = int(_get(t, "count", 0) or 0)
        first_seen = _dt(_get(t, "first_seen"))
        novelty, onset, ratio = temporal_profile(_get(t, "per_minute", None), first_seen, span_start, span_end)
        emitter = emitter_of(_get(t, "services", None), name, f"{template}\n{sample[:400]}")
        if owner and (not emitter or emitter in GENERIC):
            emitter = owner
        if is_access:
            by_path = _path_service(template, services)
            if by_path and (emitter in GENERIC or not emitter or by_path != emitter):
                emitter = by_path if (emitter in GENERIC or not emitter or resolve(emitter, services) not in services) else emitter
        subject = subject_in(text)
        subjects = sorted({canonical(k) for k in (_get(t, "services", None) or {})} - GENERIC)
        occurrences = _occurrences(_get(t, "per_minute", None), first_seen)
        zone = _ZONE.search(sample or template)
        nodes = node_names(text)
        tgts = targets_in(sample or template, emitter, services)
        for nn in nodes:
            if nn not in tgts:
                tgts.insert(0, nn)
        lf = 1.0 if is_err else (0.8 if level in _LEVEL_WARN else 0.6)
        base = _novelty_factor(novelty, ratio) * _count_factor(count)
        ref = _line_ref(la, t, sample or template)
        if not fams:
            fams = [None]  # an error template that no family explains
        for fam in fams:
            idx += 1
            if fam is None:
                fname, role, weights, rule = "error", "symptom", {}, "emitter"
            else:
                fname, role, weights, rule = fam.name, fam.role, dict(fam.weights), fam.culprit
            svc = emitter
            if role == "change" and subject:
                svc = subject
            elif fname in ("node_notready", "kernel_io_error") and nodes:
                svc = nodes[0]
            strength = base * (lf if role != "change" else 1.0)
            if is_access and role == "cause":
                # a status code in an access log says a request failed, not why: the proxy's view
                if fname in ("dependency_timeout", "dependency_refused"):
                    role = "symptom"
                else:
                    strength *= 0.7
            if role == "change":
                strength = max(strength, 0.5 * _count_factor(count)) if novelty != "baseline" else 0.25 * _count_factor(count)
            out.append(Observation(
                id=f"obs-{idx:05d}", modality="log", family=fname, role=role, weights=weights, service=svc,
                targets=tgts if rule == "target" or role == "change" else tgts[:3], culprit_rule=rule,
                time=onset or first_seen, end=_dt(_get(t, "last_seen")), strength=round(min(1.0, strength), 4),
                novelty=novelty, count=count, level=level, title=template[:160], text=text[:600], evidence=[ref],
                attributes={"artifact": name, "template_id": str(_get(t, "id", "")), "ratio": round(ratio, 2),
                            "first_seen": first_seen.isoformat() if first_seen else None, "subject": subject,
                            "subjects": subjects, "occurrences": occurrences if role == "change" else [],
                            "zone": canonical(zone.group(1)) if zone and fname == "rate_limited" else None},
            ))
    out.extend(access_observations(la, idx + 1))
    return out


def _generic_owner(la: Any, services: list[str]) -> str:
    """For a log named like ``app.log`` with no service fields: the listed service it mentions most."""
    if canonical(str(_get(la, "name", "") or "")) not in GENERIC or not services:
        return ""
    counts: dict[str, int] = {}
    for t in (_get(la, "templates", None) or [])[:400]:
        text = (str(_get(t, "sample", "") or "") + " " + str(_get(t, "template", "") or "")).lower()
        for sv in services:
            if sv.lower() in text:
                counts[sv] = counts.get(sv, 0) + int(_get(t, "count", 1) or 1)
    if not counts:
        return canonical(services[0]) if len(services) == 1 else ""
    return canonical(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0])


def access_observations(la: Any, start_index: int) -> list[Observation]:
    """Request-rate, 5xx, 429 and latency surges per upstream from the access-log statistics."""
    rows = list(_get(la, "access_per_minute", None) or [])
    if not rows:
        return []
    name = str(_get(la, "name", "") or "")
    by_up: dict[str, list[Any]] = {}
    for r in rows:
        up = canonical(str(_get(r, "upstream", None) or _get(r, "service", None) or ""))
        if not up or up in GENERIC:
            up = _access_owner(la)
        by_up.setdefault(up, []).append(r)
    out: list[Observation] = []
    idx = start_index
    for up, rs in sorted(by_up.items()):
        rs = sorted(rs, key=lambda r: str(_get(r, "minute", "")))
        times = [_dt(_get(r, "minute")) for r in rs]
        if len(rs) < 8 or any(t is None for t in times):
            continue
        req = np.array([float(_get(r, "requests", 0) or 0) for r in rs])
        e5 = np.array([float(_get(r, "status_5xx", 0) or 0) for r in rs])
        e4 = np.array([float(_get(r, "status_4xx", 0) or 0) for r in rs])
        p95 = np.array([float(_get(r, "p95_ms", 0) or 0) for r in rs])
        e429 = np.array([float(_get(r, "status_429", 0) or 0) for r in rs])
        series = {"requests": (req, "request_surge", 3.0), "5xx": (e5, "access_5xx", 5.0),
                  "p95_ms": (p95, "access_latency", 3.0)}
        if e429.sum() > 0:
            series["429"] = (e429, "access_429", 5.0)
        elif e4.sum() > 0:
            series["4xx"] = (e4, "access_4xx", 5.0)
        for label, (y, fam, thr) in series.items():
            hit = _step_up(y, thr)
            if hit is None:
                continue
            i, ratio = hit
            idx += 1
            weights: dict[str, float] = {}
            role = "symptom"
            if fam == "request_surge":
                weights, role = {"traffic_surge": 1.0}, "cause"
            elif fam == "access_429":
                weights, role = {"traffic_surge": 0.6}, "cause"
            elif fam == "access_4xx":
                weights = {"auth_credentials": 0.2, "traffic_surge": 0.1}
            strength = float(min(1.0, 0.5 + 0.2 * math.log2(max(ratio, 1.0) / thr + 1)))
            ref = EvidenceRef(kind="log_lines", artifact_id=str(_get(la, "artifact_id", "") or ""), artifact_name=name,
                              excerpt=f"{label} per minute for {up} rose {ratio:.1f}x from {times[i]:%H:%M} UTC")
            out.append(Observation(
                id=f"obs-{idx:05d}", modality="log", family=fam, role=role, weights=weights, service=up,
                time=times[i], strength=round(strength, 4), novelty="surge", count=int(y[i:].sum()),
                title=f"{label} for {up} x{ratio:.1f}", text=f"access log {label} {up}", evidence=[ref],
                attributes={"artifact": name, "ratio": round(ratio, 2), "access": True},
            ))
    return out


_REQ_PATH = re.compile(r"\b(?:get|post|put|delete|patch|head|options)\s+/+(?:api/+)?(?:v\d+/+)?([a-z][a-z0-9_-]{2,})", re.IGNORECASE)


def _path_service(template: str, services: list[str]) -> str:
    """The listed service a request path points at (``POST /api/search/v2`` -> ``search-api``)."""
    m = _REQ_PATH.search(template)
    if not m or not services:
        return ""
    r = resolve(canonical(m.group(1)), services)
    return canonical(r) if r in services else ""


def _access_owner(la: Any) -> str:
    """Whom an access log without upstream names belongs to: its single service, else its file name."""
    svcs = [canonical(x) for x in (_get(la, "services", None) or [])]
    svcs = [x for x in svcs if x and x not in GENERIC]
    if len(svcs) == 1:
        return svcs[0]
    c = canonical(str(_get(la, "name", "") or ""))
    return "" if c in GENERIC else c


def _step_up(y: np.ndarray, thr: float) -> tuple[int, float] | None:
    """First index where a sustained rise of at least ``thr`` x over the prior level starts."""
    n = len(y)
    if n < 8:
        return None
    cs = np.concatenate([[0.0], np.cumsum(y)])
    best: tuple[int, float] | None = None
    for k in range(5, n - 1):
        w = min(5, n - k)
        before = cs[k] / k
        after = (cs[k + w] - cs[k]) / w
        floor = max(before, 0.5)
        r = after / floor
        if r >= thr and y[k] > before and y[k] >= 0.5 * after and (cs[k + w] - cs[k]) >= 3:
            best = (k, float(r))
            break
    return best

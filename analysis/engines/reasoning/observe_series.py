"""Observations from metric anomalies, screenshot panels and analyst notes (the non-log evidence).

Split from :mod:`.observe`, which owns the log and access-log observations and the shared readers.
A metric anomaly's strength is the detector's peak score scaled by the size of the move.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


from analysis.models import EvidenceRef

from .catalogue import match_metric, match_text
from .entities import GENERIC, canonical, targets_in
from .models import Observation
from .observe import _dt, _get

# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------
_LABEL_SERVICE_KEYS = ("service", "servicename", "service_name", "app", "resource", "job", "container", "deployment",
                       "podname", "pod_name", "k8s_pod_name", "db", "dbinstanceidentifier", "instance",
                       "pod", "host", "node", "cluster", "upstream", "backend", "queue", "topic", "consumergroup",
                       "cacheclusterid", "loadbalancer", "functionname")
_LABEL_TARGET_KEYS = ("cluster", "upstream", "backend", "target", "peer", "destination", "dependency", "remote",
                      "db", "dbinstanceidentifier", "cacheclusterid", "node", "host", "queue", "topic")


_LABEL_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"?([^",}]+)"?')


def series_labels(s: Any) -> dict[str, str]:
    """Labels of a series, including ``name{k="v"}`` pairs embedded in its name."""
    labels = {str(k): str(v) for k, v in (dict(_get(s, "labels", None) or {})).items()}
    name = str(_get(s, "name", ""))
    if "{" in name:
        for k, v in _LABEL_PAIR.findall(name.split("{", 1)[1]):
            labels.setdefault(k, v)
    return labels


def _metric_service(s: Any, ma_name: str, services: list[str] | None = None) -> str:
    """Who a series belongs to: its service/app label, else a listed service its name starts with,
    else the engine's guess, other identifying labels, the name's first word, the file name."""
    labels = series_labels(s)
    for key in ("service", "app", "application", "app_kubernetes_io_name"):
        if labels.get(key):
            return canonical(labels[key])
    name = str(_get(s, "name", "")).split("{")[0].lower()
    if services:
        toks = [t for t in re.split(r"[_.:\s-]+", name) if t]
        for k in range(len(toks) - 1, 0, -1):  # longest name prefix that is a listed service
            cand = "-".join(toks[:k])
            for sv in services:
                if sv.lower() == cand or canonical(sv) == cand:
                    return canonical(sv)
    svc = _get(s, "service", None)
    if svc and canonical(str(svc)) != canonical(re.split(r"[{:]", name)[0]):  # not just the metric's own name
        return canonical(str(svc))
    for k in _LABEL_SERVICE_KEYS:
        for lk, lv in labels.items():
            if lk.lower() == k and lv:
                return canonical(str(lv))
    head = re.split(r"[_.:{ ]", name)[0].lower()
    if head and head not in ("node", "container", "process", "go", "jvm", "http", "kube", "up", "cpu", "mem", "memory",
                             "disk", "nginx", "envoy", "haproxy", "aws", "system", "sum", "avg", "rate", "grpc", "istio",
                             "pg", "redis", "mysql", "rds", "db", "requests", "request", "latency", "errors", "cloudwatch",
                             "rabbitmq", "kafka", "probe", "memcached"):
        return canonical(head)
    c = canonical(ma_name)
    return "" if c in GENERIC or re.search(r"\d+m$|metrics|export|range|cluster", c) else c


def _metric_targets(s: Any) -> list[str]:
    labels = series_labels(s)
    out: list[str] = []
    for k in _LABEL_TARGET_KEYS:
        for lk, lv in labels.items():
            if lk.lower() == k and lv:
                c = str(lv).lower() if "." in str(lv) and not str(lv).endswith(".local") else canonical(str(lv))
                if c and c not in out:
                    out.append(c)
    name = str(_get(s, "name", ""))
    for m in re.finditer(r'(?:cluster|upstream|host|node|db|target)="?([A-Za-z0-9_.-]+)"?', name):
        c = m.group(1).lower()
        if c not in out:
            out.append(c)
    return out


def metric_observations(ma: Any, start_index: int = 0, services: Iterable[str] = ()) -> list[Observation]:
    """One observation per (series, family) whose anomalies move in the family's bad direction."""
    out: list[Observation] = []
    ma_name = str(_get(ma, "name", "") or "")
    idx = start_index
    for s in _get(ma, "series", None) or []:
        name = str(_get(s, "name", ""))
        labels = series_labels(s)
        desc = " ".join([name, str(_get(s, "unit", "") or "")] + [f"{k}={v}" for k, v in sorted(labels.items())])
        fams = match_metric(desc)
        anomalies = list(_get(s, "anomalies", None) or [])
        cps = list(_get(s, "change_points", None) or [])
        if not anomalies and not cps:
            continue
        svc = _metric_service(s, ma_name, list(services))
        tgts = _metric_targets(s)
        for fam in fams or [None]:
            want = fam.direction if fam else "any"
            moves = [a for a in anomalies if want == "any" or _get(a, "direction") == want]
            cmoves = [c for c in cps if want == "any" or _get(c, "direction") == want]
            if not moves and not cmoves:
                continue
            score = max([float(_get(a, "peak_score", 0) or 0) for a in moves] + [0.6 if cmoves else 0.0])
            mag = max([abs(float(_get(a, "magnitude", 0) or 0)) for a in moves]
                      + [abs(float(_get(c, "magnitude", 0) or 0)) for c in cmoves] + [0.0])
            times = [_dt(_get(a, "start")) for a in moves] + [_dt(_get(c, "time")) for c in cmoves]
            times = [t for t in times if t is not None]
            strong = [(_dt(_get(a, "start")), float(_get(a, "peak_score", 0) or 0)) for a in moves]
            strong = [t for t, sc in strong if t is not None and sc >= 0.5 * score]
            onset = min(strong + [_dt(_get(c, "time")) for c in cmoves if _dt(_get(c, "time"))]) if (strong or cmoves) else (min(times) if times else None)
            ends = [_dt(_get(a, "end")) for a in moves]
            end = max([e for e in ends if e is not None], default=None)
            strength = score * min(1.0, 0.55 + 0.45 * min(mag, 2.0) / 2.0 + (0.2 if mag >= 0.5 else 0.0))
            idx += 1
            fname = fam.name if fam else "metric_anomaly"
            role = fam.role if fam else "symptom"
            d = "up" if any(_get(a, "direction") == "up" for a in moves) else "down"
            ref = EvidenceRef(kind="metric_window", artifact_id=str(_get(ma, "artifact_id", "") or ""), artifact_name=ma_name,
                              series=name, start=onset, end=end,
                              excerpt=f"{name} {d} (score {score:.2f}, magnitude {mag:+.2f})")
            out.append(Observation(
                id=f"obs-{idx:05d}", modality="metric", family=fname, role=role,
                weights=dict(fam.weights) if fam else {}, service=svc, targets=tgts,
                culprit_rule=fam.culprit if fam else "emitter", time=onset, end=end, strength=round(min(1.0, strength), 4),
                novelty="surge", count=len(moves) + len(cmoves), title=f"{name} {d}", text=desc[:300], evidence=[ref],
                attributes={"artifact": ma_name, "series": name, "magnitude": round(mag, 3), "direction": d,
                            "labels": labels},
            ))
    return out


# --------------------------------------------------------------------------------------------
# Screenshots, notes, knowledge base
# --------------------------------------------------------------------------------------------
def screenshot_observations(sr: Any, start_index: int = 0) -> list[Observation]:
    """Panels whose title names a metric family and that show an anomaly in its bad direction."""
    out: list[Observation] = []
    idx = start_index
    name = str(_get(sr, "name", "") or _get(sr, "artifact_name", "") or "screenshot")
    for p in _get(sr, "panels", None) or []:
        title = str(_get(p, "title", "") or "")
        anomalies = list(_get(p, "anomalies", None) or [])
        if not title or not anomalies:
            continue
        for fam in match_metric(title) or [None]:
            want = fam.direction if fam else "any"
            moves = [a for a in anomalies if want == "any" or _get(a, "direction") == want]
            if not moves:
                continue
            times = sorted(t for t in (_dt(_get(a, "start")) for a in moves) if t is not None)
            bbox = _get(moves[0], "bbox", None) or _get(p, "bbox", None)
            idx += 1
            ref = EvidenceRef(kind="image_region", artifact_id=str(_get(sr, "artifact_id", "") or ""), artifact_name=name,
                              bbox=[int(x) for x in bbox] if bbox else None,
                              excerpt=f"panel '{title}' moves {_get(moves[0], 'direction', '')}")
            tnames = [canonical(x) for x in re.findall(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+", title.lower())]
            out.append(Observation(
                id=f"obs-{idx:05d}", modality="screenshot", family=fam.name if fam else "panel_anomaly",
                role=fam.role if fam else "symptom", weights=dict(fam.weights) if fam else {},
                service=tnames[0] if tnames else "", targets=tnames, culprit_rule=fam.culprit if fam else "emitter",
                time=times[0] if times else None, strength=0.55 if bool(_get(p, "alerting", False)) else 0.45,
                novelty="surge", count=len(moves), title=f"{title} ({name})", text=title, evidence=[ref],
                attributes={"artifact": name},
            ))
    return out


def note_observations(notes: Iterable[str], start_index: int = 0) -> list[Observation]:
    """Families named in the analyst's notes (weak: a note is a lead, not a measurement)."""
    out: list[Observation] = []
    idx = start_index
    for i, note in enumerate(notes):
        for fam in match_text(note):
            idx += 1
            tg = targets_in(note)
            out.append(Observation(
                id=f"obs-{idx:05d}", modality="note", family=fam.name, role=fam.role, weights=dict(fam.weights),
                service=tg[0] if tg else "", targets=tg, culprit_rule=fam.culprit, time=None, strength=0.3,
                novelty="unknown", title=f"analyst note {i + 1}: {fam.name}", text=note[:300],
                evidence=[EvidenceRef(kind="note", artifact_name=f"note {i + 1}", excerpt=note[:300])],
            ))
    return out

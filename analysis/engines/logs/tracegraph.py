"""Per-service activity and a trace-derived call graph, from logs whose records name their service (or pod)
and, ideally, a trace id.

Where the ids come from (first that applies, per file): a CSV export with a header row (``PodName``,
``service.name``, ``TraceID``, ``span_id``, ``ParentSpanID`` ... matched case- and separator-insensitively);
the fields of JSON/logfmt records (``service``, ``kubernetes.pod_name``, ``trace_id``, ``spanId`` ...); ids
written inline in the message (``TraceID: 4bf9... SpanID: 00f0...``). Pod names fold onto their service
(``ts-route-service-b6c59fb57-zv8dt`` -> ``ts-route-service``, :func:`services.strip_pod_hash`).

Call inference. With parent span ids, a span's caller is its parent's span. Without them (the usual case in
application logs) the records of one trace are ordered by time and a stack of open spans is kept: a span
(a span id, or one service's records when the log has no span ids) first seen while another span is the
innermost open one was called by it; a later record of an outer span closes everything opened after it
(they returned). The first service of a trace is its entry point. Per call the log also gives two gaps:
``in_ms`` (caller's last record before the call -> callee's first record: network and queueing on the way
in) and ``return_ms`` (last record inside the callee's subtree -> caller's next record: the way back).
"""

from __future__ import annotations

import csv
import functools
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from analysis.engines.logs.levels import rank
from analysis.engines.logs.models import (
    ServiceActivity,
    TraceEdge,
    TraceGraph,
    TraceSpan,
)
from analysis.engines.logs.records import RawRecord
from analysis.engines.logs.services import strip_pod_hash
from analysis.engines.logs.stats import minute_key, minute_label

MAX_RECORDS = 400_000   # records kept for call inference per file (activity counts everything)
MAX_SPANS = 20_000      # spans reported per file
MAX_PODS = 20
TAIL_S = 3.0            # a trace with records this close to the file's end may still be running
PROBE_RECORDS = 2_000   # a file that names one service and no trace id in this many records is not followed


@functools.lru_cache(maxsize=4096)
def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


SERVICE_KEYS = {"service", "servicename", "app", "appname", "application", "kuberneteslabelsapp", "svc",
                "resourceservicename", "k8sdeploymentname"}
POD_KEYS = {"podname", "pod", "kubernetespodname", "k8spodname", "kubernetespodnamespacepodname"}
CONTAINER_KEYS = {"container", "containername", "kubernetescontainername", "k8scontainername"}
TRACE_KEYS = {"traceid", "trace", "oteltraceid", "ddtraceid", "xb3traceid"}
SPAN_KEYS = {"spanid", "span", "otelspanid", "ddspanid", "xb3spanid"}
PARENT_KEYS = {"parentspanid", "parentid", "parent", "xb3parentspanid"}
_ROLE = {k: role for role, keys in (("service", SERVICE_KEYS), ("pod", POD_KEYS), ("trace", TRACE_KEYS),
                                    ("span", SPAN_KEYS), ("parent", PARENT_KEYS)) for k in keys}

_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{5,63}$")
_NULL_ID = re.compile(r"^[0\-]+$")
_HEADER_FIELD = re.compile(r"^[A-Za-z_@][\w.\-@]*$")
_INLINE_TRACE = re.compile(r"\btrace[_\-. ]?id\b[\"']?\s*[:=]\s*[\"']?([0-9a-fA-F][0-9a-fA-F\-]{7,63})", re.IGNORECASE)
_INLINE_SPAN = re.compile(r"\bspan[_\-. ]?id\b[\"']?\s*[:=]\s*[\"']?([0-9a-fA-F][0-9a-fA-F\-]{5,63})", re.IGNORECASE)


def _clean_id(v: str | None) -> str:
    v = (v or "").strip()
    return v if _ID.match(v) and not _NULL_ID.match(v) else ""


@dataclass
class CsvLayout:
    """Column positions of a CSV export's header row (-1: absent)."""

    width: int
    service: int = -1
    pod: int = -1
    container: int = -1
    trace: int = -1
    span: int = -1
    parent: int = -1

    def describe(self, header: list[str]) -> str:
        cols = [header[i] for i in (self.service, self.pod, self.container, self.trace, self.span, self.parent) if i >= 0]
        return "CSV columns " + ", ".join(cols)


def csv_layout(line: str) -> CsvLayout | None:
    """A CSV header row naming a service/pod column (and maybe trace/span columns), else None."""
    if line.count(",") < 2:
        return None
    try:
        header = next(csv.reader([line.lstrip("\ufeff")]))
    except (csv.Error, StopIteration):
        return None
    if not all(_HEADER_FIELD.match(h.strip()) for h in header):
        return None
    lay = CsvLayout(width=len(header))
    for i, h in enumerate(header):
        k = _norm(h)
        for attr, keys in (("service", SERVICE_KEYS), ("pod", POD_KEYS), ("container", CONTAINER_KEYS),
                           ("trace", TRACE_KEYS), ("span", SPAN_KEYS), ("parent", PARENT_KEYS)):
            if k in keys and getattr(lay, attr) < 0:
                setattr(lay, attr, i)
    if lay.service < 0 and lay.pod < 0 and lay.container < 0:
        return None
    return lay


def _service_name(service: str | None, pod: str | None, container: str | None) -> tuple[str, str]:
    """(service, pod): an explicit service wins, then the pod name without its hash, then the container."""
    pod = (pod or "").strip()
    svc = (service or "").strip() or (strip_pod_hash(pod) if pod else "") or (container or "").strip()
    return svc, pod


@dataclass
class _Rec:
    t: float
    seq: int
    service: str
    span: str
    parent: str
    err: bool
    cid: int


@dataclass
class _Span:
    service: str
    start: float
    cid: int
    records: int = 0
    errors: int = 0
    calls: list[list] = field(default_factory=list)  # [callee, t, in_s, return_s | None]


@dataclass
class _Activity:
    pods: dict[str, None] = field(default_factory=dict)
    records: int = 0
    errors: int = 0
    warnings: int = 0
    per_minute: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    err_minute: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    warn_minute: dict[int, int] = field(default_factory=lambda: defaultdict(int))


class TraceCollector:
    """Fed every record of one file (with its template cluster index); ``build`` gives the graph."""

    def __init__(self) -> None:
        self.layout: CsvLayout | None = None
        self.header: list[str] = []
        self.sources: set[str] = set()
        self.activity: dict[str, _Activity] = {}
        self.traces: dict[str, list[_Rec]] = defaultdict(list)
        self.kept = 0
        self.truncated = False
        self.seq = 0
        self.seen = 0
        self.off = False

    def _ids(self, raw: RawRecord) -> tuple[str, str, str, str, str] | None:
        """(service, pod, trace, span, parent) of one record, or None when it names no service."""
        if raw.line_start == 1 and self.layout is None and raw.parsed is None:
            self.layout = csv_layout(raw.first_line)
            if self.layout is not None:
                self.header = next(csv.reader([raw.first_line.lstrip("\ufeff")]))
            return None
        lay = self.layout
        if lay is not None:
            try:
                row = next(csv.reader([raw.first_line]))
            except (csv.Error, StopIteration):
                return None
            if len(row) != lay.width:
                return None
            get = lambda i: row[i] if i >= 0 else ""
            svc, pod = _service_name(get(lay.service), get(lay.pod), get(lay.container))
            self.sources.add(lay.describe(self.header))
            return svc, pod, _clean_id(get(lay.trace)), _clean_id(get(lay.span)), _clean_id(get(lay.parent))
        p = raw.parsed
        if p is None:
            return None
        found: dict[str, str] = {}  # role -> the first field (in record order) whose normalised key has that role
        for k, v in p.fields.items():
            role = _ROLE.get(_norm(k))
            if role is not None and role not in found:
                found[role] = v
        svc, pod = _service_name(p.service or found.get("service", ""), found.get("pod") or p.fields.get("pod"), "")
        trace = _clean_id(found.get("trace", ""))
        span, parent = _clean_id(found.get("span", "")), _clean_id(found.get("parent", ""))
        src = "record fields"
        if not trace:
            m = _INLINE_TRACE.search(p.message[:2000])
            if m:
                trace, src = _clean_id(m.group(1)), "ids in the message"
                ms = _INLINE_SPAN.search(p.message[:2000])
                span = _clean_id(ms.group(1)) if ms else ""
        if not svc:
            return None
        self.sources.add(src if trace else "service field")
        return svc, pod, trace, span, parent

    def add(self, raw: RawRecord, cid: int) -> None:
        if self.off:
            return
        self.seen += 1
        if self.seen == PROBE_RECORDS and len(self.activity) < 2 and not self.traces:
            # one service's own log with no trace ids: no graph will come of it, stop paying per record
            self.off = True
            self.activity.clear()
            return
        ids = self._ids(raw)
        if ids is None:
            return
        svc, pod, trace, span, parent = ids
        if not svc:
            return
        p = raw.parsed
        ts = p.timestamp if p is not None else None
        r = rank(p.level if p is not None else None)
        act = self.activity.get(svc)
        if act is None:
            act = self.activity[svc] = _Activity()
        act.records += 1
        if pod and len(act.pods) < MAX_PODS:
            act.pods[pod] = None
        if r >= 4:
            act.errors += 1
        elif r == 3:
            act.warnings += 1
        if ts is not None:
            mk = minute_key(ts)
            act.per_minute[mk] += 1
            if r >= 4:
                act.err_minute[mk] += 1
            elif r == 3:
                act.warn_minute[mk] += 1
        if not trace or ts is None:
            return
        if self.kept >= MAX_RECORDS:
            self.truncated = True
            return
        self.kept += 1
        self.seq += 1
        self.traces[trace].append(_Rec(ts.timestamp(), self.seq, svc, span, parent, r >= 4, cid))

    def build(self, template_ids: list[str]) -> TraceGraph | None:
        """The graph, or None when the records name fewer than two services."""
        if len(self.activity) < 2:
            return None
        services = [ServiceActivity(service=s, pods=list(a.pods), records=a.records, errors=a.errors, warnings=a.warnings,
                                    per_minute={minute_label(k): v for k, v in sorted(a.per_minute.items())},
                                    errors_per_minute={minute_label(k): v for k, v in sorted(a.err_minute.items())},
                                    warnings_per_minute={minute_label(k): v for k, v in sorted(a.warn_minute.items())})
                    for s, a in sorted(self.activity.items())]
        end = max((r.t for recs in self.traces.values() for r in recs), default=0.0)
        entry: dict[str, int] = defaultdict(int)
        edge_calls: dict[tuple[str, str], list[tuple[str, float, float | None]]] = defaultdict(list)
        out: list[TraceSpan] = []
        truncated = self.truncated
        for trace in sorted(self.traces, key=lambda k: min(r.t for r in self.traces[k])):
            recs = sorted(self.traces[trace], key=lambda r: (r.t, r.seq))
            entry[recs[0].service] += 1
            tail = end - recs[-1].t < TAIL_S
            for sp in _infer_spans(recs).values():
                for callee, _t, in_s, ret_s in sp.calls:
                    edge_calls[(sp.service, callee)].append((trace, in_s, ret_s))
                if len(out) >= MAX_SPANS:
                    truncated = True
                    continue
                out.append(TraceSpan(
                    trace=trace, service=sp.service, op=template_ids[sp.cid] if 0 <= sp.cid < len(template_ids) else "",
                    start=datetime.fromtimestamp(sp.start, tz=UTC), records=sp.records, errors=sp.errors, tail=tail,
                    callees=[c[0] for c in sp.calls], call_offsets_ms=[round((c[1] - sp.start) * 1000, 3) for c in sp.calls],
                    in_ms=[round(c[2] * 1000, 3) for c in sp.calls],
                    return_ms=[None if c[3] is None else round(c[3] * 1000, 3) for c in sp.calls]))
        edges = []
        for (a, b), calls in sorted(edge_calls.items()):
            ins = [c[1] * 1000 for c in calls]
            rets = [c[2] * 1000 for c in calls if c[2] is not None]
            edges.append(TraceEdge(caller=a, callee=b, calls=len(calls), traces=len({c[0] for c in calls}),
                                   median_in_ms=round(statistics.median(ins), 3) if ins else None,
                                   median_return_ms=round(statistics.median(rets), 3) if rets else None))
        return TraceGraph(source="; ".join(sorted(self.sources)), services=services, edges=edges,
                          entry_services=dict(sorted(entry.items())), traces=len(self.traces), spans=out,
                          truncated=truncated)


def _infer_spans(recs: list[_Rec]) -> dict[str, _Span]:
    """Spans of one trace (records in time order) with their outgoing calls (see the module docstring)."""
    spans: dict[str, _Span] = {}
    stack: list[str] = []
    call_of: dict[str, list] = {}  # child span key -> its call entry on the caller
    prev_t: float | None = None
    for r in recs:
        key = r.span or ("svc:" + r.service)
        sp = spans.get(key)
        if sp is not None:
            if key in stack:
                i = stack.index(key)
                if i < len(stack) - 1:
                    call = call_of.get(stack[i + 1])
                    if call is not None and call[3] is None and prev_t is not None:
                        call[3] = r.t - prev_t
                    del stack[i + 1:]
        else:
            sp = spans[key] = _Span(service=r.service, start=r.t, cid=r.cid)
            caller: str | None = None
            if r.parent and r.parent in spans:
                caller = r.parent
                if caller in stack:
                    del stack[stack.index(caller) + 1:]
            elif not r.parent and stack:
                caller = stack[-1]
            if caller is not None and spans[caller].service != r.service and prev_t is not None:
                call = [r.service, r.t, r.t - prev_t, None]
                spans[caller].calls.append(call)
                call_of[key] = call
            stack.append(key)
        sp.records += 1
        sp.errors += int(r.err)
        prev_t = r.t
    return spans

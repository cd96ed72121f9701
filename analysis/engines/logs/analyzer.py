"""One streaming pass over a log: records -> templates -> statistics -> :class:`LogAnalysis`.

Also :func:`iter_assignments`, the per-line template assignment (continuation lines get their
record's template); it keeps 12 bytes per record so the final, fully generalised template of
every line can be reported after the input is consumed.
"""

from __future__ import annotations

from array import array
from datetime import datetime
from typing import Iterable, Iterator

from analysis.engines.logs import findings as fnd
from analysis.engines.logs.levels import rank
from analysis.engines.logs.miner import TemplateMiner, template_id
from analysis.engines.logs.models import LogAnalysis, TemplateStat
from analysis.engines.logs.records import RawRecord, RecordReader, is_table_header
from analysis.engines.logs.stats import (MAX_ERROR_KEYS, SAMPLE_CHARS, AccessAcc, EntityCounter, ErrorCluster,
                                         Occurrence, TemplateAcc, minute_label)
from analysis.engines.logs.access import path_template
from analysis.engines.logs.tracegraph import TraceCollector


def mine_record(miner: TemplateMiner, raw: RawRecord) -> int:
    """Cluster index of a record (-1 for records without text, e.g. a table header)."""
    p = raw.parsed
    if p is not None and p.fixed_template is not None:
        return miner.add_fixed(p.fixed_template)
    if is_table_header(p):
        return -1
    text = raw.mine_text
    if not text.strip():
        for ln in raw.extra:
            if ln.strip():
                text = ln
                break
        else:
            return -1
    return miner.add(text)


def final_templates(miner: TemplateMiner) -> tuple[list[str], list[str]]:
    """Per cluster index: final template text and its stable id."""
    texts = [t for _, t, _ in miner.templates()]
    return texts, [template_id(t) for t in texts]


def iter_assignments(lines: Iterable[str], name: str = "", *, now: datetime | None = None,
                     miner: TemplateMiner | None = None) -> Iterator[tuple[int, str, str]]:
    """(line number, template id, template) for every input line, in order."""
    miner = miner or TemplateMiner()
    reader = RecordReader(name, now=now)
    starts, ends, cids = array("I"), array("I"), array("i")
    for raw in reader(lines):
        starts.append(raw.line_start)
        ends.append(raw.line_end)
        cids.append(mine_record(miner, raw))
    texts, ids = final_templates(miner)
    line = 1
    for s, e, c in zip(starts, ends, cids):
        while line < s:  # not expected; keeps the one-row-per-line contract
            yield line, "", ""
            line += 1
        tid, tpl = (ids[c], texts[c]) if c >= 0 else ("", "")
        for ln in range(s, e + 1):
            yield ln, tid, tpl
        line = e + 1


def _excerpt(raw: RawRecord) -> str:
    text = raw.first_line
    if raw.extra:
        text = text + "\n" + "\n".join(raw.extra[:6])
    return text[:SAMPLE_CHARS]


def analyze_log(lines: Iterable[str], *, artifact_id: str, name: str, now: datetime | None = None,
                year_hint: int | None = None, miner: TemplateMiner | None = None) -> LogAnalysis:
    """Detect the format, mine templates and derive findings in one bounded-memory pass."""
    miner = miner or TemplateMiner()
    reader = RecordReader(name, now=now, year_hint=year_hint)
    accs: dict[int, TemplateAcc] = {}
    entities = EntityCounter()
    access = AccessAcc()
    errors: dict[str, ErrorCluster] = {}
    traces = TraceCollector()
    total_errors = 0
    first_err: tuple[datetime | None, int, Occurrence, str | None, str | None, int] | None = None
    record_count = 0
    ts_lines = 0
    start: datetime | None = None
    end: datetime | None = None
    first_line, first_excerpt = 1, ""
    for raw in reader(lines):
        p = raw.parsed
        if is_table_header(p):
            continue
        record_count += 1
        if record_count == 1:
            first_line, first_excerpt = raw.line_start, raw.first_line[:SAMPLE_CHARS]
        cid = mine_record(miner, raw)
        traces.add(raw, cid)
        ts = p.timestamp if p is not None else None
        level = p.level if p is not None else None
        service = p.service if p is not None else None
        if ts is not None:
            ts_lines += raw.line_end - raw.line_start + 1
            if start is None or ts < start:
                start = ts
            if end is None or ts > end:
                end = ts
        if cid >= 0:
            acc = accs.get(cid)
            if acc is None:
                acc = accs[cid] = TemplateAcc()
            acc.add(raw.line_start, raw.line_end, ts, level, service, lambda: _excerpt(raw))
        if p is not None:
            f = p.fields
            entities.add("hosts", p.host)
            entities.add("services", service)
            entities.add("components", p.component)
            if "status" in f:
                entities.add("status_codes", f["status"])
                if "path" in f:
                    entities.add("endpoints", f"{f.get('method', '')} {path_template(f['path'])}".strip())
                access.add(ts, f.get("status"), f.get("latency_ms"), f.get("upstream") and (service or f["upstream"]))
            entities.add("users", f.get("user"))
            if "reason" in f and p.family == "k8s-events":
                entities.add("k8s_reasons", f["reason"])
        ex = raw.exception() if (raw.extra or (p is not None and "exception" in p.fields)) else None
        r = rank(level)
        if r >= 4 or (ex is not None and bool(raw.extra)):
            total_errors += 1
            if ex is not None:
                key = ex[0] + "|" + "|".join(ex[1][:2])
                entities.add("exceptions", ex[0])
            else:
                key = f"tpl:{cid}"
            c = errors.get(key)
            if c is None and len(errors) < MAX_ERROR_KEYS:
                c = errors[key] = ErrorCluster(key=key, exception=ex[0] if ex else None, frames=ex[1] if ex else [])
            if c is not None:
                c.count += 1
                if cid >= 0:
                    c.template_ids[cid] += 1
                if c.first is None:
                    c.first = Occurrence(raw.line_start, raw.line_end, ts, _excerpt(raw))
                if ts is not None and (c.last_seen is None or ts > c.last_seen):
                    c.last_seen = ts
                if service:
                    c.services[service] += 1
                if rank(c.level) < r:
                    c.level = level
            if first_err is None or (ts is not None and (first_err[0] is None or ts < first_err[0])):
                first_err = (ts, raw.line_start, Occurrence(raw.line_start, raw.line_end, ts, _excerpt(raw)),
                             level, service, cid)
    texts, ids = final_templates(miner)
    # Merge clusters whose final templates coincide.
    merged: dict[str, TemplateAcc] = {}
    for cid in sorted(accs):
        tid = ids[cid]
        a = accs[cid]
        m = merged.get(tid)
        if m is None:
            merged[tid] = a
            continue
        m.count += a.count
        m.errors += a.errors
        if a.level_rank > m.level_rank:
            m.level_rank, m.level = a.level_rank, a.level
        if a.first_seen and (m.first_seen is None or a.first_seen < m.first_seen):
            m.first_seen = a.first_seen
        if a.last_seen and (m.last_seen is None or a.last_seen > m.last_seen):
            m.last_seen = a.last_seen
        if a.first and (m.first is None or a.first.line_start < m.first.line_start):
            m.first = a.first
        m.lines = sorted(m.lines + a.lines)[:50]
        for k, v in a.per_minute.items():
            m.per_minute[k] = m.per_minute.get(k, 0) + v
            if k not in m.minute_line or a.minute_line[k] < m.minute_line[k]:
                m.minute_line[k] = a.minute_line[k]
        m.services.update(a.services)
    tid_text = {ids[c]: texts[c] for c in accs}
    stats: list[TemplateStat] = []
    for tid, a in merged.items():
        stats.append(TemplateStat(
            id=tid, template=tid_text[tid], count=a.count, level=a.level, first_seen=a.first_seen,
            last_seen=a.last_seen, first_line=a.first.line_start if a.first else 0,
            sample=a.first.excerpt if a.first else "", lines=a.lines,
            per_minute={minute_label(k): v for k, v in sorted(a.per_minute.items())},
            services=dict(sorted(a.services.items())), is_error=a.level_rank >= 4))
    stats.sort(key=lambda t: (-t.count, t.id))
    err_list = list(errors.values())
    for c in err_list:
        c.template_ids = type(c.template_ids)({ids[k]: v for k, v in c.template_ids.items()})
    top = entities.top(10)
    findings = []
    findings += fnd.error_cluster_findings(err_list, artifact_id, name, tid_text, total_errors)
    if first_err is not None:
        findings += fnd.first_error_finding(first_err[2], first_err[3], first_err[4],
                                            ids[first_err[5]] if first_err[5] >= 0 else None, artifact_id, name)
    findings += fnd.new_template_findings(stats, merged, start, end, artifact_id, name)
    findings += fnd.rate_change_findings(stats, merged, start, end, artifact_id, name)
    findings += fnd.top_entities_finding(top, artifact_id, name, first_line, first_excerpt, start, end)
    counts = reader.format_counts
    fmt = "unknown"
    notes: list[str] = []
    if counts:
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        fmt = ranked[0][0]
        tot = sum(counts.values())
        others = [f"{k} ({v})" for k, v in ranked[1:4] if v / tot >= 0.02]
        if others:
            notes.append("mixed formats: " + fmt + f" ({ranked[0][1]}), " + ", ".join(others))
    line_count = reader.line_count
    if line_count and ts_lines / line_count < 0.99:
        notes.append(f"{line_count - ts_lines} of {line_count} lines carry no timestamp")
    svc = sorted({s for s, _ in entities.counters.get("services", {}).items()})
    return LogAnalysis(artifact_id=artifact_id, name=name, format=fmt, line_count=line_count,
                       record_count=record_count, timestamped_lines=ts_lines, start=start, end=end,
                       templates=stats, findings=findings, entities=top, access_per_minute=access.table(),
                       services=svc, notes=notes, trace_graph=traces.build(ids))

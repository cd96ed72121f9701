"""THROWAWAY development stand-in for analysis.engines.logs (used only until the real engine lands).

Crude timestamp extraction and digit masking producing objects with LogAnalysis/TemplateStat
attribute names. Not part of the product.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

MON = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?")
APA = re.compile(r"\[(\d{2})/(\w{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*([+-]\d{4})?\]")
SYS = re.compile(r"^(\w{3})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2})")
DMY = re.compile(r"(\d{1,2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})")
SLASH = re.compile(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})")
LVL = re.compile(r"\b(FATAL|CRITICAL|CRIT|ERROR|ERR|WARN|WARNING|INFO|DEBUG|TRACE|PANIC)\b")


def _ts(line: str, year: int):
    m = ISO.search(line)
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
        frac = m.group(7) or "0"
        t = datetime(y, mo, d, h, mi, s, int(frac[:6].ljust(6, "0")), tzinfo=timezone.utc)
        tz = m.group(8)
        if tz and tz not in ("Z", "UTC"):
            sign = 1 if tz[0] == "+" else -1
            tz = tz[1:].replace(":", "")
            t -= sign * timedelta(hours=int(tz[:2]), minutes=int(tz[2:]))
        return t, m.span()
    m = APA.search(line)
    if m:
        d, mo, y, h, mi, s, tz = m.groups()
        t = datetime(int(y), MON[mo.lower()], int(d), int(h), int(mi), int(s), tzinfo=timezone.utc)
        if tz:
            sign = 1 if tz[0] == "+" else -1
            t -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[3:]))
        return t, m.span()
    m = SLASH.search(line)
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups())
        return datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc), m.span()
    m = DMY.search(line)
    if m and m.group(2).lower() in MON:
        d, mo, y, h, mi, s = m.groups()
        return datetime(int(y), MON[mo.lower()], int(d), int(h), int(mi), int(s), tzinfo=timezone.utc), m.span()
    m = SYS.search(line)
    if m and m.group(1).lower() in MON:
        mo, d, h, mi, s = m.groups()
        return datetime(year, MON[mo.lower()], int(d), int(h), int(mi), int(s), tzinfo=timezone.utc), m.span()
    return None, None


def _mask(s: str) -> str:
    s = re.sub(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<*>", s)
    s = re.sub(r"\b\d+\.\d+\.\d+\.\d+(:\d+)?\b", "<*>", s)
    s = re.sub(r"\b(?=[a-z0-9_-]*\d)[A-Za-z0-9_-]{6,}\b", "<*>", s)
    s = re.sub(r"\d+(\.\d+)?", "<*>", s)
    return s[:300]


def analyze(text: str, name: str, artifact_id: str = "") -> SimpleNamespace:
    year = 2024
    m = re.search(r"(20\d\d)", text[:5000])
    if m:
        year = int(m.group(1))
    groups: dict[str, dict] = {}
    cur_ts = None
    start = end = None
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        svc = None
        msg = line
        lvl = ""
        if line.lstrip().startswith("{"):
            try:
                j = json.loads(line)
                t = None
                for k in ("@timestamp", "timestamp", "time", "ts"):
                    if k in j:
                        v = j[k]
                        if isinstance(v, (int, float)):
                            t = datetime.fromtimestamp(v / 1000 if v > 1e11 else v, tz=timezone.utc)
                        else:
                            t, _ = _ts(str(v), year)
                        break
                msg = str(j.get("msg") or j.get("message") or "")
                err = j.get("err") or j.get("error")
                if isinstance(err, dict):
                    msg += " " + str(err.get("message", ""))
                elif err:
                    msg += " " + str(err)
                for k in ("key", "old", "new"):
                    if k in j and isinstance(j[k], (str, int, float)):
                        msg += f" {k}={j[k]}"
                lvl = str(j.get("level", ""))
                if lvl.isdigit():
                    lvl = {"60": "fatal", "50": "error", "40": "warn", "30": "info", "20": "debug"}.get(lvl, "info")
                svc = j.get("app") or j.get("hostname") or j.get("service")
                if svc and isinstance(svc, str):
                    svc = svc
            except Exception:  # noqa: BLE001
                t, span = _ts(line, year)
        else:
            t, span = _ts(line, year)
            if span:
                msg = line[span[1]:]
            mp = re.match(r"\[pod/([^/\]]+)", line)
            if mp:
                svc = mp.group(1)
            ms = re.match(r"^\w{3}\s+\d+ [\d:]+ (\S+) ", line) or re.match(r"^\S+ (ip-[\d-]+) ", line)
            if ms:
                svc = ms.group(1)
        if t is None:
            t = cur_ts
        else:
            cur_ts = t
        if not lvl:
            lm = LVL.search(line[:200])
            lvl = lm.group(1).lower() if lm else ""
        tpl = _mask(msg.strip())
        g = groups.get(tpl)
        if g is None:
            g = groups[tpl] = dict(template=tpl, count=0, level=lvl, first_seen=t, last_seen=t, first_line=i, sample=line[:500],
                                   lines=[], per_minute=defaultdict(int), services=defaultdict(int))
        g["count"] += 1
        if len(g["lines"]) < 50:
            g["lines"].append(i)
        if t is not None:
            if g["first_seen"] is None:
                g["first_seen"] = t
            g["last_seen"] = t
            g["per_minute"][t.replace(second=0, microsecond=0).isoformat()] += 1
            start = t if start is None or t < start else start
            end = t if end is None or t > end else end
        if svc:
            g["services"][svc] += 1
    tpls = []
    for k, g in enumerate(groups.values()):
        g["id"] = f"T{k}"
        g["per_minute"] = dict(g["per_minute"])
        g["services"] = dict(g["services"])
        g["is_error"] = g["level"] in ("error", "fatal", "critical", "crit", "err", "panic")
        tpls.append(SimpleNamespace(**g))
    return SimpleNamespace(artifact_id=artifact_id, name=name, templates=tpls, findings=[], entities=[], access_per_minute=[],
                           services=[], start=start, end=end)

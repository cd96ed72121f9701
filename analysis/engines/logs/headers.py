"""Line header recognition without configuration: split a line into timestamp, level, host,
component, pid, service and message.

:class:`LineParser` is stateful per file (timestamp pattern order, year inference, a
``kubectl get events`` table header). ``parse`` returns ``None`` for a line that carries no
header of its own (a candidate continuation line). Families: JSON lines, logfmt, access logs
(combined/ingress, Envoy, HAProxy inside syslog), RFC 5424 and 3164 syslog, ISO/compact/ctime
timestamped application logs (log4j, logback/Spring Boot, Python, Go, klog, PostgreSQL, MySQL,
nginx/Apache error, Zookeeper, HDFS, pipe-delimited) and Kubernetes event tables.
"""

from __future__ import annotations

import re

from analysis.engines.logs import access, services
from analysis.engines.logs.levels import LEVEL_WORDS, normalize_level
from analysis.engines.logs.structured import StructuredFields, parse_json, parse_logfmt, parse_logfmt_pairs
from analysis.engines.logs.timestamps import TimestampReader, parse_iso
from analysis.engines.logs.header_patterns import (
    bracket_end,
    _ERROR_WORDS,
    _K8S_HEADER,
    _K8S_PREFIX,
    _KLOG_INNER,
    _LEVEL_PREFIX,
    _LEVEL_START,
    ParsedLine,
    _PREFIX,
    _REDIS_PREFIX,
    _SEPS,
    _SYSLOG_PRI,
)
from analysis.engines.logs.header_scan import HeaderScan


class LineParser(HeaderScan):
    """Parses lines of one file; keeps per-file state between lines."""

    def __init__(self, reader: TimestampReader) -> None:
        self.ts = reader
        self.k8s_columns: list[str] | None = None

    # -- entry point ------------------------------------------------------------------------
    def parse(self, line: str) -> ParsedLine | None:
        if not line or line[0] in " \t" or line.isspace():
            return None  # indented lines continue the previous record (stack frames, wrapped text)
        service = None
        s = line
        m = _K8S_PREFIX.match(s)
        if m:
            service = m.group("container") or services.strip_pod_hash(m.group("pod"))
            s = s[m.end():]
        p = self._parse(s)
        if p is not None and service and not p.service:
            p.service = service
        if p is not None and m:
            p.fields.setdefault("pod", m.group("pod"))
        if p is not None and p.level is None and p.message:
            lm = _ERROR_WORDS.search(p.message[:300])
            if lm:
                p.level = "WARN" if lm.group(0).lower().startswith("warn") else "ERROR"
                p.fields["level_inferred"] = "1"
        return p

    def _parse(self, s: str) -> ParsedLine | None:
        if not s:
            return None
        c0 = s[0]
        if self.k8s_columns is not None and not c0.isspace():
            p = self._k8s_row(s)
            if p is not None:
                return p
        if _K8S_HEADER.match(s):
            self.k8s_columns = [c.strip() for c in re.split(r"\s{2,}", s.strip())]
            return ParsedLine(message="", family="k8s-events", fields={"table_header": "1"})
        if c0 == "{":
            sf = parse_json(s)
            if sf is not None:
                return self._from_structured(sf, "json")
        if c0 == "[":
            hit = access.parse_envoy(s)
            if hit is not None:
                return self._from_access(hit)
        elif c0.isalnum() or c0 == ":":
            if " [" in s[:120] and '] "' in s[:200]:
                hit = access.parse_combined(s)
                if hit is not None:
                    return self._from_access(hit)
        p = self._parse_text(s)
        if p is not None:
            return p
        if "=" in s[:40] and re.match(r"^[A-Za-z_@][\w.\-]*=", s):
            sf = parse_logfmt(s)
            if sf is not None:
                return self._from_structured(sf, "logfmt")
        m = _LEVEL_PREFIX.match(s)
        if m and normalize_level(m.group("lvl")):
            return ParsedLine(message=m.group("msg"), family="python-basic",
                              level=normalize_level(m.group("lvl")), component=m.group("logger"))
        m = _LEVEL_START.match(s)
        if m and m.group("lvl").upper() in LEVEL_WORDS:
            return ParsedLine(message=m.group("msg"), family="level-prefixed", level=LEVEL_WORDS[m.group("lvl").upper()])
        return None

    # -- structured families -----------------------------------------------------------------
    def _from_structured(self, sf: StructuredFields, family: str) -> ParsedLine:
        p = ParsedLine(message=sf.message, family=family, timestamp=sf.timestamp, level=sf.level,
                       host=sf.host, component=sf.component, pid=sf.pid, service=sf.service,
                       fields=sf.fields)
        msg = sf.message
        if family == "json" and msg and msg[:1] not in "{[" and "log" in sf.fields and sf.fields.get("log") == msg:
            inner = self._parse_text(msg.rstrip())
            if inner is not None:
                inner.fields.update({k: v for k, v in sf.fields.items() if k != "log"})
                inner.timestamp = inner.timestamp or sf.timestamp
                inner.family = "docker-json/" + inner.family
                return inner
        if "status" in sf.fields and "path" in sf.fields:
            p.fields["path"] = sf.fields["path"]
            p.mine_text = None
        return p

    def _from_access(self, hit: access.AccessHit) -> ParsedLine:
        return ParsedLine(message=hit.message, family=hit.family, timestamp=hit.timestamp, level=hit.level,
                          service=hit.service, fields=hit.fields, fixed_template=hit.template)

    def _k8s_row(self, s: str) -> ParsedLine | None:
        cols = self.k8s_columns or []
        parts = s.split(None, len(cols) + 1)
        # Column names may contain one space ("LAST SEEN"); values never do, except MESSAGE.
        if len(parts) < len(cols):
            return None
        vals = s.split(None, len(cols) - 1)
        if len(vals) < len(cols):
            return None
        row = dict(zip(cols, vals))
        if "REASON" not in row or "MESSAGE" not in row:
            return None
        typ = row.get("TYPE", "")
        if typ not in ("Normal", "Warning", "Error"):
            return None
        first = row.get("FIRST SEEN")
        last = row.get("LAST SEEN")
        ts = parse_iso(first) if first else None
        if ts is None and last:
            ts = parse_iso(last)
        obj = row.get("OBJECT", row.get("INVOLVED OBJECT", ""))
        svc, host = services.from_k8s_object(obj)
        fields = {"reason": row["REASON"], "object": obj, "type": typ}
        for k in ("COUNT", "NAMESPACE", "SOURCE"):
            if k in row:
                fields[k.lower()] = row[k]
        if last and first:
            fields["last_seen"] = last
        level = "WARN" if typ == "Warning" else "ERROR" if typ == "Error" else "INFO"
        return ParsedLine(message=row["MESSAGE"], family="k8s-events", timestamp=ts, level=level, host=host,
                          component=row["REASON"], service=svc, fields=fields,
                          mine_text=f"{row['REASON']}: {row['MESSAGE']}")

    # -- text headers ------------------------------------------------------------------------
    def _parse_text(self, s: str) -> ParsedLine | None:
        level = None
        pri = _SYSLOG_PRI.match(s)
        pos = 0
        if pri:
            level = ("FATAL", "FATAL", "FATAL", "ERROR", "WARN", "INFO", "INFO", "DEBUG")[int(pri.group("pri")) % 8]
            pos = pri.end()
            if pri.group("ver"):
                return self._rfc5424(s, pos, level)
        prefix = None
        bracketed = s.startswith("[", pos)
        tm = self.ts.match(s, pos + 1 if bracketed else pos)
        if tm is None and not bracketed:
            # Up to four short leading fields before the timestamp (alert flags, node ids, file names).
            p2 = pos
            for _ in range(4):
                pm = _PREFIX.match(s, p2)
                if pm is None or pm.end() > 90:
                    break
                p2 = pm.end()
                b2 = s.startswith("[", p2)
                tm = self.ts.match(s, p2 + 1 if b2 else p2)
                if tm is not None:
                    prefix = s[pos:p2].strip()
                    bracketed = b2
                    break
        if tm is None:
            return None
        pos = tm.end
        if bracketed:
            close = s.find("]", pos, pos + 12)
            if close < 0:
                return None
            pos = close + 1
        p = ParsedLine(message="", family=f"text:{tm.pattern}", timestamp=tm.dt, level=tm.level or level)
        if prefix:
            rm = _REDIS_PREFIX.match(prefix)
            if rm:
                p.pid = rm.group("pid")
                p.fields["role"] = rm.group("role")
            elif prefix not in _SEPS:
                p.fields["prefix"] = prefix
        if tm.pattern == "syslog":
            p.family = "syslog"
        elif tm.pattern == "ctime":
            p.family = "apache-error"
        elif tm.pattern == "klog":
            p.family = "klog"
        if pos < len(s) and s[pos] == ",":
            pos += 1
        if pos < len(s) and s[pos] == "|":
            return self._pipe_header(s, pos, p)
        self._greedy(s, pos, p)
        self._inner(p)
        return p

    def _rfc5424(self, s: str, pos: int, level: str | None) -> ParsedLine | None:
        parts = s[pos:].split(" ", 5)
        if len(parts) < 6:
            return None
        ts_s, host, app, procid, msgid, rest = parts
        dt = parse_iso(ts_s) if ts_s != "-" else None
        if rest.startswith("["):
            end = bracket_end(rest, 0)
            while end >= 0 and rest[end + 1:end + 2] == "[":
                end = bracket_end(rest, end + 1)
            sd, msg = (rest[: end + 1], rest[end + 1:].lstrip()) if end >= 0 else ("", rest)
        elif rest.startswith("- ") or rest == "-":
            sd, msg = "", rest[2:]
        else:
            sd, msg = "", rest
        msg = msg.lstrip("\ufeff")
        p = ParsedLine(message=msg, family="syslog-5424", timestamp=dt, level=level,
                       host=None if host == "-" else host, component=None if app == "-" else app,
                       pid=None if procid == "-" else procid,
                       service=None if app == "-" else services.from_program(app))
        if msgid != "-":
            p.fields["msgid"] = msgid
        if sd:
            p.fields.update(parse_logfmt_pairs(sd))
        self._inner(p)
        return p

    def _pipe_header(self, s: str, pos: int, p: ParsedLine) -> ParsedLine:
        parts = s[pos + 1:].split("|")
        i = 0
        while i < len(parts) - 1 and i < 3 and parts[i] and re.fullmatch(r"[\w.$\-:]+", parts[i]):
            v = parts[i]
            if v.isdigit() and p.pid is None:
                p.pid = v
            elif p.component is None:
                p.component = v
            elif normalize_level(v) and p.level is None:
                p.level = normalize_level(v)
            i += 1
        p.message = "|".join(parts[i:])
        p.family = "pipe-delimited"
        return p

    def _inner(self, p: ParsedLine) -> None:
        """Messages that are themselves structured: HAProxy, klog, logfmt, JSON inside syslog."""
        msg = p.message
        if not msg:
            return
        c0 = msg[0]
        if c0.isdigit() and "[" in msg[:60]:
            hit = access.parse_haproxy(msg)
            if hit is not None:
                p.family = "haproxy"
                p.timestamp = hit.timestamp or p.timestamp
                p.fields.update(hit.fields)
                p.fixed_template = hit.template
                p.level = hit.level
                p.service = hit.service or p.service
                return
        if c0 in "IWEF" and len(msg) > 20 and msg[1].isdigit():
            m = _KLOG_INNER.match(msg)
            if m:
                p.level = {"I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL"}[m.group("L")]
                p.fields["source"] = m.group("file")
                p.message = m.group("msg")
                return
        if c0 == "{":
            sf = parse_json(msg)
            if sf is not None:
                p.level = sf.level or p.level
                p.message = sf.message
                p.fields.update(sf.fields)
                p.service = sf.service or p.service
                return
        if "=" in msg[:60] and ("msg=" in msg or "level=" in msg):
            sf = parse_logfmt(msg)
            if sf is not None and ("msg" in msg[:200] or "message" in msg[:200]):
                p.level = sf.level or p.level
                if sf.message and not sf.message.endswith("="):
                    p.message = sf.message
                p.fields.update({k: v for k, v in sf.fields.items() if k not in ("msg", "message")})
                if p.component is None and sf.component:
                    p.component = sf.component

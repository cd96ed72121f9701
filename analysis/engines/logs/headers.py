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
from dataclasses import dataclass, field
from datetime import datetime

from analysis.engines.logs import access, services
from analysis.engines.logs.levels import COLON_LEVEL_WORDS, LEVEL_WORDS, SINGLE_LETTER, normalize_level
from analysis.engines.logs.structured import StructuredFields, parse_json, parse_logfmt, parse_logfmt_pairs
from analysis.engines.logs.timestamps import TimestampReader, parse_iso


@dataclass
class ParsedLine:
    """The header fields of one line and the message after them."""

    message: str
    family: str
    timestamp: datetime | None = None
    level: str | None = None
    host: str | None = None
    component: str | None = None
    pid: str | None = None
    service: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    fixed_template: str | None = None
    mine_text: str | None = None


_K8S_PREFIX = re.compile(r"^\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\]\s?")
_K8S_HEADER = re.compile(r"^\s*(?:NAMESPACE\s+)?(?:FIRST SEEN\s+)?LAST SEEN\s+.*\bREASON\b.*\bMESSAGE\s*$")
_SYSLOG_PRI = re.compile(r"^<(?P<pri>\d{1,3})>(?P<ver>\d{1,2} )?")
_PROGRAM = re.compile(r"^(?P<prog>[A-Za-z_][\w.\-/$@]*(?:\([\w.\-:/ ]*\))?)(?:\[(?P<pid>\d+)\])?:$")
_NGINX_PID = re.compile(r"^(?P<pid>\d+)#(?P<tid>\d+):$")
_SRCFILE = re.compile(r"^(?P<file>[\w.\-/]+:\d+)\]$")
_IDENT = re.compile(r"^[A-Za-z_$][\w$\-]*(?:\.[\w$\-]+)*$")
_DOTTED = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[\w$]+)+$")
_HOSTLIKE = re.compile(r"^[A-Za-z0-9][\w.\-]*$")
_SEPS = frozenset(("-", "--", "---", "|", ":", "::", ">", "-->", "»", "*"))
_PIDTHREAD = re.compile(r"^(?P<pid>\d+):(?P<thread>.+)$")
_PREFIX = re.compile(r"(?P<prefix>\S{1,40})\s+")
_LEVEL_PREFIX = re.compile(r"^(?P<lvl>[A-Za-z]{4,8}):(?P<logger>[\w.]+):(?P<msg>.*)$")
_LEVEL_START = re.compile(r"^\[?(?P<lvl>[A-Za-z]{3,9})\]?:?\s+(?P<msg>.*)$")
_KLOG_INNER = re.compile(r"^(?P<L>[IWEF])(?P<M>\d{2})(?P<D>\d{2}) \d{2}:\d{2}:\d{2}\.\d+\s+(?P<pid>\d+) "
                         r"(?P<file>[\w.\-/]+:\d+)\] ?(?P<msg>.*)$")
_REDIS_PREFIX = re.compile(r"^(?P<pid>\d+):(?P<role>[A-Z])$")
_TOKEN = re.compile(r"\S+")
_HEADERISH = re.compile(r"^(?:\S*\d\S*|[A-Z][A-Z0-9_]{1,11}|[\w.\-]+/[\w.\-/]+)$")
_MONTHS_DAYS = frozenset("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec Mon Tue Wed Thu Fri Sat Sun".split())
_ERROR_WORDS = re.compile(
    r"\b(?:[A-Za-z.]*(?:Exception|Error)\b|error|failed|failure|fatal|panic|segfault|out of memory|oom[- ]?kill\w*|"
    r"no space left|refused|denied|timed out|timeout|unreachable|unavailable|killed process|traceback|"
    r"warning|warn)\b", re.I)


def bracket_end(s: str, pos: int) -> int:
    """Index of the ``]`` closing the ``[`` at ``pos`` (nesting aware), -1 if none within 200 chars."""
    close = s.find("]", pos + 1, pos + 200)
    if close < 0:
        return -1
    if s.find("[", pos + 1, close) < 0:
        return close
    depth = 0
    for i in range(pos, min(len(s), pos + 200)):
        c = s[i]
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i
    return -1


_LEVEL_TOKEN_CACHE: dict[str, str | None] = {}


def _level_token(tok: str) -> str | None:
    """A header token that is a level word (``INFO``, ``[error]``, ``<warn>``, ``LOG:``)."""
    try:
        return _LEVEL_TOKEN_CACHE[tok]
    except KeyError:
        pass
    lv = _level_token_uncached(tok)
    if len(_LEVEL_TOKEN_CACHE) > 50_000:
        _LEVEL_TOKEN_CACHE.clear()
    _LEVEL_TOKEN_CACHE[tok] = lv
    return lv


def _level_token_uncached(tok: str) -> str | None:
    t = tok.strip("[]<>")
    colon = t.endswith(":")
    t = t.rstrip(":").upper()
    if t in LEVEL_WORDS:
        return LEVEL_WORDS[t]
    if colon and t in COLON_LEVEL_WORDS:
        return COLON_LEVEL_WORDS[t]
    return None


class LineParser:
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

    def _greedy(self, s: str, pos: int, p: ParsedLine) -> None:
        """Consume header tokens after the timestamp until the message starts."""
        n = len(s)
        consumed = 0
        prev_numeric = False
        brackets: list[str] = []
        spring = False
        after_sep = False
        if p.family == "syslog" and self._syslog_tag(s, pos, p):
            return
        while consumed < 12:
            while pos < n and s[pos] in " \t":
                pos += 1
            if pos >= n:
                break
            if s[pos] == "[":
                end = bracket_end(s, pos)
                if end < 0:
                    break
                inner = s[pos + 1:end].strip()
                nxt = s[end + 1:end + 2]
                spaced = " " in inner or "\t" in inner
                if spaced and spring and not brackets and len(inner) <= 40:
                    spaced = False
                if spaced and not after_sep and p.level is not None and len(inner) <= 120:
                    after = _TOKEN.match(s, end + 1) if end + 1 < n else None
                    if after is not None and after.group() in _SEPS:
                        spaced = False
                if not inner or spaced or nxt not in ("", " ", "\t", ":"):
                    if nxt == "@" or (inner and " " not in inner and nxt not in ("", " ", "\t", ":")):
                        pass  # e.g. PostgreSQL "[unknown]@[unknown]": handled as a token below
                    else:
                        break
                else:
                    lv = _level_token(inner)
                    pt = _PIDTHREAD.match(inner)
                    sf = _SRCFILE.match(inner + "]")
                    if lv and p.level is None:
                        p.level = lv
                    elif inner.isdigit() and p.pid is None:
                        p.pid = inner
                    elif pt:
                        p.pid = pt.group("pid")
                        p.fields["thread"] = pt.group("thread")
                    elif sf and p.component is None:
                        p.component = inner
                    else:
                        brackets.append(inner)
                    pos = end + 1
                    if pos < n and s[pos] == ":":
                        pos += 1
                    consumed += 1
                    prev_numeric = inner.isdigit()
                    after_sep = False
                    continue
            if spring and brackets and p.component is None:
                col = s.find(" : ", pos, pos + 120)
                if col > pos:
                    p.component = s[pos:col].strip()
                    pos = col + 3
                    break
            tm = _TOKEN.match(s, pos)
            if tm is None:
                break
            tok = tm.group()
            end = tm.end()
            if tok in _SEPS:
                if tok == "---":
                    spring = True
                pos = end
                consumed += 1
                after_sep = True
                continue
            lv = _level_token(tok)
            if lv and p.level is None:
                p.level = lv
                pos = end
                consumed += 1
                prev_numeric = False
                after_sep = False
                continue
            nt = _TOKEN.match(s, end + 1) if end < n else None
            nxt = nt.group() if nt else ""
            if after_sep:
                # After a separator only a logger name followed by another separator continues the header.
                if _IDENT.match(tok) and nxt in _SEPS and p.component is None and \
                        (p.level is None or _DOTTED.match(tok) or spring):
                    p.component = tok
                    pos = end
                    consumed += 1
                    continue
                break
            if tok.isdigit() and len(tok) <= 10 and p.component is None and (p.pid is None or "thread" not in p.fields):
                if p.pid is None:
                    p.pid = tok
                else:
                    p.fields["thread"] = tok
                pos = end
                consumed += 1
                prev_numeric = True
                continue
            if prev_numeric and p.level is None and len(tok) == 1 and tok in SINGLE_LETTER:
                p.level = SINGLE_LETTER[tok]
                pos = end
                consumed += 1
                prev_numeric = False
                continue
            prev_numeric = False
            m = _NGINX_PID.match(tok)
            if m:
                p.pid = m.group("pid")
                p.fields["thread"] = m.group("tid")
                p.family = "nginx-error"
                pos = end
                break
            m = _SRCFILE.match(tok)
            if m:
                p.component = m.group("file")
                pos = end
                break
            if "@" in tok and nxt and _level_token(nxt) and nxt.endswith(":"):
                user, _, db = tok.partition("@")
                if user.strip("[]") not in ("", "unknown"):
                    p.fields["user"] = user
                if db.strip("[]") not in ("", "unknown"):
                    p.fields["database"] = db
                p.family = "postgresql"
                pos = end
                consumed += 1
                continue
            m = _PROGRAM.match(tok)
            if m and consumed <= 8:
                prog = m.group("prog")
                p.component = prog
                if m.group("pid"):
                    p.pid = m.group("pid")
                if p.family in ("syslog",) or m.group("pid") or p.host:
                    p.service = p.service or services.from_program(prog)
                pos = end
                break
            if consumed == 0 and p.host is None and _HOSTLIKE.match(tok) and nxt and _PROGRAM.match(nxt):
                p.host = tok
                if p.family.startswith("text:iso"):
                    p.family = "syslog-iso"
                pos = end
                consumed += 1
                continue
            if _IDENT.match(tok) and len(tok) <= 120 and p.component is None:
                if (nxt in _SEPS and ((_DOTTED.match(tok) and (p.level is not None or tok.count(".") >= 2 or
                                                             tok.rsplit(".", 1)[1][:1].isupper()))
                                      or spring or tok[:1] == "." or
                                      (p.level is None and self._level_after(s, nt.end() if nt else n)))) or \
                        (nxt.startswith("[") and _DOTTED.match(tok)) or \
                        (_DOTTED.match(tok) and p.level is not None and tok.count(".") >= 2) or \
                        (p.level is not None and s[end:end + 2] == "  " and len(tok) <= 40):
                    p.component = tok
                    pos = end
                    consumed += 1
                    continue
            skip = self._anchor_ahead(s, pos, p) if consumed <= 4 else None
            if skip is not None:
                pos = skip
            break
        if brackets:
            if spring and len(brackets) >= 2:
                p.service = p.service or brackets[0]
                p.fields["thread"] = brackets[1]
            elif p.component is None and len(brackets) == 1:
                p.fields["thread"] = brackets[0]
            else:
                p.fields["thread"] = brackets[0]
                if p.component is None and len(brackets) > 1:
                    p.component = brackets[-1]
        if spring:
            p.family = "spring-boot"
        elif p.family.startswith("text:") and p.component and p.level and _DOTTED.match(p.component):
            p.family = "log4j"
        p.message = s[pos:].strip()

    @staticmethod
    def _level_after(s: str, pos: int) -> bool:
        t = _TOKEN.match(s, pos + 1) if pos < len(s) else None
        return t is not None and _level_token(t.group()) is not None

    def _anchor_ahead(self, s: str, pos: int, p: ParsedLine) -> int | None:
        """Skip header-ish fields (ids with digits, CAPS words, month names) up to a level word or a
        ``program[pid]:`` tag within the next eight tokens; returns the position after the anchor."""
        toks = []
        q = pos
        for _ in range(9):
            t = _TOKEN.match(s, q)
            if t is None:
                break
            toks.append(t)
            q = t.end()
            while q < len(s) and s[q] in " \t":
                q += 1
        for j, t in enumerate(toks):
            word = t.group()
            if j and p.level is None and word.isupper() and _level_token(word):
                p.level = _level_token(word)
                return t.end()
            pm = _PROGRAM.match(word)
            if j and pm and not word[:-1].isdigit():
                p.component = pm.group("prog")
                if pm.group("pid"):
                    p.pid = pm.group("pid")
                p.service = p.service or services.from_program(pm.group("prog"))
                if j >= 1 and p.host is None:
                    prev = toks[j - 1].group()
                    if _HOSTLIKE.match(prev.split("/")[0]):
                        p.host = prev.split("/")[0]
                return t.end()
            if not (_HEADERISH.match(word) or word[:3] in _MONTHS_DAYS):
                return None
        return None

    def _syslog_tag(self, s: str, pos: int, p: ParsedLine) -> bool:
        """RFC 3164: ``HOST TAG: message`` (the tag may hold a pid, a version or a sub-facility)."""
        n = len(s)
        while pos < n and s[pos] in " \t":
            pos += 1
        tm = _TOKEN.match(s, pos)
        if tm is None:
            return False
        tok = tm.group()
        if _PROGRAM.match(tok):  # no host field
            start = pos
        elif _HOSTLIKE.match(tok):
            p.host = tok
            start = tm.end() + 1
        else:
            return False
        colon = s.find(": ", start, start + 64)
        if colon < 0 and s.endswith(":") and len(s) - start <= 64:
            colon = len(s) - 1
        if colon < 0:
            p.message = s[start:].strip()
            return True
        tag = s[start:colon].strip()
        if not tag or len(tag.split()) > 3 or "=" in tag or '"' in tag:
            p.message = s[start:].strip()
            return True
        p.component = tag
        m = re.search(r"\[(\d+)\]$", tag)
        if m:
            p.pid = m.group(1)
        p.service = p.service or services.from_program(tag.split()[0])
        p.message = s[colon + 1:].strip()
        return True

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

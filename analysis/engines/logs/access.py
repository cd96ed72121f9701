"""Access logs (Apache/nginx common+combined incl. ingress-nginx extras, HAProxy HTTP, Envoy/Istio).

Each parser returns an :class:`AccessHit` with the structured fields the metrics side charts
(status, latency_ms, path, method, bytes, upstream) and a request template such as
``GET /v1/orders/<*> 503`` (path ids masked, status kept) used as the record's template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from analysis.engines.logs import services
from analysis.engines.logs.timestamps import parse_iso

_COMBINED = re.compile(
    r'^(?P<client>\S+) (?P<ident>\S+) (?P<user>\S+(?: \S+)??) \[(?P<time>[^\]]+)\] '
    r'"(?:(?P<method>[A-Z]{3,10}) (?P<path>\S+)(?: (?P<proto>[^"]*))?|(?P<raw>[^"]*))" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<ref>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)")?(?P<rest>.*)$')
_HAPROXY = re.compile(
    r'^(?P<client>[\w.:\-]+?):(?P<cport>\d+) \[(?P<time>[^\]]+)\] (?P<fe>\S+) (?P<be>[^/\s]+)/(?P<srv>\S+) '
    r'(?P<tq>-?\d+)/(?P<tw>-?\d+)/(?P<tc>-?\d+)/(?P<tr>-?\d+)/\+?(?P<tt>-?\d+) (?P<status>-?\d{1,3}) '
    r'\+?(?P<bytes>\d+) \S+ \S+ (?P<term>\S{4}) (?P<conns>\S+) (?P<queues>\S+)'
    r'(?: \{[^}]*\}){0,2}(?: "(?P<req>[^"]*)")?')
_ENVOY = re.compile(
    r'^\[(?P<time>[^\]]+)\] "(?P<method>[A-Z]{3,10}|-) (?P<path>\S+) (?P<proto>[^"]*)" (?P<status>\d{1,3}) (?P<rest>.*)$')
_HAPROXY_DATE = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?")
_VERSION_SEG = re.compile(r"^(?:v\d+(?:\.\d+)*|api\d*|http2|oauth2|s3|ec2)$", re.I)
_FLOAT = re.compile(r"^\d+\.\d+$")
_TOKENS = re.compile(r'"([^"]*)"|(\S+)')
_REQ_ID = re.compile(r"^[0-9a-fA-F\-]{16,}$")


@dataclass
class AccessHit:
    """One parsed access-log request."""

    timestamp: datetime | None
    template: str
    fields: dict[str, str] = field(default_factory=dict)
    service: str | None = None
    host: str | None = None
    message: str = ""
    family: str = "access"

    @property
    def level(self) -> str:
        st = self.fields.get("status", "")
        return "ERROR" if st.startswith("5") else "WARN" if st.startswith("4") else "INFO"


@lru_cache(maxsize=8192)  # access logs repeat a few hundred paths thousands of times
def path_template(path: str) -> str:
    """``/v1/orders/123/items?x=1`` -> ``/v1/orders/<*>/items`` (query dropped, id-like segments masked)."""
    p = path.split("?", 1)[0].split("#", 1)[0]
    if "://" in p:
        p = "/" + p.split("://", 1)[1].partition("/")[2]
    segs = p.split("/")
    out = []
    for s in segs:
        if not s:
            out.append(s)
        elif (any(c.isdigit() for c in s) and not _VERSION_SEG.match(s)) or len(s) > 40:
            out.append("<*>")
        else:
            out.append(s)
    return "/".join(out) or "/"


def _request_template(method: str | None, path: str | None, status: str) -> str:
    if not method or not path:
        return f"<*> {status}"
    return f"{method} {path_template(path)} {status}"


def parse_combined(line: str) -> AccessHit | None:
    """Apache/nginx common or combined format, with nginx/ingress extras after the user agent."""
    m = _COMBINED.match(line)
    if not m:
        return None
    g = m.groupdict()
    f: dict[str, str] = {"status": g["status"], "client": g["client"]}
    if g["method"]:
        f["method"] = g["method"]
        f["path"] = g["path"]
    if g["bytes"] and g["bytes"] != "-":
        f["bytes"] = g["bytes"]
    if g["user"] and g["user"] != "-":
        f["user"] = g["user"]
    if g.get("ua"):
        f["user_agent"] = g["ua"][:200]
    rest = (g.get("rest") or "").strip()
    service = None
    if rest:
        toks = rest.split()
        for t in toks:
            if _FLOAT.match(t):
                f["latency_ms"] = f"{float(t) * 1000.0:.3f}"
                break
        ups = re.findall(r"\[([^\]]*)\]", rest)
        for u in ups:
            if u and u != "-":
                f["upstream"] = u
                service = services.from_upstream(u)
                break
        after = rest.split("]")[-1].split() if ups else []
        if len(after) >= 4 and re.fullmatch(r"\d{3}|-", after[3] or ""):
            f["upstream_addr"] = after[0]
            f["upstream_status"] = after[3]
    ts = parse_iso(g["time"])
    tpl = _request_template(g["method"], g["path"], g["status"])
    return AccessHit(ts, tpl, f, service=service, message=line[m.start("method") - 1 if g["method"] else 0:][:500],
                     family="access-combined" if not rest else "nginx-access")


def parse_haproxy(message: str) -> AccessHit | None:
    """HAProxy HTTP log (the part after the syslog header)."""
    m = _HAPROXY.match(message)
    if not m:
        return None
    g = m.groupdict()
    f = {"status": g["status"], "client": g["client"], "frontend": g["fe"], "backend": g["be"],
         "server": g["srv"], "termination_state": g["term"], "bytes": g["bytes"],
         "upstream": f"{g['be']}/{g['srv']}"}
    tt = int(g["tt"])
    if tt >= 0:
        f["latency_ms"] = f"{float(tt):.3f}"
    method = path = None
    req = g.get("req") or ""
    parts = req.split()
    if len(parts) >= 2:
        method, path = parts[0], parts[1]
        f["method"], f["path"] = method, path
    ts = None
    dm = _HAPROXY_DATE.match(g["time"])
    if dm:
        ts = parse_iso(f"{dm.group(1)}/{dm.group(2)}/{dm.group(3)}:{dm.group(4)}:{dm.group(5)}:{dm.group(6)}"
                       + (f".{dm.group(7)}" if dm.group(7) else ""))
    tpl = _request_template(method, path, g["status"])
    if g["term"][:2] not in ("--", "-N") and not g["term"].startswith("-"):
        tpl += f" {g['term']}"
    return AccessHit(ts, tpl, f, service=services.from_haproxy_backend(g["be"]), message=message[:500],
                     family="haproxy")


def parse_envoy(line: str) -> AccessHit | None:
    """Envoy / Istio default access-log format."""
    m = _ENVOY.match(line)
    if not m:
        return None
    g = m.groupdict()
    f = {"status": g["status"]}
    if g["method"] != "-":
        f["method"] = g["method"]
        f["path"] = g["path"]
    unquoted: list[str] = []
    quoted: list[str] = []
    for q, u in _TOKENS.findall(g["rest"]):
        if u:
            unquoted.append(u)
        else:
            quoted.append(q)
    if unquoted and not unquoted[0].isdigit():
        f["response_flags"] = unquoted[0]
    digits = [t for t in unquoted if t.isdigit()]
    if len(digits) >= 3:
        f["bytes_received"], f["bytes"] = digits[0], digits[1]
        f["latency_ms"] = f"{float(digits[2]):.3f}"
    service = None
    rid = next((i for i, q in enumerate(quoted) if _REQ_ID.match(q)), None)
    if rid is not None and rid + 1 < len(quoted):
        f["request_id"] = quoted[rid]
        authority = quoted[rid + 1]
        f["authority"] = authority
        f["upstream"] = authority
        if rid + 2 < len(quoted) and quoted[rid + 2] != "-":
            f["upstream_host"] = quoted[rid + 2]
        service = services.from_host_authority(authority)
    ts = parse_iso(g["time"])
    tpl = _request_template(f.get("method"), f.get("path"), g["status"])
    flags = f.get("response_flags")
    if flags and flags != "-":
        tpl += f" {flags}"
    return AccessHit(ts, tpl, f, service=service, message=line[m.start("method") - 1:][:500], family="envoy")

"""JSON-lines and logfmt records: find the time, level, message, service and access fields by key."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analysis.engines.logs.levels import level_from_number, normalize_level
from analysis.engines.logs.timestamps import epoch_to_dt, parse_iso

TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "t", "date", "datetime", "asctime", "eventTime",
             "event_time", "logtime", "log_time", "@t", "created", "Timestamp", "TimeGenerated")
LEVEL_KEYS = ("level", "severity", "lvl", "loglevel", "log_level", "levelname", "log.level", "@l",
              "Level", "Severity", "level_name", "priority")
MSG_KEYS = ("message", "msg", "@message", "@m", "@mt", "text", "log", "event", "Message", "MESSAGE",
            "body", "short_message")
SERVICE_KEYS = ("service", "service.name", "service_name", "serviceName", "app", "app.name", "application",
                "app_name", "appname", "kubernetes.labels.app", "kubernetes.container_name",
                "container_name", "svc", "resource.service.name")
COMPONENT_KEYS = ("logger", "logger_name", "loggerName", "caller", "name", "module", "component",
                  "source", "category")
HOST_KEYS = ("hostname", "host", "host.name", "node", "kubernetes.host", "kubernetes.pod_name", "pod")
PID_KEYS = ("pid", "process.pid", "process_id", "thread_name")
STATUS_KEYS = ("status", "status_code", "statusCode", "res.statusCode", "http.status_code",
               "response.status", "http.response.status_code", "response_status", "res.status")
PATH_KEYS = ("path", "url", "uri", "req.url", "request_uri", "http.path", "http.url", "url.path",
             "http.target", "request.path", "endpoint", "route")
METHOD_KEYS = ("method", "req.method", "http.method", "http.request.method", "request.method")
LATENCY_MS_KEYS = ("latency_ms", "duration_ms", "elapsed_ms", "responseTime", "response_time_ms",
                   "took_ms", "time_ms", "request_time_ms")
LATENCY_ANY_KEYS = ("latency", "duration", "elapsed", "took", "request_time", "response_time",
                    "http.duration")
ERROR_KEYS = ("stack_trace", "stacktrace", "stack", "exception", "exc_info", "error.stack_trace", "error.stack",
              "err.stack", "exception.stacktrace", "exception.stack_trace", "err", "error", "error.message",
              "err.message", "exception.message", "exception.type", "error.type", "error.kind", "exc_type")

_LOGFMT_RX = re.compile(r'([A-Za-z_@][\w.\-/@]*)=("(?:[^"\\]|\\.)*"|\S*)')
_DURATION_RX = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$")
_DUR_SCALE = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


@dataclass
class StructuredFields:
    """What a JSON or logfmt object says about itself."""

    timestamp: datetime | None = None
    level: str | None = None
    message: str = ""
    service: str | None = None
    component: str | None = None
    host: str | None = None
    pid: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def flatten(obj: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None,
            depth: int = 0) -> dict[str, Any]:
    """Nested dict -> dotted keys (three levels deep)."""
    out = {} if out is None else out
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and depth < 3:
            flatten(v, key + ".", out, depth + 1)
        else:
            out[key] = v
    return out


def _first(flat: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        v = flat.get(k)
        if v is not None and v != "":
            return v
    return None


def duration_ms(value: Any, default_unit: str = "ms") -> float | None:
    """``151.3ms``/``0.2s``/``12`` -> milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) * _DUR_SCALE[default_unit]
    m = _DURATION_RX.match(str(value))
    if not m:
        return None
    return float(m.group(1)) * _DUR_SCALE[m.group(2) or default_unit]


def interpret(flat: dict[str, Any]) -> StructuredFields:
    """Pick time, level, message, service and access fields out of a flat key/value mapping."""
    out = StructuredFields()
    t = _first(flat, TIME_KEYS)
    if t is not None:
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            out.timestamp = epoch_to_dt(t)
        else:
            out.timestamp = parse_iso(str(t))
    lv = _first(flat, LEVEL_KEYS)
    if lv is not None:
        out.level = level_from_number(lv) if isinstance(lv, (int, float)) else normalize_level(str(lv))
    if out.level is None and isinstance(flat.get("level_value"), (int, float)):
        out.level = level_from_number(flat["level_value"])
    msg = _first(flat, MSG_KEYS)
    if msg is None:
        out.message = " ".join(f"{k}=" for k in sorted(flat)[:12])
    else:
        out.message = str(msg).rstrip("\n")
    svc = _first(flat, SERVICE_KEYS)
    out.service = str(svc) if svc is not None else None
    comp = _first(flat, COMPONENT_KEYS)
    out.component = str(comp) if comp is not None else None
    host = _first(flat, HOST_KEYS)
    out.host = str(host) if host is not None else None
    pid = _first(flat, PID_KEYS)
    out.pid = str(pid) if pid is not None else None
    fields: dict[str, str] = {}
    status = _first(flat, STATUS_KEYS)
    if status is not None and re.fullmatch(r"\d{3}", str(status)):
        fields["status"] = str(status)
    path = _first(flat, PATH_KEYS)
    if path is not None:
        fields["path"] = str(path)
    method = _first(flat, METHOD_KEYS)
    if method is not None:
        fields["method"] = str(method).upper()
    lat = _first(flat, LATENCY_MS_KEYS)
    lat_ms = duration_ms(lat, "ms") if lat is not None else None
    if lat_ms is None:
        lat_any = _first(flat, LATENCY_ANY_KEYS)
        if lat_any is not None:
            unit = "s" if isinstance(lat_any, float) and lat_any < 60 and "." in str(lat_any) else "ms"
            lat_ms = duration_ms(lat_any, unit)
    if lat_ms is not None:
        fields["latency_ms"] = f"{lat_ms:.3f}"
    err = _first(flat, ERROR_KEYS)
    if err is not None:
        fields["exception"] = str(err)[:2000]
    for k, v in flat.items():
        if len(fields) >= 40:
            break
        if k not in fields and isinstance(v, (str, int, float, bool)):
            sv = str(v)
            if len(sv) <= 300:
                fields.setdefault(k, sv)
    out.fields = fields
    return out


def parse_json(line: str) -> StructuredFields | None:
    """A JSON object line -> its fields (None when the line is not a JSON object)."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    return interpret(flatten(obj))


def parse_logfmt_pairs(text: str) -> dict[str, str]:
    """``a=1 b="x y"`` -> {"a": "1", "b": "x y"}."""
    out: dict[str, str] = {}
    for k, v in _LOGFMT_RX.findall(text):
        if v.startswith('"') and v.endswith('"') and len(v) >= 2:
            v = v[1:-1].replace('\\"', '"')
        out[k] = v
    return out


def parse_logfmt(text: str) -> StructuredFields | None:
    """A logfmt line (needs a message or level key and mostly key=value tokens) -> fields."""
    pairs = parse_logfmt_pairs(text)
    if len(pairs) < 2 or not any(k in pairs for k in ("msg", "message", "level", "lvl")):
        return None
    return interpret(pairs)

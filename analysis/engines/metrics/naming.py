"""Series names, label sets, units and owning services.

Names follow Prometheus style ``metric{key="value",...}``; label blocks in headers may also use
Datadog style ``{host:abc,service:x}``. Units come from header suffixes ("latency (ms)") or naming
conventions (``_bytes``, ``_seconds``, ``_per_sec``). The service is read from labels such as
``service``/``app``/``job``/``pod`` (pod hashes stripped) or from the metric-name prefix.
"""

from __future__ import annotations

import re

_LABEL_BLOCK = re.compile(r"^(?P<base>[^{]*)\{(?P<body>.*)\}\s*$")
_PAIR = re.compile(r'\s*([A-Za-z_][\w.\-/]*)\s*(?:=~|!=|=|:)\s*"?((?:[^",\\]|\\.)*)"?\s*(?:,|$)')
_UNIT_SUFFIX = re.compile(r"^(?P<base>.*?)\s*[\(\[](?P<unit>[^\)\]]{1,12})[\)\]]\s*$")
_CONVENTION_UNITS = (
    ("_bytes_per_sec", "B/s"), ("_bytes", "bytes"), ("_seconds", "s"), ("_ms", "ms"),
    ("_percent", "%"), ("_pct", "%"), ("_ratio", "ratio"), ("_per_sec", "/s"), ("_per_second", "/s"),
    ("_per_min", "/min"), ("_total", "count"), ("_cores", "cores"), ("_mb", "MB"), ("utilization", "%"),
)
#: Labels naming the owning service, most specific first.
SERVICE_LABELS = ("service", "service_name", "app", "application", "app_kubernetes_io_name", "container",
                  "job", "deployment", "pod", "instance", "host", "cluster", "backend", "node", "resource")
_POD_HASH = re.compile(r"-(?:[a-f0-9]{8,10}-[a-z0-9]{5}|[a-z0-9]{5}|[a-f0-9]{9,10})$")
_GENERIC_PREFIXES = {"node", "container", "process", "go", "jvm", "http", "grpc", "up", "kube", "system",
                     "aws", "cpu", "disk", "memory", "net", "network", "envoy", "nginx", "redis", "pg", "db"}


def split_unit(header: str) -> tuple[str, str]:
    """``'latency (ms)'`` -> ``('latency', 'ms')``; headers without a unit suffix return ``(header, '')``."""
    m = _UNIT_SUFFIX.match(header)
    if m and "{" not in m.group("unit") and "=" not in m.group("unit"):
        return m.group("base").strip(), m.group("unit").strip()
    return header.strip(), ""


def infer_unit(name: str) -> str:
    """Unit suggested by Prometheus-style naming conventions ('' when none)."""
    base = name.split("{", 1)[0].lower()
    for suffix, unit in _CONVENTION_UNITS:
        if base.endswith(suffix):
            return unit
    for infix, unit in (("_seconds_", "s"), ("_bytes_", "bytes"), ("_ms_", "ms")):
        if infix in base:
            return unit
    return ""


def parse_label_block(name: str) -> tuple[str, dict[str, str]]:
    """``'m{a="b",c="d"}'`` or ``'avg:m{host:x}'`` -> (base name, labels)."""
    m = _LABEL_BLOCK.match(name.strip())
    if not m:
        return name.strip(), {}
    labels = {k: v.replace('\\"', '"') for k, v in _PAIR.findall(m.group("body"))}
    base = m.group("base").strip()
    if not base and "__name__" in labels:  # a bare Prometheus label set: {__name__="up",...}
        base = labels.pop("__name__")
    return base, labels


def series_name(base: str, labels: dict[str, str]) -> str:
    """Prometheus-style name of a label set (empty label values left out)."""
    parts = [f'{k}="{v}"' for k, v in labels.items() if v not in ("", None)]
    return f"{base}{{{','.join(parts)}}}" if parts else base


def strip_pod_hash(value: str) -> str:
    """``checkout-service-5c8d7f9b4-q2zxk`` -> ``checkout-service``."""
    prev = None
    v = value
    while prev != v:
        prev = v
        v = _POD_HASH.sub("", v)
    return v


def service_of(name: str, labels: dict[str, str]) -> str | None:
    """The service a series belongs to, from its labels or the prefix of its metric name."""
    low = {k.lower(): v for k, v in labels.items() if v}
    for key in SERVICE_LABELS:
        if key in low and low[key] and low[key] not in ("all", "*", "total"):
            val = str(low[key])
            if key in ("instance", "host", "node") and re.match(r"^[\d.:]+$", val):
                continue
            return strip_pod_hash(val)
    base = name.split("{", 1)[0]
    base = base.split(":", 1)[1] if base.count(":") == 1 and base.split(":")[0] in {"avg", "sum", "max", "min", "count"} else base
    token = re.split(r"[_.]", base, maxsplit=1)[0].lower()
    if token and token not in _GENERIC_PREFIXES and len(token) > 2 and token.isalpha():
        return token
    return None

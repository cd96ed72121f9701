"""Entity names: canonical service names, dependency targets named in text, and alias resolution.

Evidence names the same thing many ways (a pod ``checkout-service-5c8d7f9b4-wp5lv``, an ingress
upstream ``shop-checkout-service-8080``, a log file ``postgresql-2024-05-07.log``, a host
``inventory-service.shop.svc.cluster.local:8080``). This module reduces them to one canonical name
and maps it onto the analyst's service list when the match is clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_POD_HASH = re.compile(r"-(?=[a-z0-9]*\d)[a-z0-9]{8,10}-[a-z0-9]{5}$")
_RS_HASH = re.compile(r"-(?=[a-z0-9]*\d)[a-z0-9]{8,10}$")
_POD_SUFFIX = re.compile(r"-(?=[a-z0-9]*\d)[a-z0-9]{5}$")
_ORDINAL = re.compile(r"-\d{1,2}$")
_DATE = re.compile(r"[-_.]?\d{4}[-_]?\d{2}[-_]?\d{2}([-_T]?\d{2,6})?")
_EXT = re.compile(r"(\.(log|txt|json|jsonl|ndjson|csv|gz|out|err))+$", re.IGNORECASE)
_PORT = re.compile(r":\d{2,5}$|-\d{4,5}$")
_K8S_FQDN = re.compile(r"\.(svc|pod)(\.cluster\.local)?\.?$|\.cluster\.local\.?$")
_FILE_WORDS = {"error", "errors", "err", "slow", "access", "journal", "journalctl", "syslog", "audit", "general", "query", "events",
               "event", "log", "logs", "out", "stdout", "stderr", "messages", "kern", "kernel", "debug", "trace", "console", "current"}
_TECH_PREFIX = {"redis", "memcached", "memcache", "valkey", "postgres", "postgresql", "pg", "mysql", "mariadb", "mongo", "mongodb"}
_KIND_WORDS = {"cache", "db", "database", "store", "sessions", "session"}
_NODE = re.compile(r"\b(ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?:\.[a-z0-9.-]+)?\b", re.IGNORECASE)

#: Technology words: an artifact or host named after them describes *what* it is, not which one.
TECH_DB = ("postgres", "postgresql", "pg", "mysql", "mariadb", "mongo", "mongodb", "rds", "aurora", "db", "database",
           "cassandra", "sql", "oracle", "mssql", "cockroach")
TECH_CACHE = ("redis", "memcached", "memcache", "cache", "valkey", "elasticache")
TECH_QUEUE = ("kafka", "rabbitmq", "rabbit", "sqs", "queue", "nats", "pubsub", "broker", "amqp")
GENERIC = {"app", "application", "service", "server", "container", "main", "default", "prod", "production",
           "log", "logs", "stdout", "stderr", "syslog", "journal", "messages", "kernel", "events", "access", "error",
           "k8s", "kubectl", "get", "kubernetes", "cluster", "localhost", "unknown", "-", ""}

_URL_HOST = re.compile(
    r"(?:https?|grpcs?|redis|rediss|postgres(?:ql)?|mysql|mongodb(?:\+srv)?|amqps?|kafka|tcp|ldaps?|wss?)://(?:[^@/\s]+@)?([A-Za-z0-9_.-]+)",
    re.IGNORECASE)
_HOST_CTX = re.compile(
    r"(?:connect(?:ion)?(?: to)?|connecting to|dial tcp|lookup|resolve|resolving|host[=: ]+|upstream[=: ]+|server[=: ]+|for host|"
    r"to host|endpoint[=: ]+|peer[=: ]+|backend[=: ]+|target[=: ]+|addr[=: ]+|remote[=: ]+|calling|call to|request to)"
    r"\s*[\"'(\[]?(?!(?:https?|grpcs?|tcp|redis|wss?)://)([A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)",
    re.IGNORECASE,
)
_FQDN = re.compile(r"\.(svc|pod)(\.cluster\.local)?\.?$|\.cluster\.local\.?$")
_FILE_WORDS = {"error", "errors", "err", "slow", "access", "journal", "journalctl", "syslog", "audit", "general", "query", "events",
               "event", "log", "logs", "out", "stdout", "stderr", "messages", "kern", "kernel", "debug", "trace", "console", "current"}

#: Technology words: an artifact or host named after them describes *what* it is, not which one.
TECH_DB = ("postgres", "postgresql", "pg", "mysql", "mariadb", "mongo", "mongodb", "rds", "aurora", "db", "database",
           "cassandra", "sql", "oracle", "mssql", "cockroach")
TECH_CACHE = ("redis", "memcached", "memcache", "cache", "valkey", "elasticache")
TECH_QUEUE = ("kafka", "rabbitmq", "rabbit", "sqs", "queue", "nats", "pubsub", "broker", "amqp")
GENERIC = {"app", "application", "service", "server", "container", "main", "default", "prod", "production",
           "log", "logs", "stdout", "stderr", "syslog", "journal", "messages", "kernel", "events", "access", "error",
           "k8s", "kubectl", "get", "kubernetes", "cluster", "localhost", "unknown", "-", ""}

_FQDN = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+(?:[a-z]{2,12}))(?![\w.(-])", re.IGNORECASE)
_NOT_TLD = {"java", "go", "py", "js", "ts", "rb", "kt", "scala", "class", "jar", "log", "txt", "json", "yaml", "yml", "xml", "html",
            "csv", "gz", "zip", "so", "dll", "exe", "sh", "conf", "cfg", "ini", "toml", "properties", "pem", "crt", "key", "tmp",
            "pdf", "png", "jpg", "parquet", "lock", "pid", "sock", "db", "sqlite", "cfs", "idx", "dat", "bin", "md", "id", "ms",
            "getdiscount", "apply", "run", "call", "invoke", "get", "set", "put", "post", "main", "state", "size", "count", "name",
            "value", "type", "error", "message", "msg", "code", "status", "time", "max", "min", "timeout", "ms", "bytes", "host"}


def canonical(name: str | None) -> str:
    """Reduce a pod, host, file or upstream name to a canonical lower-case service name."""
    if not name:
        return ""
    s = str(name).strip().strip("\"'[]()<>").lower()
    s = s.rsplit("/", 1)[-1] if "/" in s and not s.startswith("http") else s
    s = _EXT.sub("", s)
    m = _NODE.search(s)
    if m:
        return m.group(1).lower()
    s = _PORT.sub("", s)
    if _K8S_FQDN.search(s):
        s = _K8S_FQDN.sub("", s).split(".")[0]  # service.namespace.svc.cluster.local
    elif s.count(".") >= 1 and not _is_external(s) and re.match(r"^[a-z0-9-]+\.[a-z0-9-]+$", s):
        s = s.split(".")[0]  # service.namespace
    s = _DATE.sub("", s)
    s = _POD_HASH.sub("", s)
    s = _RS_HASH.sub("", s)
    s = _POD_SUFFIX.sub("", s) if len(s) > 12 else s
    s = s.replace("_", "-").strip("-. ")
    parts = s.split("-")
    while len(parts) > 1 and parts[-1] in _FILE_WORDS:
        parts.pop()
    if len(parts) > 1 and re.fullmatch(r"\d", parts[-1]) and not parts[-2].isdigit():
        parts.pop()  # stateful-set ordinal: kafka-0 -> kafka
    if len(parts) >= 3 and parts[0] in _TECH_PREFIX and set(parts[1:]) & _KIND_WORDS:
        parts = parts[1:]  # redis-catalog-cache -> catalog-cache, postgres-orders-db -> orders-db
    return "-".join(parts)


def tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[-_. /]+", name.lower()) if t]


_NODE_CTX = re.compile(r"\b(?:node|nodename|node_name|kubernetes\.io/hostname)[/=: \"']+([a-z][a-z0-9-]*\d[a-z0-9-]*(?:\.[a-z0-9-]+)*)",
                       re.IGNORECASE)
_NODE_SHAPES = re.compile(r"\b((?:gke|aks|eks)-[a-z0-9-]+|[a-z0-9-]*(?:nodepool|vmss|node-pool)[a-z0-9-]*|"
                          r"(?:wk|worker|node|minion|host|compute|k8s-node)[-_]?\d+[a-z0-9-]*)\b", re.IGNORECASE)


def node_names(text: str) -> list[str]:
    """Cloud/k8s node host names mentioned in a text (``ip-10-0-1-2``, ``node/gke-pool-1-ab12``, ``worker-7``)."""
    out = {m.group(1).lower() for m in _NODE.finditer(text)}
    for m in _NODE_CTX.finditer(text):
        c = m.group(1).lower().split(".")[0]
        if c and c not in _STOP and c not in GENERIC:
            out.add(c)
    return sorted(out)


def targets_in(text: str, emitter: str = "", services: Iterable[str] = ()) -> list[str]:
    """Dependency names mentioned in an error text (hosts in URLs, ``connection to X``, FQDNs)."""
    out: list[str] = []
    url_hosts: set[str] = set()
    services = list(services)
    em = canonical(emitter)
    text = text.replace("\\n", " ").replace("\\t", " ")
    for m in _URL_HOST.finditer(text):
        raw = m.group(1)
        if raw and not raw[0].isdigit():
            url_hosts.add(canonical(raw))
            out.append(raw)
    for m in _HOST_CTX.finditer(text):
        raw = m.group(1)
        if not raw or raw[0].isdigit():
            continue
        out.append(raw)
    for m in _FQDN.finditer(text):
        cand = m.group(1)
        labels = cand.lower().split(".")
        if labels[-1] in _NOT_TLD or any(ch.isupper() for ch in cand) or labels[0] in _REVERSED_DOMAIN:
            continue
        out.append(cand)
    res: list[str] = []
    for raw in out:
        c = raw.lower().strip(".")
        if _is_external(c):
            name = c  # external host: keep the full name (api.vendor.io)
        else:
            name = canonical(c)
        if name == em or not (plausible(name, services) or (name in url_hosts and name.isalpha() and name not in _STOP
                                                             and name not in GENERIC and len(name) >= 3)):
            continue
        if name not in res:
            res.append(name)
    return res


_STOP = {"refused", "failed", "failure", "timeout", "timed", "reset", "error", "errors", "connect", "connection", "termination",
         "closed", "aborted", "unavailable", "slots", "upstream", "server", "client", "request", "response", "host", "unknown",
         "the", "and", "for", "from", "with", "after", "before", "peer", "remote", "local"}
_NOT_DEPENDENCY = {"github.com", "golang.org", "google.golang.org", "gopkg.in", "pkg.go.dev", "k8s.io", "sigs.k8s.io",
                   "stackoverflow.com", "www.w3.org", "schemas.xmlsoap.org", "example.com"}
_REVERSED_DOMAIN = {"java", "javax", "sun", "jdk", "org", "com", "io", "net", "reactor", "kotlin", "scala", "okhttp3", "android"}
_TECH = set(TECH_DB) | set(TECH_CACHE) | set(TECH_QUEUE) | {"coredns", "kube-dns", "dns"}


def plausible(name: str, services: Iterable[str] = ()) -> bool:
    """Whether a name extracted from text can be a service/host (not an English word)."""
    if not name or name in _STOP or name in GENERIC or len(name) < 3 or name in _NOT_DEPENDENCY:
        return False
    if "." in name and name.split(".")[0] in _REVERSED_DOMAIN:
        return False
    if "." in name and min(len(x) for x in name.split(".")) < 2:
        return False  # s.qty, a.b: SQL aliases and code, not hosts
    if any(c in name for c in "-._") or any(c.isdigit() for c in name) or name in _TECH:
        return True
    return any(canonical(s) == name or s.lower() == name for s in services)


_ROLE_WORDS = {"controller", "server", "service", "svc", "api", "app", "main", "primary", "master", "leader", "prod",
               "production", "canary", "stable", "blue", "green", "v1", "v2", "v3", "http", "grpc", "web", "deployment", "pod",
               "frontend", "backend", "nginx", "proxy", "sidecar", "container", "engine"}
_INTERNAL_TLD = {"local", "internal", "svc", "cluster", "lan", "intra", "corp", "home", "localdomain"}


def _is_external(name: str) -> bool:
    """A public-looking host name (``api.vendor.io``), as opposed to cluster-internal names."""
    labels = name.lower().split(".")
    return (len(labels) >= 2 and labels[-1].isalpha() and labels[-1] not in _INTERNAL_TLD and labels[-1] not in _NOT_TLD
            and not _K8S_FQDN.search(name) and not any(x in _INTERNAL_TLD for x in labels[1:]))


def _norm_tokens(name: str) -> list[str]:
    return [t for t in tokens(name) if t not in ("svc", "service", "srv", "api", "app")]


def resolve(name: str, services: Iterable[str]) -> str:
    """Map a canonical name onto the analyst's service list when the match is unambiguous."""
    if not name:
        return name
    svcs = list(services)
    low = name.lower()
    for s in svcs:
        if s.lower() == low:
            return s
    for s in svcs:  # shop-checkout-service -> checkout-service
        sl = s.lower()
        if low.endswith("-" + sl) or low.startswith(sl + "-") and _ORDINAL.fullmatch(low[len(sl):]):
            return s
    nt = _norm_tokens(name)
    if not nt:
        return name
    best: list[str] = []
    for s in svcs:
        st = _norm_tokens(s)
        if not st:
            continue
        extra = len(nt) - len(st)
        ok = st == nt
        if not ok and extra == 1 and len(" ".join(st)) >= 4:
            if nt[:len(st)] == st:  # checkout-controller -> checkout (only role words, never orders-db -> orders)
                ok = nt[-1] in _ROLE_WORDS
            elif nt[-len(st):] == st:  # shop-checkout -> checkout, redis-catalog-cache -> catalog-cache
                ok = nt[0] not in _TECH or kind_of(s) == kind_of(name)
        if not ok and extra == -1 and st[:len(nt)] == nt and len(" ".join(nt)) >= 4:
            ok = st[-1] in _ROLE_WORDS  # checkout -> checkout-controller
        if ok:
            best.append(s)
    if len(best) == 1:
        return best[0]
    return name


def kind_of(name: str) -> str:
    """``db`` / ``cache`` / ``queue`` / ``node`` / ``external`` / ``service`` from a name."""
    n = name.lower()
    ts = set(tokens(n))
    if ts & {"exporter", "agent", "collector", "detector", "daemonset", "operator", "controller", "autoscaler"}:
        return "service"
    if _NODE.search(n) or n.startswith("node") or "node" in ts or ("worker" in ts and any(c.isdigit() for c in n)) \
            or _NODE_SHAPES.fullmatch(n):
        return "node"
    if ts & {"dns", "coredns", "kube-dns", "dnsmasq", "unbound", "resolver", "resolved", "route53", "bind9"} or "dns" in n.split(".")[0]:
        return "dns"
    if ts & set(TECH_CACHE):
        return "cache"
    if ts & set(TECH_DB) or n.endswith("db"):
        return "db"
    if ts & set(TECH_QUEUE):
        return "queue"
    if "." in n and _is_external(n):
        return "external"
    return "service"


def pick_of_kind(kind: str, services: Iterable[str]) -> str | None:
    """The single analyst-listed service of a kind (``db``, ``cache`` ...), if exactly one exists."""
    hits = [s for s in services if kind_of(s) == kind]
    return hits[0] if len(hits) == 1 else None

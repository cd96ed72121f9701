"""Service-name attribution: Kubernetes pod/container names, syslog programs, upstream names."""

from __future__ import annotations

import re

_K = "[bcdfghjklmnpqrstvwxz2456789]"  # Kubernetes' random-suffix alphabet (no vowels, no 0/1/3)
_POD_SUFFIXES = (
    re.compile(rf"^(?P<name>.+?)-(?:[a-f0-9]{{6,10}}|{_K}{{6,10}})-{_K}{{5}}$"),  # deployment replica-set pod
    re.compile(rf"^(?P<name>.+?)-\d{{6,10}}-{_K}{{5}}$"),                          # cron job pod
    re.compile(rf"^(?P<name>.+?)-{_K}{{5}}$"),                                      # daemon set / job pod
    re.compile(r"^(?P<name>.+?)-\d{1,3}$"),                                        # stateful set ordinal
)
_PROGRAM = re.compile(r"^(?P<name>[A-Za-z][\w.\-/]*?)(?:\(.*\))?(?:\[\d+\])?:?$")


def strip_pod_hash(name: str) -> str:
    """``checkout-service-7d9f8c6b5-jsqj9`` -> ``checkout-service``; other names unchanged."""
    for rx in _POD_SUFFIXES:
        m = rx.match(name)
        if m:
            return m.group("name")
    return name


def from_upstream(upstream: str) -> str | None:
    """Access-log upstream ``shop-cart-service-8080`` -> ``shop-cart-service`` (drops the port)."""
    u = upstream.strip().strip("[]")
    if not u or u == "-":
        return None
    m = re.match(r"^(?P<name>.+)-\d{2,5}$", u)
    return m.group("name") if m else u


def from_host_authority(authority: str) -> str | None:
    """``inventory-service.shop.svc.cluster.local:8080`` -> ``inventory-service``; others None."""
    host = authority.split(":", 1)[0]
    if ".svc" in host or host.endswith(".local") or "." not in host:
        return host.split(".", 1)[0] or None
    return None


def from_program(program: str) -> str | None:
    """Syslog program ``sshd(pam_unix)[123]`` -> ``sshd``."""
    m = _PROGRAM.match(program)
    return m.group("name") if m else None


def from_haproxy_backend(backend: str) -> str | None:
    """HAProxy backend ``be_payment_service`` -> ``payment-service``."""
    b = re.sub(r"^(?:be|bk|backend)[_\-]", "", backend)
    return b.replace("_", "-") or None


def from_k8s_object(obj: str) -> tuple[str | None, str | None]:
    """Event OBJECT ``pod/checkout-7d9f8c6b5-x2x9z`` -> (service, host) for pods/deployments/nodes."""
    kind, _, name = obj.partition("/")
    kind = kind.lower()
    if not name:
        return None, None
    if kind == "node":
        return None, name
    if kind in ("pod", "deployment", "replicaset", "statefulset", "daemonset", "job", "cronjob",
                "service", "horizontalpodautoscaler", "hpa", "poddisruptionbudget"):
        if kind == "replicaset":
            name = re.sub(r"-[a-z0-9]{6,10}$", "", name)
        if kind == "job":
            name = re.sub(r"-\d{6,10}$", "", name)
        return strip_pod_hash(name) if kind in ("pod", "job") else name, None
    return None, None

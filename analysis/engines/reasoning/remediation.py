"""Remediation suggestions per root-cause category, and the static safety check on commands.

Steps are runbook-style text with an optional command that is *shown, never run*. Every command
passes :func:`assess_command`, which flags destructive or irreversible operations (recursive
deletes, dropping or truncating tables, deleting namespaces or persistent volumes, scaling to zero,
disabling authentication or TLS verification, force pushes, disk formatting ...). Commands are
templated with the hypothesis' culprit service; names are sanitised so evidence text cannot
inject shell syntax.
"""

from __future__ import annotations

import re

from analysis.models import RemediationStep

_DESTRUCTIVE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), why)
    for p, why in (
        (r"\brm\s+(-[a-z]*r[a-z]*f|-[a-z]*f[a-z]*r|--recursive|-r\b)", "recursive delete of files"),
        (r"\b(drop)\s+(table|database|schema|index|user|role)\b", "drops database objects irreversibly"),
        (r"\btruncate\s+(table\s+)?\w", "truncates table data irreversibly"),
        (r"\bdelete\s+from\s+\w+\s*(;|$)", "deletes every row of a table"),
        (r"\bkubectl\b.*\bdelete\b.*\b(namespace|ns|pv|pvc|persistentvolume\w*|statefulset|deployment|crd)\b", "deletes cluster resources"),
        (r"\bkubectl\b.*\bscale\b.*--replicas[= ]0\b", "scales the workload to zero replicas"),
        (r"\b(replicas|desired[_-]?capacity|min[_-]?size)\s*[=:]\s*0\b", "scales to zero"),
        (r"\bhelm\s+(uninstall|delete)\b", "removes a release"),
        (r"\bmkfs(\.\w+)?\b|\bdd\s+if=.*\bof=/dev/", "formats or overwrites a device"),
        (r"\b(flushall|flushdb)\b", "empties the cache / datastore"),
        (r"\bgit\s+push\b.*(--force|-f\b)", "rewrites shared history"),
        (r"(auth|authentication|authorization|tls|ssl|verify)[\w.-]*[\"']?\s*[=:]\s*[\"']?(false|off|disabled?|none|0)\b", "disables authentication or TLS verification"),
        (r"--insecure|--no-verify|insecure-skip-tls-verify|verify\s*=\s*false", "skips TLS verification"),
        (r"\bchmod\s+(-r\s+)?777\b", "makes files world-writable"),
        (r"\b(terminate-instances|delete-db-instance|delete-bucket|rb\s+s3://|s3\s+rm\b.*--recursive)", "deletes cloud resources"),
        (r"\biptables\s+-F\b|\bufw\s+disable\b", "removes firewall rules"),
        (r"\bkill\s+-9\s+-1\b|\bshutdown\b|\breboot\b|\bhalt\b", "takes the host down"),
        (r"\bkafka-(topics|consumer-groups)\b.*--(delete|reset-offsets)", "deletes topics or rewinds offsets"),
        (r"\bvacuum\s+full\b|\breindex\s+database\b", "locks tables for a long time"),
    )
)
_CAUTION: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), why)
    for p, why in (
        (r"\bkubectl\b.*\b(rollout\s+(undo|restart)|delete\s+pod|drain|cordon|scale|set\s+image|apply|patch|edit)\b", "changes the running cluster"),
        (r"\b(alter\s+system|alter\s+table|set\s+global|pg_terminate_backend|pg_cancel_backend|kill\s+query)\b", "changes or interrupts the database"),
        (r"\bsystemctl\s+(restart|stop)\b|\bservice\s+\S+\s+restart\b", "restarts a system service"),
        (r"\bconfig\s+set\b|\bCONFIG SET\b", "changes live configuration"),
        (r"\b(aws|gcloud|az)\b.*\b(update|modify|put|set)\b", "changes cloud configuration"),
        (r"\brm\b|\bdelete\b|\bfind\b.*-delete", "deletes data"),
        (r"\bhelm\s+(upgrade|rollback)\b", "changes a release"),
    )
)


def assess_command(command: str | None) -> tuple[str, str]:
    """(risk, reason) of a shell/SQL command: ``destructive``, ``caution`` or ``safe``."""
    if not command:
        return "safe", ""
    for rx, why in _DESTRUCTIVE:
        if rx.search(command):
            return "destructive", why
    for rx, why in _CAUTION:
        if rx.search(command):
            return "caution", why
    return "safe", "read-only"


def _safe_name(name: str | None) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]", "", name or "")
    return s or "SERVICE"


_STEPS: dict[str, list[tuple[str, str | None]]] = {
    "deployment_regression": [
        ("Confirm the new version is what changed: compare the rollout history with the error onset.", "kubectl rollout history deployment/{svc}"),
        ("Roll back to the previous revision while the fix is prepared.", "kubectl rollout undo deployment/{svc}"),
        ("Watch the error rate and the new pods' logs until they are back to baseline.", "kubectl logs -l app={svc} --since=10m --tail=200"),
    ],
    "config_change": [
        ("Diff the live configuration against the last known good revision.", "kubectl get configmap {svc} -o yaml"),
        ("Revert the changed setting (re-apply the previous revision) and confirm the service reloads it.", "kubectl rollout restart deployment/{svc}"),
        ("Add validation for the setting's range so a bad value is rejected before rollout.", None),
    ],
    "memory_exhaustion": [
        ("Confirm OOM kills and restarts of the pods.", "kubectl get pods -l app={svc} -o wide; kubectl describe pod -l app={svc} | grep -i -A3 'last state'"),
        ("Capture a heap profile / heap dump from a live instance before it dies.", None),
        ("Mitigate: raise the memory limit temporarily or cap the unbounded structure (cache size, batch size), then redeploy.", "kubectl set resources deployment/{svc} --limits=memory=<higher>"),
    ],
    "cpu_saturation": [
        ("Check CPU usage against limits and throttling per pod.", "kubectl top pods -l app={svc}"),
        ("Scale out or raise CPU limits to relieve throttling.", "kubectl scale deployment/{svc} --replicas=<current+N>"),
        ("Profile the hot path (recent change, runaway loop, regex, GC).", None),
    ],
    "disk_full": [
        ("Find what fills the volume.", "df -h; du -xh --max-depth=2 /data | sort -h | tail -20"),
        ("Free space by moving or compressing old files (archive before deleting anything).", None),
        ("Grow the volume or add retention/cleanup so the job cannot fill it again.", None),
    ],
    "database_overload": [
        ("Find the expensive or blocked queries.", "SELECT pid, now()-query_start AS age, wait_event_type, state, left(query,120) FROM pg_stat_activity ORDER BY age DESC LIMIT 20;"),
        ("Check the plan of the slow query (index use, row estimates); refresh statistics or pin the good plan.", "EXPLAIN (ANALYZE, BUFFERS) <slow query>;"),
        ("Shed load: cancel runaway statements and reduce pool sizes / retries in callers.", "SELECT pg_cancel_backend(<pid>);"),
    ],
    "network_dns": [
        ("Reproduce the lookup from an affected pod.", "kubectl exec deploy/{svc} -- nslookup <dependency-host>"),
        ("Check the DNS servers (CoreDNS pods, upstream resolvers) and recent DNS/network changes.", "kubectl -n kube-system logs -l k8s-app=kube-dns --since=30m"),
        ("Restore the record or resolver configuration; lower negative-cache TTLs if needed.", None),
    ],
    "dependency_failure": [
        ("Confirm the dependency is failing for every caller (status page, egress metrics).", None),
        ("Protect callers: open the circuit breaker / serve cached or degraded responses, tighten timeouts.", None),
        ("Escalate to the dependency's owner or fail over to a secondary provider.", None),
    ],
    "certificate_expiry": [
        ("Check the certificate's validity dates.", "openssl x509 -noout -dates -subject -in <cert.pem>"),
        ("Issue/renew the certificate and reload it into the keystore/secret; restart consumers if they cache it.", "kubectl rollout restart deployment/{svc}"),
        ("Add expiry monitoring that alerts 30 days ahead.", None),
    ],
    "auth_credentials": [
        ("Identify which credential is rejected (key id, client id, service account) and since when.", None),
        ("Rotate/restore the credential in the secret store and roll the consumers.", "kubectl rollout restart deployment/{svc}"),
        ("Never disable authentication as a workaround; add expiry/rotation alerts.", None),
    ],
    "traffic_surge": [
        ("Confirm the source of the surge (campaign, bot, retry storm) from access logs.", None),
        ("Scale out the saturated service and raise autoscaler limits.", "kubectl scale deployment/{svc} --replicas=<higher>"),
        ("Keep rate limiting on and shed non-critical traffic until capacity catches up.", None),
    ],
    "cache_failure": [
        ("Check cache memory, eviction policy and hit ratio.", "redis-cli -h {svc} INFO memory; redis-cli -h {svc} INFO stats"),
        ("Restore eviction (e.g. an LRU policy) or raise maxmemory so writes succeed again.", "redis-cli -h {svc} CONFIG SET maxmemory-policy allkeys-lru"),
        ("Protect the database from the miss storm (request coalescing, rate limits) while the cache warms.", None),
    ],
    "queue_backlog": [
        ("Check consumer lag and consumer health per partition/queue.", "kafka-consumer-groups --bootstrap-server <broker> --describe --group <group>"),
        ("Scale consumers or fix the stuck consumer; pause non-critical producers.", "kubectl scale deployment/{svc} --replicas=<higher>"),
        ("Check for poison messages and route them to a dead-letter queue.", None),
    ],
    "node_failure": [
        ("Check node conditions and kernel messages.", "kubectl describe node {svc}; journalctl -k --since '-1h'"),
        ("Cordon and drain the node so pods reschedule on healthy nodes.", "kubectl cordon {svc} && kubectl drain {svc} --ignore-daemonsets"),
        ("Replace the instance / open a hardware ticket; check that workloads spread across nodes.", None),
    ],
    "data_corruption": [
        ("Stop the writers that produce the corrupt records to limit the damage.", None),
        ("Identify the affected range (first bad checksum, affected keys) and restore from a verified backup or replica.", None),
        ("Verify integrity after the restore before re-enabling traffic.", None),
    ],
}


def remediation_for(category: str, service: str | None) -> list[RemediationStep]:
    """Runbook steps for a category, commands templated with the culprit and safety-checked."""
    out: list[RemediationStep] = []
    for text, cmd in _STEPS.get(category, []):
        command = cmd.format(svc=_safe_name(service)) if cmd else None
        risk, why = assess_command(command)
        out.append(RemediationStep(text=text, command=command, risk=risk, risk_reason=why))  # type: ignore[arg-type]
    return out


def check_steps(steps: list[RemediationStep]) -> list[RemediationStep]:
    """Re-assess externally supplied steps (knowledge-base runbooks, model output)."""
    out: list[RemediationStep] = []
    for s in steps:
        risk, why = assess_command(s.command)
        out.append(s.model_copy(update={"risk": risk, "risk_reason": why}))
    return out


_COMMANDISH = re.compile(r"^\s*(kubectl|helm|redis-cli|psql|mysql|select|alter|update|delete|drop|truncate|systemctl|aws|gcloud|az|"
                         r"curl|rm|mv|cp|df|du|journalctl|docker|kafka-\S+|openssl|git|terraform|ansible|sudo)\b", re.IGNORECASE)


def from_past_incident(title: str, resolution: str, runbook: list[str], limit: int = 3) -> list[RemediationStep]:
    """'What fixed it last time' from a similar past incident, every command safety-checked."""
    out: list[RemediationStep] = []
    if resolution:
        out.append(RemediationStep(text=f"Last time ({title[:80]}): {resolution[:300]}"))
    for line in runbook[:limit]:
        line = str(line).strip().strip("`")
        if not line:
            continue
        cmd = line if _COMMANDISH.match(line) else None
        risk, why = assess_command(cmd)
        out.append(RemediationStep(text=f"From the runbook of '{title[:60]}': {line[:200]}", command=cmd, risk=risk,  # type: ignore[arg-type]
                                   risk_reason=why))
    return out

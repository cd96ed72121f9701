"""Static safety check of remediation commands: destructive and irreversible commands are flagged."""

from __future__ import annotations

import pytest

from analysis.engines.reasoning import assess_command
from analysis.engines.reasoning.remediation import remediation_for
from analysis.models import Category


@pytest.mark.parametrize("cmd", [
    "rm -rf /var/lib/postgresql/data",
    "DROP TABLE orders;",
    "TRUNCATE orders",
    "kubectl delete namespace shop",
    "kubectl -n shop scale deployment/checkout --replicas=0",
    "redis-cli FLUSHALL",
    "kubectl patch cm app --patch '{\"data\":{\"auth.enabled\":\"false\"}}'",
    "curl --insecure https://api",
    "git push --force origin main",
    "mkfs.ext4 /dev/nvme1n1",
    "DELETE FROM sessions;",
])
def test_destructive_commands_are_flagged(cmd: str) -> None:
    risk, why = assess_command(cmd)
    assert risk == "destructive", (cmd, risk)
    assert why


@pytest.mark.parametrize("cmd", ["kubectl rollout undo deployment/checkout", "kubectl drain node-1 --ignore-daemonsets",
                                 "SELECT pg_cancel_backend(42);", "systemctl restart nginx"])
def test_risky_but_reversible_commands_need_caution(cmd: str) -> None:
    assert assess_command(cmd)[0] == "caution"


@pytest.mark.parametrize("cmd", ["kubectl get pods -o wide", "df -h", "SELECT * FROM pg_stat_activity;", None])
def test_read_only_commands_are_safe(cmd: str | None) -> None:
    assert assess_command(cmd)[0] == "safe"


def test_every_category_has_checked_steps_and_no_injection() -> None:
    for cat in Category:
        steps = remediation_for(cat.value, "svc; rm -rf /")
        assert steps, cat
        for s in steps:
            if s.command:
                assert "rm -rf" not in s.command and "svc; " not in s.command
                assert s.risk == assess_command(s.command)[0]

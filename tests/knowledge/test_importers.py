"""Importers: JSONL/CSV/Markdown -> KBEntry, ids kept, unknown fields kept, all-or-nothing errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from analysis.errors import KnowledgeError
from analysis.knowledge import parse_csv, parse_jsonl, parse_markdown


def test_jsonl_keeps_ids_fields_and_unknown_metadata(fixtures):
    entries = parse_jsonl((fixtures / "entries.jsonl").read_bytes())
    assert [e.id for e in entries][:3] == ["pm-disk", "pm-cert", "pm-oom"]
    disk = entries[0]
    assert disk.category == "disk_full"
    assert disk.services == ["postgres", "orders"]
    assert disk.runbook[0] == "Check df -h on the WAL volume"
    assert disk.started_at == datetime(2024, 3, 2, 10, 15, tzinfo=timezone.utc)
    assert disk.metadata == {"team": "storage-sre"}
    assert disk.source == "imported"
    assert entries[-1].links == ["https://wiki.example.org/pm/123"]


def test_jsonl_public_postmortem_shape_maps_category_and_keeps_origin():
    line = (b'{"id": "x-1", "source": "danluu/post-mortems", "company": "Acme", "title": "Edge down",'
            b' "summary": "A bad router rule crashed the edge.", "category": "Config Errors",'
            b' "url": "https://a.example/pm", "extra_urls": ["https://b.example/pm"]}\n')
    (e,) = parse_jsonl(line)
    assert e.category == "config_change"
    assert e.source == "imported"
    assert e.metadata == {"source": "danluu/post-mortems", "company": "Acme", "source_category": "Config Errors"}
    assert e.links == ["https://a.example/pm", "https://b.example/pm"]
    (u,) = parse_jsonl(b'{"title": "t", "category": "Uncategorized"}')
    assert u.category is None and u.metadata["source_category"] == "Uncategorized"
    assert u.id.startswith("kb-")  # generated deterministically
    assert parse_jsonl(b'{"title": "t", "category": "Uncategorized"}')[0].id == u.id


def test_jsonl_is_all_or_nothing_and_names_bad_lines(fixtures):
    with pytest.raises(KnowledgeError) as err:
        parse_jsonl((fixtures / "bad.jsonl").read_bytes())
    msg = str(err.value)
    assert "2 (invalid JSON" in msg and "3 (" in msg and "4 (" in msg
    assert "1 (" not in msg
    assert "nothing was imported" in msg


def test_jsonl_rejects_duplicate_ids_and_non_utf8():
    with pytest.raises(KnowledgeError, match="repeats line 1"):
        parse_jsonl(b'{"id": "a", "title": "x"}\n{"id": "a", "title": "y"}\n')
    with pytest.raises(KnowledgeError, match="UTF-8"):
        parse_jsonl(b'{"id": "a", "title": "\xff"}')
    with pytest.raises(KnowledgeError, match="no entries"):
        parse_jsonl(b"\n\n")


def test_csv_splits_lists_and_maps_aliases(fixtures):
    a, b = parse_csv((fixtures / "entries.csv").read_bytes())
    assert a.id == "csv-1" and a.category == "cache_failure"
    assert a.services == ["redis", "auth"] and a.tags == ["cache", "sessions"]
    assert a.runbook == ["Check INFO memory", "Raise maxmemory"]
    assert a.started_at == datetime(2024, 2, 10, tzinfo=timezone.utc)
    assert a.metadata == {"owner": "team-a"}
    assert b.category == "node_failure" and b.metadata["source_category"] == "Hardware/Power Failures"


def test_csv_bad_row_is_named():
    with pytest.raises(KnowledgeError, match=r"rows 3 \("):
        parse_csv(b"id,title,category\nok,fine,\nbad,,\n")


def test_markdown_front_matter_and_sections(fixtures):
    e = parse_markdown((fixtures / "postmortem.md").read_text(), "2024-06-03 payments.md")
    assert e.id == "2024-06-03-payments"
    assert e.title == "Card payments failed during provider outage"
    assert e.category == "dependency_failure"
    assert e.services == ["payments", "stripe-proxy"]
    assert e.summary.startswith("The external card processor returned 503 for forty minutes and our payment API had")
    assert e.root_cause.startswith("Hard dependency")
    assert e.runbook == ["Add a secondary provider", "Alert on provider error rate"]
    assert e.metadata["impact"] == "About 4,000 failed checkouts."


def test_markdown_without_title_or_summary_is_refused():
    with pytest.raises(KnowledgeError, match="empty.md"):
        parse_markdown("", "empty.md")


def test_parse_file_dispatches_by_ending_and_export_round_trips(fixtures):
    from analysis.knowledge import export_jsonl, parse_file

    entries = parse_file("pms.JSONL", (fixtures / "entries.jsonl").read_bytes())
    assert len(entries) == 8
    assert parse_file("x.csv", (fixtures / "entries.csv").read_bytes())[0].id == "csv-1"
    assert parse_file("pm.md", (fixtures / "postmortem.md").read_bytes())[0].id == "pm"
    assert parse_jsonl(export_jsonl(entries)) == entries
    with pytest.raises(KnowledgeError, match="JSONL, CSV or Markdown"):
        parse_file("notes.txt", b"text")

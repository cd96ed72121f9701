"""Knowledge-base widgets: the entry form (create, edit, promote), tables, search hits, import preview, duplicates.

Everything an analyst or an import wrote is rendered as text: markdown goes through ``format.md``,
tables through ``st.dataframe``. Widgets return what the analyst submitted; the page decides what to store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from analysis.errors import KnowledgeError
from analysis.knowledge import KBEntry, KBHit
from analysis.knowledge.models import entry_id_for
from analysis.models import Category
from components import format as fmt

CATEGORIES: list[str | None] = [None, *(c.value for c in Category)]


def _split(text: str, sep: str = ",") -> list[str]:
    return [p.strip() for p in (text or "").split(sep) if p.strip()]


def day_bound(d: date | None, end: bool = False) -> datetime | None:
    """A picked day as a UTC datetime: its first instant, or its last with ``end``; None stays None."""
    if d is None:
        return None
    return datetime.combine(d, time.max if end else time.min, tzinfo=timezone.utc)


def entry_form(key: str, entry: KBEntry | None = None, *, submit: str = "Save entry",
               source: str = "manual") -> KBEntry | None:
    """A form prefilled from ``entry`` (empty when None); the validated entry when submitted, else None.

    Editing keeps the id, source, links and metadata of ``entry``; a new entry gets an id from its text.
    """
    e = entry or KBEntry(id="new", title="new")
    with st.form(key, border=True):
        title = st.text_input("Title", value="" if entry is None else e.title, key=f"{key}.title")
        summary = st.text_area("Summary", value=e.summary, key=f"{key}.summary", height=90)
        root_cause = st.text_area("Root cause", value=e.root_cause, key=f"{key}.root_cause", height=70)
        c1, c2, c3 = st.columns(3)
        category = c1.selectbox("Category", CATEGORIES, index=CATEGORIES.index(e.category),
                                format_func=lambda c: "Unknown" if c is None else fmt.category_label(c),
                                key=f"{key}.category")
        services = c2.text_input("Services (comma-separated)", value=", ".join(e.services), key=f"{key}.services")
        tags = c3.text_input("Tags (comma-separated)", value=", ".join(e.tags), key=f"{key}.tags")
        resolution = st.text_area("Resolution", value=e.resolution, key=f"{key}.resolution", height=70)
        runbook = st.text_area("Runbook steps (one per line)", value="\n".join(e.runbook), key=f"{key}.runbook",
                               height=90)
        d1, d2 = st.columns(2)
        started = d1.date_input("Started", value=e.started_at.date() if e.started_at else None,
                                key=f"{key}.started")
        resolved = d2.date_input("Resolved", value=e.resolved_at.date() if e.resolved_at else None,
                                 key=f"{key}.resolved")
        if not st.form_submit_button(submit, type="primary", icon=":material/save:"):
            return None
    if not title.strip():
        raise KnowledgeError("An entry needs a title; type one and save again.")
    data = e.model_dump() if entry is not None else {"source": source, "links": [], "metadata": {}}
    keep_time = entry is not None and e.started_at is not None and e.started_at.date() == started
    data.update(title=title, summary=summary, root_cause=root_cause, category=category,
                services=_split(services), tags=_split(tags), resolution=resolution,
                runbook=_split(runbook, "\n"),
                started_at=e.started_at if keep_time else day_bound(started),
                resolved_at=e.resolved_at if entry is not None and e.resolved_at and e.resolved_at.date() == resolved
                else day_bound(resolved))
    data["id"] = e.id if entry is not None else entry_id_for(title.strip(), summary.strip())
    try:
        return KBEntry(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise KnowledgeError(f"The entry is not valid ({'.'.join(map(str, first['loc']))}: {first['msg']}); "
                             "correct it and save again.") from exc


def entries_table(entries: list[KBEntry], status: dict[str, str] | None = None) -> None:
    """Entries as a read-only table (optionally with a per-id status column, e.g. new / update)."""
    rows = [{**({"status": status.get(e.id, "")} if status is not None else {}),
             "id": e.id, "title": e.title, "category": fmt.category_label(e.category),
             "services": ", ".join(e.services), "tags": ", ".join(e.tags), "source": e.source,
             "started": fmt.when(e.started_at)} for e in entries]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def entry_detail(e: KBEntry) -> None:
    """The full text of one entry."""
    st.caption(f"{fmt.md(e.id)} · {fmt.category_label(e.category)} · {fmt.md(', '.join(e.services) or 'no service')}"
               f" · source {e.source} · started {fmt.when(e.started_at)}")
    for label, text in (("Summary", e.summary), ("Root cause", e.root_cause), ("Resolution", e.resolution)):
        if text:
            st.markdown(f"**{label}**")
            st.text(text)
    if e.runbook:
        st.markdown("**Runbook**")
        st.markdown("\n".join(f"{n}. {fmt.md(step)}" for n, step in enumerate(e.runbook, 1)))
    if e.tags:
        st.caption("Tags: " + fmt.md(", ".join(e.tags)))


def hits(results: list[KBHit]) -> None:
    """Search results, best first, each with its score and why it matched."""
    for n, h in enumerate(results, 1):
        with st.container(border=True):
            st.markdown(f"**{n}. {fmt.md(h.entry.title)}** · score {h.score:.2f}")
            st.caption("Why it matched: " + fmt.md(h.why))
            fix = h.entry.resolution or "; ".join(h.entry.runbook[:3])
            if fix:
                st.caption("Fixed by: " + fmt.md(fix))
            with st.expander("Details"):
                entry_detail(h.entry)


def import_preview(entries: list[KBEntry], existing: set[str]) -> None:
    """What an import would do: how many entries are new and how many update stored ones."""
    updates = sum(1 for e in entries if e.id in existing)
    st.info(f"{len(entries)} entries: {len(entries) - updates} new, {updates} update existing entries.",
            icon=":material/preview:")
    entries_table(entries, {e.id: "update" if e.id in existing else "new" for e in entries})


def duplicate_pair(a: KBEntry, b: KBEntry, similarity: float, merge: Callable[[str, str], None], key: str) -> None:
    """Two near-duplicate entries side by side, with a button to keep either and merge the other into it."""
    with st.container(border=True):
        st.caption(f"similarity {similarity:.3f}")
        cols = st.columns(2)
        for col, keep, drop in ((cols[0], a, b), (cols[1], b, a)):
            with col:
                st.markdown(f"**{fmt.md(keep.title)}**")
                st.caption(f"{fmt.md(keep.id)} · {fmt.category_label(keep.category)} · {keep.source}")
                if keep.summary:
                    st.text(keep.summary[:300])
                if st.button("Keep this, merge the other into it", key=f"{key}.keep.{keep.id}",
                             icon=":material/merge:"):
                    merge(keep.id, drop.id)


def promote(draft: KBEntry, *, reviewed: bool, already: Callable[[], bool], key: str) -> KBEntry | None:
    """"Promote to knowledge base": one click opens the prefilled, editable form; the saved entry, else None.

    Only a reviewed report can be promoted (``reviewed``); ``already`` says whether saving updates an entry.
    """
    open_key = f"{key}.open"
    if not st.session_state.get(open_key):
        if st.button("Promote to knowledge base", key=key, icon=":material/menu_book:", disabled=not reviewed,
                     help="Save this incident as a past incident others can find." if reviewed
                     else "Review the report first: accept or reject a hypothesis, or add a note."):
            st.session_state[open_key] = True
            st.rerun()
        return None
    st.subheader("Promote to knowledge base", anchor=False)
    if already():
        st.caption("This incident is already in the knowledge base; saving updates its entry.")
    saved = entry_form(f"{key}.form", draft, submit="Save to knowledge base")
    if st.button("Cancel", key=f"{key}.cancel"):
        st.session_state.pop(open_key, None)
        st.rerun()
    if saved is not None:
        st.session_state.pop(open_key, None)
    return saved

"""Knowledge base: browse, search, add and edit, delete, import postmortems, merge near-duplicates."""

import streamlit as st

from analysis.errors import KnowledgeError
from analysis.knowledge import IMPORT_SUFFIXES, parse_file
from components import kb_view as view
from components.errors import shown_errors
from components.incident_header import show_flashes
from components.resources import get_kb
from components.session_state import ui

PAGE_SIZE = 25
PICK_LIMIT = 1000  # above this many entries, the entry to edit is typed by id
state = ui()
st.title("Knowledge base", anchor=False)
show_flashes(state)
kb, total = None, 0
with shown_errors():
    kb = get_kb()
    total = kb.count()
if kb is None:
    st.stop()
ss = st.session_state
st.caption(f"{total} past incidents and postmortems · searched by meaning and by words · "
           f"embedder {view.fmt.md(kb.embedder.id)}")


def done(text: str) -> None:
    state.flash("success", text)
    st.rerun()


browse, search, edit, imports, dups = st.tabs(["Browse", "Search", "Add / edit", "Import", "Near-duplicates"],
                                              key="kb.tab")
with browse:
    if total == 0:
        st.info("The knowledge base is empty: add an entry, import postmortems, or promote a reviewed incident "
                "from its report.", icon=":material/menu_book:")
    else:
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        page = st.number_input(f"Page (of {pages})", 1, pages, 1, key="kb.page")
        with shown_errors():
            entries = kb.list(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            view.entries_table(entries)
            pick = st.selectbox("Read an entry", [e.id for e in entries], index=None, key="kb.read",
                                format_func=lambda i: next(e.title for e in entries if e.id == i))
            if pick:
                view.entry_detail(next(e for e in entries if e.id == pick))

with search:
    query = st.text_input("Describe the incident", key="kb.q", placeholder="checkout 5xx after deploy, pool timeouts")
    f1, f2, f3, f4, f5, f6 = st.columns([2, 2, 2, 2, 2, 1])
    category = f1.selectbox("Category", view.CATEGORIES, key="kb.f.category",
                            format_func=lambda c: "Any" if c is None else view.fmt.category_label(c))
    service = f2.text_input("Service", key="kb.f.service")
    tag = f3.text_input("Tag", key="kb.f.tag")
    since = f4.date_input("Started from", value=None, key="kb.f.since")
    until = f5.date_input("Started until", value=None, key="kb.f.until")
    k = f6.number_input("Top", 1, 50, 5, key="kb.f.k")
    if query.strip():
        with shown_errors():
            results = kb.search(query, k=int(k), category=category, service=service.strip() or None,
                                tag=tag.strip() or None, since=view.day_bound(since), until=view.day_bound(until, end=True))
            if not results:
                st.info("Nothing matched; loosen the filters or describe the incident differently.")
            view.hits(results)

with edit:
    titles = {e.id: e.title for e in kb.list(limit=max(total, 1))} if total <= PICK_LIMIT else {}
    target = st.selectbox("Entry", list(titles), index=None, key="kb.edit.id", placeholder="New entry",
                          format_func=lambda i: f"{i} · {titles.get(i, '')}",
                          help="Pick an entry to edit or delete; leave empty to add a new one.")
    if total > PICK_LIMIT:
        target = st.text_input("Entry id to edit", key="kb.edit.typed").strip() or None
    entry = kb.get(target) if target else None
    if target and entry is None:
        st.warning("That entry no longer exists.")
    with shown_errors():
        nonce = ss.setdefault("kb.new.nonce", 0)
        saved = view.entry_form(f"kb.form.{entry.id}" if entry else f"kb.form.new{nonce}", entry,
                                submit="Save changes" if entry else "Add entry")
        if saved is not None:
            existed = entry is not None or bool(kb.existing_ids([saved.id]))
            kb.upsert([saved])
            if entry is None:
                ss["kb.new.nonce"] = nonce + 1
            done(f"Entry {view.fmt.md(saved.id)} {'updated' if existed else 'added'}.")
    if entry is not None:
        if ss.get("kb.confirm_delete") != entry.id:
            if st.button("Delete entry", key="kb.delete", icon=":material/delete:"):
                ss["kb.confirm_delete"] = entry.id
                st.rerun()
        else:
            st.warning(f"Delete {view.fmt.md(entry.title)} ({view.fmt.md(entry.id)})? This cannot be undone.",
                       icon=":material/warning:")
            c1, c2 = st.columns(2)
            if c1.button("Yes, delete", key="kb.delete.yes", type="primary", width="stretch"):
                with shown_errors():
                    kb.delete(entry.id)
                    ss.pop("kb.confirm_delete", None)
                    ss.pop("kb.edit.id", None)
                    done(f"Entry {view.fmt.md(entry.id)} deleted.")
            if c2.button("Cancel", key="kb.delete.no", width="stretch"):
                ss.pop("kb.confirm_delete", None)
                st.rerun()

with imports:
    st.caption("JSONL (one entry per line), CSV (one per row) or Markdown postmortems (one per file). "
               "A file with any bad line is refused whole, with the line numbers to fix.")
    unonce = ss.setdefault("kb.import.nonce", 0)
    files = st.file_uploader("Postmortem files", type=[s.lstrip(".") for s in IMPORT_SUFFIXES],
                             accept_multiple_files=True, key=f"kb.import.files{unonce}")
    if files:
        parsed: list = []
        with shown_errors():
            for f in files:
                try:
                    parsed.extend(parse_file(f.name, f.getvalue()))
                except KnowledgeError as exc:
                    raise KnowledgeError(f"{f.name}: {exc}") from exc
            seen = {e.id: e for e in parsed}
            if len(seen) < len(parsed):
                raise KnowledgeError("Two files carry entries with the same id; import them one at a time.")
            existing = kb.existing_ids(seen)
            view.import_preview(parsed, existing)
            if st.button(f"Import {len(parsed)} entries", key="kb.import.go", type="primary",
                         icon=":material/upload:"):
                bar = st.progress(0.0, text="Embedding and storing…")
                n = kb.upsert(parsed, progress=lambda i, t: bar.progress(i / max(t, 1), text=f"{i}/{t} entries"))
                ss["kb.import.nonce"] = unonce + 1
                done(f"Imported {n} entries ({len(parsed) - len(existing)} new, {len(existing)} updated).")

with dups:
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    threshold = c1.slider("Similarity at least", 0.80, 1.0, 0.90, 0.01, key="kb.dup.threshold")
    if c2.button("Find near-duplicates", key="kb.dup.find", icon=":material/content_copy:", width="stretch"):
        with shown_errors():
            ss["kb.dup.pairs"] = kb.near_duplicates(threshold)[:50]
    pairs = ss.get("kb.dup.pairs")
    if pairs is not None and not pairs:
        st.success("No near-duplicates at this similarity.")

    def merge(keep_id: str, drop_id: str) -> None:
        with shown_errors():
            kb.merge(keep_id, drop_id)
            ss["kb.dup.pairs"] = [p for p in pairs if drop_id not in p[:2]]
            done(f"Merged {view.fmt.md(drop_id)} into {view.fmt.md(keep_id)}.")

    for n, (a_id, b_id, sim) in enumerate(pairs or []):
        a, b = kb.get(a_id), kb.get(b_id)
        if a and b:
            view.duplicate_pair(a, b, sim, merge, key=f"kb.dup.{n}")

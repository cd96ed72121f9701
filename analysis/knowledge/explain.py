"""The short "why it matched" line of a search hit: shared terms, same category/service, similar templates.

Pure functions over strings; deterministic (terms sorted by rarity then alphabetically).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from analysis.knowledge.models import KBEntry

STOPWORDS = frozenset("""
a about after again all also an and any are as at be been before being but by can could did do does
during each for from had has have he her his how i if in into is it its just more most my no not of
off on once only or other our out over own same she should so some such than that the their them then
there these they this those through to too under until up very was we were what when where which while
who why will with would you your yes been caused causing cause due because were got get our us
""".split())
_WORD = re.compile(r"[a-z0-9][a-z0-9_\-.]*[a-z0-9]|[a-z]")
_VARIABLE = re.compile(r"\b(?:0x[0-9a-f]+|[0-9a-f]{8,}|\d+(?:\.\d+)*)\b")


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=2048)  # a search explains k hits against one query; entries recur across searches
def terms(text: str) -> dict[str, str]:
    """Content words of ``text`` keyed by a light stem -> first surface form seen (shared: do not modify)."""
    out: dict[str, str] = {}
    for w in _WORD.findall(text.lower()):
        if len(w) < 3 or w in STOPWORDS or w.isdigit():
            continue
        out.setdefault(_stem(w), w)
    return out


def _template_ngrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    toks = _WORD.findall(_VARIABLE.sub("<*>", text.lower()).replace("<*>", " var "))
    toks = [t for t in toks if t not in STOPWORDS]
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def why_matched(query: str, entry: KBEntry, *, similarity: float | None = None,
                category: str | None = None, service: str | None = None,
                query_services: Iterable[str] = (), max_terms: int = 5) -> str:
    """One short sentence: what the query and the entry have in common."""
    parts: list[str] = []
    q_terms = terms(query)
    e_terms = terms(entry.search_text())
    shared = sorted(set(q_terms) & set(e_terms), key=lambda s: (-len(s), s))[:max_terms]
    if shared:
        parts.append("shared terms: " + ", ".join(e_terms[s] for s in sorted(shared)))
    if category and entry.category == category:
        parts.append(f"same category {category}")
    services = {s.lower() for s in entry.services}
    wanted = {s.lower() for s in ([service] if service else []) + list(query_services)}
    q_lower = query.lower()
    mentioned = sorted(s for s in entry.services if len(s) >= 3 and re.search(rf"\b{re.escape(s.lower())}\b", q_lower))
    same = sorted(services & wanted) or [m.lower() for m in mentioned]
    if same:
        parts.append("same service " + ", ".join(same))
    if any(ch.isdigit() for ch in query) or ":" in query:
        common = _template_ngrams(query) & _template_ngrams(entry.search_text())
        if len(common) >= 2:
            parts.append("similar error template")
    if similarity is not None and (not parts or similarity >= 0.5):
        parts.append(f"meaning similarity {similarity:.2f}")
    return "; ".join(parts) or "related by meaning"

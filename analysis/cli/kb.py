"""The ``kb`` command: ``kb import FILE`` and ``kb search QUERY | --batch FILE.jsonl`` on the knowledge base."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable, TextIO

from analysis.cli.output import emit_json
from analysis.errors import KnowledgeError
from analysis.settings import Settings

#: Built lazily so ``--help`` never loads LanceDB or the model; tests may replace it.
EmbedderFactory = Callable[[Settings], Any]


def _embedder(settings: Settings) -> Any:
    from analysis.knowledge import default_embedder

    return default_embedder(settings)


embedder_factory: EmbedderFactory = _embedder


def _open(settings: Settings) -> Any:
    from analysis.knowledge import KnowledgeBase

    return KnowledgeBase(settings.kb_uri, embedder_factory(settings))


def register(subparsers: argparse._SubParsersAction) -> None:
    kb = subparsers.add_parser("kb", help="knowledge base of past incidents: import and search")
    sub = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")

    imp = sub.add_parser("import", help="import JSONL, CSV or Markdown postmortems (same id = update)")
    imp.add_argument("file", metavar="FILE", help=".jsonl / .json lines, .csv, .md (or a folder of .md files)")
    imp.add_argument("--db", metavar="DIR", help="data directory (default SREWB_DATA_DIR or data/runtime/)")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(func=cmd_import)

    srch = sub.add_parser("search", help="hybrid search of the knowledge base")
    srch.add_argument("query", metavar="QUERY", nargs="?", help="what happened, in words")
    srch.add_argument("--k", type=int, default=5, metavar="N", help="number of results (default 5)")
    srch.add_argument("--db", metavar="DIR", help="data directory (default SREWB_DATA_DIR or data/runtime/)")
    srch.add_argument("--json", action="store_true", help="print JSON")
    srch.add_argument("--batch", metavar="FILE.jsonl",
                      help='read {"id", "query"} lines; write one JSON line per query with ranked results')
    srch.add_argument("--category", help="only entries of this taxonomy category")
    srch.add_argument("--service", help="only entries naming this service")
    srch.add_argument("--tag", help="only entries with this tag")
    srch.set_defaults(func=cmd_search)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"The file {path.name} is not UTF-8 text; re-save it as UTF-8 and import again.") from exc


def _read_entries(path: Path) -> list[Any]:
    from analysis.knowledge import parse_file, parse_markdown

    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".md", ".markdown"))
        if not files:
            raise KnowledgeError(f"The folder {path} holds no Markdown postmortems (.md); point at a file instead.")
        odd = [p.name for p in files if not p.is_file()]
        if odd:  # a FIFO or device named *.md would block or misbehave on read
            raise KnowledgeError(f"{', '.join(odd[:5])} in {path} is not a regular file; remove it and import again.")
        return [parse_markdown(_read_text(p), p.name) for p in files]
    if not path.exists():
        raise KnowledgeError(f"The file {path} does not exist; check the path.")
    if not path.is_file():
        raise KnowledgeError(f"{path} is not a regular file; give a JSONL, CSV or Markdown file.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"The file {path} cannot be read ({exc.strerror}); check its permissions.") from exc
    return parse_file(path.name, data)


def cmd_import(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    entries = _read_entries(Path(args.file))
    kb = _open(settings)
    n = kb.upsert(entries)
    result = {"imported": n, "total": kb.count(), "uri": settings.kb_uri, "embedder": kb.embedder.id}
    if args.json:
        emit_json(result, out)
    else:
        out.write(f"imported {n} entries into {settings.kb_uri} ({result['total']} in total)\n")
    return 0


def _hit_json(hit: Any) -> dict[str, Any]:
    e = hit.entry
    return {"id": e.id, "score": hit.score, "title": e.title, "category": e.category, "services": e.services,
            "resolution": e.resolution, "why": hit.why}


def cmd_search(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.k < 1:
        raise KnowledgeError("--k must be at least 1; ask for one or more results.")
    if bool(args.batch) == bool(args.query):
        raise KnowledgeError("Give either a QUERY or --batch FILE.jsonl (exactly one of them).")
    kb = _open(settings)
    filters = {"category": args.category, "service": args.service, "tag": args.tag}
    if args.batch:
        return _batch(kb, Path(args.batch), args.k, filters, out)
    hits = kb.search(args.query, k=args.k, **filters)
    if args.json:
        emit_json({"query": args.query, "results": [_hit_json(h) for h in hits]}, out)
        return 0
    if not hits:
        out.write("no matching entries\n")
    for rank, h in enumerate(hits, start=1):
        out.write(f"{rank}. [{h.score:.3f}] {h.entry.id}  {h.entry.title}\n")
        if h.entry.category:
            out.write(f"   category: {h.entry.category}\n")
        if h.entry.resolution:
            out.write(f"   resolved by: {h.entry.resolution}\n")
        out.write(f"   why: {h.why}\n")
    return 0


def _batch(kb: Any, path: Path, k: int, filters: dict[str, Any], out: TextIO) -> int:
    if not path.is_file():
        raise KnowledgeError(f"The batch file {path} does not exist; check the path.")
    queries: list[tuple[Any, str]] = []
    bad: list[int] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            query = str(rec["query"]).strip()
            if not query:
                raise ValueError
            queries.append((rec.get("id", n), query))
        except (ValueError, KeyError, TypeError):
            bad.append(n)
    if bad:
        listed = ", ".join(map(str, bad[:10]))
        raise KnowledgeError(f"The batch file has invalid lines {listed}; each line needs a JSON object with "
                             "a non-empty \"query\".")
    for qid, query in queries:
        hits = kb.search(query, k=k, **filters)
        out.write(json.dumps({"id": qid, "query": query,
                              "results": [{"id": h.entry.id, "score": h.score} for h in hits]},
                             ensure_ascii=False) + "\n")
    return 0

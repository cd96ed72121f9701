"""``python -m analysis analyze PATH... [--incident FILE.json] [--backend offline|bedrock] [--db DIR] [--json]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from analysis.cli.output import emit_json
from analysis.export import report_to_text
from analysis.ingest.prepare import parse_incident_json
from analysis.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="full pipeline on files or folders; prints the incident report")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (logs/, metrics/, screenshots/, incident.json)")
    p.add_argument("--incident", metavar="FILE.json", help="incident.json with title, description, services, severity")
    p.add_argument("--backend", choices=["offline", "bedrock"], default=None, help="default: SREWB_BACKEND or offline")
    p.add_argument("--db", metavar="DIR", help="store the incident, artifacts and report in this data directory")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from analysis.workflow import analyze_paths

    incident = None
    if args.incident:
        incident = parse_incident_json(Path(args.incident).read_bytes(), args.incident)
    store = None
    if args.db:
        from analysis.store import Store

        store = Store.open(settings)
    backend_name = args.backend or settings.backend
    backend = None
    if backend_name == "bedrock":
        from analysis.llm.factory import build_backend

        backend = build_backend(settings.model_copy(update={"backend": "bedrock"}), store=store)

    def progress(agent: str, message: str) -> None:
        if not args.quiet and not args.json:
            sys.stderr.write(f"[{agent}] {message}\n")

    from analysis.agents.similar import from_settings

    report, outcome, inc = analyze_paths(args.paths, settings, incident=incident, store=store, backend=backend,
                                         progress=progress, knowledge=from_settings(settings))
    for rej in outcome.rejected:
        sys.stderr.write(f"skipped: {rej.reason}\n")
    if args.json:
        emit_json(report, out)
    else:
        out.write(report_to_text(report))
        if inc is not None:
            out.write(f"\nStored as incident {inc.id} in {settings.data_dir}\n")
    return 0

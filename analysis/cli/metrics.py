"""``python -m analysis metrics FILE [--scores OUT.csv] [--json]``: layout, anomalies, change points."""

from __future__ import annotations

import argparse
import csv
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from analysis.cli.output import emit_json
from analysis.errors import IngestError
from analysis.settings import Settings

if TYPE_CHECKING:
    import pandas as pd


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("metrics", help="detect a metric CSV's layout, find anomalies and change points")
    p.add_argument("file", metavar="FILE", help="metric CSV (wide, long, CloudWatch, Prometheus, Grafana, Datadog)")
    p.add_argument("--scores", metavar="OUT.csv",
                   help="write timestamp,series,value,score per point (score in [0,1], computed causally)")
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.set_defaults(func=run)


def write_scores(frame: pd.DataFrame, path: Path) -> int:
    """Write one ``timestamp,series,value,score`` row per point of a long metric frame; returns rows."""
    import pandas as pd  # imported here: every CLI command registers this module, few need pandas

    from analysis.engines.metrics import causal_scores

    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "series", "value", "score"])
        for series, g in frame.groupby("series", sort=True, observed=True):
            idx = pd.DatetimeIndex(g["timestamp"])
            vals = g["value"].to_numpy(dtype=float)
            scores = causal_scores(idx.asi8.view("datetime64[ns]"), vals)
            stamps = idx.strftime("%Y-%m-%dT%H:%M:%S.%fZ").str.replace(".000000Z", "Z", regex=False)
            w.writerows(zip(stamps, [str(series)] * len(vals), (repr(float(v)) for v in vals),
                            (f"{s:.6f}" for s in np.round(scores, 6))))
            rows += len(vals)
    return rows


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from analysis.engines.metrics import analyze_metrics, load_metrics

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"Cannot read {args.file} ({exc.strerror}); check the path.") from exc
    table = load_metrics(data, path.name)
    analysis = analyze_metrics(table, artifact_id=hashlib.sha256(data).hexdigest()[:16], name=path.name)
    if args.scores:
        try:
            write_scores(table.frame, Path(args.scores))
        except OSError as exc:
            raise IngestError(f"Cannot write scores to {args.scores} ({exc.strerror}); choose a writable path.") from exc
    if args.json:
        emit_json(analysis, out)
        return 0
    out.write(f"{path.name}: layout {analysis.layout}, {len(analysis.series)} series, "
              f"{len(table.frame)} points\n")
    for note in analysis.notes:
        out.write(f"  note: {note}\n")
    if analysis.onset_order:
        out.write("What moved first:\n")
        for series, t in analysis.onset_order[:15]:
            out.write(f"  {t.strftime('%Y-%m-%d %H:%M:%S')} UTC  {series}\n")
    if analysis.groups:
        out.write("Moved together:\n")
        for g in analysis.groups[:5]:
            out.write(f"  {', '.join(g)}\n")
    out.write(f"Findings ({len(analysis.findings)}):\n")
    for f in sorted(analysis.findings, key=lambda f: (-f.score, f.id))[:20]:
        out.write(f"  [{f.severity}] {f.title}\n")
    if args.scores:
        out.write(f"Scores written to {args.scores}\n")
    return 0

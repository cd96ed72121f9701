"""``python -m analysis screenshot FILE [--json] [--date YYYY-MM-DD]``: read a dashboard screenshot."""

from __future__ import annotations

import argparse
import hashlib
from datetime import date
from pathlib import Path
from typing import TextIO

from analysis.cli.output import emit_json
from analysis.errors import IngestError
from analysis.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("screenshot", help="read a dashboard screenshot: panels, titles, units, what spiked, alerts")
    p.add_argument("file", metavar="FILE", help="PNG/JPEG/WebP screenshot of a Grafana, CloudWatch, Datadog... dashboard")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None,
                   help="local date at the right end of the time axis (default: a date printed on the page, "
                        "else anomaly times are null)")
    p.add_argument("--json", action="store_true", help="print the reading as JSON")
    p.set_defaults(func=run)


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise IngestError(f"--date {text!r} is not a date: use YYYY-MM-DD.") from None


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from analysis.engines.vision import read_screenshot
    from analysis.ingest.images import open_image

    path = Path(args.file)
    ref = _parse_date(args.date)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"Cannot read {args.file} ({exc.strerror}); check the path.") from exc
    image, info = open_image(data, path.name, settings.max_image_pixels)
    reading = read_screenshot(image, artifact_id=hashlib.sha256(data).hexdigest()[:16], name=path.name,
                              reference_date=ref)
    reading.notes = list(info.notes) + reading.notes
    if args.json:
        emit_json(reading, out)
        return 0
    out.write(f"{path.name}: {reading.width}x{reading.height} {reading.theme} theme, {len(reading.panels)} panels, "
              f"incident visible: {'yes' if reading.incident_visible else 'no'}\n")
    for p in reading.panels:
        flag = "  [ALERTING: " + ", ".join(p.alert_reasons) + "]" if p.alerting else ""
        unit = f" ({p.unit})" if p.unit else ""
        out.write(f"- {p.title or '(untitled)'}{unit} {p.bbox}{flag}\n")
        for a in p.anomalies:
            when = f"{a.start:%Y-%m-%d %H:%M} UTC" if a.start else "time unknown"
            out.write(f"    {a.kind} {a.direction} from {when} {a.series} {a.bbox}\n")
    for n in reading.notes:
        out.write(f"note: {n}\n")
    return 0

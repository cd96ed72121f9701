"""Plain helpers shared by the Bedrock tests and the bench (importable by name, unlike conftest)."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from analysis.agents.loaded import LoadedArtifact
from analysis.models import Artifact, ArtifactKind, EvidenceRef
from analysis.settings import Settings

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)


def render_text_image(lines: list[str], size: tuple[int, int] = (1600, 900)) -> bytes:
    """A dark dashboard-like PNG with readable text lines (for OCR masking tests)."""
    img = Image.new("RGB", size, (24, 27, 31))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    y = 40
    for line in lines:
        draw.text((40, y), line, fill=(230, 230, 230), font=font)
        y += 56
    w, h = size
    draw.line([(40, h - 100), (w // 2, h - 120), (w * 3 // 5, h // 2), (w - 100, h // 2 - 20)], fill=(80, 200, 120), width=4)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def loaded(settings: Settings, name: str, data: bytes, kind: ArtifactKind, i: int) -> LoadedArtifact:
    art = Artifact(id=f"art-{i:03d}", incident_id="inc-1", kind=kind, name=name, sha256=f"{i:064d}", size=len(data),
                   path="", created_at=T0)
    return LoadedArtifact(art, data, settings)


def ev(name: str, line: int, excerpt: str) -> EvidenceRef:
    return EvidenceRef(kind="log_lines", artifact_id="art-001", artifact_name=name, line_start=line, line_end=line,
                       excerpt=excerpt)

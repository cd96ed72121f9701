"""Ingest: accepted odd inputs and refused bad ones, each with one sentence and nothing stored."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from PIL import Image

from analysis.errors import IngestError
from analysis.ingest.archive import ArchiveLimits, gunzip, unzip
from analysis.ingest.images import open_image
from analysis.ingest.prepare import prepare_files
from analysis.ingest.text import decode_text, split_lines
from analysis.models import ArtifactKind, IncidentInput
from analysis.workflow import upload

LIMITS = ArchiveLimits(max_total_bytes=10 * 2**20, max_ratio=100, max_entries=50, max_depth=2)


def _png(w=40, h=30, mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), 128 if mode != "RGB" else (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data,expected", [
    (b"\xef\xbb\xbfhello\r\nworld", ["hello", "world"]),
    ("héllo\nwörld\n".encode("utf-16"), ["héllo", "wörld"]),
    ("caf\xe9 ol\xe9\n".encode("latin-1") * 50, ["café olé"] * 50),
    (b"a\rb\rc", ["a", "b", "c"]),
    (b"line1\n" + b"\x00" * 4096 + b"line2\n", ["line1", "line2"]),
])
def test_decoding_odd_but_legitimate_text(data, expected):
    assert split_lines(decode_text(data, "x.log").text) == expected


@pytest.mark.parametrize("data,needle", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (bytes(range(256)) * 40, "binary"),
])
def test_refused_text(data, needle):
    with pytest.raises(IngestError, match=needle):
        decode_text(data, "app.log")


def test_gzip_roundtrip_and_bomb():
    assert gunzip(gzip.compress(b"hello\n" * 10), "a.gz", LIMITS) == b"hello\n" * 10
    bomb = gzip.compress(b"\0" * (20 * 2**20))
    with pytest.raises(IngestError, match="expands to more than"):
        gunzip(bomb, "bomb.log.gz", LIMITS)
    with pytest.raises(IngestError, match="truncated|not a valid gzip"):
        gunzip(gzip.compress(b"hello" * 1000)[:30], "cut.gz", LIMITS)


def test_zip_members_nested_and_refusals():
    inner = _zip({"deep.log": b"x\n"})
    members = unzip(_zip({"logs/a.log": b"a\n", "inner.zip": inner, "__MACOSX/._a": b"junk"}), "b.zip", LIMITS)
    assert [m for m, _ in members] == ["logs/a.log", "inner.zip/deep.log"]
    with pytest.raises(IngestError, match=r"'\.\.' path"):
        unzip(_zip({"../../x": b"evil"}), "evil.zip", LIMITS)
    with pytest.raises(IngestError, match="absolute path"):
        unzip(_zip({"/etc/passwd": b"evil"}), "abs.zip", LIMITS)
    with pytest.raises(IngestError, match="entries, more than"):
        unzip(_zip({f"f{i}.log": b"x" for i in range(60)}), "flood.zip", LIMITS)
    with pytest.raises(IngestError, match="zip bomb|too large"):
        unzip(_zip({"big.log": b"\0" * (12 * 2**20)}), "bomb.zip", LIMITS)


def test_zip_symlink_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("link.log")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(IngestError, match="symbolic link"):
        unzip(buf.getvalue(), "sym.zip", LIMITS)


def test_images_converted_or_refused():
    img, info = open_image(_png(mode="RGBA"), "a.png", 10**7)
    assert img.mode == "RGB" and "transparency" in info.notes[0]
    img, info = open_image(_png(mode="I;16"), "b.png", 10**7)
    assert img.mode == "RGB"
    with pytest.raises(IngestError, match="not a readable image"):
        open_image(_png()[:60], "broken.png", 10**7)
    with pytest.raises(IngestError, match="pixels"):
        open_image(_png(200, 200), "big.png", 1000)


def test_prepare_classifies_and_rejects_one_by_one(settings):
    batch = prepare_files([
        ("app.log", b"2024-01-01T00:00:00Z INFO start\n"),
        ("dash.png", _png()),
        ("notes.md", b"# what we saw\n"),
        ("empty.log", b""),
        ("binary.log", bytes(range(256)) * 10),
        ("broken.png", _png()[:50]),
        ("evil.zip", _zip({"../../x": b"x"})),
        ("bundle.zip", _zip({"incident.json": b'{"title": "From zip", "severity": "SEV1"}',
                             "logs/b.log.gz": gzip.compress(b"hello\n")})),
    ], settings)
    kinds = {f.name: f.kind for f in batch.files}
    assert kinds == {"app.log": ArtifactKind.log, "dash.png": ArtifactKind.screenshot,
                     "notes.md": ArtifactKind.note, "b.log.gz": ArtifactKind.log}
    reasons = {r.name.split(":")[0]: r.reason for r in batch.rejected}
    assert set(reasons) == {"empty.log", "binary.log", "broken.png", "evil.zip"}
    for name, reason in reasons.items():
        assert "\n" not in reason and name in reason and "Traceback" not in reason
    assert batch.incident.title == "From zip"


def test_upload_size_limit(settings):
    small = settings.model_copy(update={"max_upload_mb": 1})
    batch = prepare_files([("huge.log", b"x" * (2 * 2**20))], small)
    assert batch.files == [] and "upload limit" in batch.rejected[0].reason


def test_rejected_uploads_store_nothing_and_keep_earlier_artifacts(store, settings):
    inc = store.create_incident(IncidentInput(title="x"))
    first = upload(store, inc.id, [("ok.log", b"2024-01-01 00:00:00 INFO fine\n")], settings)
    assert len(first.added) == 1
    before = {p: p.read_bytes() for p in (settings.data_dir / "artifacts").rglob("*") if p.is_file()}
    second = upload(store, inc.id, [("empty.log", b""), ("evil.zip", _zip({"../../x": b"x"}))], settings)
    assert second.added == [] and len(second.rejected) == 2
    after = {p: p.read_bytes() for p in (settings.data_dir / "artifacts").rglob("*") if p.is_file()}
    assert after == before
    assert [a.name for a in store.list_artifacts(inc.id)] == ["ok.log"]


def test_incident_json_in_a_bundle_fills_only_empty_fields(store, settings):
    inc = store.create_incident(IncidentInput(title="Typed by analyst", description="mine"))
    bundle = _zip({"incident.json": b'{"title": "Zip title", "description": "zip", "services": ["a", "b"]}',
                   "app.log": b"2024-01-01 00:00:00 INFO ok\n"})
    upload(store, inc.id, [("bundle.zip", bundle)], settings)
    got = store.get_incident(inc.id)
    assert (got.title, got.description, got.services) == ("Typed by analyst", "mine", ["a", "b"])

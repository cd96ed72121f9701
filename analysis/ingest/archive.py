"""Safe expansion of ``.gz`` and ``.zip`` uploads with streaming size, ratio and entry limits.

Nothing is extracted to disk: members are read into memory through bounded streams, so a
decompression bomb is stopped before memory grows past the configured limit.
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass

from analysis.errors import IngestError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits applied while expanding archives (from Settings)."""

    max_total_bytes: int
    max_ratio: float
    max_entries: int
    max_depth: int


def is_gzip(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def is_zip(data: bytes) -> bool:
    return data[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC)


def gunzip(data: bytes, name: str, limits: ArchiveLimits) -> bytes:
    """Decompress a (possibly multi-member) gzip stream, refusing bombs before they grow."""
    out = bytearray()
    budget = min(limits.max_total_bytes, int(max(len(data), 1) * limits.max_ratio) + (1 << 20))
    remaining = data
    try:
        while remaining:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            buf = remaining
            pos = 0
            while pos < len(buf):
                chunk = d.decompress(buf[pos:pos + _CHUNK], budget - len(out) + 1)
                pos += _CHUNK
                out += chunk
                while d.unconsumed_tail and len(out) <= budget:
                    out += d.decompress(d.unconsumed_tail, budget - len(out) + 1)
                if len(out) > budget:
                    raise IngestError(
                        f"{name} expands to more than {budget // (1 << 20)} MB (limit on decompressed size/ratio): "
                        "upload a smaller excerpt or raise SREWB_MAX_DECOMPRESSED_MB."
                    )
                if d.eof:
                    break
            if not d.eof:
                raise IngestError(f"{name} is a truncated gzip file: re-create the .gz or upload the plain file.")
            remaining = d.unused_data.lstrip(b"\x00")
            if remaining and not is_gzip(remaining):
                break
    except zlib.error as exc:
        raise IngestError(f"{name} is not a valid gzip file ({exc}): re-create it or upload the plain file.") from None
    return bytes(out)


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = posixpath.normpath(name.replace("\\", "/")).split("/")
    if ".." in name.replace("\\", "/").split("/") or ".." in parts:
        return "a '..' path that escapes the archive"
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        return "a symbolic link"
    if info.flag_bits & 0x1:
        return "encryption"
    return None


def _skip_member(name: str) -> bool:
    base = posixpath.basename(name.rstrip("/"))
    return (name.endswith("/") or "__MACOSX/" in name or base.startswith(".") or not base)


def unzip(data: bytes, name: str, limits: ArchiveLimits, depth: int = 1,
          budget: list[int] | None = None) -> list[tuple[str, bytes]]:
    """Return ``(member path, bytes)`` for every regular file, nested zips expanded within limits."""
    budget = budget if budget is not None else [limits.max_total_bytes]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise IngestError(f"{name} is not a readable zip archive ({exc}): re-create the zip.") from None
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise IngestError(
            f"{name} holds {len(infos)} entries, more than the limit of {limits.max_entries}: zip fewer files."
        )
    for info in infos:
        why = _unsafe_member(info)
        if why:
            raise IngestError(f"{name} was refused: entry '{info.filename}' uses {why}; "
                              "zip only regular files with relative paths, without a password.")
    out: list[tuple[str, bytes]] = []
    for info in infos:
        if _skip_member(info.filename):
            continue
        if info.file_size > budget[0]:
            raise IngestError(f"{name}: entry '{info.filename}' is too large when expanded: upload a smaller bundle.")
        buf = bytearray()
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    buf += chunk
                    if len(buf) > budget[0] or (info.compress_size and len(buf) > max(info.compress_size, 1024) * limits.max_ratio + (1 << 20)):
                        raise IngestError(
                            f"{name}: entry '{info.filename}' expands beyond the decompressed size/ratio limits "
                            "(possible zip bomb): upload the files directly."
                        )
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
            raise IngestError(f"{name}: entry '{info.filename}' cannot be read ({exc}): re-create the zip.") from None
        budget[0] -= len(buf)
        member = info.filename.replace("\\", "/")
        blob = bytes(buf)
        if is_zip(blob):
            if depth >= limits.max_depth:
                raise IngestError(f"{name}: nested archive '{member}' is deeper than {limits.max_depth} levels: flatten the bundle.")
            for sub_name, sub_data in unzip(blob, member, limits, depth + 1, budget):
                out.append((f"{member}/{sub_name}", sub_data))
        else:
            out.append((member, blob))
    return out

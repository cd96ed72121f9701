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


#: Containers the workbench does not expand, with what to do instead.
_OTHER_CONTAINERS = (
    (b"BZh", 0, "a bzip2 file", "decompress it or re-compress it as .gz"),
    (b"\xfd7zXZ\x00", 0, "an xz file", "decompress it or re-compress it as .gz"),
    (b"\x28\xb5\x2f\xfd", 0, "a zstd file", "decompress it or re-compress it as .gz"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive", "re-pack it as .zip"),
    (b"Rar!\x1a\x07", 0, "a RAR archive", "re-pack it as .zip"),
    (b"ustar", 257, "a tar archive", "unpack it and upload the files, or re-pack them as .zip"),
    (b"%PDF-", 0, "a PDF document", "upload the logs, CSVs or a PNG/JPEG screenshot instead"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "an old-style Office document", "export the data as CSV"),
)


def other_container(data: bytes) -> tuple[str, str] | None:
    """``(what it is, what to do)`` for archives and documents that are refused, else None."""
    for magic, offset, what, todo in _OTHER_CONTAINERS:
        if data[offset:offset + len(magic)] == magic:
            return what, todo
    return None


def _declared_entries(data: bytes) -> int | None:
    """Central-directory entries counted from the raw bytes, before :mod:`zipfile` builds objects for them."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - (1 << 16) - 22))
    if end < 0 or end + 22 > len(data):
        return None
    cd_size, cd_offset = int.from_bytes(data[end + 12:end + 16], "little"), int.from_bytes(data[end + 16:end + 20], "little")
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:  # zip64: count every central header in the file
        return data.count(b"PK\x01\x02")
    return data.count(b"PK\x01\x02", cd_offset, cd_offset + cd_size) if cd_offset + cd_size <= len(data) else \
        data.count(b"PK\x01\x02")


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
    declared = _declared_entries(data)
    if declared is not None and declared > limits.max_entries:
        raise IngestError(
            f"{name} holds {declared} entries, more than the limit of {limits.max_entries}: zip fewer files."
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise IngestError(f"{name} is not a readable zip archive ({exc}): re-create the zip.") from None
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise IngestError(
            f"{name} holds {len(infos)} entries, more than the limit of {limits.max_entries}: zip fewer files."
        )
    names = {i.filename for i in infos}
    if "[Content_Types].xml" in names:
        raise IngestError(f"{name} is an Office document (Excel, Word), not a bundle: export the sheet as CSV "
                          "and upload that.")
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
        # zipfile raises NotImplementedError for compression methods it cannot decode (e.g. Deflate64)
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

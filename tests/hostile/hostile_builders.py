"""Byte builders for the hostile-input catalogue: logs, metric CSVs, images and archives.

Everything is generated deterministically in code (no fixture blobs, no shared data), so the
catalogue can describe each case as "what bytes" plus "what verdict" in one line.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from datetime import datetime, timedelta, timezone

from PIL import Image, ImageDraw

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------------ logs
def log_lines(n: int = 60, *, start: datetime = T0, service: str = "checkout") -> list[str]:
    """A small application log with an error burst in the middle (a realistic incident)."""
    out = []
    for i in range(n):
        ts = (start + timedelta(seconds=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if n // 2 <= i < n // 2 + 8:
            out.append(f"{ts} ERROR {service} db connection timeout after 5000ms pool=orders host=db-{i % 3}")
        else:
            out.append(f"{ts} INFO {service} request ok path=/api/cart/{i} status=200 latency={10 + i % 7}ms")
    return out


def log_text(n: int = 60, *, newline: str = "\n", final: bool = True, extra: list[str] | None = None) -> str:
    lines = log_lines(n)
    if extra:
        mid = len(lines) // 2
        lines = lines[:mid] + extra + lines[mid:]
    return newline.join(lines) + (newline if final else "")


def log_bytes(n: int = 60, **kw) -> bytes:
    return log_text(n, **kw).encode("utf-8")


def stamped(messages: list[str], level: str = "ERROR") -> list[str]:
    """Timestamped log lines carrying the given messages."""
    return [f"{(T0 + timedelta(seconds=151 + i)).strftime('%Y-%m-%dT%H:%M:%SZ')} {level} web {m}"
            for i, m in enumerate(messages)]


# ------------------------------------------------------------------------------------------ CSVs
def metric_rows(n: int = 90) -> list[tuple[datetime, float, float]]:
    """(time, cpu %, p99 latency ms) with a clear step at two thirds."""
    rows = []
    for i in range(n):
        step = i >= 2 * n // 3
        cpu = 35.0 + (i % 5) + (45.0 if step else 0.0)
        lat = 120.0 + 3 * (i % 4) + (900.0 if step else 0.0)
        rows.append((T0 + timedelta(minutes=i), cpu, lat))
    return rows


def csv_text(*, delim: str = ",", decimal: str = ".", header: str | None = "timestamp{d}cpu_pct{d}p99_ms",
             time_fmt=lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"), n: int = 90, newline: str = "\n",
             rows: list[tuple[datetime, float, float]] | None = None) -> str:
    lines = [] if header is None else [header.format(d=delim)]
    for t, cpu, lat in rows if rows is not None else metric_rows(n):
        c = f"{cpu:.2f}".replace(".", decimal)
        la = f"{lat:.1f}".replace(".", decimal)
        lines.append(delim.join([time_fmt(t), c, la]))
    return newline.join(lines) + newline


def csv_bytes(**kw) -> bytes:
    return csv_text(**kw).encode("utf-8")


def wide_csv(columns: int = 400, n: int = 60) -> bytes:
    head = "timestamp," + ",".join(f"host_{c:03d}_cpu" for c in range(columns))
    lines = [head]
    for i, (t, cpu, _lat) in enumerate(metric_rows(n)):
        vals = ",".join(f"{cpu + (c % 7):.1f}" for c in range(columns))
        lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ},{vals}")
    return ("\n".join(lines) + "\n").encode()


def long_csv(n: int = 60) -> bytes:
    lines = ["timestamp,metric,value"]
    for t, cpu, lat in metric_rows(n):
        lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ},cpu_pct,{cpu:.1f}")
        lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ},p99_ms,{lat:.1f}")
    return ("\n".join(lines) + "\n").encode()


def csv_with_cells(cells: list[str], header: str = "timestamp,cpu_pct,p99_ms") -> bytes:
    """A valid CSV whose p99 column takes the given odd cells in a few rows."""
    lines = [header]
    for i, (t, cpu, lat) in enumerate(metric_rows(90)):
        v = cells[i % len(cells)] if i % 9 == 4 else f"{lat:.1f}"
        lines.append(f"{t:%Y-%m-%dT%H:%M:%SZ},{cpu:.1f},{v}")
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------------------------------ images
def dashboard(size: tuple[int, int] = (480, 300), mode: str = "RGB") -> Image.Image:
    """A tiny dark dashboard panel: title, axis and a line that jumps up at two thirds."""
    w, h = size
    img = Image.new("RGB", size, (24, 27, 31))
    d = ImageDraw.Draw(img)
    d.text((10, 6), "p99 latency (ms)", fill=(220, 220, 220))
    d.line([(40, h - 30), (w - 10, h - 30)], fill=(120, 120, 120))
    pts = [(40 + i * (w - 60) // 60, (h - 60) if i < 40 else 60) for i in range(61)]
    d.line(pts, fill=(115, 191, 105), width=2)
    return img.convert(mode) if mode != "RGB" else img


def image_bytes(fmt: str, mode: str = "RGB", size: tuple[int, int] = (480, 300), **save) -> bytes:
    buf = io.BytesIO()
    img = dashboard(size)
    if mode == "I;16":
        import numpy as np

        img = Image.fromarray(np.asarray(img.convert("L"), dtype=np.uint16) * 257)
    elif mode == "P":  # an adaptive palette without dithering, as screenshot tools write PNG8/GIF
        img = img.quantize(colors=64, dither=Image.Dither.NONE)
    elif mode != "RGB":
        img = img.convert(mode)
    img.save(buf, format=fmt, **save)
    return buf.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    """Frames that differ (Pillow merges identical frames), each with an adaptive undithered palette."""
    imgs = []
    for k in range(frames):
        img = dashboard()
        ImageDraw.Draw(img).text((400, 6), f"t+{k}m", fill=(220, 220, 220))
        imgs.append(img.quantize(colors=64, dither=Image.Dither.NONE))
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=100, loop=0)
    return buf.getvalue()


def multipage_tiff(pages: int = 3) -> bytes:
    imgs = [dashboard() for _ in range(pages)]
    buf = io.BytesIO()
    imgs[0].save(buf, format="TIFF", save_all=True, append_images=imgs[1:])
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, rows_of_data: int = 1) -> bytes:
    """A PNG header declaring ``width x height`` 8-bit greyscale with a small compressed body (pixel bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = (b"\x00" + b"\x00" * width) * rows_of_data
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw, 9))
            + _png_chunk(b"IEND", b""))


def png_with_text_chunk(text: str) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", text)
    buf = io.BytesIO()
    dashboard().save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def gif_declaring(width: int, height: int) -> bytes:
    """GIF89a whose logical screen and one frame claim a huge size."""
    head = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    desc = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return head + desc + b"\x02\x02\x44\x01\x00\x3b"


def tiff_declaring(width: int, height: int) -> bytes:
    """Little-endian TIFF with one strip claiming ``width x height`` 8-bit greyscale pixels."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHII", tag, typ, count, value) if typ == 4 else struct.pack("<HHIHH", tag, typ, count, value, 0)
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 16


# ------------------------------------------------------------------------------------------ archives
def gz(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def _deflate_zeros(mb: int) -> tuple[bytes, int]:
    """Raw deflate of ``mb`` MB of zeros built from one repeated full-flush block; returns (stream, crc32)."""
    block = b"\x00" * (1 << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    tail = co.flush()
    crc = 0
    for _ in range(mb):
        crc = zlib.crc32(block, crc)
    return unit * mb + tail, crc & 0xFFFFFFFF


def gzip_bomb(mb: int = 300) -> bytes:
    """``mb`` MB of zeros as a valid gzip file (ratio ~1000:1), built without holding the output."""
    body, crc = _deflate_zeros(mb)
    head = b"\x1f\x8b\x08\x00" + b"\x00" * 4 + b"\x02\xff"
    return head + body + struct.pack("<II", crc, (mb << 20) & 0xFFFFFFFF)


def zip_of(members: list[tuple[str, bytes]] | dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    items = members.items() if isinstance(members, dict) else members
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in items:
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return buf.getvalue()


def zip_with_info(info: zipfile.ZipInfo, data: bytes, extra: list[tuple[str, bytes]] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, blob in extra:
            zf.writestr(name, blob)
        zf.writestr(info, data)
    return buf.getvalue()


def zip_symlink(name: str = "logs/app.log", target: str = "/etc/passwd") -> bytes:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    return zip_with_info(info, target.encode(), extra=[("logs/ok.log", log_bytes())])


def zip_encrypted() -> bytes:
    """A zip whose entry has the 'encrypted' flag set (as a password-protected export would)."""
    raw = bytearray(zip_of({"logs/app.log": log_bytes()}))
    # general-purpose flag bit 0 in the local header (offset 6) and the central directory (offset 8)
    raw[6] |= 0x01
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 8] |= 0x01
    return bytes(raw)


def zip_bomb_entry(mb: int = 200, name: str = "logs/huge.log") -> bytes:
    """One deflated entry of ``mb`` MB of zeros with honest headers (ratio ~1000:1)."""
    body, crc = _deflate_zeros(mb)
    return _raw_zip(name.encode(), body, crc, mb << 20)


def _raw_zip(name: bytes, body: bytes, crc: int, size: int, method: int = 8) -> bytes:
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(body), size, len(name), 0) + name
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(body), size,
                          len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(body), 0)
    return local + body + central + end


def zip_lying_size() -> bytes:
    """An entry whose headers declare 100 bytes while its deflate stream holds 50 MB of zeros."""
    body, crc = _deflate_zeros(50)
    return _raw_zip(b"logs/liar.log", body, crc, 100)


def zip_unknown_method() -> bytes:
    """An entry claiming compression method 98 (PPMd), which Python cannot read."""
    raw = bytearray(zip_of({"logs/app.log": log_bytes()}))
    raw[8:10] = struct.pack("<H", 98)
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 10:cd + 12] = struct.pack("<H", 98)
    return bytes(raw)


def nested_zip(depth: int, inner: dict[str, bytes] | None = None) -> bytes:
    """A zip holding a zip holding ... (``depth`` levels in all) with real files at the bottom."""
    blob = zip_of(inner or {"logs/app.log": log_bytes()})
    for level in range(depth - 1):
        blob = zip_of({f"bundle{level}.zip": blob})
    return blob


def elf_like() -> bytes:
    head = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHI", 2, 62, 1)
    return head + bytes((i * 37 + 11) % 256 for i in range(8192))


def pseudo_random(n: int, seed: int = 7) -> bytes:
    import random

    return random.Random(seed).randbytes(n)


def sqlite_like() -> bytes:
    return b"SQLite format 3\x00" + struct.pack(">H", 4096) + bytes((i * 131) % 256 for i in range(4096))


def tar_of(members: dict[str, bytes]) -> bytes:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def bz2_of(data: bytes) -> bytes:
    import bz2

    return bz2.compress(data)


def xz_of(data: bytes) -> bytes:
    import lzma

    return lzma.compress(data)


def xlsx_like() -> bytes:
    """The skeleton of an Excel workbook (a zip with ``[Content_Types].xml``)."""
    return zip_of({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
                   "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<worksheet><c>1</c></worksheet>"})


def zip_flood_raw(entries: int) -> bytes:
    """A stored zip of ``entries`` one-byte members assembled with struct (fast for huge counts)."""
    locals_, centrals, offset = [], [], 0
    crc = zlib.crc32(b"x") & 0xFFFFFFFF
    for i in range(entries):
        name = f"f{i}.log".encode()
        local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, 1, 1, len(name), 0) + name + b"x"
        centrals.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, 1, 1,
                                    len(name), 0, 0, 0, 0, 0, offset) + name)
        locals_.append(local)
        offset += len(local)
    cd = b"".join(centrals)
    n = min(entries, 0xFFFF)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(cd), offset, 0)
    return b"".join(locals_) + cd + end

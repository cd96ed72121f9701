"""Screenshot validation and normalisation with Pillow: bombs, corrupt files, odd modes.

The stored bytes stay the original upload; :func:`open_image` returns an RGB copy for analysis.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageSequence, UnidentifiedImageError

from analysis.errors import IngestError

IMAGE_MAGICS = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
)


def image_format(data: bytes) -> str | None:
    """Return the image format from magic bytes, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    for magic, fmt in IMAGE_MAGICS:
        if data.startswith(magic):
            return fmt
    return None


#: Smaller than this on either side is an icon or a tracking pixel, not a screenshot. (The vision
#: engine declines images under 50 px at analysis time and reports that as a gap.)
MIN_IMAGE_SIDE = 16


def _bomb_message(name: str, exc: Exception, max_pixels: int) -> str:
    m = re.search(r"\((\d+) pixels\)", str(exc))
    declared = f"{int(m.group(1)):,} pixels" if m else "an enormous pixel size"
    return (f"{name} declares {declared}, more than the limit of {max_pixels:,} pixels (possible decompression "
            "bomb): upload a smaller screenshot.")


@dataclass
class ImageInfo:
    """What we learned while validating an image."""

    format: str
    width: int
    height: int
    mode: str
    notes: list[str]


def open_image(data: bytes, name: str, max_pixels: int) -> tuple[Image.Image, ImageInfo]:
    """Open, bound-check and fully decode an image; returns an RGB image and its info."""
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > max_pixels:
                raise IngestError(
                    f"{name} is {w}x{h} pixels, more than the limit of {max_pixels:,} pixels: "
                    "upload a smaller screenshot."
                )
            if w < MIN_IMAGE_SIDE or h < MIN_IMAGE_SIDE:
                raise IngestError(f"{name} is only {w}x{h} pixels: upload a full dashboard screenshot.")
            fmt = (img.format or "unknown").lower()
            n_frames = getattr(img, "n_frames", 1)
            if n_frames > 1:
                notes.append(f"{n_frames}-frame {fmt.upper()}: the first frame was analysed")
                img = next(iter(ImageSequence.Iterator(img)))
            img.load()
    except IngestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise IngestError(_bomb_message(name, exc, max_pixels)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise IngestError(f"{name} is not a readable image ({type(exc).__name__}): "
                          "re-export the screenshot as PNG or JPEG.") from None
    mode = img.mode
    if mode not in ("RGB",):
        if mode in ("I;16", "I;16B", "I;16L", "I"):
            import numpy as np
            arr = np.asarray(img, dtype=np.float64)
            hi = arr.max() or 1.0
            img = Image.fromarray((arr / hi * 255).astype("uint8")).convert("RGB")
            notes.append(f"{mode} high-bit-depth image scaled to 8-bit")
        elif mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            bg = Image.new("RGB", rgba.size, (255, 255, 255))
            bg.paste(rgba, mask=rgba.split()[-1])
            img = bg
            notes.append("transparency flattened onto white")
        else:
            img = img.convert("RGB")
            if mode == "CMYK":
                notes.append("CMYK image converted to RGB")
    return img, ImageInfo(format=fmt, width=w, height=h, mode=mode, notes=notes)

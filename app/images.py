"""Pictures people upload (images in lessons and posts, profile pictures): recognised by their
content, never by their name; refused when they are not an image, too large, or a decompression
bomb; and always re-encoded, which drops metadata (a phone photo's GPS position) and anything
hidden after the image data, so what we serve is only ever a picture."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import BadInput, TooLarge

#: What a browser shows everywhere, and what we keep as it came (after re-encoding).
FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "GIF": ("gif", "image/gif"),
           "WEBP": ("webp", "image/webp")}
MAX_BYTES = 8 * 1024 * 1024
#: A picture larger than this many pixels is refused before it is decoded (a 40000×40000 PNG of
#: a few kilobytes would need gigabytes of memory).
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def prepare_image(stream: BinaryIO, *, max_side: int = 1600, square: int | None = None) -> StoredImage:
    """The upload in `stream` as a clean image at most `max_side` pixels on its longer side
    (or cropped to a `square` of that many pixels, for profile pictures)."""
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise TooLarge(_("Gambar terlalu besar: paling besar %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            width, height = probe.size
    except Image.DecompressionBombError:
        raise TooLarge(_("Gambar terlalu besar; perkecil dulu (paling banyak 40 megapiksel).")) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise BadInput(_("Berkas ini bukan gambar yang dikenali (PNG, JPEG, GIF atau WebP).")) from None
    if fmt not in FORMATS:
        raise BadInput(_("Format gambar %(f)s tidak didukung; gunakan PNG, JPEG, GIF atau WebP.", f=fmt or "?"))
    if width * height > MAX_PIXELS:
        raise TooLarge(_("Gambar %(w)s×%(h)s piksel terlalu besar; perkecil dulu (paling banyak 40 megapiksel).",
                         w=width, h=height))
    try:
        with Image.open(io.BytesIO(raw)) as img:
            img = ImageOps.exif_transpose(img)  # phones store rotation in EXIF, which we drop
            animated = fmt == "GIF" and getattr(img, "is_animated", False)
            if square:
                img = ImageOps.fit(img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB"),
                                   (square, square))
            elif max(img.size) > max_side and not animated:
                img.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if fmt == "JPEG" or (square and img.mode == "RGB"):
                img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                fmt = "JPEG"
            elif fmt == "GIF" and animated:
                img.save(out, "GIF", save_all=True)
            elif fmt == "WEBP":
                img.save(out, "WEBP", quality=85)
            else:
                img.save(out, "PNG" if fmt != "GIF" else "GIF", optimize=True)
            size = img.size
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise BadInput(_("Gambar ini rusak dan tidak dapat dibaca.")) from None
    ext, ctype = FORMATS[fmt]
    return StoredImage(out.getvalue(), ext, ctype, size[0], size[1])

"""Validation of landed image files with Pillow, before any model looks at them."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
_FORMAT_ALIASES = {"MPO": "JPEG"}


@dataclass(frozen=True)
class ImageRules:
    """Limits an image must respect to be scored."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    min_side: int = 8
    allowed_formats: frozenset[str] = ALLOWED_FORMATS


@dataclass(frozen=True)
class ImageCheck:
    """The verdict on one file: ``reason`` is None when the image is usable."""

    reason: str | None
    format: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def validate_image(data: bytes, rules: ImageRules = ImageRules()) -> ImageCheck:
    """Check that ``data`` is a complete image of an allowed format and a sane size.

    The declared size is checked before any pixel is decoded, so a decompression bomb (a tiny file
    declaring billions of pixels) is refused without allocating its memory.
    """
    if not data:
        return ImageCheck("empty_file")
    if len(data) > rules.max_bytes:
        return ImageCheck("file_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # A camera's multi-picture JPEG (MPO) is a JPEG whose first frame is the photo.
                fmt, (width, height) = _FORMAT_ALIASES.get(image.format, image.format), image.size
                if fmt not in rules.allowed_formats:
                    return ImageCheck(f"unsupported_format:{fmt}", fmt, width, height)
                if width * height > rules.max_pixels:
                    return ImageCheck("decompression_bomb", fmt, width, height)
                if min(width, height) < rules.min_side:
                    return ImageCheck("too_small", fmt, width, height)
                image.load()  # decodes every pixel: truncated or corrupt data fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return ImageCheck("decompression_bomb")
    except UnidentifiedImageError:
        return ImageCheck("not_an_image")
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        return ImageCheck(f"corrupt:{type(error).__name__}")
    return ImageCheck(None, fmt, width, height)

"""Pictures for mock posts, drawn with Pillow so that their look follows the post's sentiment.

Positive posts get bright, warm, saturated scenes (sun, blue sky); negative ones dark, cold,
washed-out scenes (rain, grey clouds); neutral ones muted daylight. Memes carry a caption.
A few files are deliberately broken (truncated, garbage, decompression-bomb headers).
"""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 192, 144

_PALETTES = {
    "positive": {"sky": ((255, 170, 60), (120, 190, 255)), "ground": (90, 200, 80), "sun": (255, 230, 70)},
    "neutral": {"sky": ((200, 200, 205), (170, 185, 200)), "ground": (130, 140, 120), "sun": (235, 235, 220)},
    "negative": {"sky": ((25, 30, 60), (60, 70, 90)), "ground": (40, 45, 55), "sun": None},
}


def _jitter(colour: tuple[int, int, int], rng: random.Random, amount: int = 18) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def render_image(sentiment: str, rng: random.Random, caption: str | None = None) -> tuple[bytes, str]:
    """Draw a scene for ``sentiment`` (with ``caption`` as a meme) and return (bytes, extension)."""
    palette = _PALETTES[sentiment]
    top, bottom = (_jitter(c, rng) for c in palette["sky"])
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    horizon = int(HEIGHT * rng.uniform(0.55, 0.75))
    for y in range(horizon):
        mix = y / max(1, horizon - 1)
        draw.line([(0, y), (WIDTH, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom)))
    draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=_jitter(palette["ground"], rng))
    if palette["sun"]:
        x, y, r = rng.randint(20, WIDTH - 20), rng.randint(10, horizon // 2 + 10), rng.randint(10, 22)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_jitter(palette["sun"], rng, 10))
    if sentiment == "negative":
        for _ in range(rng.randint(25, 60)):  # rain
            x, y = rng.randint(0, WIDTH), rng.randint(0, HEIGHT)
            draw.line([(x, y), (x - 3, y + 9)], fill=(110, 120, 150), width=1)
        for _ in range(3):  # heavy clouds
            x, y = rng.randint(0, WIDTH), rng.randint(0, horizon // 3)
            draw.ellipse([x - 40, y - 14, x + 40, y + 14], fill=(70, 72, 80))
    if caption:
        font = ImageFont.load_default()
        text = caption.upper()[:28]
        box = draw.textbbox((0, 0), text, font=font)
        x = max(2, (WIDTH - (box[2] - box[0])) // 2)
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            draw.text((x + dx, 6 + dy), text, font=font, fill=(0, 0, 0))
        draw.text((x, 6), text, font=font, fill=(255, 255, 255))
    buffer = io.BytesIO()
    if rng.random() < 0.8:
        image.save(buffer, format="JPEG", quality=80)
        return buffer.getvalue(), "jpg"
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue(), "png"


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decompression_bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression-bomb shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def corrupt_image(rng: random.Random, good: bytes, extension: str) -> tuple[bytes, str, str]:
    """A broken variant of ``good``: returns (bytes, extension, what is wrong with it)."""
    kind = rng.choice(["truncated", "garbage", "bomb", "empty"])
    if kind == "truncated":
        return good[: max(16, len(good) // 3)], extension, kind
    if kind == "garbage":
        return bytes(rng.getrandbits(8) for _ in range(512)), "jpg", kind
    if kind == "bomb":
        return decompression_bomb_png(), "png", kind
    return b"", "jpg", kind

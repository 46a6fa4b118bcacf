"""Pictures for mock posts, drawn with Pillow: scenes whose objects, not colours, follow the post's
sentiment, and memes whose caption carries it (so reading the text in an image has work to do).

Every scene takes its palette at random, whatever the sentiment, so a model cannot learn a colour
rule from the mock network. Positive scenes have a smiling sun and flowers, negative ones a storm
cloud, rain and a frowning face, neutral ones houses; a meme is a scene with a caption in large
letters across the top, from the post's sentiment. A few files are deliberately broken
(truncated, garbage, decompression-bomb headers).
"""

from __future__ import annotations

import io
import math
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 320, 240
CAPTION_SIZE = 20

_RAYS = [(math.cos(step * math.pi / 6), math.sin(step * math.pi / 6)) for step in range(12)]

#: Meme captions by sentiment (what OCR should read back).
MEME_CAPTIONS = {
    "positive": (
        "best day ever",
        "so happy right now",
        "i love this",
        "great news everyone",
        "this made my day",
        "absolutely amazing",
    ),
    "neutral": (
        "just another tuesday",
        "the meeting is at noon",
        "here is the schedule",
        "new update available",
        "the bus comes at nine",
        "photo from this morning",
    ),
    "negative": (
        "worst day ever",
        "i hate mondays",
        "this is terrible",
        "so sad and angry",
        "everything is broken",
        "what a disaster",
    ),
}


def meme_caption(sentiment: str, rng: random.Random) -> str:
    """A caption for a meme of ``sentiment``."""
    return rng.choice(MEME_CAPTIONS[sentiment])


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))


def _face(draw: ImageDraw.ImageDraw, x: int, y: int, r: int, smiling: bool) -> None:
    draw.ellipse([x - r // 3 - 2, y - r // 3 - 2, x - r // 3 + 2, y - r // 3 + 2], fill=(0, 0, 0))
    draw.ellipse([x + r // 3 - 2, y - r // 3 - 2, x + r // 3 + 2, y - r // 3 + 2], fill=(0, 0, 0))
    if smiling:
        draw.arc([x - r // 2, y - r // 4, x + r // 2, y + r // 2], 20, 160, fill=(0, 0, 0), width=3)
    else:
        draw.arc([x - r // 2, y + r // 6, x + r // 2, y + r], 200, 340, fill=(0, 0, 0), width=3)


def _scene(draw: ImageDraw.ImageDraw, sentiment: str, rng: random.Random, horizon: int) -> None:
    if sentiment == "positive":
        x, y, r = rng.randint(40, WIDTH - 40), rng.randint(30, horizon - 30), rng.randint(22, 34)
        for step in range(12):  # rays
            dx, dy = _RAYS[step]
            draw.line(
                [(x + dx * r * 1.2, y + dy * r * 1.2), (x + dx * r * 1.7, y + dy * r * 1.7)], fill=(0, 0, 0), width=2
            )
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_colour(rng), outline=(0, 0, 0), width=2)
        _face(draw, x, y, r, smiling=True)
        for _ in range(rng.randint(4, 9)):  # flowers
            fx, fy = rng.randint(5, WIDTH - 5), rng.randint(horizon + 8, HEIGHT - 8)
            petal = _colour(rng)
            for dx, dy in ((-5, 0), (5, 0), (0, -5), (0, 5)):
                draw.ellipse([fx + dx - 4, fy + dy - 4, fx + dx + 4, fy + dy + 4], fill=petal)
            draw.ellipse([fx - 3, fy - 3, fx + 3, fy + 3], fill=(0, 0, 0))
    elif sentiment == "negative":
        cloud = _colour(rng)
        x, y = rng.randint(60, WIDTH - 60), rng.randint(25, horizon // 2)
        for dx in (-40, -15, 15, 40):
            draw.ellipse([x + dx - 30, y - 20, x + dx + 30, y + 20], fill=cloud, outline=(0, 0, 0))
        bolt = [(x, y + 15), (x - 10, y + 45), (x + 4, y + 45), (x - 8, y + 80)]
        draw.line(bolt, fill=(0, 0, 0), width=3)
        for _ in range(rng.randint(40, 80)):  # rain
            rx, ry = rng.randint(0, WIDTH), rng.randint(y, HEIGHT)
            draw.line([(rx, ry), (rx - 4, ry + 12)], fill=(0, 0, 0), width=1)
        fx, fy, r = rng.randint(30, WIDTH - 30), rng.randint(horizon, HEIGHT - 30), 22
        draw.ellipse([fx - r, fy - r, fx + r, fy + r], fill=_colour(rng), outline=(0, 0, 0), width=2)
        _face(draw, fx, fy, r, smiling=False)
    else:
        for _ in range(rng.randint(2, 4)):  # houses
            w, h = rng.randint(40, 70), rng.randint(35, 60)
            hx = rng.randint(0, WIDTH - w)
            base = horizon + rng.randint(5, 25)
            draw.rectangle([hx, base - h, hx + w, base], fill=_colour(rng), outline=(0, 0, 0), width=2)
            draw.polygon([(hx - 4, base - h), (hx + w // 2, base - h - 25), (hx + w + 4, base - h)], outline=(0, 0, 0))
            draw.rectangle([hx + w // 2 - 6, base - 20, hx + w // 2 + 6, base], outline=(0, 0, 0), width=2)


def _caption(draw: ImageDraw.ImageDraw, caption: str) -> None:
    font = ImageFont.load_default(size=CAPTION_SIZE)
    words = caption.upper().split()
    gap = CAPTION_SIZE  # wide gaps between words, so that a reader sees them as separate
    while len(words) > 1 and sum(draw.textlength(w, font=font) for w in words) + gap * (len(words) - 1) > WIDTH - 12:
        words = words[:-1]
    x = max(4, int(WIDTH - sum(draw.textlength(w, font=font) for w in words) - gap * (len(words) - 1)) // 2)
    for word in words:
        draw.text((x, 8), word, font=font, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
        x += int(draw.textlength(word, font=font)) + gap


def render_image(sentiment: str, rng: random.Random, caption: str | None = None) -> tuple[bytes, str]:
    """Draw a scene for ``sentiment`` (with ``caption`` across the top, as a meme) and return
    (bytes, extension)."""
    top, bottom = _colour(rng), _colour(rng)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    horizon = int(HEIGHT * rng.uniform(0.55, 0.7))
    for y in range(horizon):
        mix = y / max(1, horizon - 1)
        draw.line([(0, y), (WIDTH, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom)))
    draw.rectangle([0, horizon, WIDTH, HEIGHT], fill=_colour(rng))
    _scene(draw, sentiment, rng, horizon)
    if caption:
        _caption(draw, caption)
    buffer = io.BytesIO()
    if rng.random() < 0.8:
        image.save(buffer, format="JPEG", quality=85)
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


def held_out_images(per_class: int = 150, seed: int = 20270101) -> tuple[list, list[int], str]:
    """Freshly drawn mock images, decoded, with their label indexes (a third of them memes) and a
    line saying what they are: the image model's held-out test.

    The seed is not one the platform or the model's design used, so the images are held out. They
    are synthetic: the sentiment is in the drawn objects (sun and flowers, storm and rain, houses),
    never in the colours, and the image model sees only the pixels (a meme's caption is for the
    text reader, not counted here).
    """
    from sentiment_platform.lib.scoring.images.image_scoring import decode_rgb
    from sentiment_platform.lib.scoring.labels import LABELS

    rng = random.Random(seed)
    images, labels = [], []
    for label_index, label in enumerate(LABELS):
        for i in range(per_class):
            data, _ = render_image(label, rng, caption=meme_caption(label, rng) if i % 3 == 0 else None)
            images.append(decode_rgb(data))
            labels.append(label_index)
    return images, labels, f"mock images, seed {seed}, {per_class} per class"

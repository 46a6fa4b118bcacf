"""A confusion-matrix picture drawn with Pillow (no plotting stack needed at evaluation time)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from sentiment_platform.lib.scoring.labels import LABELS

CELL, MARGIN = 90, 110


def confusion_png(panels: Sequence[tuple[str, list[list[int]]]]) -> bytes:
    """Side-by-side heatmaps, one per (title, 3x3 matrix): rows true class, columns predicted; each
    cell shows the count and its share of the true class (the per-class recall on the diagonal)."""
    font = ImageFont.load_default()
    width = len(panels) * (3 * CELL + MARGIN + 20) + 20
    image = Image.new("RGB", (width, 3 * CELL + MARGIN + 50), "white")
    draw = ImageDraw.Draw(image)
    for index, (title, matrix) in enumerate(panels):
        left = 20 + index * (3 * CELL + MARGIN + 20) + MARGIN
        top = 60
        draw.text((left, 10), title, fill="black", font=font)
        draw.text((left, 30), "predicted ->", fill="black", font=font)
        for row in range(3):
            total = max(sum(matrix[row]), 1)
            draw.text(
                (left - MARGIN + 5, top + row * CELL + CELL // 2 - 5), f"true {LABELS[row]}", fill="black", font=font
            )
            for col in range(3):
                share = matrix[row][col] / total
                shade = int(255 - 200 * share)
                fill = (shade, shade, 255) if row == col else (255, shade, shade)
                box = [left + col * CELL, top + row * CELL, left + (col + 1) * CELL - 2, top + (row + 1) * CELL - 2]
                draw.rectangle(box, fill=fill)
                draw.text((box[0] + 8, box[1] + 30), f"{matrix[row][col]}\n{share:.1%}", fill="black", font=font)
        for col in range(3):
            draw.text((left + col * CELL + 8, top + 3 * CELL + 5), LABELS[col], fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

"""Scoring image files: Pillow validation first, then the image model on the images that pass."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import polars as pl
from PIL import Image

from sentiment_platform.lib.cleansing.image_validation import ImageRules, validate_image
from sentiment_platform.lib.scoring.image_models import ImageModel
from sentiment_platform.lib.scoring.labels import LABELS
from sentiment_platform.lib.scoring.text_scoring import SCORE_SCHEMA

IMAGE_SCORE_SCHEMA = {name: dtype for name, dtype in SCORE_SCHEMA.items() if name != "truncated"}


def decode_rgb(data: bytes) -> Image.Image:
    """The image as RGB pixels (call only on data that passed :func:`validate_image`)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def score_image_files(
    files: Sequence[bytes | None], model: ImageModel, rules: ImageRules = ImageRules(), batch_size: int = 32
) -> tuple[pl.DataFrame, dict]:
    """One row per file, in order: status ``ok`` with the scores, ``missing`` for None, or the
    validation failure (``invalid:<reason>``) with null scores; plus counts for metadata."""
    statuses: list[str] = []
    for data in files:
        if data is None:
            statuses.append("missing")
            continue
        check = validate_image(data, rules)
        statuses.append("ok" if check.ok else f"invalid:{check.reason}")
    ok_rows = [i for i, status in enumerate(statuses) if status == "ok"]
    probs = np.full((len(files), 3), np.nan, dtype=np.float32)
    for start in range(0, len(ok_rows), batch_size):
        rows = ok_rows[start : start + batch_size]
        probs[rows] = model.predict([decode_rgb(files[i]) for i in rows])  # type: ignore[arg-type]
    ok = np.array([status == "ok" for status in statuses], dtype=bool)
    labels = [LABELS[int(np.argmax(p))] if good else None for p, good in zip(probs, ok)]
    frame = pl.DataFrame(
        {
            "status": statuses,
            "label": labels,
            "p_negative": probs[:, 0],
            "p_neutral": probs[:, 1],
            "p_positive": probs[:, 2],
            "score": np.clip(probs[:, 2] - probs[:, 0], -1, 1),
            "model": [model.name if good else None for good in ok],
        },
        schema=IMAGE_SCORE_SCHEMA,
    ).with_columns(pl.col(c).fill_nan(None) for c in ("p_negative", "p_neutral", "p_positive", "score"))
    counts = {"images": len(files), "scored": len(ok_rows)}
    for status in sorted(set(statuses) - {"ok"}):
        counts[f"status_{status}"] = statuses.count(status)
    return frame, counts

"""Scoring image files: Pillow validation first, then the image model (and the reader of the text
written in them) on the images that pass; then the text scorer on that text."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import polars as pl
from PIL import Image

from sentiment_platform.lib.cleansing.image_validation import ImageRules, validate_image
from sentiment_platform.lib.scoring.images.image_models import ImageModel
from sentiment_platform.lib.scoring.images.image_text import ImageTextReader
from sentiment_platform.lib.scoring.labels import LABELS
from sentiment_platform.lib.scoring.text.score_cache import ScoreCache
from sentiment_platform.lib.scoring.text.text_models import TextModel
from sentiment_platform.lib.scoring.text.text_scoring import SCORE_SCHEMA, class_probabilities, score_text_values

IMAGE_SCORE_SCHEMA = {
    **{name: dtype for name, dtype in SCORE_SCHEMA.items() if name != "truncated"},
    "image_text": pl.String,
}
#: The columns :func:`with_image_text_scores` adds: the language, label, score and class
#: probabilities of the text read in the image (null where it has none, or none scorable).
IMAGE_TEXT_SCHEMA = {
    "image_text_lang": pl.String,
    "image_text_label": pl.String,
    "image_text_score": pl.Float32,
    "image_text_p_negative": pl.Float32,
    "image_text_p_neutral": pl.Float32,
    "image_text_p_positive": pl.Float32,
}


def decode_rgb(data: bytes) -> Image.Image:
    """The image as RGB pixels (call only on data that passed :func:`validate_image`)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def score_image_files(
    files: Sequence[bytes | None],
    model: ImageModel,
    reader: ImageTextReader | None = None,
    rules: ImageRules = ImageRules(),
    batch_size: int = 32,
) -> pl.DataFrame:
    """One row per file, in order (``IMAGE_SCORE_SCHEMA``): status ``ok`` with the scores and (with
    a ``reader``) the text read in it, ``missing`` for None, or the validation failure
    (``invalid:<reason>``; ``invalid:not_bytes`` for anything but bytes) with null scores."""
    statuses: list[str] = []
    for data in files:
        if data is None:
            statuses.append("missing")
            continue
        if not isinstance(data, (bytes, bytearray, memoryview)):
            statuses.append("invalid:not_bytes")
            continue
        check = validate_image(data, rules)
        statuses.append("ok" if check.ok else f"invalid:{check.reason}")
    ok_rows = [i for i, status in enumerate(statuses) if status == "ok"]
    probs = np.full((len(files), 3), np.nan, dtype=np.float32)
    texts: list[str | None] = [None] * len(files)
    for start in range(0, len(ok_rows), batch_size):
        rows = ok_rows[start : start + batch_size]
        images = [decode_rgb(files[i]) for i in rows]  # type: ignore[arg-type]
        probs[rows] = model.predict(images)
        if reader is not None:
            for row, text in zip(rows, reader.read(images)):
                texts[row] = text
    ok = np.array([status == "ok" for status in statuses], dtype=bool)
    labels = [LABELS[int(np.argmax(p))] if good else None for p, good in zip(probs, ok)]
    return pl.DataFrame(
        {
            "status": statuses,
            "label": labels,
            "p_negative": probs[:, 0],
            "p_neutral": probs[:, 1],
            "p_positive": probs[:, 2],
            "score": np.clip(probs[:, 2] - probs[:, 0], -1, 1),
            "model": [model.name if good else None for good in ok],
            "image_text": texts,
        },
        schema=IMAGE_SCORE_SCHEMA,
    ).with_columns(pl.col(c).fill_nan(None) for c in ("p_negative", "p_neutral", "p_positive", "score"))


def image_score_counts(frame: pl.DataFrame) -> dict[str, int]:
    """Counts for metadata: images, scored images, images with text read in them, statuses."""
    statuses = frame["status"].to_list()
    counts = {
        "images": frame.height,
        "scored": statuses.count("ok"),
        "with_text": int(frame["image_text"].is_not_null().sum()),
    }
    for status in sorted(set(statuses) - {"ok"}):
        counts[f"status_{status}"] = statuses.count(status)
    return counts


def with_image_text_scores(frame: pl.DataFrame, text_model: TextModel, cache: ScoreCache | None = None) -> pl.DataFrame:
    """``frame`` (with ``image_text``) plus the :data:`IMAGE_TEXT_SCHEMA` columns from the text
    scorer (its score cache shared with the posts')."""
    from sentiment_platform.lib.cleansing.languages import detect_languages

    texts = frame["image_text"].to_list()
    scores, _ = score_text_values(texts, text_model, cache)
    present = [i for i, text in enumerate(texts) if text is not None]
    langs: list[str | None] = [None] * len(texts)
    for i, (code, _) in zip(present, detect_languages([texts[i] for i in present])):
        langs[i] = code
    added = pl.DataFrame(
        {
            "image_text_lang": langs,
            "image_text_label": scores["label"],
            "image_text_score": scores["score"],
            "image_text_p_negative": scores["p_negative"],
            "image_text_p_neutral": scores["p_neutral"],
            "image_text_p_positive": scores["p_positive"],
        },
        schema=IMAGE_TEXT_SCHEMA,
    )
    return pl.concat([frame, added], how="horizontal")


def image_text_probabilities(texts: Sequence[str | None], text_model: TextModel) -> np.ndarray:
    """(n, 3) class probabilities of the texts read in images (NaN rows where there is none)."""
    scores, _ = score_text_values(list(texts), text_model)
    return class_probabilities(scores)

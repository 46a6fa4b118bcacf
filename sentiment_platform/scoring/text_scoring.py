"""Scoring a column of texts: input checks, the score cache, the model, and the output frame."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import polars as pl

from sentiment_platform.scoring.labels import LABELS
from sentiment_platform.scoring.score_cache import ScoreCache, text_key
from sentiment_platform.scoring.text_input import OK, check_text
from sentiment_platform.scoring.text_models import TextModel

SCORE_SCHEMA = {
    "status": pl.String,
    "label": pl.String,
    "p_negative": pl.Float32,
    "p_neutral": pl.Float32,
    "p_positive": pl.Float32,
    "score": pl.Float32,
    "truncated": pl.Boolean,
    "model": pl.String,
}


def score_texts(values: Sequence[Any], model: TextModel, cache: ScoreCache | None = None) -> tuple[pl.DataFrame, dict]:
    """One row per input, in input order (see ``SCORE_SCHEMA``), and counts for metadata.

    Rows whose status is not ``ok`` get null label, probabilities and score. Each distinct text is
    scored once: first from ``cache`` (when given), then by the model, the new scores going back
    into the cache.
    """
    checked = [check_text(value) for value in values]
    statuses = [status for status, _ in checked]
    ok_rows = [i for i, status in enumerate(statuses) if status == OK]
    keys = [text_key(checked[i][1]) for i in ok_rows]
    distinct: dict[int, str] = {}
    for i, key in zip(ok_rows, keys):
        distinct.setdefault(key, checked[i][1])

    cached = cache.lookup(list(distinct)) if cache is not None else None
    known = set(cached["text_key"].to_list()) if cached is not None else set()
    missing = [key for key in distinct if key not in known]
    frames = [cached] if cached is not None and cached.height else []
    if missing:
        probabilities, truncated = model.predict([distinct[key] for key in missing])
        if cache is not None:
            cache.add(missing, probabilities, truncated)
        frames.append(pl.DataFrame({
            "text_key": missing,
            "p_negative": probabilities[:, 0],
            "p_neutral": probabilities[:, 1],
            "p_positive": probabilities[:, 2],
            "truncated": truncated,
        }, schema_overrides={"text_key": pl.Int64, "p_negative": pl.Float32, "p_neutral": pl.Float32, "p_positive": pl.Float32}))
    scores = pl.concat(frames) if frames else None

    rows = pl.DataFrame({"status": statuses, "text_key": [None] * len(statuses)}, schema={"status": pl.String, "text_key": pl.Int64})
    if ok_rows:
        rows = rows.with_columns(pl.Series("text_key", _scatter(len(statuses), ok_rows, keys), dtype=pl.Int64))
    if scores is not None:
        rows = rows.join(scores, on="text_key", how="left", maintain_order="left")
    else:
        rows = rows.with_columns(pl.lit(None, pl.Float32).alias(c) for c in ("p_negative", "p_neutral", "p_positive")).with_columns(pl.lit(None, pl.Boolean).alias("truncated"))
    probs = pl.concat_list("p_negative", "p_neutral", "p_positive")
    frame = rows.select(
        "status",
        pl.when(pl.col("status") == OK).then(probs.list.arg_max().replace_strict(list(range(3)), list(LABELS), return_dtype=pl.String)).alias("label"),
        "p_negative", "p_neutral", "p_positive",
        (pl.col("p_positive") - pl.col("p_negative")).clip(-1.0, 1.0).alias("score"),
        pl.col("truncated"),
        pl.when(pl.col("status") == OK).then(pl.lit(model.name)).alias("model"),
    ).cast(SCORE_SCHEMA)
    counts = {
        "texts": len(statuses),
        "scored": len(ok_rows),
        "distinct_texts": len(distinct),
        "cache_hits": len(distinct) - len(missing),
        "model_calls": len(missing),
        **{f"status_{s}": statuses.count(s) for s in sorted(set(statuses)) if s != OK},
    }
    return frame, counts


def _scatter(size: int, positions: list[int], values: list[int]) -> list[int | None]:
    out: list[int | None] = [None] * size
    for position, value in zip(positions, values):
        out[position] = value
    return out


def class_probabilities(frame: pl.DataFrame) -> np.ndarray:
    """(n, 3) probabilities of a scored frame (NaN where a row was not scored)."""
    return frame.select("p_negative", "p_neutral", "p_positive").to_numpy().astype(np.float32)

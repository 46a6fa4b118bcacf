"""Scoring a column of texts: input checks, the score cache, the model, and the output frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from sentiment_platform.lib.scoring.labels import LABELS
from sentiment_platform.lib.scoring.text.score_cache import (
    CACHE_SCHEMA,
    ScoreCache,
    text_key,
)
from sentiment_platform.lib.scoring.text.text_input import OK, UNSUPPORTED_LANGUAGE, check_text
from sentiment_platform.lib.scoring.text.text_models import TextModel

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


def check_texts(values: Sequence[Any]) -> tuple[list[str], list[int | None], dict[int, str]]:
    """Each input's status and text key (None unless ``ok``), and the distinct texts by key."""
    statuses, keys, distinct = [], [], {}
    for value in values:
        status, text = check_text(value)
        statuses.append(status)
        if status == OK:
            key = text_key(text)
            keys.append(key)
            distinct.setdefault(key, text)
        else:
            keys.append(None)
    return statuses, keys, distinct


def score_text_values(
    values: Sequence[Any], model: TextModel, cache: ScoreCache | None = None
) -> tuple[pl.DataFrame, dict]:
    """One row per input, in input order (see ``SCORE_SCHEMA``), and counts for metadata.

    Rows whose status is not ``ok`` get null label, probabilities and score. Each distinct text is
    scored once: first from ``cache`` (when given), then by the model, the new scores going back
    into the cache.
    """
    statuses, keys, distinct = check_texts(values)
    cached = cache.lookup(list(distinct)) if cache is not None else None
    known = set(cached["text_key"].to_list()) if cached is not None else set()
    missing = [key for key in distinct if key not in known]
    frames = [cached] if cached is not None and cached.height else []
    if missing:
        probabilities, truncated = model.predict([distinct[key] for key in missing])
        if cache is not None:
            cache.add(missing, probabilities, truncated)
        frames.append(score_frame(missing, probabilities, truncated))
    scores = pl.concat(frames) if frames else None
    frame = assemble_scores(statuses, keys, scores, model.name)
    return frame, score_counts(frame["status"].to_list(), len(distinct), len(missing))


def score_frame(keys: Sequence[int], probabilities: np.ndarray, truncated: np.ndarray) -> pl.DataFrame:
    """Model output for distinct texts, keyed by text key (the score cache's schema)."""
    return pl.DataFrame(
        {
            "text_key": list(keys),
            "p_negative": probabilities[:, 0],
            "p_neutral": probabilities[:, 1],
            "p_positive": probabilities[:, 2],
            "truncated": truncated,
        },
        schema=CACHE_SCHEMA,
    )


def assemble_scores(
    statuses: Sequence[str], keys: Sequence[int | None], scores: pl.DataFrame | None, model_name: str
) -> pl.DataFrame:
    """The output rows (``SCORE_SCHEMA``) from each input's status and key and the distinct texts' scores."""
    rows = pl.DataFrame(
        {"status": list(statuses), "text_key": list(keys)}, schema={"status": pl.String, "text_key": pl.Int64}
    )
    if scores is not None:
        rows = rows.join(scores, on="text_key", how="left", maintain_order="left")
        # NaN probabilities: no installed model covers the text's language (see MultilingualTextModel).
        unsupported = pl.col("p_negative").is_nan()
        rows = rows.with_columns(
            pl.when(unsupported).then(pl.lit(UNSUPPORTED_LANGUAGE)).otherwise(pl.col("status")).alias("status"),
            *(pl.col(c).fill_nan(None) for c in ("p_negative", "p_neutral", "p_positive")),
        )
    else:
        rows = rows.with_columns(
            pl.lit(None, pl.Float32).alias(c) for c in ("p_negative", "p_neutral", "p_positive")
        ).with_columns(pl.lit(None, pl.Boolean).alias("truncated"))
    probs = pl.concat_list("p_negative", "p_neutral", "p_positive")
    return rows.select(
        "status",
        pl.when(pl.col("status") == OK)
        .then(probs.list.arg_max().replace_strict(list(range(3)), list(LABELS), return_dtype=pl.String))
        .alias("label"),
        "p_negative",
        "p_neutral",
        "p_positive",
        (pl.col("p_positive") - pl.col("p_negative")).clip(-1.0, 1.0).alias("score"),
        pl.col("truncated"),
        pl.when(pl.col("status") == OK).then(pl.lit(model_name)).alias("model"),
    ).cast(SCORE_SCHEMA)


def score_counts(statuses: Sequence[str], distinct: int, model_calls: int) -> dict[str, int]:
    """Counts for metadata: inputs, scored inputs, distinct texts, cache hits, model calls, statuses."""
    scored = sum(status == OK for status in statuses)
    return {
        "texts": len(statuses),
        "scored": scored,
        "distinct_texts": distinct,
        "cache_hits": distinct - model_calls,
        "model_calls": model_calls,
        **{f"status_{s}": statuses.count(s) for s in sorted(set(statuses)) if s != OK},
    }


def class_probabilities(frame: pl.DataFrame) -> np.ndarray:
    """(n, 3) probabilities of a scored frame (NaN where a row was not scored)."""
    return frame.select("p_negative", "p_neutral", "p_positive").to_numpy().astype(np.float32)

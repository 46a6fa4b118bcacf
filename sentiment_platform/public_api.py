"""Sentiment models outside Dagster (a notebook, a script): score texts or image files in one call.

    from sentiment_platform import score_texts
    score_texts(["what a great match", "the train is late again"])

Without a scorer, the one this deployment's environment configures is used (the offline default
when nothing is set); pass a :class:`TextScorer` or :class:`ImageScorer` to choose another.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from sentiment_platform.resources.scorers import ImageScorer, TextScorer


def score_texts(texts: Sequence[str | None], scorer: TextScorer | None = None) -> pl.DataFrame:
    """One row per text, in order: ``text`` and the scores of ``SCORE_SCHEMA`` (``status``, ``label``,
    ``p_negative``, ``p_neutral``, ``p_positive``, ``score`` in [-1, 1], ``truncated``, ``model``).
    Empty or non-text inputs get their status and null scores, never a guess."""
    from sentiment_platform.lib.scoring.text_scoring import score_text_values
    from sentiment_platform.settings import Settings

    model = (scorer or Settings(as_env_vars=False).text_scorer()).load()
    scores, _ = score_text_values(list(texts), model)
    return pl.DataFrame({"text": list(texts)}, schema={"text": pl.String}, strict=False).hstack(scores)


def score_images(images: Sequence[bytes | None], scorer: ImageScorer | None = None) -> pl.DataFrame:
    """One row per image file (its bytes), in order: the scores of ``IMAGE_SCORE_SCHEMA``; a file that
    is not a valid image gets status ``invalid:<reason>`` and null scores."""
    from sentiment_platform.lib.scoring.image_scoring import score_image_files
    from sentiment_platform.settings import Settings

    model = (scorer or Settings(as_env_vars=False).image_scorer()).load()
    scores, _ = score_image_files(list(images), model)
    return scores

"""Sentiment models outside Dagster (a notebook, a script): score texts or image files in one call.

    from sentiment_platform import score_texts, score_posts
    score_texts(["what a great match", "the train is late again"])
    score_posts(["look at this view"], [open("photo.jpg", "rb").read()])

Without a scorer, the one this deployment's environment configures is used (the offline default
when nothing is set); pass a :class:`TextScorer` or :class:`ImageScorer` to choose another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from sentiment_platform.resources.scorers import ImageScorer, TextScorer


def _as_list(values: Any, function: str, items: str) -> list:
    """``values`` as a list, or a ``TypeError`` naming what ``function`` expects: a string or a
    bytes object is one item, not a sequence of characters or byte values to score one by one."""
    if isinstance(values, (str, bytes, bytearray, memoryview)):
        kind = type(values).__name__
        raise TypeError(f"{function}() expects a list of {items}, got one {kind}: wrap it in a list to score it alone")
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise TypeError(f"{function}() expects a list of {items}, got {type(values).__name__}")
    return list(values)


def _default_scorers(settings) -> tuple[TextScorer, ImageScorer]:
    """The scorers of the environment's settings, with the models trained into its lake."""
    storage = settings.storage().store()
    return settings.text_scorer().with_lake_models(storage), settings.image_scorer().with_lake_models(storage)


def score_texts(texts: Sequence[str | None], scorer: TextScorer | None = None) -> pl.DataFrame:
    """One row per text, in order: ``text`` and the scores of ``SCORE_SCHEMA`` (``status``, ``label``,
    ``p_negative``, ``p_neutral``, ``p_positive``, ``score`` in [-1, 1], ``truncated``, ``model``).
    Empty or non-text inputs get their status and null scores, never a guess; a string that cannot
    be encoded (a lone surrogate) is ``invalid_encoding``, shown with U+FFFD in ``text``. Raises
    ``TypeError`` when ``texts`` is not a list (one string is not a list of texts)."""
    from sentiment_platform.lib.scoring.text.text_input import displayable
    from sentiment_platform.lib.scoring.text.text_scoring import score_text_values
    from sentiment_platform.settings import Settings

    texts = _as_list(texts, "score_texts", "texts")
    model = (scorer or _default_scorers(Settings(as_env_vars=False))[0]).load()
    scores, _ = score_text_values(texts, model)
    shown = [displayable(text) for text in texts]
    return pl.DataFrame({"text": shown}, schema={"text": pl.String}, strict=False).hstack(scores)


def score_images(
    images: Sequence[bytes | None], scorer: ImageScorer | None = None, text_scorer: TextScorer | None = None
) -> pl.DataFrame:
    """One row per image file (its bytes), in order: the scores of ``IMAGE_SCORE_SCHEMA`` and, for
    the text read in the image (``image_text``), those of ``IMAGE_TEXT_SCHEMA`` from the text
    scorer; a file that is not a valid image gets status ``invalid:<reason>`` and null scores.
    Raises ``TypeError`` when ``images`` is not a list (one file's bytes are not a list of files)."""
    from sentiment_platform.lib.scoring.images.image_scoring import score_image_files, with_image_text_scores
    from sentiment_platform.settings import Settings

    images = _as_list(images, "score_images", "image files (bytes)")
    defaults = _default_scorers(Settings(as_env_vars=False))
    scorer = scorer or defaults[1]
    scores = score_image_files(list(images), scorer.load(), scorer.load_text_reader())
    return with_image_text_scores(scores, (text_scorer or defaults[0]).load())


def score_posts(
    texts: Sequence[str | None],
    images: Sequence[bytes | None],
    text_scorer: TextScorer | None = None,
    image_scorer: ImageScorer | None = None,
) -> pl.DataFrame:
    """One row per post (``texts[i]`` with the image file ``images[i]``, None for a post without
    one): ``post_label`` and ``post_score`` of the post as a whole (text and image fused by the
    trained fusion, with the text read in the image; the one it has where it lacks the other),
    beside the text's and the image's own ``text_*`` and ``image_*`` scores."""
    from sentiment_platform.lib.scoring.post_fusion import PostFusion, labels_and_scores
    from sentiment_platform.settings import Settings

    texts = _as_list(texts, "score_posts", "texts")
    images = _as_list(images, "score_posts", "image files (bytes, or None)")
    if len(texts) != len(images):
        raise ValueError(f"{len(texts)} texts but {len(images)} images: give one image (or None) per post")
    if text_scorer is None or image_scorer is None:  # the lake's models looked up once, not per part
        defaults = _default_scorers(Settings(as_env_vars=False))
        text_scorer, image_scorer = text_scorer or defaults[0], image_scorer or defaults[1]
    text = score_texts(texts, text_scorer)
    image = score_images(images, image_scorer, text_scorer)
    probabilities = ["p_negative", "p_neutral", "p_positive"]

    def values(frame: pl.DataFrame, columns: list[str]):
        return frame.select(columns).fill_null(float("nan")).to_numpy()

    fused = PostFusion.load(image_scorer.fusion_path()).fuse(
        values(text, probabilities),
        values(image, probabilities),
        values(image, [f"image_text_{name}" for name in probabilities]),
    )
    labels, scores = labels_and_scores(fused)
    return (
        pl.DataFrame(
            {"post_label": labels, "post_score": scores}, schema={"post_label": pl.String, "post_score": pl.Float64}
        )
        .with_columns(pl.col("post_score").fill_nan(None))
        .hstack(
            [
                *text.rename(lambda c: c if c == "text" else f"text_{c}").get_columns(),
                *image.rename(lambda c: c if c.startswith("image_") else f"image_{c}").get_columns(),
            ]
        )
    )

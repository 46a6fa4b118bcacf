"""Joining a post with its text sentiment, its images' sentiment and its author (pure Polars)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from sentiment_platform.lib.scoring.post_fusion import labels_and_scores

if TYPE_CHECKING:
    from sentiment_platform.lib.scoring.post_fusion import PostFusion

_PROBABILITIES = ["p_negative", "p_neutral", "p_positive"]
_IMAGE_PROBABILITIES = [f"image_{name}" for name in _PROBABILITIES]
_IMAGE_TEXT_PROBABILITIES = [f"image_text_{name}" for name in _PROBABILITIES]


def image_sentiment_per_post(image_scores: pl.DataFrame) -> pl.DataFrame:
    """One row per post with scored images: how many, their keys, their mean score and class
    probabilities, the majority label, and the mean score and probabilities of the text read in them (null when
    none of its images has any)."""
    # Hours scored before images were read for text have none of its columns: null, not an error.
    absent = [c for c in ("image_text_score", *_IMAGE_TEXT_PROBABILITIES) if c not in image_scores.columns]
    scored = (
        image_scores.with_columns(pl.lit(None, pl.Float32).alias(c) for c in absent)
        .filter(pl.col("status") == "ok")
        .explode("post_ids")
        .rename({"post_ids": "post_id"})
    )
    return scored.group_by("post_id").agg(
        pl.len().cast(pl.Int32).alias("image_count"),
        pl.col("score").mean().cast(pl.Float32).alias("image_score"),
        pl.col("label").mode().sort().first().alias("image_label"),
        pl.col("image_key").sort().alias("image_keys"),
        *(pl.col(name).mean().cast(pl.Float32).alias(f"image_{name}") for name in _PROBABILITIES),
        pl.col("image_text_score").mean().cast(pl.Float32),
        *(pl.col(name).mean().cast(pl.Float32) for name in _IMAGE_TEXT_PROBABILITIES),
    )


def with_post_sentiment(enriched: pl.DataFrame, fusion: PostFusion) -> pl.DataFrame:
    """``post_label`` and ``post_score`` (p_positive - p_negative) of each post as a whole: the
    fusion of its text, image and image-text probabilities where it has text and an image, the
    one it has otherwise."""

    def probabilities(columns: list[str]) -> np.ndarray:
        return enriched.select(columns).fill_null(float("nan")).to_numpy().astype(np.float64)

    fused = fusion.fuse(
        probabilities(_PROBABILITIES), probabilities(_IMAGE_PROBABILITIES), probabilities(_IMAGE_TEXT_PROBABILITIES)
    )
    labels, scores = labels_and_scores(fused)
    return enriched.with_columns(
        pl.Series("post_label", labels, dtype=pl.String),
        pl.Series("post_score", scores, dtype=pl.Float64).fill_nan(None),
    ).drop(_IMAGE_PROBABILITIES + _IMAGE_TEXT_PROBABILITIES)


def enrich_posts(
    posts: pl.DataFrame,
    text_scores: pl.DataFrame,
    image_scores: pl.DataFrame,
    users: pl.DataFrame,
    fusion: PostFusion,
) -> pl.DataFrame:
    """Every cleaned post (none dropped) with its text sentiment, image sentiment, the post's
    sentiment as a whole (``post_label``, ``post_score``) and its author profile.

    Posts without a scorable text keep null sentiment and their ``sentiment_status``; posts
    without a valid image keep null image columns.
    """
    text = text_scores.select(
        "post_id",
        pl.col("status").alias("sentiment_status"),
        pl.col("label").alias("sentiment"),
        "p_negative",
        "p_neutral",
        "p_positive",
        "score",
        pl.max_horizontal("p_negative", "p_neutral", "p_positive").alias("confidence"),
        pl.col("model").alias("text_model"),
    )
    authors = users.select(
        pl.col("user_id").alias("author_id"),
        pl.col("handle").alias("author_handle"),
        pl.col("location").alias("author_location"),
        pl.col("followers_count").alias("author_followers"),
        pl.col("language").alias("author_language"),
    ).unique("author_id", keep="first")
    enriched = (
        posts.select(
            "post_id",
            "author_id",
            "created_at",
            "text",
            "lang",
            "lang_source",
            "topic",
            "hashtags",
            "mentions",
            "is_reply",
            "in_reply_to_id",
            "like_count",
            "repost_count",
            "reply_count",
            "has_image",
            "source",
        )
        .join(text, on="post_id", how="left", maintain_order="left")
        .join(image_sentiment_per_post(image_scores), on="post_id", how="left", maintain_order="left")
        .join(authors, on="author_id", how="left", maintain_order="left")
        .with_columns(pl.col("image_count").fill_null(0), pl.col("topic").fill_null("unknown"))
    )
    if enriched.height != posts.height:
        raise RuntimeError(f"enrichment changed the number of posts: {posts.height} -> {enriched.height}")
    return with_post_sentiment(enriched, fusion)

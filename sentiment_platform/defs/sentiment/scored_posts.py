"""Group ``sentiment``: text and image sentiment per hour, and posts enriched with both."""

import time
from datetime import datetime

import numpy as np
import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
)

from sentiment_platform.defs.hourly_runs import HourlyRun, hourly_asset
from sentiment_platform.lib.enrichment import enrich_posts
from sentiment_platform.lib.lake_layout import dataset_key
from sentiment_platform.lib.lake_store import LakeStore
from sentiment_platform.lib.scoring.images.image_scoring import (
    image_score_counts,
    score_image_files,
    with_image_text_scores,
)
from sentiment_platform.lib.scoring.text.score_cache import ScoreCache
from sentiment_platform.lib.scoring.text.text_input import UNSUPPORTED_LANGUAGE
from sentiment_platform.lib.scoring.text.text_scoring import score_text_values
from sentiment_platform.lib.spark.image_scoring_job import score_images_spark
from sentiment_platform.lib.spark.scoring_job import score_posts_spark
from sentiment_platform.partitions import hourly_freshness
from sentiment_platform.resources.scorers import IMAGE_MODEL_ASSETS, TEXT_MODEL_ASSETS, ImageScorer, TextScorer
from sentiment_platform.resources.spark_engine import SparkEngine


def _label_shares(frame: pl.DataFrame) -> dict[str, float]:
    scored = frame.filter(pl.col("label").is_not_null())
    if scored.height == 0:
        return {}
    counts = dict(scored.group_by("label").len().iter_rows())
    return {
        f"share_{label}": round(counts.get(label, 0) / scored.height, 4)
        for label in ("negative", "neutral", "positive")
    }


def _score_hour(storage: LakeStore, hour: datetime, model, cache: ScoreCache) -> tuple[pl.DataFrame, dict]:
    posts = storage.read_parquet(dataset_key("cleaned_posts", hour)).select("post_id", "created_at", "topic", "text")
    scores, counts = score_text_values(posts["text"].to_list(), model, cache)
    return pl.concat([posts.drop("text"), scores], how="horizontal"), counts


def scores_data_version(fingerprint: str, frames: list[pl.DataFrame]) -> DataVersion:
    """The data version of scores: the fingerprint of the model that computed them (so a retrained
    model makes them stale) and a digest of the rows (so new posts scored make their readers stale)."""
    rows = sum(int(frame.hash_rows(seed=0).sum()) for frame in frames) % (1 << 64)
    return DataVersion(f"{fingerprint}:{rows:016x}")


#: Above this share of an hour's posts in languages no installed model covers, the check warns.
UNSUPPORTED_LANGUAGE_WARNING = 0.05


def unsupported_share(counts: dict) -> float:
    """The share of an hour's texts no installed model covers (``unsupported_language``)."""
    return counts.get(f"status_{UNSUPPORTED_LANGUAGE}", 0) / max(counts["texts"], 1)


@hourly_asset(
    deps=["cleaned_posts", *TEXT_MODEL_ASSETS],
    group_name="sentiment",
    kinds={"pytorch", "spark", "parquet"},
    check_specs=[
        AssetCheckSpec(
            "language_coverage",
            asset="post_sentiment",
            description=f"Warns when over {UNSUPPORTED_LANGUAGE_WARNING:.0%} of an hour's posts are in a "
            "language no installed model covers (status unsupported_language: they get no label).",
        )
    ],
)
def post_sentiment(
    context: AssetExecutionContext, storage: ResourceParam[LakeStore], text_scorer: TextScorer, spark: SparkEngine
) -> MaterializeResult:
    """Text sentiment of every cleaned post of the hour: label, class probabilities, score in
    [-1, 1] and model; texts seen before (this run or any earlier one) come from the score cache.
    Scores in this process, or in Spark tasks when the run's input is over the thresholds."""
    run = HourlyRun.of(context, storage)
    inputs = run.inputs("cleaned_posts")
    choice = run.choose_engine(spark, inputs)
    text_scorer = text_scorer.with_lake_models(storage)
    model = text_scorer.load()
    cache = ScoreCache.load(storage, model.fingerprint)
    started = time.perf_counter()
    if choice.engine == "spark":
        # What loads the model (plain lib code and settings): each worker loads its own.
        load = text_scorer.model_load(threads=spark.task_threads)
        results = score_posts_spark(spark.spark_session, storage, inputs, model, load, cache)
    else:
        results = {hour: _score_hour(storage, hour, model, cache) for hour in run.hours}
    seconds = time.perf_counter() - started
    cache.save(storage)
    counts = {hour: hour_counts for hour, (_, hour_counts) in results.items()}
    frames = {hour: frame for hour, (frame, _) in results.items()}
    for hour, frame in frames.items():
        run.write("post_sentiment", {hour: frame}, lambda frame, hour=hour: _post_figures(frame, counts[hour]))
    texts = sum(hour_counts["texts"] for hour_counts in counts.values())
    return MaterializeResult(
        data_version=scores_data_version(model.fingerprint, list(frames.values())),
        metadata={
            **run.metadata(choice, spark),
            "model": model.name,
            "texts_per_second": round(texts / seconds, 1) if seconds > 0 else None,
        },
        check_results=[_language_coverage(counts)],
    )


def _post_figures(frame: pl.DataFrame, counts: dict) -> dict:
    return {
        **counts,
        **_label_shares(frame),
        "mean_score": float(frame["score"].mean()) if counts["scored"] else None,
        "unsupported_language_share": round(unsupported_share(counts), 4),
    }


def _language_coverage(counts: dict[datetime, dict]) -> AssetCheckResult:
    shares = {f"{hour:%Y-%m-%d %H:00}": round(unsupported_share(c), 4) for hour, c in counts.items()}
    worst = max(shares.values(), default=0.0)
    return AssetCheckResult(
        check_name="language_coverage",
        passed=worst <= UNSUPPORTED_LANGUAGE_WARNING,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "highest_unsupported_share": worst,
            "threshold": UNSUPPORTED_LANGUAGE_WARNING,
            "unsupported_share_by_hour": MetadataValue.json(shares),
        },
    )


@hourly_asset(
    deps=["raw_images", IMAGE_MODEL_ASSETS[0], *TEXT_MODEL_ASSETS],
    group_name="sentiment",
    kinds={"onnx", "spark", "parquet"},
)
def image_sentiment(
    context: AssetExecutionContext,
    storage: ResourceParam[LakeStore],
    image_scorer: ImageScorer,
    text_scorer: TextScorer,
    spark: SparkEngine,
) -> MaterializeResult:
    """Sentiment of every valid image of the hour (from the `raw_images` manifest), with the posts
    that carry it, the text written in it (`image_text`) and that text's language and sentiment;
    an image that cannot be read now is kept with its status, not dropped. Scores in this process,
    or in Spark tasks when the run's images are over the thresholds; a backfill is one run, so the
    models load once for all its hours."""
    run = HourlyRun.of(context, storage)
    manifests = {
        hour: storage.read_parquet(dataset_key("raw_images", hour)).select("image_key", "post_ids", "bytes")
        for hour in run.hours
    }
    choice = run.choose_engine(
        spark,
        rows=sum(m.height for m in manifests.values()),
        size_bytes=sum(int(m["bytes"].sum()) for m in manifests.values()),
    )
    image_scorer, text_scorer = image_scorer.with_lake_models(storage), text_scorer.with_lake_models(storage)
    model, reader = image_scorer.load(), image_scorer.load_text_reader()
    started = time.perf_counter()
    scores = _image_scores(storage, spark, choice, manifests, image_scorer, model, reader)
    seconds = time.perf_counter() - started
    text_model = text_scorer.load()
    cache = ScoreCache.load(storage, text_model.fingerprint)
    frames = {
        hour: pl.concat(
            [manifest.drop("bytes"), with_image_text_scores(scores[hour], text_model, cache)], how="horizontal"
        )
        for hour, manifest in manifests.items()
    }
    cache.save(storage)
    run.write("image_sentiment", frames, lambda frame: {**image_score_counts(frame), **_label_shares(frame)})
    images = sum(frame.height for frame in frames.values())
    return MaterializeResult(
        data_version=scores_data_version(f"{model.fingerprint}+{text_model.fingerprint}", list(frames.values())),
        metadata={
            **run.metadata(choice, spark),
            "model": model.name,
            "text_reader": reader.name if reader else None,
            "images_per_second": round(images / seconds, 1) if seconds > 0 else None,
        },
    )


def _image_scores(storage, spark, choice, manifests, image_scorer, model, reader) -> dict[datetime, pl.DataFrame]:
    """Each hour's images scored, in this process or (one Spark job for all hours) in Spark tasks."""
    if choice.engine != "spark":
        return {
            hour: score_image_files(storage.read_files(manifest["image_key"].to_list()), model, reader)
            for hour, manifest in manifests.items()
        }
    keys = [key for manifest in manifests.values() for key in manifest["image_key"].to_list()]
    threads = spark.task_threads
    everything = score_images_spark(
        spark.spark_session,
        storage,
        keys,
        image_scorer.model_load(threads=threads),
        image_scorer.text_reader_load(threads=threads),
    )
    offsets = np.cumsum([0, *(m.height for m in manifests.values())])
    return {hour: everything.slice(offsets[i], m.height) for i, (hour, m) in enumerate(manifests.items())}


ENRICHED_CHECKS = [
    AssetCheckSpec(
        "unique_post_ids", asset="enriched_posts", blocking=True, description="No post id twice in the hour."
    ),
    AssetCheckSpec(
        "no_null_keys",
        asset="enriched_posts",
        blocking=True,
        description="post_id, author_id, created_at and topic are never null.",
    ),
    AssetCheckSpec(
        "scores_in_range",
        asset="enriched_posts",
        blocking=True,
        description="Scores in [-1, 1], probabilities in [0, 1] summing to 1, labels known.",
    ),
]


def enriched_checks(enriched: pl.DataFrame) -> list[AssetCheckResult]:
    """The blocking data-quality checks of an enriched hour (ERROR severity: a failure stops the
    downstream trend tables from being built on bad rows)."""
    duplicates = enriched.height - enriched["post_id"].n_unique()
    null_keys = {c: enriched[c].null_count() for c in ("post_id", "author_id", "created_at", "topic")}
    scored = enriched.filter(pl.col("sentiment").is_not_null())
    out_of_range = scored.filter(
        ~pl.col("score").is_between(-1, 1)
        | ~pl.all_horizontal(pl.col("p_negative", "p_neutral", "p_positive").is_between(0, 1))
        | ((pl.col("p_negative") + pl.col("p_neutral") + pl.col("p_positive") - 1).abs() > 1e-3)
        | ~pl.col("sentiment").is_in(["negative", "neutral", "positive"])
        | (pl.col("image_score").is_not_null() & ~pl.col("image_score").is_between(-1, 1))
        | pl.col("post_label").is_null()
        | ~pl.col("post_score").is_between(-1, 1)
    ).height
    return [
        AssetCheckResult(check_name="unique_post_ids", passed=duplicates == 0, metadata={"duplicates": duplicates}),
        AssetCheckResult(check_name="no_null_keys", passed=sum(null_keys.values()) == 0, metadata=null_keys),
        AssetCheckResult(
            check_name="scores_in_range", passed=out_of_range == 0, metadata={"rows_out_of_range": out_of_range}
        ),
    ]


@hourly_asset(
    deps=["cleaned_posts", "cleaned_users", "post_sentiment", "image_sentiment", IMAGE_MODEL_ASSETS[1]],
    group_name="sentiment",
    kinds={"polars", "parquet"},
    check_specs=ENRICHED_CHECKS,
    freshness_policy=hourly_freshness,
)
def enriched_posts(context: AssetExecutionContext, storage: ResourceParam[LakeStore], image_scorer: ImageScorer):
    """Every cleaned post of the hour with its text sentiment, image sentiment, the post's
    sentiment as a whole (text and images fused) and its author profile (analytics zone): the
    table the trends, reports and API are built from. A backfill is one run over its hours."""
    from sentiment_platform.lib.scoring.post_fusion import PostFusion

    run = HourlyRun.of(context, storage)
    fusion = PostFusion.load(image_scorer.with_lake_models(storage).fusion_path())
    frames = {
        hour: enrich_posts(
            *(storage.read_parquet(dataset_key(name, hour)) for name in _ENRICHED_INPUTS),
            fusion,
        )
        for hour in run.hours
    }
    run.write("enriched_posts", frames, _enriched_figures)
    yield MaterializeResult(metadata={"hours": len(frames)})
    # Post ids are unique across hours too (ingestion keeps a post in the hour it was made).
    yield from enriched_checks(pl.concat(list(frames.values()), how="vertical_relaxed"))


#: What an enriched hour is built from, in ``enrich_posts``'s order.
_ENRICHED_INPUTS = ("cleaned_posts", "post_sentiment", "image_sentiment", "cleaned_users")


def _enriched_figures(enriched: pl.DataFrame) -> dict[str, int]:
    return {
        "with_text_sentiment": int(enriched["sentiment"].is_not_null().sum()),
        "with_image_sentiment": int(enriched["image_score"].is_not_null().sum()),
        "with_post_sentiment": int(enriched["post_label"].is_not_null().sum()),
        "without_author_profile": int(enriched["author_handle"].is_null().sum()),
    }

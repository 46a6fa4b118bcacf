"""``image_sentiment`` on Spark: image files read, validated, scored and read for text in tasks.

The driver hands out only the image keys; each Python worker opens the lake and loads the image
model and the text reader once (``ImageScorer`` keeps them per process, and Spark reuses its
workers), then scores whole Arrow batches of images with the same function as the single-machine
path, so both give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from sentiment_platform.lib.scoring.images.image_scoring import IMAGE_SCORE_SCHEMA, score_image_files
from sentiment_platform.lib.spark.lake_io import spark_schema, to_arrow, to_polars

if TYPE_CHECKING:
    from sentiment_platform.resources.lake_storage import LakeStorage

_POLARS_TO_ARROW = {pl.String: pa.string(), pl.Float32: pa.float32()}
SCORED_IMAGE_ARROW = pa.schema(
    [("row", pa.int64())] + [(name, _POLARS_TO_ARROW[dtype]) for name, dtype in IMAGE_SCORE_SCHEMA.items()]
)
#: Images a task reads and scores at once (bounds a worker's memory of files and decoded images).
BATCH_IMAGES = 64


def _score_batches(storage_variant: type, storage_settings: dict[str, Any], build_scorer: Callable[[], Any]):
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        lake = storage_variant(**storage_settings)
        scorer = build_scorer()
        model, reader = scorer.load(), scorer.load_text_reader()  # once per Python worker
        for batch in batches:
            keys, rows = batch["image_key"].tolist(), batch["row"].tolist()
            for start in range(0, len(keys), BATCH_IMAGES):
                files = lake.read_files(keys[start : start + BATCH_IMAGES])
                frame = score_image_files(files, model, reader).with_columns(
                    pl.Series("row", rows[start : start + BATCH_IMAGES], pl.Int64)
                )
                yield to_arrow(frame, SCORED_IMAGE_ARROW).to_pandas()

    return run


def score_images_spark(
    spark: Any, storage: LakeStorage, image_keys: Sequence[str], build_scorer: Callable[[], Any]
) -> pl.DataFrame:
    """The rows :func:`score_image_files` gives for the files at ``image_keys``, in that order,
    computed by Spark tasks (``build_scorer``, picklable, builds the driver's scorer there)."""
    if not image_keys:
        return pl.DataFrame(schema=IMAGE_SCORE_SCHEMA)
    parallelism = spark.sparkContext.defaultParallelism
    listing = spark.sparkContext.parallelize(
        list(enumerate(image_keys)), numSlices=max(1, min(len(image_keys), parallelism))
    ).toDF("row long, image_key string")
    scored = listing.mapInPandas(
        _score_batches(type(storage), storage.settings(), build_scorer), spark_schema(SCORED_IMAGE_ARROW)
    )
    frame = to_polars(scored.toArrow(), {"row": pl.Int64, **IMAGE_SCORE_SCHEMA})
    return frame.sort("row").drop("row")
